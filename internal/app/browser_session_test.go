package app

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserSessionWarning: on a signed-in page the browser, its clock run forward by
// the DevTools protocol's virtual time, shows the warning two minutes before the idle
// timeout ends the session, with "stay logged in", and once it has ended says so with
// "log in again"; until then nothing shows (issue 10 item 6).
func TestBrowserSessionWarning(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	ba := newBrowser(t, srv.URL)
	ba.login(a.Pop.Citizens[0])
	ctx := chromeContext(t, bin)
	setCookies(t, ctx, ba)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/?lang=ru"), chromedp.WaitVisible(chromedp.CSS(`#welcome`))); err != nil {
		t.Fatal(err)
	}
	hidden := func(id string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("`+id+`").hidden`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	advance := func(d time.Duration) {
		t.Helper()
		budget := float64(d.Milliseconds())
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetVirtualTimePolicy, emulation.SetVirtualTimePolicyParams{Policy: emulation.VirtualTimePolicyAdvance, Budget: &budget})
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the budget runs out asynchronously
	}
	if !hidden("session-warning") {
		t.Fatal("the warning shows at once")
	}
	advance(27 * time.Minute)
	if !hidden("session-warning") {
		t.Error("the warning shows 3 minutes before the end")
	}
	advance(90 * time.Second)
	if hidden("session-warning") || hidden("session-warning-soon") || !hidden("session-warning-over") {
		t.Error("no warning 90 seconds before the end")
	}
	if s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#session-warning-soon`))); s == "" {
		t.Error("the warning has no text")
	}
	advance(2 * time.Minute)
	if hidden("session-warning-over") || !hidden("session-warning-soon") {
		t.Error("the end of the session is not said")
	}
}

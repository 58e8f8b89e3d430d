package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPushSettings drives headless Chromium to the channel settings: under the
// page's CSP (a nonce'd script, worker-src 'self') the page offers browser
// notifications, the service worker at /inbox/sw.js registers, and pressing the button
// ends in a message in the page's language — this machine has no push service to
// subscribe to, so the message is the refusal or the failure one, never silence.
func TestBrowserPushSettings(t *testing.T) {
	bin := chromium(t)
	app, srv := newSandbox(t, "")
	a := srv
	ctx := chromeContext(t, bin)
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	c := app.Pop.Citizens[1]
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/login?lang=en"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), c.IIN),
		chromedp.SendKeys(q(`#password`), c.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, c.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
		chromedp.Navigate(a.URL+"/inbox/settings?lang=en"),
		chromedp.WaitVisible(q(`#push-subscribe`)),
	)
	if err != nil {
		t.Fatalf("settings page without the browser-notification button: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.serviceWorker.register("/inbox/sw.js", {scope: "/inbox/"}).then(function () { window.swOK = "yes"; }, function (e) { window.swOK = String(e); }); true`)); err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	if _, err := chromedp.Run(wait, chromedp.Poll[bool](`window.swOK !== undefined`, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("no answer from the service worker registration: %v", err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.swOK)`)); err != nil || ok != "yes" {
		t.Fatalf("the service worker did not register: %q %v", ok, err)
	}
	if err := chromedp.Do(wait, chromedp.Click(q(`#push-subscribe`)), chromedp.WaitVisible(q(`#push-status`))); err != nil {
		t.Fatalf("no answer after the button: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(q(`#push-status`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "not allowed to show notifications") && !strings.Contains(status, "could not be subscribed") {
		t.Errorf("status %q", status)
	}
}

package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/notify"
)

// TestBrowserInboxLive drives headless Chromium: with the inbox open, a new notice
// raises the unread count in the header and appears in the list without a reload (the
// Server-Sent Events stream and the layout's nonce'd script under the page's CSP); a
// legally significant notice opens only through the acknowledgement screen and then
// offers its read receipt (rule DC-2).
func TestBrowserInboxLive(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[0]
	cit, err := a.Identity.CitizenByIIN(t.Context(), c.IIN)
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("accept-lang", "en"),
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
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
		chromedp.Navigate(srv.URL+"/inbox?lang=en"),
		chromedp.WaitVisible(q(`#inbox-empty`)),
	)
	if err != nil {
		t.Fatalf("inbox: %v", err)
	}
	count := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(q(`#nav-inbox-count`)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(v)
	}
	if n := count(); n != "0" {
		t.Fatalf("unread count %q before any notice", n)
	}
	// A mark on the page: a reload would lose it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.senimMark = 1`)); err != nil {
		t.Fatal(err)
	}
	n, err := a.Notify.Send(t.Context(), notify.Message{Subject: cit.Ref(), Sender: "Ministry of Justice", Significant: true,
		Content: map[string]notify.Text{"kk": {Title: "Сот шақыруы", Body: "Сотқа шақыру."}, "ru": {Title: "Повестка", Body: "Вызов в суд."},
			"en": {Title: "Summons", Body: "You are summoned to court on 10 March."}}})
	if err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 5*time.Second)
	_, err = chromedp.Run(wait, chromedp.Poll[bool](`document.getElementById("nav-inbox-count").textContent === "1"`, chromedp.WithPollingInterval(20*time.Millisecond)))
	if err == nil {
		err = chromedp.Do(wait, chromedp.WaitVisible(q(`#notice-`+n.Ref)))
	}
	stop()
	if err != nil {
		t.Fatalf("the new notice did not show without a reload: %v (count %q)", err, count())
	}
	if mark, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.senimMark || 0`)); err != nil || mark != 1 {
		t.Fatalf("the page was reloaded (%v)", err)
	}
	// The row inserted live is marked as the server renders it: unread, legally
	// significant (class and words); the header's count is said in words.
	row := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var li = document.getElementById("notice-`+n.Ref+`").parentElement;
			return li.className + "|" + li.textContent.replace(/\s+/g, " ").trim(); })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	live := row()
	label, err := chromedp.Run(ctx, chromedp.Text(q(`#nav-inbox-label`)))
	if err != nil || strings.TrimSpace(label) != "Unread notices: 1" {
		t.Errorf("the badge's words after a live update: %q, %v", label, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/inbox?lang=en"), chromedp.WaitVisible(q(`#notice-`+n.Ref))); err != nil {
		t.Fatal(err)
	}
	if rendered := row(); live != rendered || !strings.HasPrefix(live, "unread|") || !strings.Contains(live, "· unread · legally significant") {
		t.Errorf("the row inserted live %q, rendered by the server %q", live, rendered)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(q(`#notice-`+n.Ref)),
		chromedp.WaitVisible(q(`#acknowledge`)),
	)
	if err != nil {
		t.Fatalf("acknowledgement screen: %v", err)
	}
	content, err := chromedp.Run(ctx, chromedp.Text(q(`main`)))
	if err != nil || strings.Contains(content, "summoned") {
		t.Fatal("the content shows before the acknowledgement")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(q(`#acknowledge`)),
		chromedp.WaitVisible(q(`#receipt`)),
	)
	if err != nil {
		t.Fatalf("after acknowledging: %v", err)
	}
	if content, err = chromedp.Run(ctx, chromedp.Text(q(`#notice-content`))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(content, "You are summoned to court on 10 March.") || count() != "0" {
		t.Errorf("content %q, count %q", content, count())
	}
}

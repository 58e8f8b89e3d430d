package app

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium binary, or skips the test — unless SENIM_REQUIRE_BROWSER
// is set (CI sets it), when a missing browser fails the test instead.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SENIM_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found and SENIM_REQUIRE_BROWSER is set")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium); CI always runs this test")
	return ""
}

// TestBrowserLoginLanguageLogout drives headless Chromium through the cabinet: log in
// with the password and the SMS code read from the sandbox outbox, switch language,
// log out.
func TestBrowserLoginLanguageLogout(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[0] // Kazakh-speaking

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var lang, banner, sent string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`#login-form`, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "lang", &lang, nil, chromedp.ByQuery),
		chromedp.Text(`#sandbox-banner`, &banner, chromedp.ByQuery),
		chromedp.SendKeys(`#iin`, c.IIN, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, c.Password, chromedp.ByQuery),
		chromedp.Click(`#login-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#code-form`, chromedp.ByQuery),
		chromedp.Text(`#code-sent`, &sent, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("password step: %v", err)
	}
	if lang != "kk" || !strings.Contains(banner, "ҚҰМСАЛҒЫШ") {
		t.Errorf("first page: lang %q, banner %q; want Kazakh with the SANDBOX banner", lang, banner)
	}
	if !strings.Contains(sent, "** 00") {
		t.Errorf("code page does not say where the code went: %q", sent)
	}
	code := lastCode(t, srv.URL, c.Phone)

	var welcome, welcomeEN, notice string
	err = chromedp.Run(ctx,
		chromedp.SendKeys(`#code`, code, chromedp.ByQuery),
		chromedp.Click(`#code-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#welcome`, chromedp.ByQuery),
		chromedp.Text(`#welcome`, &welcome, chromedp.ByQuery),
		chromedp.Click(`#lang-en`, chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="en"] #welcome`, chromedp.ByQuery),
		chromedp.Text(`#welcome`, &welcomeEN, chromedp.ByQuery),
		chromedp.Click(`#logout`, chromedp.ByQuery),
		chromedp.WaitVisible(`#login-form`, chromedp.ByQuery),
		chromedp.Text(`#notice`, &notice, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("code, language and logout steps: %v", err)
	}
	if !strings.Contains(welcome, "Қош келдіңіз") || !strings.Contains(welcome, c.Name) {
		t.Errorf("welcome = %q", welcome)
	}
	if welcomeEN != "Welcome, "+c.Name {
		t.Errorf("after switching to English: %q", welcomeEN)
	}
	if notice != "You have logged out." {
		t.Errorf("after logout: %q", notice)
	}
	// The session is gone on the server too.
	var n int
	if err := a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d sessions left after logout (%v)", n, err)
	}
}

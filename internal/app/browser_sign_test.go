package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	qr "github.com/piglig/go-qr"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/sandbox"
)

// newSandboxNCALayer is a sandbox with its NCALayer simulator on a free loopback port.
func newSandboxNCALayer(t *testing.T) (*App, *httptest.Server) {
	t.Helper()
	cfg := Config{Sandbox: true, Now: func() time.Time { return testNow }, SandboxCADir: sharedCADir, DataDir: t.TempDir(),
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000, RateBurst: 1000,
		SandboxNCALayerAddr: "127.0.0.1:0"}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if a.NCALayerTLS == nil {
		t.Fatal("the NCALayer simulator did not start")
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	return a, srv
}

// TestBrowserEDSLoginNCALayer: a citizen logs in with EDS in Chromium through the
// sandbox NCALayer — the page's script really talks WebSocket (TLS) to the simulator,
// the person confirms on the simulator's page, and the login endpoint verifies the CMS.
// Chromium trusts the simulator by the pin of its certificate's public key (the
// --ignore-certificate-errors-spki-list flag), not by ignoring certificate errors.
// rule DC-1
func TestBrowserEDSLoginNCALayer(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	c := a.Pop.Citizens[1]
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	window := "https://" + strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://") + "/"
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login/eds"),
		chromedp.WaitVisible(chromedp.CSS(`#sign-ncalayer`)),
		chromedp.Click(chromedp.CSS(`#sign-ncalayer`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-status[data-state="sign.nca.choose"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#sign-status`)))
	if err != nil {
		t.Fatal(err)
	}
	if status != i18n.T("kk", "sign.nca.choose") {
		t.Errorf("status %q is not the Kazakh message", status)
	}
	// The simulator's window: choose the citizen's key and sign.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate(window),
		chromedp.WaitVisible(chromedp.CSS(`form.request select`)),
		chromedp.SetValue(chromedp.CSS(`form.request select`), "citizen:"+c.IIN),
		chromedp.Click(chromedp.CSS(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#logout`))); err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, c.Name) {
		t.Errorf("after the NCALayer login the home page does not name %s:\n%s", c.Name, who)
	}
	// The regulator's employee, with the employee key, is staff.
	var employee string
	for iin := range sandbox.Staff(a.Pop) {
		employee = iin
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-form`)),
		chromedp.Navigate(srv.URL+"/login/eds?lang=ru"),
		chromedp.Click(chromedp.CSS(`#sign-ncalayer`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(window),
		chromedp.WaitVisible(chromedp.CSS(`form.request select`)),
		chromedp.SetValue(chromedp.CSS(`form.request select`), "employee:"+employee),
		chromedp.Click(chromedp.CSS(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/console"]`))); err != nil {
		t.Fatalf("the employee is not staff after the NCALayer login: %v", err)
	}
}

// TestBrowserEDSLoginEGovMobile: the login page's QR code, read from the screen, holds
// a mobileSign: link; the sandbox's eGov Mobile page follows it and signs with the
// citizen's key; the page learns it live and logs in. The same link read again is
// refused. rule DC-1
func TestBrowserEDSLoginEGovMobile(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[2]
	ctx := chromeContext(t, bin)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+"/login/eds"),
		chromedp.WaitVisible(chromedp.CSS(`#sign-mobile`)),
		chromedp.Click(chromedp.CSS(`#sign-mobile`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-qr-code svg`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// At 390 px the page with its QR code fits the screen.
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("at 390 px the signing page is %v px wide (%v)", width, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`#sign-qr-code svg`)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	link, err := qr.Decode(img)
	if err != nil || !strings.HasPrefix(link, "mobileSign:"+srv.URL+"/mobile-sign/") {
		t.Fatalf("the QR code holds %q (%v)", link, err)
	}
	phone, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(phone,
		chromedp.Navigate(srv.URL+"/sandbox/egov-mobile?link="+url.QueryEscape(link)),
		chromedp.WaitVisible(chromedp.CSS(`#phone-document`)),
	); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(phone, chromedp.Text(chromedp.CSS(`#phone-document`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(phone,
		chromedp.SetValue(chromedp.CSS(`#phone-signer`), "citizen:"+c.IIN),
		chromedp.Click(chromedp.CSS(`#phone-sign`)),
		chromedp.WaitVisible(chromedp.CSS(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(shown, "Senim login ") {
		t.Errorf("the phone shows %q, not the challenge", shown)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#logout`))); err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, c.Name) {
		t.Errorf("after the eGov Mobile login the home page does not name %s", c.Name)
	}
	// The link is single-use: reading it again is refused with its message.
	if err := chromedp.Do(phone,
		chromedp.Navigate(srv.URL+"/sandbox/egov-mobile?link="+url.QueryEscape(link)),
		chromedp.WaitVisible(chromedp.CSS(`#error`)),
	); err != nil {
		t.Fatal(err)
	}
	refused, err := chromedp.Run(phone, chromedp.Text(chromedp.CSS(`#error`)))
	if err != nil {
		t.Fatal(err)
	}
	// The phone's tab shares the logged-in citizen's session, so their language.
	if refused != i18n.T(c.Lang, "error.mobilesign.link_used") {
		t.Errorf("a reused link: %q", refused)
	}
}

// qrLink reads the mobileSign: link from the QR code on the screen.
func qrLink(t *testing.T, ctx context.Context) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#signer[data-link]`)), chromedp.WaitVisible(chromedp.CSS(`#sign-qr-code svg`))); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`#sign-qr-code svg`)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	link, err := qr.Decode(img)
	if err != nil || !strings.HasPrefix(link, "mobileSign:") {
		t.Fatalf("the QR code holds %q (%v)", link, err)
	}
	return link
}

// TestBrowserConsentEGovMobile: a citizen gives a consent in Chromium and signs it with
// eGov Mobile by following the QR code's link on the sandbox phone. A signature by
// another citizen's key is refused live on the page with its message, and nothing is
// recorded; a new code signed with the citizen's own key records the consent.
// rule PD-6.1.1 (a consent is confirmed by the citizen's own EDS signature)
func TestBrowserConsentEGovMobile(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	alice, other := a.Pop.Citizens[0], a.Pop.Citizens[6]
	var bank, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bank = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	ctx := chromeContext(t, bin)
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), alice.IIN),
		chromedp.SendKeys(q(`#password`), alice.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, alice.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
		chromedp.Navigate(srv.URL+"/consents/new?lang=en"),
		chromedp.WaitVisible(q(`#consent-form`)),
		chromedp.SetValue(q(`#initiator`), bank),
		chromedp.SetValue(q(`#owner`), register),
		chromedp.Click(q(`input[name="data_sets"][value="identity"]`)),
		chromedp.SendKeys(q(`#purpose`), "mortgage application"),
		chromedp.SetValue(q(`#valid_until`), "2027-06-01"),
		chromedp.Click(q(`#consent-give`)),
		chromedp.WaitVisible(q(`#sign-mobile`)),
		chromedp.Click(q(`#sign-mobile`)),
	); err != nil {
		t.Fatalf("consent form: %v", err)
	}
	phone, cancel := chromedp.NewContext(ctx)
	defer cancel()
	signOnPhone := func(link, ref string) {
		t.Helper()
		if err := chromedp.Do(phone,
			chromedp.Navigate(srv.URL+"/sandbox/egov-mobile?lang=en&link="+url.QueryEscape(link)),
			chromedp.WaitVisible(q(`#phone-document`)),
			chromedp.SetValue(q(`#phone-signer`), ref),
			chromedp.Click(q(`#phone-sign`)),
		); err != nil {
			t.Fatal(err)
		}
	}
	// Another citizen's key: refused, and the page says so in its language.
	signOnPhone(qrLink(t, ctx), "citizen:"+other.IIN)
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(q(`#sign-status[data-state="error.mobilesign.wrong_signer"]`))); err != nil {
		ph, _ := chromedp.Run(phone, chromedp.Text(q(`main`)))
		st, _ := chromedp.Run(ctx, chromedp.Text(q(`#sign-status`)))
		t.Fatalf("the page did not learn of the refusal: %v\nphone: %s\nstatus: %s", err, ph, st)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(q(`#sign-status`)))
	if err != nil {
		t.Fatal(err)
	}
	if status != i18n.T("en", "error.mobilesign.wrong_signer") {
		t.Errorf("refusal shown as %q", status)
	}
	if n, err := a.PD.ListConsents(t.Context(), alice.IIN); err != nil || len(n) != 0 {
		t.Fatalf("a refused signature recorded %d consents", len(n))
	}
	// A new code, signed with her own key.
	first, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("signer").getAttribute("data-link")`))
	if err := chromedp.Do(ctx, chromedp.Click(q(`#sign-mobile`))); err != nil {
		t.Fatal(err)
	}
	second := qrLink(t, ctx)
	if second == first {
		t.Fatal("the used code is still on the screen")
	}
	signOnPhone(second, "citizen:"+alice.IIN)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(q(`#notice`))); err != nil {
		t.Fatalf("no notice after the phone's signature: %v", err)
	}
	notice, err := chromedp.Run(ctx, chromedp.Text(q(`#notice`)))
	if err != nil {
		t.Fatal(err)
	}
	if notice != i18n.T("en", "consent.given") {
		t.Errorf("notice %q", notice)
	}
}

// TestBrowserNCALayerAbsentAndCancelled: with no NCALayer listening the page says so in
// its language; when the person cancels in NCALayer the page says that, and nothing
// is submitted.
func TestBrowserNCALayerAbsentAndCancelled(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	// Cancelled in the simulator's window.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login/eds?lang=ru"),
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatal(err)
	}
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate("https://"+strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://")+"/"),
		chromedp.Click(q(`form.request button[value="cancel"]`)),
		chromedp.WaitVisible(q(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.cancelled"]`))); err != nil {
		t.Fatal(err)
	}
	if s, _ := chromedp.Run(ctx, chromedp.Text(q(`#sign-status`))); s != i18n.T("ru", "sign.nca.cancelled") {
		t.Errorf("cancelled: %q", s)
	}
	// NCALayer not running: the simulator stops.
	a.stopNCALayer()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login/eds?lang=en"),
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.absent"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if s, _ := chromedp.Run(ctx, chromedp.Text(q(`#sign-status`))); s != i18n.T("en", "sign.nca.absent") {
		t.Errorf("absent: %q", s)
	}
	if u, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); u != "/login/eds" {
		t.Errorf("the page left for %s", u)
	}
}

// TestBrowserConsentNCALayer: a consent signed through the sandbox NCALayer. The page
// asks NCALayer for the citizen's own key (signerParams.iin), so the simulator offers
// no other. rule PD-6.1.1
func TestBrowserConsentNCALayer(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	alice := a.Pop.Citizens[0]
	var bank, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bank = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), alice.IIN),
		chromedp.SendKeys(q(`#password`), alice.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, alice.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
		chromedp.Navigate(srv.URL+"/consents/new?lang=kk"),
		chromedp.WaitVisible(q(`#consent-form`)),
		chromedp.SetValue(q(`#initiator`), bank),
		chromedp.SetValue(q(`#owner`), register),
		chromedp.Click(q(`input[name="data_sets"][value="identity"]`)),
		chromedp.SendKeys(q(`#purpose`), "ипотека"),
		chromedp.SetValue(q(`#valid_until`), "2027-06-01"),
		chromedp.Click(q(`#consent-give`)),
		chromedp.WaitVisible(q(`#sign-ncalayer`)),
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatalf("consent form: %v", err)
	}
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate("https://"+strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://")+"/"),
		chromedp.WaitVisible(q(`form.request select`)),
	); err != nil {
		t.Fatal(err)
	}
	offered, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("form.request option")).map(o => o.value)`))
	if err != nil || len(offered) != 1 || offered[0] != "citizen:"+alice.IIN {
		t.Fatalf("the simulator offers %q (%v), want only the citizen's key", offered, err)
	}
	if err := chromedp.Do(tab, chromedp.Click(q(`form.request button[value="sign"]`)), chromedp.WaitVisible(q(`#notice`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(q(`#notice`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Text(q(`#notice`))); n != i18n.T("kk", "consent.given") {
		t.Errorf("notice %q", n)
	}
}

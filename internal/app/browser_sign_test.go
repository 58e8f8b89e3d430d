package app

import (
	"bytes"
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
		chromedp.Navigate(srv.URL+"/login/eds"),
		chromedp.WaitVisible(chromedp.CSS(`#sign-mobile`)),
		chromedp.Click(chromedp.CSS(`#sign-mobile`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-qr-code svg`)),
	)
	if err != nil {
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

package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/identity"
)

// TestBrowserPasskey: a citizen logs in with her password and SMS code on a phone,
// adds a passkey through Chromium's virtual authenticator (the DevTools WebAuthn
// domain: a platform authenticator with user verification, as a phone's fingerprint
// reader is), logs out, and logs in again with the passkey alone — no IIN, no
// password, no code (rule DD-5). The cabinet is reached as localhost: a passkey needs
// a domain name.
func TestBrowserPasskey(t *testing.T) {
	// rule DD-5
	bin := chromium(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "http://localhost:" + port
	cfg := Config{Sandbox: true, Now: func() time.Time { return testNow }, SandboxCADir: sharedCADir, DataDir: t.TempDir(),
		PublicURL: base, Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000, RateBurst: 1000}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewUnstartedServer(a.Server)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	c := a.Pop.Citizens[0]
	ctx := chromeContext(t, bin)
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(q(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/login?lang=en"), chromedp.WaitVisible(q(`#login-form`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn domain: %v", err)
	}
	auth, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil || auth.AuthenticatorID == "" {
		t.Fatalf("virtual authenticator: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(q(`#iin`), c.IIN),
		chromedp.SendKeys(q(`#password`), c.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	)
	if err != nil {
		t.Fatalf("password step: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(q(`#code`), lastCode(t, base, c.Phone)), chromedp.Click(q(`#code-submit`)), chromedp.WaitVisible(q(`#welcome`))); err != nil {
		t.Fatalf("code step: %v", err)
	}
	// Add a passkey from the home page's link.
	err = chromedp.Do(ctx,
		chromedp.Click(q(`#home-passkeys-link`)),
		chromedp.WaitVisible(q(`#passkey-add-form`)),
		chromedp.SendKeys(q(`#passkey-name`), "Менің телефоным"),
		chromedp.Click(q(`#passkey-add`)),
	)
	if err != nil {
		t.Fatalf("adding a passkey: %v", err)
	}
	if got := waitFor(t, ctx, `#passkey-list`, `#error`, `form[data-state=failed]`, `form[data-state=cancelled]`, `form[data-state=unsupported]`); got != `#passkey-list` {
		t.Fatalf("adding a passkey ended on %s: %q", got, text(got))
	}
	if l := text(`#passkey-list`); !strings.Contains(l, "Менің телефоным") {
		t.Fatalf("the list after adding: %q", l)
	}
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(auth))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("authenticator holds %+v (%v)", creds, err)
	}
	if strings.Contains(string(creds.Credentials[0].UserHandle), c.IIN) {
		t.Fatal("the user handle carries the IIN")
	}
	// The page works on a phone: nothing wider than the screen.
	var width struct{ Scroll, Inner float64 }
	const measure = `(() => ({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth}))()`
	if width, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Scroll, Inner float64 }](measure)); err != nil || width.Scroll > width.Inner {
		t.Errorf("/passkeys at 390 px: %+v (%v)", width, err)
	}

	// Log out, then in with the passkey alone.
	if err := chromedp.Do(ctx, chromedp.Click(q(`#logout`)), chromedp.WaitVisible(q(`#login-form`))); err != nil {
		t.Fatalf("logout: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(q(`#login-passkey`)),
		chromedp.WaitVisible(q(`#passkey-login-form`)),
		chromedp.Click(q(`#passkey-login`)),
	)
	if err != nil {
		t.Fatalf("passkey login: %v", err)
	}
	if got := waitFor(t, ctx, `#welcome`, `#error`, `form[data-state=failed]`, `form[data-state=cancelled]`, `form[data-state=unsupported]`); got != `#welcome` {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("form[data-error]")||{getAttribute:()=>""}).getAttribute("data-error")`))
		t.Fatalf("passkey login ended on %s: %q (%s)", got, text(got), v)
	}
	if w := text(`#welcome`); !strings.Contains(w, c.Name) {
		t.Errorf("welcome after the passkey login: %q", w)
	}
	var method string
	if err := a.DB.QueryRowContext(t.Context(), `SELECT method FROM sessions ORDER BY created_at DESC LIMIT 1`).Scan(&method); err != nil || method != string(identity.MethodPasskey) {
		t.Errorf("the session's method: %q (%v)", method, err)
	}

	// A bogus signature from the authenticator opens no session.
	if err := chromedp.Do(ctx, chromedp.Click(q(`#logout`)), chromedp.WaitVisible(q(`#login-form`))); err != nil {
		t.Fatal(err)
	}
	bogus := true
	if _, err := chromedp.Call(ctx, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: auth.AuthenticatorID, IsBogusSignature: &bogus}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/login/passkey?lang=en"),
		chromedp.WaitVisible(q(`#passkey-login-form`)),
		chromedp.Click(q(`#passkey-login`)),
	)
	if err != nil {
		t.Fatalf("bogus signature: %v", err)
	}
	if got := waitFor(t, ctx, `#error`, `#welcome`); got != `#error` {
		t.Fatalf("bogus signature ended on %s", got)
	}
	if s := text(`#error`); !strings.Contains(s, "could not be verified") {
		t.Errorf("bogus signature: %q", s)
	}
	var n int
	if err := a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d sessions after a bogus signature (%v)", n, err)
	}
}

// waitFor waits up to 20 s until one of the selectors matches an element and returns
// it: a test sees an error page or a failed passkey form at once instead of waiting
// out its whole deadline for the page it hoped for.
func waitFor(t *testing.T, ctx context.Context, sels ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, sel := range sels {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`) !== null`))
			if err == nil && ok {
				return sel
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("none of %v appeared", sels)
	return ""
}

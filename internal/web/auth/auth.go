// Package auth is the cabinet's login area: password and SMS code, login by signing a
// challenge with an EDS key, and logout.
package auth

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views     = web.NewViews(templateFS)
	loginView = views.Add("login", "login.title")
	codeView  = views.Add("code", "code.title")
	edsView   = views.Add("eds", "eds.title")
)

// Logins is what the password+SMS login needs from identity.
type Logins interface {
	StartLogin(ctx context.Context, iin, password string) (*identity.Challenge, error)
	FinishLogin(ctx context.Context, challengeToken, code string) (string, *identity.Session, error)
	CloseSession(ctx context.Context, token string) error
}

// EDS is login by signing a challenge, as edslogin offers it.
type EDS interface {
	NewChallenge(ctx context.Context) (*edslogin.Challenge, error)
	ChallengeText(ctx context.Context, token string) (string, error)
	Finish(ctx context.Context, token string, signed []byte) (string, *identity.Session, error)
}

// Config configures the area.
type Config struct {
	Logins Logins
	EDS    EDS // optional: no EDS login when nil
	// Passkeys offers "Log in with a passkey" (the passkeys area serves it).
	Passkeys bool
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the login pages to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Logins == nil {
		return errors.New("auth: Logins is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /login", web.Public(a.loginForm))
	s.Handle("POST /login", web.Form(web.Public(a.login)).OnRefuse(a.loginRefused))
	s.Handle("GET /login/code", web.Public(a.codeForm))
	s.Handle("POST /login/code", web.Form(web.Public(a.code)).OnRefuse(a.codeRefused))
	s.Handle("POST /logout", web.Form(web.Citizen(a.logout)))
	if cfg.EDS != nil {
		s.Handle("GET /login/eds", web.Public(a.edsForm))
		s.Handle("GET /login/eds/challenge.txt", web.Public(a.edsChallengeText))
		s.Handle("POST /login/eds", web.Form(web.Public(a.edsLogin)).OnRefuse(a.edsRefused))
		s.Handle("POST /login/eds/mobile", web.Form(web.Public(a.edsMobile)))
	}
	return nil
}

type loginData struct {
	IIN     string
	EDS     bool // EDS login is offered
	Passkey bool // passkey login is offered
}

func (a *area) loginPage(w http.ResponseWriter, r *http.Request, iin string) *web.Page {
	p := a.s.Page(w, r, nil)
	p.CSRF = a.s.LoginCSRF(w, r)
	p.Data = loginData{IIN: iin, EDS: a.cfg.EDS != nil, Passkey: a.cfg.Passkeys}
	return p
}

func (a *area) loginForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if sess != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	p := a.loginPage(w, r, "")
	if r.URL.Query().Get("bye") == "1" {
		p.Notice = "logout.done"
	}
	return a.s.Render(w, r, http.StatusOK, loginView, p)
}

func (a *area) loginRefused(w http.ResponseWriter, r *http.Request, err error) error {
	return a.s.FormError(w, r, loginView, a.loginPage(w, r, ""), err)
}

func (a *area) login(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	iin := strings.TrimSpace(r.PostFormValue("iin"))
	ch, err := a.cfg.Logins.StartLogin(r.Context(), iin, r.PostFormValue("password"))
	if err != nil {
		return a.s.FormError(w, r, loginView, a.loginPage(w, r, iin), err)
	}
	a.s.SetCookie(w, r, web.CookieLogin, ch.Token, time.Until(ch.ExpiresAt), http.SameSiteStrictMode)
	// The masked phone rides along in the redirect so the code page can say where the
	// code went; it reveals nothing the citizen does not know.
	http.Redirect(w, r, "/login/code?to="+url.QueryEscape(ch.MaskedPhone), http.StatusSeeOther)
	return nil
}

func (a *area) codePage(w http.ResponseWriter, r *http.Request) *web.Page {
	p := a.s.Page(w, r, nil)
	p.CSRF = a.s.LoginCSRF(w, r)
	p.Data = maskedOrDefault(r.URL.Query().Get("to"))
	return p
}

func (a *area) codeForm(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	if _, err := r.Cookie(web.CookieLogin); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return a.s.Render(w, r, http.StatusOK, codeView, a.codePage(w, r))
}

func (a *area) codeRefused(w http.ResponseWriter, r *http.Request, err error) error {
	return a.s.FormError(w, r, codeView, a.codePage(w, r), err)
}

func (a *area) code(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	ck, err := r.Cookie(web.CookieLogin)
	if err != nil {
		return a.s.FormError(w, r, loginView, a.loginPage(w, r, ""), identity.ErrChallengeGone)
	}
	token, _, err := a.cfg.Logins.FinishLogin(r.Context(), ck.Value, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		if errors.Is(err, identity.ErrChallengeGone) || errors.Is(err, identity.ErrLocked) {
			a.s.ClearCookie(w, r, web.CookieLogin)
			return a.s.FormError(w, r, loginView, a.loginPage(w, r, ""), err)
		}
		return a.s.FormError(w, r, codeView, a.codePage(w, r), err)
	}
	a.s.ClearCookie(w, r, web.CookieLogin)
	a.s.SignedIn(w, r, token)
	return nil
}

func (a *area) logout(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	ck, err := r.Cookie(web.CookieSession)
	if err != nil { // the guard found a session by this cookie
		return identity.ErrNoSession
	}
	if err := a.cfg.Logins.CloseSession(r.Context(), ck.Value); err != nil {
		return err
	}
	a.s.ClearCookie(w, r, web.CookieSession)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
	return nil
}

func maskedOrDefault(s string) string {
	// Only what MaskPhone produces is shown back: digits, '+', spaces and '*'.
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '+' || r == ' ' || r == '*') {
			return "***"
		}
	}
	if s == "" {
		return "***"
	}
	return s
}

// edsChallenge returns the browser's live EDS challenge, making a new one when it has
// none.
func (a *area) edsChallenge(w http.ResponseWriter, r *http.Request) (string, error) {
	if ck, err := r.Cookie(web.CookieEDS); err == nil {
		if text, err := a.cfg.EDS.ChallengeText(r.Context(), ck.Value); err == nil {
			return text, nil
		}
	}
	ch, err := a.cfg.EDS.NewChallenge(r.Context())
	if err != nil {
		return "", err
	}
	a.s.SetCookie(w, r, web.CookieEDS, ch.Token, time.Until(ch.ExpiresAt), http.SameSiteStrictMode)
	return ch.Text, nil
}

func (a *area) edsPage(w http.ResponseWriter, r *http.Request) (*web.Page, error) {
	p := a.s.Page(w, r, nil)
	p.CSRF = a.s.LoginCSRF(w, r)
	text, err := a.edsChallenge(w, r)
	if err != nil {
		return nil, err
	}
	p.Data = a.s.Signer(p, web.Sign{How: "eds.sandbox_how", Heading: "eds.challenge", TextID: "eds-challenge", Text: text,
		TextLang: "en", Label: "eds.cms_label", Auth: true, Mobile: "/login/eds/mobile"})
	return p, nil
}

func (a *area) edsForm(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	p, err := a.edsPage(w, r)
	if err != nil {
		return err
	}
	return a.s.Render(w, r, http.StatusOK, edsView, p)
}

func (a *area) edsChallengeText(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	ck, err := r.Cookie(web.CookieEDS)
	if err != nil {
		return edslogin.ErrChallengeGone
	}
	text, err := a.cfg.EDS.ChallengeText(r.Context(), ck.Value)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="challenge.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(text))
	return err
}

// edsRefused shows the form again with err, and a fresh challenge if the old one is
// gone.
func (a *area) edsRefused(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, edslogin.ErrChallengeGone) {
		a.s.ClearCookie(w, r, web.CookieEDS)
		r.Header.Del("Cookie") // make edsChallenge issue a fresh one
	}
	p, cerr := a.edsPage(w, r)
	if cerr != nil {
		return cerr
	}
	return a.s.FormError(w, r, edsView, p, err)
}

// edsMobile asks eGov Mobile for a signature of the browser's challenge (the
// signing script shows the QR code); the signature comes back through edsLogin.
func (a *area) edsMobile(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	ck, err := r.Cookie(web.CookieEDS)
	if err != nil {
		return edslogin.ErrChallengeGone
	}
	text, err := a.cfg.EDS.ChallengeText(r.Context(), ck.Value)
	if err != nil {
		return err
	}
	return a.s.StartMobile(w, r, text, "eds.mobile_description", "", true)
}

func (a *area) edsLogin(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	ck, err := r.Cookie(web.CookieEDS)
	if err != nil {
		return a.edsRefused(w, r, edslogin.ErrChallengeGone)
	}
	token, _, err := a.cfg.EDS.Finish(r.Context(), ck.Value, web.SignedCMS(r))
	if err != nil {
		return a.edsRefused(w, r, err)
	}
	a.s.ClearCookie(w, r, web.CookieEDS)
	a.s.SignedIn(w, r, token)
	return nil
}

// Package web is the citizen cabinet's shell: the layout, page rendering in Kazakh,
// Russian and English, HTML error pages in the session's language, static files under
// content-hashed names, the security headers, the navigation, and the guards every
// route goes through. The pages themselves live in one package per area beside it
// (internal/web/auth, consents, history, console, sandboxui); each area declares the
// small interface it needs from its domain, embeds its own templates and catalog
// fragment, and exposes one Mount. Areas never import each other.
//
// Security by construction: a route is registered only through a guard — Public,
// Citizen, Download or Staff — and every unsafe method only through Form, which checks
// net/http's cross-origin protection and the form's anti-forgery token (the session's,
// or a double-submit cookie before login) before the handler runs. A handler never sees
// a request its guard refused. Session and login cookies are HttpOnly and SameSite,
// Secure whenever the request arrived over TLS (or SecureCookies says TLS ends before
// Senim). Pages carry a strict Content-Security-Policy that a view widens only by
// declaring what it needs (Needs), and are never cached.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"github.com/senimkz/senim/internal/secret"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names.
const (
	CookieSession = "senim_session"
	CookieLogin   = "senim_login"
	CookieCSRF    = "senim_csrf"
	CookieLang    = "senim_lang"
	CookieEDS     = "senim_eds"
	CookieNext    = "senim_next" // the page asked for before logging in
)

// Sessions is what the shell needs from identity: the session behind a cookie, and
// remembering a citizen's language choice.
type Sessions interface {
	Session(ctx context.Context, token string) (*identity.Session, error)
	SetLanguage(ctx context.Context, citizenID int64, lang string) error
}

// Config configures the shell.
type Config struct {
	Sessions Sessions
	Sandbox  bool
	// SecureCookies marks cookies Secure even on plain-HTTP requests: set it when TLS
	// ends at a proxy in front of Senim.
	SecureCookies bool
	Logger        *slog.Logger
	// Regulator reports whether a BIN is the authorized body's; its employees who log
	// in with an employee EDS certificate are staff. Nil: nobody is staff.
	Regulator func(bin string) bool
	// OnRefusal, when set, hears of every request a guard refused, with one of the
	// Refused… reasons; webtest uses it to prove the handler never ran.
	OnRefusal func(r *http.Request, reason string)
	// Mobile, when set, offers signing with eGov Mobile's QR code (Sign, StartMobile).
	Mobile MobileSigner
	// MobilePoll is how often the page's eGov Mobile status is checked; 500 ms.
	MobilePoll time.Duration
	// NCALayer is the WebSocket URL of NCALayer the signing script tries (NCALayer
	// when empty). The sandbox sets it to its simulator's only when that runs; signing
	// pages then link to the simulator's window.
	NCALayer string
	// SandboxPhone is the sandbox's eGov Mobile page, offered beside the QR code in
	// the sandbox.
	SandboxPhone string
	// SessionIdle is how long a session lasts without a request (identity's
	// SessionIdle; default 30 minutes): pages warn before it ends.
	SessionIdle time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Shell serves the layout and carries the areas' routes.
type Shell struct {
	cfg    Config
	cop    *http.CrossOriginProtection
	routes []Route
	nav    []NavItem
	home   []HomeSection
	badges []Badge
	static *staticFiles
}

// Shell's own views.
var (
	views     = NewViews(templateFS)
	homeView  = views.Add("home", "nav.home")
	errorView = views.Add("error", "error.title")
)

// New builds the shell and its own pages (home and errors).
func New(cfg Config) (*Shell, error) {
	if cfg.Sessions == nil {
		return nil, errors.New("web: Sessions is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st, err := newStatic(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s := &Shell{cfg: cfg, cop: http.NewCrossOriginProtection(), static: st}
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, nil, RefusedCrossOrigin, errCrossOrigin)
	}))
	if err := s.Parse(views); err != nil {
		return nil, err
	}
	s.Handle("GET /{$}", Citizen(s.homePage))
	if cfg.Mobile != nil {
		// Public: the watch token, known only to the page that asked, is the right.
		s.Handle("GET /sign/mobile/{watch}/events", Public(s.mobileEvents))
	}
	return s, nil
}

// Register hands every route to handle (the server's mux, with its middleware).
func (s *Shell) Register(handle func(pattern string, h http.Handler)) {
	for _, rt := range s.routes {
		handle(rt.Pattern, s.serve(rt))
	}
	handle("GET /static/{file}", s.static)
}

// Handler returns a mux with every route, for tests.
func (s *Shell) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	return mux
}

// session returns the request's session, or nil.
func (s *Shell) session(r *http.Request) (*identity.Session, error) {
	ck, err := r.Cookie(CookieSession)
	if err != nil {
		return nil, nil
	}
	sess, err := s.cfg.Sessions.Session(r.Context(), ck.Value)
	if errors.Is(err, identity.ErrNoSession) {
		return nil, nil
	}
	return sess, err
}

// NotFound is the page, in the session's language with the layout and a way back, for
// a URL no route serves; the server shows it to browsers (server.NotFoundPage).
func (s *Shell) NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			sess = nil
		}
		s.Fail(w, r, sess, problem.NotFound)
	})
}

// MethodNotAllowed is the page, in the session's language with the layout and a way
// back, for a method the path does not serve (a form's answer opened again by its
// address); the server shows it to browsers (server.MethodNotAllowedPage).
func (s *Shell) MethodNotAllowed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			sess = nil
		}
		s.Fail(w, r, sess, problem.MethodNotAllowed)
	})
}

// IsStaff reports whether sess is a member of the authorized body's staff: someone who
// logged in with an EDS employee certificate naming a regulator BIN.
func (s *Shell) IsStaff(sess *identity.Session) bool {
	return sess != nil && s.cfg.Regulator != nil && sess.OrgBIN != "" &&
		sess.Method == identity.MethodEDS && s.cfg.Regulator(sess.OrgBIN)
}

// LoginCSRF returns the double-submit token of a browser that has no session yet,
// setting the cookie when it is missing. Pages with a Public Form put it in the form.
func (s *Shell) LoginCSRF(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(CookieCSRF); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	v := secret.Token()
	s.SetCookie(w, r, CookieCSRF, v, 0, http.SameSiteStrictMode)
	return v
}

// checkToken compares the form's csrf field with want in constant time.
func checkToken(r *http.Request, want string) bool {
	return len(want) >= 16 && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(want)) == 1
}

// SetCookie sets an HttpOnly cookie on the whole site; maxAge 0 makes it a session
// cookie.
func (s *Shell) SetCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, same http.SameSite) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: same, Secure: r.TLS != nil || s.cfg.SecureCookies}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, ck)
}

// SignedIn finishes a login: it sets the session cookie and sends the browser to the
// page it asked for before logging in (CookieNext, set by the guard), else home.
func (s *Shell) SignedIn(w http.ResponseWriter, r *http.Request, token string) {
	s.SetCookie(w, r, CookieSession, token, 0, http.SameSiteLaxMode)
	to := "/"
	if ck, err := r.Cookie(CookieNext); err == nil {
		s.ClearCookie(w, r, CookieNext)
		if localPath(ck.Value) {
			to = ck.Value
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// nextFor is how long a login may take and still return to the page asked for.
const nextFor = 15 * time.Minute

// localPath reports whether p is a path on this site: "/" and not "//" or "/\" (which
// browsers read as another host), at most 1 KB, no control characters.
func localPath(p string) bool {
	if len(p) == 0 || len(p) > 1024 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// ClearCookie removes a cookie.
func (s *Shell) ClearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil || s.cfg.SecureCookies})
}

// Messages registers an area's catalog fragment — catalog/kk.json, ru.json and en.json
// in fsys — and returns it for the area's test (i18n.Check). Areas call it from a
// package-level variable; a key registered twice stops the program at start-up.
func Messages(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "catalog")
	if err != nil {
		panic(err)
	}
	i18n.MustRegister(sub)
	return sub
}

// LangQuery is "?lang=xx" when the request chose a language, for redirects that keep it.
func LangQuery(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); i18n.Supported(l) {
		return "?lang=" + l
	}
	return ""
}

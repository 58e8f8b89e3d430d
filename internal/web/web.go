// Package web is the citizen's cabinet: server-rendered html/template pages embedded in
// the binary, in Kazakh, Russian and English, with every string from the i18n catalogs.
//
// Security: session and login cookies are HttpOnly and SameSite, Secure whenever the
// request arrived over TLS (or SecureCookies says TLS ends before Senim); every form
// carries an anti-forgery token (the session's, or a double-submit cookie before login)
// and every unsafe request also passes net/http's cross-origin protection. Pages are
// served with a strict Content-Security-Policy and never cached.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
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
)

// pages are the templates that render inside the layout.
var pages = []string{"login", "code", "home", "sms", "eds", "history", "consents", "access", "consentnew", "consentsign", "directories", "console"}

// Config configures the cabinet.
type Config struct {
	Identity *identity.Service
	Sandbox  bool
	// SecureCookies marks cookies Secure even on plain-HTTP requests: set it when TLS
	// ends at a proxy in front of Senim.
	SecureCookies bool
	Logger        *slog.Logger
	// SandboxKey, when set, lets a citizen download their sandbox EDS key (alg is
	// gost2015 or p256) from the cabinet; KeyPassword is shown next to the links.
	SandboxKey  func(iin, alg string) ([]byte, error)
	KeyPassword string
	// EDSLogin, when set, offers login by signing a challenge with an EDS key.
	EDSLogin *edslogin.Service
	// Log, when set, gives the citizen the "verify my history" page.
	Log HistorySource
	// PD, when set, gives the citizen the consents and access-history pages.
	PD PersonalData
	// Console, when set, gives the authorized body's staff the directories console.
	Console Console
	// SandboxEmployeeKey, when set, lets a demo employee download their employee key
	// (GOST 2015-512); EmployerOf names the organization they work for ("" if none).
	SandboxEmployeeKey func(iin string) ([]byte, error)
	EmployerOf         func(iin string) string
}

// PersonalData is personal-data access control as the cabinet sees it.
type PersonalData interface {
	ListConsents(ctx context.Context, citizenIIN string) ([]pd.Consent, error)
	HoldersOfConsent(ctx context.Context, citizenIIN string) ([]pd.Holder, error)
	RevokeConsent(ctx context.Context, subjectIIN, actorIIN, consentID string) (*pd.Consent, error)
	AccessHistory(ctx context.Context, citizenIIN string) ([]pd.HistoryEntry, error)
	GiveConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	RefuseConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
	TrustedObjects(ctx context.Context, ownerBIN string) ([]pd.TrustedObject, error)
	Grounds(ctx context.Context) ([]pd.Ground, error)
	ServiceCodes(ctx context.Context) ([]pd.ServiceCode, error)
}

// HistorySource is the tamper-evident log as the cabinet sees it.
type HistorySource interface {
	SubjectHistory(ctx context.Context, subject string) ([]auditlog.HistoryEntry, error)
	Bundle(ctx context.Context, subject string, index int64) ([]byte, error)
}

// Cabinet serves the citizen's web cabinet.
type Cabinet struct {
	cfg  Config
	tmpl map[string]map[string]*template.Template // lang -> page -> template
	cop  *http.CrossOriginProtection
}

// New parses the templates for every language.
func New(cfg Config) (*Cabinet, error) {
	if cfg.Identity == nil {
		return nil, errors.New("web: Identity is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Cabinet{cfg: cfg, tmpl: map[string]map[string]*template.Template{}, cop: http.NewCrossOriginProtection()}
	c.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, problem.CSRF.WithDetail("cross-origin request refused"))
	}))
	for _, lang := range i18n.Langs {
		c.tmpl[lang] = map[string]*template.Template{}
		funcs := template.FuncMap{"t": func(key string, args ...any) string { return i18n.T(lang, key, args...) }}
		for _, p := range pages {
			t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
			if err != nil {
				return nil, err
			}
			c.tmpl[lang][p] = t
		}
	}
	return c, nil
}

// Register adds the cabinet's routes.
func (c *Cabinet) Register(handle func(pattern string, h http.Handler)) {
	eh := func(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				problem.Write(w, r, err)
			}
		})
	}
	handle("GET /{$}", eh(c.home))
	handle("GET /login", eh(c.loginForm))
	handle("POST /login", c.cop.Handler(eh(c.login)))
	handle("GET /login/code", eh(c.codeForm))
	handle("POST /login/code", c.cop.Handler(eh(c.code)))
	handle("POST /logout", c.cop.Handler(eh(c.logout)))
	if c.cfg.SandboxKey != nil {
		handle("GET /keys/{file}", eh(c.key))
	}
	if c.cfg.Console != nil {
		handle("GET /console", eh(c.console))
		handle("POST /console/objects/{id}/status", c.cop.Handler(eh(c.consolePost(c.setObjectStatus))))
		handle("POST /console/tr2", c.cop.Handler(eh(c.consolePost(c.setTR2))))
		handle("POST /console/grounds", c.cop.Handler(eh(c.consolePost(c.putGround))))
		handle("POST /console/permissions", c.cop.Handler(eh(c.consolePost(c.setPermission))))
		handle("POST /console/services", c.cop.Handler(eh(c.consolePost(c.putService))))
		handle("POST /console/owners", c.cop.Handler(eh(c.consolePost(c.putOwner))))
		handle("POST /console/objects", c.cop.Handler(eh(c.consolePost(c.putObject))))
	}
	if c.cfg.SandboxEmployeeKey != nil {
		handle("GET /keys/employee.p12", eh(c.employeeKey))
	}
	if c.cfg.PD != nil {
		handle("GET /consents", eh(c.consents))
		handle("POST /consents/{id}/revoke", c.cop.Handler(eh(c.revoke)))
		handle("GET /access", eh(c.access))
		handle("GET /directories", eh(c.directories))
		handle("GET /consents/new", eh(c.consentForm))
		handle("POST /consents/new", c.cop.Handler(eh(c.consentDecide)))
		handle("POST /consents/confirm", c.cop.Handler(eh(c.consentConfirm)))
	}
	if c.cfg.Log != nil {
		handle("GET /history", eh(c.history))
		handle("GET /history/{index}/evidence.json", eh(c.evidence))
	}
	if c.cfg.EDSLogin != nil {
		handle("GET /login/eds", eh(c.edsForm))
		handle("GET /login/eds/challenge.txt", eh(c.edsChallengeText))
		handle("POST /login/eds", c.cop.Handler(eh(c.edsLogin)))
	}
	handle("GET /static/", http.StripPrefix("/", c.static()))
}

func (c *Cabinet) static() http.Handler {
	fs := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}

type langLink struct {
	Code, Name string
	Current    bool
}

// Page is what every template sees.
type Page struct {
	Lang    string
	Langs   []langLink
	Title   string
	Sandbox bool
	Session *identity.Session
	CSRF    string
	Error   string // catalog key
	Notice  string // catalog key
	EDS     bool   // EDS login is offered
	History bool   // the history page exists
	Staff   bool   // the session is the authorized body's staff: show the console
	PD      bool   // the consents and access pages exist
	Data    any
}

// page prepares the data of a page for r in its negotiated language; a ?lang= choice is
// remembered in a cookie (and for a logged-in citizen, as their language for SMS).
func (c *Cabinet) page(w http.ResponseWriter, r *http.Request, sess *identity.Session) *Page {
	pref := ""
	if sess != nil {
		pref = sess.Citizen.Lang
	}
	lang := i18n.Negotiate(r, CookieLang, pref)
	if q := r.URL.Query().Get("lang"); i18n.Supported(q) {
		c.setCookie(w, r, CookieLang, q, 365*24*time.Hour, http.SameSiteLaxMode)
		if sess != nil && sess.Citizen.Lang != q {
			if err := c.cfg.Identity.SetLanguage(r.Context(), sess.CitizenID, q); err == nil {
				sess.Citizen.Lang = q
			}
		}
	}
	p := &Page{Lang: lang, Sandbox: c.cfg.Sandbox, Session: sess, EDS: c.cfg.EDSLogin != nil, History: c.cfg.Log != nil, PD: c.cfg.PD != nil}
	for _, l := range i18n.Langs {
		p.Langs = append(p.Langs, langLink{Code: l, Name: i18n.T(l, "lang.name"), Current: l == lang})
	}
	if sess != nil {
		p.CSRF = sess.CSRF
		p.Staff = c.cfg.Console != nil && sess.OrgBIN != "" && sess.Method == identity.MethodEDS && c.cfg.Console.IsRegulator(sess.OrgBIN)
	}
	return p
}

func (c *Cabinet) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, p *Page) error {
	p.Title = i18n.T(p.Lang, titleKey)
	var buf bytes.Buffer
	if err := c.tmpl[p.Lang][name].ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// session returns the request's session, or nil.
func (c *Cabinet) session(r *http.Request) (*identity.Session, error) {
	ck, err := r.Cookie(CookieSession)
	if err != nil {
		return nil, nil
	}
	s, err := c.cfg.Identity.Session(r.Context(), ck.Value)
	if errors.Is(err, identity.ErrNoSession) {
		return nil, nil
	}
	return s, err
}

func (c *Cabinet) home(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		http.Redirect(w, r, "/login"+langQuery(r), http.StatusSeeOther)
		return nil
	}
	p := c.page(w, r, sess)
	if c.cfg.SandboxKey != nil {
		hd := homeData{Keys: []string{"gost2015", "p256"}, KeyPassword: c.cfg.KeyPassword}
		if c.cfg.EmployerOf != nil {
			hd.Employer = c.cfg.EmployerOf(sess.Citizen.IIN)
		}
		p.Data = hd
	}
	return c.render(w, r, http.StatusOK, "home", "nav.home", p)
}

type homeData struct {
	Keys        []string
	KeyPassword string
	Employer    string // the organization whose employee key the citizen may download
}

// key sends the logged-in citizen their own sandbox key; there is no way to name
// another citizen's.
func (c *Cabinet) key(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	alg, ok := strings.CutSuffix(r.PathValue("file"), ".p12")
	if !ok || (alg != "gost2015" && alg != "p256") {
		return problem.NotFound
	}
	b, err := c.cfg.SandboxKey(sess.Citizen.IIN, alg)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-pkcs12")
	w.Header().Set("Content-Disposition", `attachment; filename="senim-sandbox-`+alg+`.p12"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

func (c *Cabinet) loginForm(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	p := c.page(w, r, nil)
	p.CSRF = c.preLoginCSRF(w, r)
	if r.URL.Query().Get("bye") == "1" {
		p.Notice = "logout.done"
	}
	return c.render(w, r, http.StatusOK, "login", "login.title", p)
}

func (c *Cabinet) login(w http.ResponseWriter, r *http.Request) error {
	p := c.page(w, r, nil)
	if err := c.checkPreLoginCSRF(r); err != nil {
		p.CSRF = c.preLoginCSRF(w, r)
		return c.formError(w, r, "login", "login.title", p, err)
	}
	iin := strings.TrimSpace(r.PostFormValue("iin"))
	ch, err := c.cfg.Identity.StartLogin(r.Context(), iin, r.PostFormValue("password"))
	if err != nil {
		p.CSRF = c.preLoginCSRF(w, r)
		p.Data = iin
		return c.formError(w, r, "login", "login.title", p, err)
	}
	c.setCookie(w, r, CookieLogin, ch.Token, time.Until(ch.ExpiresAt), http.SameSiteStrictMode)
	// The masked phone rides along in the redirect so the code page can say where the
	// code went; it reveals nothing the citizen does not know.
	http.Redirect(w, r, "/login/code?to="+url.QueryEscape(ch.MaskedPhone), http.StatusSeeOther)
	return nil
}

func (c *Cabinet) codeForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := r.Cookie(CookieLogin); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p := c.page(w, r, nil)
	p.CSRF = c.preLoginCSRF(w, r)
	p.Data = maskedOrDefault(r.URL.Query().Get("to"))
	return c.render(w, r, http.StatusOK, "code", "code.title", p)
}

func (c *Cabinet) code(w http.ResponseWriter, r *http.Request) error {
	p := c.page(w, r, nil)
	p.Data = maskedOrDefault(r.URL.Query().Get("to"))
	if err := c.checkPreLoginCSRF(r); err != nil {
		p.CSRF = c.preLoginCSRF(w, r)
		return c.formError(w, r, "code", "code.title", p, err)
	}
	ck, err := r.Cookie(CookieLogin)
	if err != nil {
		p.CSRF = c.preLoginCSRF(w, r)
		return c.formError(w, r, "login", "login.title", p, identity.ErrChallengeGone)
	}
	token, _, err := c.cfg.Identity.FinishLogin(r.Context(), ck.Value, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		p.CSRF = c.preLoginCSRF(w, r)
		page, title := "code", "code.title"
		if errors.Is(err, identity.ErrChallengeGone) || errors.Is(err, identity.ErrLocked) {
			page, title = "login", "login.title"
			c.clearCookie(w, r, CookieLogin)
		}
		return c.formError(w, r, page, title, p, err)
	}
	c.clearCookie(w, r, CookieLogin)
	c.setCookie(w, r, CookieSession, token, 0, http.SameSiteLaxMode)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (c *Cabinet) logout(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess != nil {
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
			return problem.CSRF
		}
		ck, _ := r.Cookie(CookieSession)
		if err := c.cfg.Identity.CloseSession(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	c.clearCookie(w, r, CookieSession)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
	return nil
}

// formError re-renders a form with the message of err; errors without a catalog
// message (internal ones) go to the problem renderer, which logs them.
func (c *Cabinet) formError(w http.ResponseWriter, r *http.Request, page, title string, p *Page, err error) error {
	pr := problem.From(err)
	key := "error." + pr.Code
	if !i18n.Has(p.Lang, key) {
		return err
	}
	p.Error = key
	if pr.Status >= 500 {
		problem.Write(httpDiscard{}, r, err) // log it
	}
	return c.render(w, r, pr.Status, page, title, p)
}

// preLoginCSRF returns the double-submit token of a browser that has no session yet,
// setting the cookie when it is missing.
func (c *Cabinet) preLoginCSRF(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(CookieCSRF); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	var b [32]byte
	rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	c.setCookie(w, r, CookieCSRF, v, 0, http.SameSiteStrictMode)
	return v
}

func (c *Cabinet) checkPreLoginCSRF(r *http.Request) error {
	ck, err := r.Cookie(CookieCSRF)
	if err != nil || len(ck.Value) < 32 || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return problem.CSRF
	}
	return nil
}

func (c *Cabinet) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, same http.SameSite) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: same, Secure: r.TLS != nil || c.cfg.SecureCookies}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, ck)
}

func (c *Cabinet) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil || c.cfg.SecureCookies})
}

// SMSPage renders the sandbox SMS outbox for a browser.
func (c *Cabinet) SMSPage(w http.ResponseWriter, r *http.Request, phone string, msgs []sandbox.Message) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	p := c.page(w, r, sess)
	p.Data = struct {
		Phone    string
		Messages []sandbox.Message
	}{phone, msgs}
	return c.render(w, r, http.StatusOK, "sms", "sandbox.sms.title", p)
}

func langQuery(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); i18n.Supported(l) {
		return "?lang=" + l
	}
	return ""
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

type httpDiscard struct{}

func (httpDiscard) Header() http.Header         { return http.Header{} }
func (httpDiscard) Write(b []byte) (int, error) { return len(b), nil }
func (httpDiscard) WriteHeader(int)             {}

// edsChallenge returns the browser's live EDS challenge, making a new one when it has
// none.
func (c *Cabinet) edsChallenge(w http.ResponseWriter, r *http.Request) (string, error) {
	if ck, err := r.Cookie(CookieEDS); err == nil {
		if text, err := c.cfg.EDSLogin.ChallengeText(r.Context(), ck.Value); err == nil {
			return text, nil
		}
	}
	ch, err := c.cfg.EDSLogin.NewChallenge(r.Context())
	if err != nil {
		return "", err
	}
	c.setCookie(w, r, CookieEDS, ch.Token, time.Until(ch.ExpiresAt), http.SameSiteStrictMode)
	return ch.Text, nil
}

func (c *Cabinet) edsForm(w http.ResponseWriter, r *http.Request) error {
	p := c.page(w, r, nil)
	p.CSRF = c.preLoginCSRF(w, r)
	text, err := c.edsChallenge(w, r)
	if err != nil {
		return err
	}
	p.Data = text
	return c.render(w, r, http.StatusOK, "eds", "eds.title", p)
}

func (c *Cabinet) edsChallengeText(w http.ResponseWriter, r *http.Request) error {
	ck, err := r.Cookie(CookieEDS)
	if err != nil {
		return edslogin.ErrChallengeGone
	}
	text, err := c.cfg.EDSLogin.ChallengeText(r.Context(), ck.Value)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="challenge.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(text))
	return err
}

func (c *Cabinet) edsLogin(w http.ResponseWriter, r *http.Request) error {
	p := c.page(w, r, nil)
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	fail := func(err error) error {
		if errors.Is(err, edslogin.ErrChallengeGone) {
			c.clearCookie(w, r, CookieEDS)
			r.Header.Del("Cookie") // make edsChallenge issue a fresh one
		}
		p.CSRF = c.preLoginCSRF(w, r)
		text, cerr := c.edsChallenge(w, r)
		if cerr != nil {
			return cerr
		}
		p.Data = text
		return c.formError(w, r, "eds", "eds.title", p, err)
	}
	if err := c.checkPreLoginCSRF(r); err != nil {
		return fail(err)
	}
	ck, err := r.Cookie(CookieEDS)
	if err != nil {
		return fail(edslogin.ErrChallengeGone)
	}
	token, _, err := c.cfg.EDSLogin.Finish(r.Context(), ck.Value, []byte(r.PostFormValue("cms")))
	if err != nil {
		return fail(err)
	}
	c.clearCookie(w, r, CookieEDS)
	c.setCookie(w, r, CookieSession, token, 0, http.SameSiteLaxMode)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

type historyRow struct {
	Index    int64
	Time     time.Time
	Label    string
	Actor    string
	Verified bool
	Problem  string
}

// history lists the logged events about the logged-in citizen with their proof badges.
func (c *Cabinet) history(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	entries, err := c.cfg.Log.SubjectHistory(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := c.page(w, r, sess)
	rows := make([]historyRow, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		e := entries[i]
		label := e.Type
		if k := "event." + e.Type; i18n.Has(p.Lang, k) {
			label = i18n.T(p.Lang, k)
		}
		actor := e.Actor
		if actor == sess.Citizen.Ref() {
			actor = sess.Citizen.Name
		}
		rows = append(rows, historyRow{Index: e.Index, Time: time.UnixMicro(e.Time).UTC(), Label: label, Actor: actor, Verified: e.Verified, Problem: e.Problem})
	}
	p.Data = rows
	return c.render(w, r, http.StatusOK, "history", "history.title", p)
}

// evidence sends the evidence bundle of one of the citizen's own events; the log
// refuses another subject's index.
func (c *Cabinet) evidence(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	idx, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || idx < 0 {
		return problem.NotFound
	}
	b, err := c.cfg.Log.Bundle(r.Context(), sess.Citizen.Ref(), idx)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="senim-evidence-`+strconv.FormatInt(idx, 10)+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

// requireSession returns the session, or redirects to the login page.
func (c *Cabinet) requireSession(w http.ResponseWriter, r *http.Request) (*identity.Session, error) {
	sess, err := c.session(r)
	if err != nil || sess != nil {
		return sess, err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil, nil
}

type consentsData struct {
	Consents []pd.Consent
	Holders  []pd.Holder
}

// consents lists the citizen's consents and refusals and who holds them (PD-3.5).
func (c *Cabinet) consents(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.requireSession(w, r)
	if sess == nil {
		return err
	}
	return c.renderConsents(w, r, sess, http.StatusOK, "")
}

func (c *Cabinet) renderConsents(w http.ResponseWriter, r *http.Request, sess *identity.Session, status int, notice string) error {
	list, err := c.cfg.PD.ListConsents(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	holders, err := c.cfg.PD.HoldersOfConsent(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := c.page(w, r, sess)
	p.Notice = notice
	p.Data = consentsData{Consents: list, Holders: holders}
	return c.render(w, r, status, "consents", "consents.title", p)
}

// revoke revokes one of the citizen's own consents (PD-3.3); the service refuses
// another subject's consent id.
func (c *Cabinet) revoke(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		return problem.CSRF
	}
	if _, err := c.cfg.PD.RevokeConsent(r.Context(), sess.Citizen.IIN, sess.Citizen.IIN, r.PathValue("id")); err != nil {
		return err
	}
	return c.renderConsents(w, r, sess, http.StatusOK, "consents.revoked")
}

// access shows the history of access to the citizen's data (PD-3.4).
func (c *Cabinet) access(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.requireSession(w, r)
	if sess == nil {
		return err
	}
	h, err := c.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := c.page(w, r, sess)
	p.Data = h
	return c.render(w, r, http.StatusOK, "access", "access.title", p)
}

// employeeKey sends a demo employee their employee key: only their own, and only if the
// sandbox says they work for an organization.
func (c *Cabinet) employeeKey(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	b, err := c.cfg.SandboxEmployeeKey(sess.Citizen.IIN)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-pkcs12")
	w.Header().Set("Content-Disposition", `attachment; filename="senim-sandbox-employee.p12"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

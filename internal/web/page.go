package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/secret"
)

// LangLink is one entry of the language switcher.
type LangLink struct {
	Code, Name string
	Current    bool
}

// Page is what every template sees.
type Page struct {
	Lang    string
	Langs   []LangLink
	Title   string
	Sandbox bool
	Session *identity.Session
	CSRF    string
	Error   string // catalog key
	Notice  string // catalog key
	Staff   bool   // the session is the authorized body's staff
	Nav     []NavLink
	Footer  []NavLink
	Badges  []BadgeLink    // counts in the header (Shell.Badge)
	Live    bool           // a badge is kept current by the layout's script
	counted map[string]int // badge counts the handler already has (Counted)
	Nonce   string         // for a view that Needs a Script: <script nonce="{{.Nonce}}">
	// SessionEnds is when the session ends unless the citizen does something: the
	// idle timeout from now, or the session's absolute end if sooner. The layout says
	// so and warns WarnBefore ahead.
	SessionEnds time.Time
	// SessionLeft is how long the session has from the moment the page was made: the
	// page's script counts from its own loading, so a wrong clock in the browser does
	// not matter.
	SessionLeft time.Duration
	// Here is this page's address when it can be asked for again (a GET), else the
	// home page: "stay logged in" goes there.
	Here  string
	Data  any
	needs Needs

	// Fields are the form's errors, each shown next to its field and linked from the
	// error summary at the top of the page (the GOV.UK pattern).
	Fields []FieldError
}

// FieldError is a message about one form field: ID is the field's element id, Key the
// catalog key of the message.
type FieldError struct{ ID, Key string }

// Invalid records an error about the field with element id, shown next to it and in
// the error summary; the page's status becomes the form's (see Shell.Invalid).
func (p *Page) Invalid(id, key string) { p.Fields = append(p.Fields, FieldError{ID: id, Key: key}) }

// FieldError is the catalog key of the error about the field id, or "".
func (p *Page) FieldError(id string) string {
	for _, f := range p.Fields {
		if f.ID == id {
			return f.Key
		}
	}
	return ""
}

// Need widens the page's security headers for this response only (see Needs).
func (p *Page) Need(n Needs) { p.needs = p.needs.merge(n) }

// Page prepares the data of a page for r in its negotiated language; a ?lang= choice is
// remembered in a cookie (and for a logged-in citizen, as their language for SMS).
func (s *Shell) Page(w http.ResponseWriter, r *http.Request, sess *identity.Session) *Page {
	p := s.page(w, r, sess)
	s.badgesFor(r, p)
	return p
}

// PageBeforeChange is Page without its header badges yet, for a handler whose action
// changes what a badge counts (reading a notice lowers the unread count): it acts,
// then calls Badges, so each badge is counted once, and after the change.
func (s *Shell) PageBeforeChange(w http.ResponseWriter, r *http.Request, sess *identity.Session) *Page {
	return s.page(w, r, sess)
}

// Badges fills the header badges of a page from PageBeforeChange.
func (s *Shell) Badges(r *http.Request, p *Page) {
	if p.Badges == nil {
		s.badgesFor(r, p)
	}
}

// page is Page without the header badges: error pages, which a refused request
// also gets, ask no domain for anything.
func (s *Shell) page(w http.ResponseWriter, r *http.Request, sess *identity.Session) *Page {
	pref := ""
	if sess != nil {
		pref = sess.Citizen.Lang
	}
	lang := i18n.Negotiate(r, CookieLang, pref)
	if q := r.URL.Query().Get("lang"); i18n.Supported(q) && w != nil {
		s.SetCookie(w, r, CookieLang, q, 365*24*time.Hour, http.SameSiteLaxMode)
		if sess != nil && sess.Citizen.Lang != q {
			if err := s.cfg.Sessions.SetLanguage(r.Context(), sess.CitizenID, q); err == nil {
				sess.Citizen.Lang = q
			}
		}
	}
	p := &Page{Lang: lang, Sandbox: s.cfg.Sandbox, Session: sess, Here: "/"}
	if r.Method == http.MethodGet {
		p.Here = r.URL.RequestURI()
	}
	for _, l := range i18n.Langs {
		p.Langs = append(p.Langs, LangLink{Code: l, Name: i18n.T(l, "lang.name"), Current: l == lang})
	}
	if sess != nil {
		p.CSRF = sess.CSRF
		p.Staff = s.IsStaff(sess)
		p.SessionEnds, p.SessionLeft = s.sessionEnds(sess)
		p.needs = p.needs.merge(Needs{Script: true}) // the session-timeout warning
	}
	s.navFor(p)
	return p
}

// WarnBefore is how long before the session ends the page warns.
const WarnBefore = 2 * time.Minute

// sessionEnds is when sess ends without a further request, and how long that is from
// now.
func (s *Shell) sessionEnds(sess *identity.Session) (time.Time, time.Duration) {
	now := time.Now()
	if s.cfg.Now != nil {
		now = s.cfg.Now()
	}
	idle := s.cfg.SessionIdle
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	end := now.Add(idle)
	if !sess.ExpiresAt.IsZero() && sess.ExpiresAt.Before(end) {
		end = sess.ExpiresAt
	}
	return end, max(0, end.Sub(now))
}

// SessionWarnIn is how long after the page loads it warns that the session is about to
// end, in ms; SessionEndIn is when it ends.
func (p *Page) SessionWarnIn() int64 { return max(0, (p.SessionLeft - WarnBefore).Milliseconds()) }

// SessionEndIn is how long after the page loads the session ends, in ms.
func (p *Page) SessionEndIn() int64 { return p.SessionLeft.Milliseconds() }

// Views are an area's templates: each one file templates/<name>.html in the area's
// embedded file system that defines "content", rendered inside the shell's layout.
// Views are declared at package level (Add) and parsed once at Mount (Shell.Parse), so
// a missing or broken template stops the start-up — and the area's tests — instead of
// a request.
type Views struct {
	fsys fs.FS
	list []*View
}

// View is one page template, referred to by a Go identifier rather than a string.
type View struct {
	name, title string
	needs       Needs
	tmpl        map[string]*template.Template // lang -> template
	baked       map[string]int                // lang -> translations baked into tmpl
}

// NewViews declares the views of an area whose templates are under templates/ in fsys.
func NewViews(fsys fs.FS) *Views { return &Views{fsys: fsys} }

// Add declares the view templates/<name>.html, titled by the catalog key title; needs
// widen its security headers (strict when none).
func (vs *Views) Add(name, title string, needs ...Needs) *View {
	v := &View{name: name, title: title}
	for _, n := range needs {
		v.needs = v.needs.merge(n)
	}
	vs.list = append(vs.list, v)
	return v
}

// Name is the view's template name.
func (v *View) Name() string { return v.name }

// Parse parses each of vs's views once with the layout and clones it per language. It
// fails when a view's file is missing or broken, or when templates/ holds a page no
// view declares.
func (s *Shell) Parse(vs *Views) error {
	declared := map[string]bool{}
	for _, v := range vs.list {
		declared[v.name+".html"] = true
		base := template.New(v.name).Funcs(s.funcs("")).Option("missingkey=error")
		base, err := base.ParseFS(templateFS, "templates/layout.html", "templates/sign.html", "templates/parts.html")
		if err != nil {
			return err
		}
		if _, err := base.ParseFS(vs.fsys, "templates/"+v.name+".html"); err != nil {
			return fmt.Errorf("web: view %s: %w", v.name, err)
		}
		if base.Lookup("content") == nil {
			return fmt.Errorf("web: view %s defines no content", v.name)
		}
		v.tmpl, v.baked = map[string]*template.Template{}, map[string]int{}
		for _, lang := range i18n.Langs {
			c, err := base.Clone()
			if err != nil {
				return err
			}
			v.tmpl[lang] = c.Funcs(s.funcs(lang))
			if v.baked[lang], err = bakeTranslations(v.tmpl[lang], lang); err != nil {
				return fmt.Errorf("web: view %s (%s): %w", v.name, lang, err)
			}
		}
	}
	files, err := fs.Glob(vs.fsys, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		if b := path.Base(f); !declared[b] && vs.fsys != fs.FS(templateFS) {
			return fmt.Errorf("web: template %s is not declared as a view", f)
		}
	}
	return nil
}

func (s *Shell) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":      func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"static": s.static.url,
		// signMessages are the catalog keys sign.js shows (templates/sign.html).
		"signMessages": func() []string { return signMessages },
		// when, date and until show an instant in Kazakhstan's time (When, Date, Until) in a <time>
		// element; every area's pages use them, never t.Format.
		"when":  func(t time.Time) template.HTML { return timeHTML(i18n.When(lang, t), t) },
		"date":  func(t time.Time) template.HTML { return timeHTML(i18n.Date(lang, t), t) },
		"until": func(t time.Time) template.HTML { return timeHTML(i18n.Until(lang, t), t) },
	}
}

// Render writes v inside the layout with status, with the page's security headers.
func (s *Shell) Render(w http.ResponseWriter, r *http.Request, status int, v *View, p *Page) error {
	t, ok := v.tmpl[p.Lang]
	if !ok {
		return fmt.Errorf("web: view %s is not parsed: mount its area", v.name)
	}
	p.Title = i18n.T(p.Lang, v.title)
	needs := v.needs.merge(p.needs)
	if needs.Script {
		// base64url: html/template escapes "+" in attributes, which would break the match.
		p.Nonce = secret.Nonce(16)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len())) // whole already: no chunked encoding
	needs.set(h, p.Nonce)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// pageBuffers hold rendered pages until they are written (a page is rendered whole
// first, so that a template error becomes an error page, not half a page). Reused, a
// buffer no longer grows from nothing on every request.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage: a buffer grown past this by an unusually long page is let go.
const maxPooledPage = 256 << 10

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledPage {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// FormError re-renders a form view with the message of err; an error without a
// catalog message (an internal one) goes to the error page, which logs it.
func (s *Shell) FormError(w http.ResponseWriter, r *http.Request, v *View, p *Page, err error) error {
	pr := problem.From(err)
	key := "error." + pr.Code
	if !i18n.Has(p.Lang, key) {
		return err
	}
	p.Error = key
	if f, ok := pr.Extra["field"].(string); ok && p.FieldError(f) == "" {
		p.Invalid(f, key)
	}
	if pr.Status >= 500 {
		problem.Write(discard{}, r, err) // log it
	}
	// The problem's own headers (a lockout's Retry-After) hold for the page too.
	for k, vs := range pr.Header {
		w.Header()[k] = vs
	}
	return s.Render(w, r, pr.Status, v, p)
}

// Invalid re-renders a form view whose fields p.Fields found wrong, with 422 and the
// error summary; the view shows what was typed, so nothing is lost.
func (s *Shell) Invalid(w http.ResponseWriter, r *http.Request, v *View, p *Page) error {
	if p.Error == "" && len(p.Fields) > 0 {
		p.Error = p.Fields[0].Key
	}
	return s.Render(w, r, http.StatusUnprocessableEntity, v, p)
}

// Fail shows the error page for err in the session's language, with the status of the
// problem err stands for. 5xx are logged; internal text never reaches the page.
func (s *Shell) Fail(w http.ResponseWriter, r *http.Request, sess *identity.Session, err error) {
	pr := problem.From(err)
	problem.Write(discard{}, r, err) // log it at the level its status deserves
	p := s.page(nil, r, sess)
	p.Error = "error." + pr.Code
	if !i18n.Has(p.Lang, p.Error) {
		p.Error = "error.generic"
		if pr.Status >= 500 {
			p.Error = "error.internal"
		}
	}
	p.Data = errorData{Relogin: pr.Status == http.StatusUnauthorized}
	for k, v := range pr.Header {
		w.Header()[k] = v
	}
	if err := s.Render(w, r, pr.Status, errorView, p); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "rendering the error page", "error", err)
		http.Error(w, http.StatusText(pr.Status), pr.Status)
	}
}

type errorData struct{ Relogin bool }

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Needs is what a page asks of the browser beyond the strict default policy: no
// script, no connections, no camera, nothing from another origin, no framing.
type Needs struct {
	// Script allows the page's <script nonce="{{.Nonce}}"> elements and nothing else.
	Script bool
	// Connect lists the origins scripts may connect to, e.g. NCALayer.
	Connect []string
	// Camera lets the page use the camera (QR scanning).
	Camera bool
	// Worker lets the page register a same-origin service worker (Web Push).
	Worker bool
}

// NCALayer is the loopback WebSocket of NCALayer, the NCA's signing application.
const NCALayer = "wss://127.0.0.1:13579"

func (n Needs) merge(o Needs) Needs {
	out := Needs{Script: n.Script || o.Script, Camera: n.Camera || o.Camera, Worker: n.Worker || o.Worker}
	seen := map[string]bool{}
	for _, c := range append(append([]string(nil), n.Connect...), o.Connect...) {
		if !seen[c] {
			seen[c] = true
			out.Connect = append(out.Connect, c)
		}
	}
	return out
}

// StrictCSP is the Content-Security-Policy of a page that needs nothing.
const StrictCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Headers returns the security headers for the needs (nonce is the page's script nonce).
func (n Needs) Headers(nonce string) http.Header {
	h := http.Header{}
	n.set(h, nonce)
	return h
}

func (n Needs) set(h http.Header, nonce string) {
	csp := StrictCSP
	if n.Script {
		csp += "; script-src 'nonce-" + nonce + "'"
	}
	if len(n.Connect) > 0 {
		csp += "; connect-src " + strings.Join(n.Connect, " ")
	}
	if n.Worker {
		csp += "; worker-src 'self'"
	}
	camera := "()"
	if n.Camera {
		camera = "(self)"
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Permissions-Policy", "camera="+camera+", microphone=(), geolocation=()")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// Party is an organization as pages show it: its name in the page's language, with
// its BIN as secondary text (the "party" template); Name is empty when no directory
// knows the BIN.
type Party struct{ Name, BIN string }

// Package webtest tests a cabinet area without the server: a shell on fake sessions, a
// recorder of the requests its guards refuse, and CheckGuards, which walks every route
// the shell registered and proves none lets in a request without a session, with the
// wrong role, or without its form's anti-forgery token.
package webtest

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/secret"
	"github.com/senimkz/senim/internal/web"
)

// RegulatorBIN is the authorized body of the harness: EDS logins naming it are staff.
const RegulatorBIN = "990000000017"

// Harness is a shell on fake sessions; mount the area under test on Shell.
type Harness struct {
	t        testing.TB
	Shell    *web.Shell
	Sessions *Sessions

	mu       sync.Mutex
	refusals []string
	nextID   int64
}

// Option changes the shell's configuration.
type Option func(*web.Config)

// Sandbox marks the shell as the sandbox's.
func Sandbox(c *web.Config) { c.Sandbox = true }

// New builds a harness.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	h := &Harness{t: t, Sessions: &Sessions{byToken: map[string]*identity.Session{}}}
	cfg := web.Config{
		Sessions:  h.Sessions,
		Regulator: func(bin string) bool { return bin == RegulatorBIN },
		OnRefusal: func(r *http.Request, reason string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.refusals = append(h.refusals, r.Method+" "+r.URL.Path+": "+reason)
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	sh, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Shell = sh
	return h
}

// Refusals returns the guards' refusals since the last call, as "METHOD /path: reason".
func (h *Harness) Refusals() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.refusals
	h.refusals = nil
	return r
}

// Login is a session of the fake store, as a browser holds it.
type Login struct {
	Token   string // the session cookie
	CSRF    string // the session's anti-forgery token
	Session *identity.Session
}

// Citizen opens a session for a citizen who logged in with password and SMS code.
func (h *Harness) Citizen(iin, name string) *Login {
	return h.Login(identity.Session{Citizen: &identity.Citizen{IIN: iin, Name: name, Lang: "en"}, Method: identity.MethodPasswordSMS})
}

// Staff opens a session for a member of the authorized body's staff.
func (h *Harness) Staff(iin, name string) *Login {
	return h.Login(identity.Session{Citizen: &identity.Citizen{IIN: iin, Name: name, Lang: "en"},
		Method: identity.MethodEDS, OrgBIN: RegulatorBIN})
}

// Login opens a session; its citizen gets an id and the session a token and a CSRF
// token.
func (h *Harness) Login(s identity.Session) *Login {
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	h.mu.Unlock()
	if s.Citizen == nil {
		s.Citizen = &identity.Citizen{}
	}
	c := *s.Citizen
	c.ID, s.CitizenID = id, id
	s.Citizen = &c
	s.CSRF = random()
	tok := random()
	h.Sessions.put(tok, &s)
	return &Login{Token: tok, CSRF: s.CSRF, Session: &s}
}

// Request is a request to make through Do.
type Request struct {
	Method, Path string
	Form         url.Values // the body of a POST
	Login        *Login     // the session cookie, when set
	Cookies      []*http.Cookie
	Header       http.Header
	// Files makes the body multipart/form-data: Form's fields, then these files.
	Files []File
}

// File is a file in a multipart form: the field's name, the file's name and bytes.
type File struct {
	Field, Name string
	Data        []byte
}

// body encodes req's form: urlencoded, or multipart when it has files.
func (req Request) body() (io.Reader, string) {
	if req.Files == nil {
		if req.Form == nil {
			return strings.NewReader(""), ""
		}
		return strings.NewReader(req.Form.Encode()), "application/x-www-form-urlencoded"
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range req.Form {
		for _, v := range vs {
			_ = mw.WriteField(k, v) // writes to memory
		}
	}
	for _, f := range req.Files {
		fw, _ := mw.CreateFormFile(f.Field, f.Name)
		_, _ = fw.Write(f.Data)
	}
	_ = mw.Close()
	return &b, mw.FormDataContentType()
}

// Do serves req through the shell's routes and returns the recording.
func (h *Harness) Do(req Request) *httptest.ResponseRecorder {
	h.t.Helper()
	body, ct := req.body()
	r := httptest.NewRequest(req.Method, req.Path, body)
	r.Header.Set("Accept", "text/html")
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for k, v := range req.Header {
		r.Header[k] = v
	}
	if req.Login != nil {
		r.AddCookie(&http.Cookie{Name: web.CookieSession, Value: req.Login.Token})
	}
	for _, c := range req.Cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.Shell.Handler().ServeHTTP(w, r)
	return w
}

// Get is Do for a GET.
func (h *Harness) Get(path string, l *Login) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.Do(Request{Method: http.MethodGet, Path: path, Login: l})
}

// Post is Do for a form POST; the session's anti-forgery token is added when l is set
// and form has none.
func (h *Harness) Post(path string, form url.Values, l *Login) *httptest.ResponseRecorder {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if l != nil && !form.Has("csrf") {
		form.Set("csrf", l.CSRF)
	}
	return h.Do(Request{Method: http.MethodPost, Path: path, Form: form, Login: l})
}

// Upload is Post with files: a multipart/form-data body.
func (h *Harness) Upload(path string, form url.Values, files []File, l *Login) *httptest.ResponseRecorder {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if l != nil && !form.Has("csrf") {
		form.Set("csrf", l.CSRF)
	}
	if files == nil {
		files = []File{}
	}
	return h.Do(Request{Method: http.MethodPost, Path: path, Form: form, Files: files, Login: l})
}

// Sessions is a fake session store.
type Sessions struct {
	mu      sync.Mutex
	byToken map[string]*identity.Session
}

func (s *Sessions) put(tok string, sess *identity.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byToken[tok] = sess
}

// Session returns a copy of the session behind token.
func (s *Sessions) Session(_ context.Context, token string) (*identity.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byToken[token]
	if !ok {
		return nil, identity.ErrNoSession
	}
	c := *sess
	cit := *sess.Citizen
	c.Citizen = &cit
	return &c, nil
}

// SetLanguage remembers a citizen's language.
func (s *Sessions) SetLanguage(_ context.Context, citizenID int64, lang string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.byToken {
		if sess.CitizenID == citizenID {
			sess.Citizen.Lang = lang
		}
	}
	return nil
}

// Close ends the session behind token.
func (s *Sessions) Close(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byToken, token)
}

func random() string { return secret.Token() }

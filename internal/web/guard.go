package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
)

// HandlerFunc serves a request its guard let through. sess is the caller's session:
// never nil behind Citizen, Download and Staff; possibly nil behind Public. A returned
// error becomes an HTML error page in the session's language.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error

// Access says who may reach a route.
type Access int

// Who may reach a route.
const (
	AccessPublic  Access = iota // anyone; the session is looked up when there is one
	AccessCitizen               // a logged-in citizen
	AccessStaff                 // the authorized body's staff
)

func (a Access) String() string {
	return [...]string{"public", "citizen", "staff"}[a]
}

// Route is a guarded handler; Shell.Handle registers one under a pattern.
type Route struct {
	Pattern  string // set by Handle
	Access   Access
	Form     bool // an unsafe method: cross-origin and anti-forgery checks
	Download bool // refuses without a session with 401 rather than a redirect
	// MaxBody bounds the body of a Form (default 256 KiB); Upload sets it, and a
	// multipart/form-data body is then read whole, files in memory, before the
	// anti-forgery check.
	MaxBody  int64
	fn       HandlerFunc
	onRefuse func(w http.ResponseWriter, r *http.Request, err error) error
}

// Public lets anyone in.
func Public(fn HandlerFunc) Route { return Route{Access: AccessPublic, fn: fn} }

// Citizen lets a logged-in citizen in; a browser without a session is sent to the
// login page (an unsafe request gets the "log in again" page).
func Citizen(fn HandlerFunc) Route { return Route{Access: AccessCitizen, fn: fn} }

// Download is Citizen for a file: without a session it answers 401 with the error
// page rather than a redirect, so a download link never saves the login page.
func Download(fn HandlerFunc) Route { return Route{Access: AccessCitizen, Download: true, fn: fn} }

// Staff lets in only the authorized body's staff (Shell.IsStaff); anyone else logged in
// gets a 403 page.
func Staff(fn HandlerFunc) Route { return Route{Access: AccessStaff, fn: fn} }

// Form guards an unsafe request: net/http's cross-origin protection, then the form's
// anti-forgery token — the session's behind Citizen and Staff, the double-submit cookie
// (LoginCSRF) behind Public.
func Form(rt Route) Route { rt.Form = true; return rt }

// Upload is Form for a multipart/form-data form that carries files: its body may be up
// to limit bytes (files and fields together). The handler finds the files in
// r.MultipartForm. A body over the limit is refused before the handler runs with
// problem.TooLarge (413).
func Upload(rt Route, limit int64) Route {
	rt = Form(rt)
	rt.MaxBody = limit
	return rt
}

// OnRefuse makes a Public Form re-render itself with err (problem.CSRF) when its token
// is missing or wrong, instead of the shell's error page. The handler still never runs.
func (rt Route) OnRefuse(fn func(w http.ResponseWriter, r *http.Request, err error) error) Route {
	rt.onRefuse = fn
	return rt
}

// Reasons a guard refuses a request.
const (
	RefusedNoSession   = "no-session"
	RefusedNotStaff    = "not-staff"
	RefusedCSRF        = "csrf"
	RefusedCrossOrigin = "cross-origin"
	RefusedTooLarge    = "too-large"
)

// ErrNotStaff: the page is for the authorized body's staff only.
var ErrNotStaff = problem.New(http.StatusForbidden, "console.forbidden",
	"The console is for the authorized body's staff, logged in with an employee EDS key of the authorized body")

// MaxForm bounds a form's body unless Upload sets another bound; the largest is a
// pasted CMS signature.
const MaxForm = 256 << 10

var errCrossOrigin = problem.CSRF.WithDetail("cross-origin request refused")

// Handle registers rt under pattern ("METHOD /path"). Like http.ServeMux, it panics on a
// programming error: a pattern without a method, an unsafe method without Form, or a
// Form on a safe method.
func (s *Shell) Handle(pattern string, rt Route) {
	method, _, ok := strings.Cut(pattern, " ")
	if !ok || rt.fn == nil {
		panic(fmt.Sprintf("web: route %q needs a method and a handler", pattern))
	}
	safe := method == http.MethodGet || method == http.MethodHead
	if safe == rt.Form {
		panic(fmt.Sprintf("web: route %q: unsafe methods, and only they, must be a Form", pattern))
	}
	rt.Pattern = pattern
	s.routes = append(s.routes, rt)
}

// Routes lists the registered routes.
func (s *Shell) Routes() []Route { return append([]Route(nil), s.routes...) }

// serve runs rt's guard, then its handler.
func (s *Shell) serve(rt Route) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			s.Fail(w, r, nil, err)
			return
		}
		if rt.Access != AccessPublic && sess == nil {
			if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !rt.Download {
				s.refused(r, RefusedNoSession)
				if p := r.URL.RequestURI(); localPath(p) && p != "/" {
					s.SetCookie(w, r, CookieNext, p, nextFor, http.SameSiteLaxMode)
				}
				http.Redirect(w, r, "/login"+LangQuery(r), http.StatusSeeOther)
				return
			}
			s.refuse(w, r, nil, RefusedNoSession, identity.ErrNoSession)
			return
		}
		if rt.Access == AccessStaff && !s.IsStaff(sess) {
			s.refuse(w, r, sess, RefusedNotStaff, ErrNotStaff)
			return
		}
		if rt.Form {
			if err := readForm(w, r, rt); err != nil {
				s.refuse(w, r, sess, RefusedTooLarge, err)
				return
			}
			want := ""
			if rt.Access != AccessPublic {
				want = sess.CSRF
			} else if ck, err := r.Cookie(CookieCSRF); err == nil && len(ck.Value) >= 32 {
				want = ck.Value
			}
			if !checkToken(r, want) {
				if rt.onRefuse != nil {
					s.refused(r, RefusedCSRF)
					if err := rt.onRefuse(w, r, problem.CSRF); err != nil {
						s.Fail(w, r, sess, err)
					}
					return
				}
				s.refuse(w, r, sess, RefusedCSRF, problem.CSRF)
				return
			}
		}
		if err := rt.fn(w, r, sess); err != nil {
			s.Fail(w, r, sess, err)
		}
	})
	if rt.Form {
		return s.cop.Handler(h)
	}
	return h
}

// readForm reads a Form's body within its bound: urlencoded, or multipart for an
// Upload. A body over the bound is problem.TooLarge — not a wrong anti-forgery token,
// which is what an unread form would otherwise look like. Other malformed bodies are
// left to the token check, which then fails.
func readForm(w http.ResponseWriter, r *http.Request, rt Route) error {
	limit := int64(MaxForm)
	if rt.MaxBody > 0 {
		limit = rt.MaxBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); rt.MaxBody > 0 && mt == "multipart/form-data" {
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return problem.TooLarge
	}
	return nil
}

func (s *Shell) refused(r *http.Request, reason string) {
	if s.cfg.OnRefusal != nil {
		s.cfg.OnRefusal(r, reason)
	}
}

// refuse tells OnRefusal and shows the error page for err.
func (s *Shell) refuse(w http.ResponseWriter, r *http.Request, sess *identity.Session, reason string, err error) {
	s.refused(r, reason)
	s.Fail(w, r, sess, err)
}

// ServePublic runs fn as a Public route would, for a page that another handler serves
// (the sandbox's SMS outbox answers JSON or this page); fn's error is returned to it.
func (s *Shell) ServePublic(w http.ResponseWriter, r *http.Request, fn HandlerFunc) error {
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	return fn(w, r, sess)
}

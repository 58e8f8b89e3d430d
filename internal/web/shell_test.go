package web_test

import (
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

// testViews are a made-up area: a page that needs nothing and one that signs with
// NCALayer and scans a QR code.
var (
	testViews = web.NewViews(fstest.MapFS{
		"templates/plain.html":   {Data: []byte(`{{define "content"}}<p id="plain">{{t "nav.home"}}</p>{{end}}`)},
		"templates/signing.html": {Data: []byte(`{{define "content"}}<script nonce="{{.Nonce}}">1</script>{{end}}`)},
	})
	plainView   = testViews.Add("plain", "nav.home")
	signingView = testViews.Add("signing", "nav.home", web.Needs{Script: true, Connect: []string{web.NCALayer}, Camera: true})
)

// harness mounts the made-up area: a public page, a citizen page, a staff page, and a
// form of each kind whose handler counts its runs.
func harness(t *testing.T) (*webtest.Harness, *int) {
	t.Helper()
	h := webtest.New(t)
	s := h.Shell
	if err := s.Parse(testViews); err != nil {
		t.Fatal(err)
	}
	ran := new(int)
	page := func(v *web.View) web.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
			*ran++
			return s.Render(w, r, http.StatusOK, v, s.Page(w, r, sess))
		}
	}
	s.Handle("GET /plain", web.Public(page(plainView)))
	s.Handle("GET /signing", web.Public(page(signingView)))
	s.Handle("GET /mine", web.Citizen(page(plainView)))
	s.Handle("GET /mine/file", web.Download(page(plainView)))
	s.Handle("GET /staff", web.Staff(page(plainView)))
	s.Handle("POST /public-form", web.Form(web.Public(page(plainView))))
	s.Handle("POST /mine/{id}", web.Form(web.Citizen(page(plainView))))
	s.Handle("POST /staff/{id}", web.Form(web.Staff(page(plainView))))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/mine", ID: "nav-mine", Key: "nav.home"})
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/staff", ID: "nav-staff", Key: "nav.home", Show: web.StaffOnly})
	s.Nav(web.NavItem{Place: web.NavFooter, Href: "/plain", ID: "nav-plain", Key: "nav.home"})
	return h, ran
}

func TestGuards(t *testing.T) {
	h, ran := harness(t)
	webtest.CheckGuards(t, h)
	if *ran != 0 {
		t.Errorf("a handler ran %d times behind refusing guards", *ran)
	}
	// And the guards let the right requests through.
	citizen, staff := h.Citizen("900101300011", "A"), h.Staff("900101300012", "B")
	ck := &http.Cookie{Name: web.CookieCSRF, Value: strings.Repeat("k", 43)}
	for _, tc := range []struct {
		name string
		req  webtest.Request
	}{
		{"public page", webtest.Request{Method: "GET", Path: "/plain"}},
		{"citizen page", webtest.Request{Method: "GET", Path: "/mine", Login: citizen}},
		{"download", webtest.Request{Method: "GET", Path: "/mine/file", Login: citizen}},
		{"staff page", webtest.Request{Method: "GET", Path: "/staff", Login: staff}},
		{"public form", webtest.Request{Method: "POST", Path: "/public-form", Form: url.Values{"csrf": {ck.Value}}, Cookies: []*http.Cookie{ck}}},
		{"citizen form", webtest.Request{Method: "POST", Path: "/mine/1", Form: url.Values{"csrf": {citizen.CSRF}}, Login: citizen}},
		{"staff form", webtest.Request{Method: "POST", Path: "/staff/1", Form: url.Values{"csrf": {staff.CSRF}}, Login: staff}},
		{"same-origin form", webtest.Request{Method: "POST", Path: "/mine/1", Form: url.Values{"csrf": {citizen.CSRF}}, Login: citizen,
			Header: http.Header{"Sec-Fetch-Site": {"same-origin"}}}},
	} {
		before := *ran
		if w := h.Do(tc.req); w.Code != 200 || *ran != before+1 {
			t.Errorf("%s: %d, handler ran %d times; refusals %q", tc.name, w.Code, *ran-before, h.Refusals())
		}
	}
}

func TestHandleRefusesUnguardedForms(t *testing.T) {
	h := webtest.New(t)
	fn := func(http.ResponseWriter, *http.Request, *identity.Session) error { return nil }
	for _, tc := range []struct {
		pattern string
		rt      web.Route
	}{
		{"POST /x", web.Citizen(fn)},          // an unsafe method without Form
		{"DELETE /x", web.Public(fn)},         // likewise
		{"GET /x", web.Form(web.Citizen(fn))}, // a Form on a safe method
		{"/x", web.Public(fn)},                // no method
		{"GET /x", web.Public(nil)},           // no handler
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q, access %v, form %v) did not refuse", tc.pattern, tc.rt.Access, tc.rt.Form)
				}
			}()
			h.Shell.Handle(tc.pattern, tc.rt)
		}()
	}
}

func TestSecurityHeaders(t *testing.T) {
	h, _ := harness(t)
	plain := h.Get("/plain", nil)
	if got := plain.Header().Get("Content-Security-Policy"); got != web.StrictCSP {
		t.Errorf("a page that needs nothing: CSP %q, want %q", got, web.StrictCSP)
	}
	if got := plain.Header().Get("Permissions-Policy"); got != "camera=(), microphone=(), geolocation=()" {
		t.Errorf("a page that needs nothing: Permissions-Policy %q", got)
	}
	// A page is rendered whole before it is written, so it goes with its length, not chunked.
	if got, want := plain.Header().Get("Content-Length"), strconv.Itoa(plain.Body.Len()); got != want {
		t.Errorf("Content-Length %q, want %q (the body's)", got, want)
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if got := plain.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(web.StrictCSP, "default-src 'none'") || !strings.Contains(web.StrictCSP, "frame-ancestors 'none'") || strings.Contains(web.StrictCSP, "script-src") {
		t.Errorf("the strict policy is not strict: %q", web.StrictCSP)
	}

	signing := h.Get("/signing", nil)
	m := regexp.MustCompile(`<script nonce="([A-Za-z0-9_-]{22})">`).FindStringSubmatch(signing.Body.String())
	if m == nil {
		t.Fatalf("no nonce'd script in the page:\n%s", signing.Body)
	}
	want := web.StrictCSP + "; script-src 'nonce-" + m[1] + "'; connect-src wss://127.0.0.1:13579"
	if got := signing.Header().Get("Content-Security-Policy"); got != want {
		t.Errorf("a page that declares its needs: CSP\n%q, want\n%q", got, want)
	}
	if got := signing.Header().Get("Permissions-Policy"); got != "camera=(self), microphone=(), geolocation=()" {
		t.Errorf("a page that uses the camera: Permissions-Policy %q", got)
	}
	again := h.Get("/signing", nil)
	if strings.Contains(again.Header().Get("Content-Security-Policy"), m[1]) {
		t.Error("the nonce is the same on two responses")
	}
}

func TestStaticFilesHashed(t *testing.T) {
	h, _ := harness(t)
	page := h.Get("/plain", nil).Body.String()
	m := regexp.MustCompile(`href="(/static/style\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the layout does not link the hashed stylesheet:\n%s", page)
	}
	hashed := h.Get(m[1], nil)
	if hashed.Code != 200 || hashed.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(hashed.Header().Get("Content-Type"), "text/css") {
		t.Errorf("hashed stylesheet: %d %q %q", hashed.Code, hashed.Header().Get("Cache-Control"), hashed.Header().Get("Content-Type"))
	}
	plain := h.Get("/static/style.css", nil)
	if plain.Code != 200 || plain.Header().Get("Cache-Control") != "public, max-age=3600" || plain.Body.String() != hashed.Body.String() {
		t.Errorf("plain stylesheet: %d %q", plain.Code, plain.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/style.000000000000.css", "/static/nothing.css", "/static/..%2fshell.go"} {
		if w := h.Get(p, nil); w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
}

func TestErrorPagesInTheSessionsLanguage(t *testing.T) {
	h, _ := harness(t)
	ru := h.Login(identity.Session{Citizen: &identity.Citizen{IIN: "900101300021", Lang: "ru"}, Method: identity.MethodPasswordSMS})
	w := h.Get("/staff", ru)
	if w.Code != 403 || !strings.Contains(w.Body.String(), i18n.T("ru", "error.console.forbidden")) || !strings.Contains(w.Body.String(), `<html lang="ru">`) {
		t.Errorf("a citizen at a staff page: %d, want a Russian 403 page:\n%s", w.Code, w.Body)
	}
	w = h.Do(webtest.Request{Method: "POST", Path: "/mine/1", Form: url.Values{"csrf": {"x"}}, Header: http.Header{"Accept-Language": {"kk"}}})
	if w.Code != 401 || !strings.Contains(w.Body.String(), i18n.T("kk", "error.identity.session.none")) || !strings.Contains(w.Body.String(), `id="relogin"`) {
		t.Errorf("a form without a session: %d, want a Kazakh 401 page with a login link:\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Header().Get("Content-Type"), "json") {
		t.Error("a browser got JSON")
	}
	w = h.Get("/mine?lang=en", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?lang=en" {
		t.Errorf("a page without a session: %d %q, want a redirect to the login page", w.Code, w.Header().Get("Location"))
	}
}

func TestNav(t *testing.T) {
	h, _ := harness(t)
	for _, tc := range []struct {
		name      string
		login     *webtest.Login
		want, not []string
	}{
		{"anonymous", nil, []string{`id="nav-plain"`}, []string{`id="nav-mine"`, `id="nav-staff"`, `id="sandbox-banner"`}},
		{"citizen", h.Citizen("900101300031", "C"), []string{`id="nav-mine"`, `id="nav-plain"`}, []string{`id="nav-staff"`}},
		{"staff", h.Staff("900101300032", "S"), []string{`id="nav-mine"`, `id="nav-staff"`, `id="nav-plain"`}, nil},
	} {
		page := h.Get("/plain", tc.login).Body.String()
		for _, s := range tc.want {
			if !strings.Contains(page, s) {
				t.Errorf("%s: no %s", tc.name, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(page, s) {
				t.Errorf("%s: %s shown", tc.name, s)
			}
		}
	}
}

func TestHomeSections(t *testing.T) {
	h, _ := harness(t)
	h.Shell.Home(func(r *http.Request, p *web.Page) *web.Section {
		if p.Session.Citizen.Name != "With" {
			return nil
		}
		return &web.Section{ID: "extra", Title: "Extra", Links: []web.Link{{Href: "/x", ID: "x-link", Text: "X", Download: true}}}
	})
	if page := h.Get("/", h.Citizen("900101300041", "With")).Body.String(); !strings.Contains(page, `id="welcome"`) || !strings.Contains(page, `<a href="/x" id="x-link" download>X</a>`) {
		t.Errorf("home with a section:\n%s", page)
	}
	if page := h.Get("/", h.Citizen("900101300042", "Without")).Body.String(); strings.Contains(page, `id="extra"`) {
		t.Error("a section that returned nil is shown")
	}
}

// Every section of the cabinet exists: the home page does not say they open later
// (the sentence was false).
func TestHomeSaysNothingOpensLater(t *testing.T) {
	h, _ := harness(t)
	c := h.Citizen("900101300043", "Aigerim")
	for _, lang := range i18n.Langs {
		page := h.Get("/?lang="+lang, c).Body.String()
		for _, gone := range []string{"go live", "по мере запуска", "іске қосылған сайын", "home.soon"} {
			if strings.Contains(page, gone) {
				t.Errorf("%s: the home page still says %q", lang, gone)
			}
		}
		if i18n.Has(lang, "home.soon") {
			t.Errorf("%s: the catalog still has home.soon", lang)
		}
	}
}

func TestParseCatchesTemplateMistakes(t *testing.T) {
	h := webtest.New(t)
	for name, tc := range map[string]struct {
		fsys fstest.MapFS
		add  []string
	}{
		"a view without its file":        {fstest.MapFS{"templates/a.html": {Data: []byte(`{{define "content"}}{{end}}`)}}, []string{"a", "b"}},
		"a file no view declares":        {fstest.MapFS{"templates/a.html": {Data: []byte(`{{define "content"}}{{end}}`)}, "templates/typo.html": {Data: []byte(`x`)}}, []string{"a"}},
		"a broken template":              {fstest.MapFS{"templates/a.html": {Data: []byte(`{{define "content"}}{{if}}{{end}}`)}}, []string{"a"}},
		"a view that defines no content": {fstest.MapFS{"templates/a.html": {Data: []byte(`<p>`)}}, []string{"a"}},
	} {
		vs := web.NewViews(tc.fsys)
		for _, n := range tc.add {
			vs.Add(n, "nav.home")
		}
		if err := h.Shell.Parse(vs); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
	// A view of an area that was never parsed fails the request, not the process.
	unparsed := web.NewViews(fstest.MapFS{}).Add("never", "nav.home")
	r := httpRequest(t)
	if err := h.Shell.Render(discardWriter{}, r, 200, unparsed, h.Shell.Page(nil, r, nil)); err == nil {
		t.Error("rendering an unparsed view did not fail")
	}
}

// A header badge shows its count on every page of a logged-in citizen and, when live,
// widens that page's policy just enough for the layout's nonce'd script and a stream
// from its own origin; anonymous pages stay strict, and a failing count hides only the
// badge.
func TestHeaderBadge(t *testing.T) {
	h, _ := harness(t)
	fail := false
	h.Shell.Badge(web.Badge{ID: "nav-test", Href: "/mine", Key: "nav.home", Live: "/mine/events",
		Count: func(r *http.Request, sess *identity.Session) (int, error) {
			if fail {
				return 0, errors.New("down")
			}
			return len(sess.Citizen.Name), nil
		}})
	citizen := h.Citizen("900101300021", "Seven77")
	w := h.Get("/mine", citizen)
	body := w.Body.String()
	if !strings.Contains(body, `id="nav-test-count" data-live="/mine/events" aria-live="polite">7</span>`) {
		t.Errorf("no live badge with the count in:\n%s", body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	m := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	if m == nil || !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(body, `<script nonce="`+m[1]+`">`) {
		t.Errorf("CSP %q does not allow exactly the layout's script", csp)
	}
	if w := h.Get("/plain", nil); strings.Contains(w.Body.String(), "nav-test") || w.Header().Get("Content-Security-Policy") != web.StrictCSP {
		t.Errorf("anonymous page has the badge or a widened policy: %q", w.Header().Get("Content-Security-Policy"))
	}
	fail = true
	w = h.Get("/mine", citizen)
	// A signed-in page allows only its own nonce'd script (the session-timeout warning),
	// never a stream.
	if csp := w.Header().Get("Content-Security-Policy"); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "nav-test") ||
		strings.Contains(csp, "connect-src") || !regexp.MustCompile(`script-src 'nonce-[^']+'`).MatchString(csp) {
		t.Errorf("a failing count: %d, badge shown or policy widened: %q", w.Code, csp)
	}
}

// A badge with a cap shows a count that reached it as "at least" (99+), and any count
// below it as it is.
func TestHeaderBadgeCap(t *testing.T) {
	h, _ := harness(t)
	n := 0
	h.Shell.Badge(web.Badge{ID: "nav-test", Href: "/mine", Key: "nav.home", Cap: 100,
		Count: func(*http.Request, *identity.Session) (int, error) { return n, nil }})
	citizen := h.Citizen("900101300021", "Seven77")
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {99, "99"}, {100, "99+"}} {
		n = c.n
		body := h.Get("/mine", citizen).Body.String()
		m := regexp.MustCompile(`id="nav-test-count" aria-live="polite">([^<]*)</span>`).FindStringSubmatch(body)
		if m == nil || html.UnescapeString(m[1]) != c.want {
			t.Errorf("count %d: no badge showing %q in:\n%s", c.n, c.want, body)
		}
	}
	for _, c := range []struct {
		n, cap int
		want   string
	}{{7, 0, "7"}, {1000, 0, "1000"}, {99, 100, "99"}, {100, 100, "99+"}, {150, 100, "99+"}, {10, 10, "9+"}} {
		if got := web.CountText(c.n, c.cap); got != c.want {
			t.Errorf("CountText(%d, %d) = %q, want %q", c.n, c.cap, got, c.want)
		}
	}
}

// A handler that already has a badge's count (read with what it shows, after its
// change) gives it with Page.Counted: the badge shows it and is not counted again;
// the other badges, and pages that give none, are counted as before.
func TestHeaderBadgeCounted(t *testing.T) {
	h, _ := harness(t)
	counts := 0
	h.Shell.Badge(web.Badge{ID: "nav-test", Href: "/mine", Key: "nav.home", Cap: 100,
		Count: func(*http.Request, *identity.Session) (int, error) { counts++; return 5, nil }})
	h.Shell.Handle("GET /mine/counted", web.Citizen(func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		p := h.Shell.PageBeforeChange(w, r, sess)
		p.Counted("nav-test", 100)
		h.Shell.Badges(r, p)
		return h.Shell.Render(w, r, http.StatusOK, plainView, p)
	}))
	citizen := h.Citizen("900101300021", "Seven77")
	body := h.Get("/mine/counted", citizen).Body.String()
	if !strings.Contains(body, `id="nav-test-count" aria-live="polite">99&#43;</span>`) || counts != 0 {
		t.Errorf("counted %d times; the badge:\n%s", counts, body)
	}
	body = h.Get("/mine", citizen).Body.String()
	if !strings.Contains(body, `id="nav-test-count" aria-live="polite">5</span>`) || counts != 1 {
		t.Errorf("a page that gives no count: counted %d times:\n%s", counts, body)
	}
}

// TestShellPagesReadable: the home page for every login method, and the error pages
// (refused, not logged in, unknown page), read in every language (issue 10 item 2);
// the layout offers "Log out" on every page of a session.
func TestShellPagesReadable(t *testing.T) {
	h, _ := harness(t)
	for _, m := range []identity.Method{identity.MethodPasswordSMS, identity.MethodEDS, identity.MethodIdP} {
		l := h.Login(identity.Session{Citizen: &identity.Citizen{IIN: "900101300021", Name: "Айгерім"}, Method: m})
		for _, lang := range i18n.Langs {
			for _, path := range []string{"/", "/staff"} {
				page := h.Get(path+"?lang="+lang, l).Body.String()
				webtest.Readable(t, path+" "+string(m), lang, page)
				if !strings.Contains(page, `id="logout"`) {
					t.Errorf("%s (%s): no Log out", path, lang)
				}
			}
		}
	}
	for _, lang := range i18n.Langs {
		w := h.Do(webtest.Request{Method: "POST", Path: "/mine/1", Form: url.Values{"csrf": {"x"}}, Header: http.Header{"Accept-Language": {lang}}})
		webtest.Readable(t, "401", lang, w.Body.String())
	}
}

// Issue 10 item 6: every signed-in page says when the session ends without activity
// (the idle timeout from now, or the session's absolute end when sooner) and carries a
// warning shown two minutes before, by the page's own nonce'd script; "stay logged in"
// asks for the same page again (the home page after a form); anonymous pages have none.
func TestSessionTimeoutWarning(t *testing.T) {
	h, _ := harness(t)
	c := h.Citizen("900101300021", "Айгерім")
	before := time.Now()
	body := h.Get("/mine?lang=en", c).Body.String()
	m := regexp.MustCompile(`data-warn-in="(\d+)" data-end-in="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no session warning:\n%s", body)
	}
	warn, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	if d := time.Duration(end) * time.Millisecond; d < 29*time.Minute || d > 30*time.Minute || end-warn != web.WarnBefore.Milliseconds() {
		t.Errorf("session ends in %v, warned %d ms before", d, end-warn)
	}
	for _, want := range []string{`id="session-ends"`, i18n.T("en", "session.warning"), `href="/mine?lang=en" id="session-stay"`, `getElementById("session-warning")`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q", want)
		}
	}
	// A session that ends sooner than the idle timeout: its end.
	soon := h.Login(identity.Session{Citizen: &identity.Citizen{IIN: "900101300022", Name: "B"}, Method: identity.MethodEDS, ExpiresAt: before.Add(5 * time.Minute)})
	body = h.Get("/mine", soon).Body.String()
	if m := regexp.MustCompile(`data-end-in="(\d+)"`).FindStringSubmatch(body); m == nil {
		t.Error("no end")
	} else if ms, _ := strconv.ParseInt(m[1], 10, 64); ms > 5*60*1000 || ms < 4*60*1000 {
		t.Errorf("absolute end not used: ends in %d ms", ms)
	}
	if body := h.Get("/plain", nil).Body.String(); strings.Contains(body, "session-warning") {
		t.Error("an anonymous page warns of a session")
	}
}

// The notice of the session's end reads as a sentence in every language: in Russian
// "в" stands before a time of day, never before a date ("в 6 декабря" is wrong), so
// the date follows "выход произойдёт" directly.
func TestSessionEndsWording(t *testing.T) {
	h, _ := harness(t)
	c := h.Citizen("900101300023", "Айгерім")
	body := h.Get("/mine?lang=ru", c).Body.String()
	m := regexp.MustCompile(`(?s)<p[^>]*id="session-ends"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no session notice:\n%s", body)
	}
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")
	if regexp.MustCompile(`\sв\s+\d`).MatchString(text) ||
		!regexp.MustCompile(`выход произойдёт \d{1,2} \p{L}+ \d{4} г\., \d{2}:\d{2} \(время Астаны, UTC\+5\)$`).MatchString(strings.TrimSpace(text)) {
		t.Errorf("the Russian notice reads %q", text)
	}
}

// A page asked for without a session sends the browser to log in and remembers the
// page (only a path of this site, never "/" or a form); the login goes back to it.
func TestReturnAfterLogin(t *testing.T) {
	h, _ := harness(t)
	next := func(w *httptest.ResponseRecorder) *http.Cookie {
		for _, c := range w.Result().Cookies() {
			if c.Name == web.CookieNext {
				return c
			}
		}
		return nil
	}
	w := h.Get("/mine?tab=2&lang=ru", nil)
	if c := next(w); w.Code != 303 || w.Header().Get("Location") != "/login?lang=ru" || c == nil || c.Value != "/mine?tab=2&lang=ru" || !c.HttpOnly || c.MaxAge <= 0 {
		t.Fatalf("a citizen page without a session: %d %q, cookie %+v", w.Code, w.Header().Get("Location"), c)
	}
	if w := h.Get("/", nil); next(w) != nil {
		t.Error("home is remembered")
	}
	if w := h.Post("/mine/1", url.Values{}, nil); next(w) != nil {
		t.Error("a form is remembered")
	}

	// SignedIn, as every way of logging in ends.
	s := h.Shell
	s.Handle("POST /test-login", web.Form(web.Public(func(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
		s.SignedIn(w, r, "tok")
		return nil
	})))
	ck := &http.Cookie{Name: web.CookieCSRF, Value: strings.Repeat("k", 43)}
	for _, tc := range []struct{ next, want string }{
		{"/mine?tab=2&lang=ru", "/mine?tab=2&lang=ru"},
		{"", "/"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/" + strings.Repeat("a", 2000), "/"},
	} {
		cookies := []*http.Cookie{ck}
		if tc.next != "" {
			cookies = append(cookies, &http.Cookie{Name: web.CookieNext, Value: tc.next})
		}
		w := h.Do(webtest.Request{Method: "POST", Path: "/test-login", Form: url.Values{"csrf": {ck.Value}}, Cookies: cookies})
		var sess, cleared bool
		for _, c := range w.Result().Cookies() {
			sess = sess || c.Name == web.CookieSession && c.Value == "tok"
			cleared = cleared || c.Name == web.CookieNext && c.MaxAge < 0
		}
		if w.Code != 303 || w.Header().Get("Location") != tc.want || !sess || (tc.next != "" && !cleared) {
			t.Errorf("SignedIn with next %q: %d %q, session %v, next cleared %v", tc.next, w.Code, w.Header().Get("Location"), sess, cleared)
		}
	}
	// What no cookie brings (Go's server drops such cookies) is refused all the same.
	for _, p := range []string{"/\\evil.example", "/mine\x00", "/mine\x7f", "mine", ""} {
		if web.LocalPath(p) {
			t.Errorf("LocalPath(%q)", p)
		}
	}
}

// The sandbox's signing pages link to the NCALayer simulator's window only when the
// simulator runs (Config.NCALayer): otherwise the port is a real NCALayer's, or nobody's.
func TestSimulatorLink(t *testing.T) {
	views := web.NewViews(fstest.MapFS{"templates/s.html": {Data: []byte(`{{define "content"}}{{template "sign-field" .Data}}{{end}}`)}})
	v := views.Add("s", "nav.home")
	for _, tc := range []struct {
		name string
		opts []webtest.Option
		want string
	}{
		{"production", nil, ""},
		{"sandbox without the simulator", []webtest.Option{webtest.Sandbox}, ""},
		{"sandbox with the simulator", []webtest.Option{webtest.Sandbox, func(c *web.Config) { c.NCALayer = "wss://127.0.0.1:40001" }}, `href="https://127.0.0.1:40001/"`},
	} {
		h := webtest.New(t, tc.opts...)
		s := h.Shell
		if err := s.Parse(views); err != nil {
			t.Fatal(err)
		}
		s.Handle("GET /s", web.Public(func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
			p := s.Page(w, r, sess)
			p.Data = s.Signer(p, web.Sign{Text: "x", Label: "nav.home"})
			return s.Render(w, r, http.StatusOK, v, p)
		}))
		page := h.Get("/s", nil).Body.String()
		if !strings.Contains(page, `id="signer"`) {
			t.Fatalf("%s: no signing field:\n%s", tc.name, page)
		}
		if got := strings.Contains(page, `id="sign-nca-window"`); got != (tc.want != "") || (tc.want != "" && !strings.Contains(page, tc.want)) {
			t.Errorf("%s: the simulator's link %v, want %q", tc.name, got, tc.want)
		}
	}
}

package auth

import (
	"context"
	"encoding/pem"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

// fakeLogins is identity's login as a table of calls.
type fakeLogins struct {
	start  func(iin, password string) (*identity.Challenge, error)
	finish func(token, code string) (string, error)
	closed []string
}

func (f *fakeLogins) StartLogin(_ context.Context, iin, password string) (*identity.Challenge, error) {
	return f.start(iin, password)
}

func (f *fakeLogins) FinishLogin(_ context.Context, token, code string) (string, *identity.Session, error) {
	tok, err := f.finish(token, code)
	return tok, nil, err
}

func (f *fakeLogins) CloseSession(_ context.Context, token string) error {
	f.closed = append(f.closed, token)
	return nil
}

type fakeEDS struct {
	made   int
	signed [][]byte
	err    error
}

func (f *fakeEDS) NewChallenge(context.Context) (*edslogin.Challenge, error) {
	f.made++
	return &edslogin.Challenge{Token: "eds-token", Text: "Sign me <now>", ExpiresAt: time.Now().Add(time.Minute)}, nil
}

func (f *fakeEDS) ChallengeText(_ context.Context, token string) (string, error) {
	if token != "eds-token" {
		return "", edslogin.ErrChallengeGone
	}
	return "Sign me <now>", nil
}

func (f *fakeEDS) Finish(_ context.Context, token string, signed []byte) (string, *identity.Session, error) {
	f.signed = append(f.signed, signed)
	if f.err != nil {
		return "", nil, f.err
	}
	return "new-session", nil, nil
}

func mount(t *testing.T, cfg Config) *webtest.Harness {
	t.Helper()
	h := webtest.New(t)
	if err := Mount(h.Shell, cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

func cookie(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	webtest.CheckGuards(t, mount(t, Config{Logins: &fakeLogins{}, EDS: &fakeEDS{}}))
}

func TestMountNeedsLogins(t *testing.T) {
	if err := Mount(webtest.New(t).Shell, Config{}); err == nil {
		t.Error("Mount without Logins succeeded")
	}
}

func TestPasswordLogin(t *testing.T) {
	var started []string
	f := &fakeLogins{
		start: func(iin, password string) (*identity.Challenge, error) {
			started = append(started, iin+"/"+password)
			if password != "right" {
				return nil, identity.ErrBadCredentials
			}
			return &identity.Challenge{Token: "ch", MaskedPhone: "+7 *** *** ** 00", ExpiresAt: time.Now().Add(time.Minute)}, nil
		},
		finish: func(token, code string) (string, error) {
			switch {
			case token != "ch":
				return "", identity.ErrChallengeGone
			case code != "123456":
				return "", identity.ErrBadCode
			}
			return "sess-token", nil
		},
	}
	h := mount(t, Config{Logins: f})

	w := h.Get("/login?lang=en", nil)
	page := w.Body.String()
	csrf := cookie(w.Result(), web.CookieCSRF)
	if w.Code != 200 || csrf == nil || !strings.Contains(page, `id="login-form"`) || !strings.Contains(page, `value="`+csrf.Value+`"`) {
		t.Fatalf("login page: %d, csrf cookie %v:\n%s", w.Code, csrf, page)
	}
	if strings.Contains(page, `id="login-eds"`) {
		t.Error("EDS login offered without EDS")
	}
	post := func(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		form.Set("csrf", csrf.Value)
		return h.Do(webtest.Request{Method: "POST", Path: path, Form: form, Cookies: append(cookies, csrf)}).Result()
	}

	// A wrong password: the form again, with the message and the IIN kept.
	res := post("/login?lang=en", url.Values{"iin": {"900101300001"}, "password": {"wrong"}})
	body := readAll(res)
	if res.StatusCode != 401 || !strings.Contains(body, i18n.T("en", "error.identity.login.bad_credentials")) || !strings.Contains(body, `value="900101300001"`) {
		t.Errorf("wrong password: %d\n%s", res.StatusCode, body)
	}
	// Without the token the guard re-renders the form and nothing starts.
	n := len(started)
	w = h.Do(webtest.Request{Method: "POST", Path: "/login", Form: url.Values{"iin": {"900101300001"}, "password": {"right"}}, Cookies: []*http.Cookie{csrf}})
	if w.Code != 403 || !strings.Contains(w.Body.String(), `id="error"`) || !strings.Contains(w.Body.String(), `id="login-form"`) || len(started) != n {
		t.Errorf("login without a token: %d, %d logins started:\n%s", w.Code, len(started)-n, w.Body)
	}

	res = post("/login", url.Values{"iin": {" 900101300001 "}, "password": {"right"}})
	login := cookie(res, web.CookieLogin)
	if res.StatusCode != 303 || login == nil || login.Value != "ch" || !login.HttpOnly || login.SameSite != http.SameSiteStrictMode {
		t.Fatalf("right password: %d, login cookie %+v", res.StatusCode, login)
	}
	if loc := res.Header.Get("Location"); loc != "/login/code?to=%2B7+%2A%2A%2A+%2A%2A%2A+%2A%2A+00" {
		t.Errorf("redirect to %q", loc)
	}
	if started[len(started)-1] != "900101300001/right" {
		t.Errorf("StartLogin got %q", started[len(started)-1])
	}

	w = h.Do(webtest.Request{Method: "GET", Path: "/login/code?to=%2B7+%2A%2A+00&lang=en", Cookies: []*http.Cookie{login, csrf}})
	if !strings.Contains(w.Body.String(), "7 ** 00") {
		t.Errorf("code page does not say where the code went:\n%s", w.Body)
	}
	if w := h.Get("/login/code?to=<script>", nil); w.Code != 303 {
		t.Errorf("code page without a login: %d", w.Code)
	}
	if w := h.Do(webtest.Request{Method: "GET", Path: "/login/code?to=<b>x</b>", Cookies: []*http.Cookie{login}}); strings.Contains(w.Body.String(), "<b>x") || !strings.Contains(w.Body.String(), "***") {
		t.Error("the code page shows back what is not a masked phone")
	}

	// A wrong code shows the form again, still saying where the code went: the form
	// posts the masked phone back in its action.
	action := regexp.MustCompile(`action="([^"]*)" id="code-form"`).FindStringSubmatch(w.Body.String())
	if action == nil || action[1] != "/login/code?to=%2b7%20%2a%2a%2000" {
		t.Fatalf("the code form's action: %q", action)
	}
	res = post(html.UnescapeString(action[1])+"&lang=en", url.Values{"code": {"000000"}}, login)
	if body := readAll(res); res.StatusCode != 401 || !strings.Contains(body, `id="code-form"`) || !strings.Contains(body, "7 ** 00") {
		t.Errorf("wrong code: %d\n%s", res.StatusCode, body)
	}
	// The page asked for before logging in opens after it (web.Shell.SignedIn).
	res = post("/login/code", url.Values{"code": {"123456"}}, login, &http.Cookie{Name: web.CookieNext, Value: "/inbox?lang=kk"})
	sess := cookie(res, web.CookieSession)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/inbox?lang=kk" || sess == nil || sess.Value != "sess-token" || !sess.HttpOnly {
		t.Errorf("right code: %d, session cookie %+v", res.StatusCode, sess)
	}
	if c := cookie(res, web.CookieLogin); c == nil || c.MaxAge >= 0 {
		t.Error("the login cookie is not cleared")
	}
	// A code for a challenge that is gone starts over at the login form.
	res = post("/login/code?lang=en", url.Values{"code": {"123456"}}, &http.Cookie{Name: web.CookieLogin, Value: "old"})
	if body := readAll(res); res.StatusCode != 401 || !strings.Contains(body, `id="login-form"`) {
		t.Errorf("expired challenge: %d\n%s", res.StatusCode, body)
	}
}

func TestLogout(t *testing.T) {
	f := &fakeLogins{}
	h := mount(t, Config{Logins: f})
	c := h.Citizen("900101300001", "A")
	if w := h.Get("/login", c); w.Code != 303 || w.Header().Get("Location") != "/" {
		t.Errorf("login page with a session: %d", w.Code)
	}
	w := h.Post("/logout", nil, c)
	if w.Code != 303 || w.Header().Get("Location") != "/login?bye=1" || len(f.closed) != 1 || f.closed[0] != c.Token {
		t.Errorf("logout: %d %q, closed %q", w.Code, w.Header().Get("Location"), f.closed)
	}
	if ck := cookie(w.Result(), web.CookieSession); ck == nil || ck.MaxAge >= 0 {
		t.Error("the session cookie is not cleared")
	}
	if w := h.Get("/login?bye=1&lang=en", nil); !strings.Contains(w.Body.String(), "You have logged out.") {
		t.Errorf("no notice after logout:\n%s", w.Body)
	}
}

func TestEDSLogin(t *testing.T) {
	eds := &fakeEDS{}
	h := mount(t, Config{Logins: &fakeLogins{}, EDS: eds})
	if w := h.Get("/login", nil); !strings.Contains(w.Body.String(), `id="login-eds"`) {
		t.Error("EDS login not offered")
	}
	w := h.Get("/login/eds?lang=en", nil)
	res := w.Result()
	edsCk, csrf := cookie(res, web.CookieEDS), cookie(res, web.CookieCSRF)
	if w.Code != 200 || edsCk == nil || edsCk.Value != "eds-token" || !strings.Contains(w.Body.String(), `<pre id="eds-challenge" lang="en">Sign me &lt;now&gt;</pre>`) {
		t.Fatalf("EDS page: %d %+v\n%s", w.Code, edsCk, w.Body)
	}
	w = h.Do(webtest.Request{Method: "GET", Path: "/login/eds/challenge.txt", Cookies: []*http.Cookie{edsCk}})
	if w.Body.String() != "Sign me <now>" || !strings.Contains(w.Header().Get("Content-Disposition"), "challenge.txt") {
		t.Errorf("challenge.txt: %q", w.Body)
	}
	if w := h.Get("/login/eds/challenge.txt", nil); w.Code != 401 {
		t.Errorf("challenge.txt without a challenge: %d", w.Code)
	}

	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	pemCMS := string(pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: der}))
	post := func(cms string) *http.Response {
		return h.Do(webtest.Request{Method: "POST", Path: "/login/eds?lang=en", Form: url.Values{"csrf": {csrf.Value}, "cms": {cms}},
			Cookies: []*http.Cookie{edsCk, csrf}}).Result()
	}
	res = post(pemCMS)
	if s := cookie(res, web.CookieSession); res.StatusCode != 303 || s == nil || s.Value != "new-session" {
		t.Errorf("EDS login: %d %+v", res.StatusCode, s)
	}
	if len(eds.signed) != 1 || string(eds.signed[0]) != string(der) {
		t.Errorf("Finish got %x, want the DER of the pasted PEM", eds.signed)
	}
	eds.err = edslogin.ErrChallengeGone
	made := eds.made
	res = post(pemCMS)
	if body := readAll(res); res.StatusCode != 401 || !strings.Contains(body, i18n.T("en", "error.identity.eds.challenge_expired")) || eds.made != made+1 {
		t.Errorf("expired challenge: %d, %d new challenges:\n%s", res.StatusCode, eds.made-made, body)
	}
}

func readAll(res *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestPagesReadable: the login pages (password, code, EDS, with an error) read in
// every language (issue 10 item 2).
func TestPagesReadable(t *testing.T) {
	f := &fakeLogins{
		start: func(iin, password string) (*identity.Challenge, error) {
			if password != "right" {
				return nil, identity.ErrBadCredentials
			}
			return &identity.Challenge{Token: "ch", MaskedPhone: "+7 *** *** ** 00", ExpiresAt: time.Now().Add(time.Minute)}, nil
		},
		finish: func(string, string) (string, error) { return "", identity.ErrBadCode },
	}
	h := mount(t, Config{Logins: f, EDS: &fakeEDS{}})
	for _, lang := range i18n.Langs {
		w := h.Get("/login?lang="+lang, nil)
		webtest.Readable(t, "/login", lang, w.Body.String())
		csrf := cookie(w.Result(), web.CookieCSRF)
		for _, pass := range []string{"wrong", "right"} {
			w := h.Do(webtest.Request{Method: "POST", Path: "/login?lang=" + lang, Cookies: []*http.Cookie{csrf},
				Form: url.Values{"csrf": {csrf.Value}, "iin": {"900101300001"}, "password": {pass}}})
			webtest.Readable(t, "/login "+pass, lang, w.Body.String())
		}
		webtest.Readable(t, "/login/eds", lang, h.Get("/login/eds?lang="+lang, nil).Body.String())
	}
}

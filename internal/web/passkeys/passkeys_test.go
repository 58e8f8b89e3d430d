package passkeys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/passkey"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

// fake is internal/passkey in memory: the area's own behaviour is under test here;
// the ceremonies are tested in internal/passkey and in the browser test.
type fake struct {
	mu    sync.Mutex
	keys  map[int64][]passkey.Passkey
	calls []string
}

func (f *fake) BeginLogin(context.Context) (*passkey.Ceremony, error) {
	return &passkey.Ceremony{Options: json.RawMessage(`{"publicKey":{"challenge":"AA"}}`), Token: "login-token"}, nil
}

func (f *fake) FinishLogin(_ context.Context, token string, resp []byte) (string, *identity.Session, error) {
	if token != "login-token" || string(resp) != "ok" {
		return "", nil, passkey.ErrVerification
	}
	return "session-token", &identity.Session{}, nil
}

func (f *fake) BeginRegistration(_ context.Context, id int64) (*passkey.Ceremony, error) {
	return &passkey.Ceremony{Options: json.RawMessage(`{"publicKey":{"challenge":"AA"}}`), Token: "reg-token"}, nil
}

func (f *fake) FinishRegistration(_ context.Context, id int64, token, name string, resp []byte) (*passkey.Passkey, error) {
	if strings.TrimSpace(name) == "" {
		return nil, passkey.ErrName
	}
	if token != "reg-token" || string(resp) != "ok" {
		return nil, passkey.ErrVerification
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := passkey.Passkey{ID: "k" + strings.ReplaceAll(name, " ", "-"), Name: name, CreatedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.keys[id] = append(f.keys[id], p)
	return &p, nil
}

func (f *fake) List(_ context.Context, id int64) ([]passkey.Passkey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]passkey.Passkey(nil), f.keys[id]...), nil
}

func (f *fake) Remove(_ context.Context, id int64, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range f.keys[id] {
		if k.ID == key {
			f.keys[id] = append(f.keys[id][:i], f.keys[id][i+1:]...)
			f.calls = append(f.calls, "remove "+key)
			return nil
		}
	}
	return passkey.ErrNotFound
}

func mount(t *testing.T) (*webtest.Harness, *fake) {
	t.Helper()
	f := &fake{keys: map[int64][]passkey.Passkey{}}
	h := webtest.New(t)
	if err := Mount(h.Shell, Config{Passkeys: f}); err != nil {
		t.Fatal(err)
	}
	return h, f
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, _ := mount(t)
	webtest.CheckGuards(t, h)
}

// TestRegisterAndRemove: the list, adding (a refused answer keeps the typed name and
// says why), and removing only after a confirmation that names the passkey.
func TestRegisterAndRemove(t *testing.T) {
	// rule DD-5
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	if b := h.Get("/passkeys", c).Body.String(); !strings.Contains(b, `id="passkey-none"`) || !strings.Contains(b, `data-passkey="register"`) {
		t.Fatalf("empty list: %s", b)
	}
	w := h.Post("/passkeys/options", nil, c)
	var cer ceremony
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &cer) != nil || cer.Token != "reg-token" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("options: %d %s", w.Code, w.Body)
	}
	w = h.Post("/passkeys", url.Values{"token": {"reg-token"}, "name": {"My phone"}, "response": {"forged"}}, c)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), i18n.T("en", "error.passkey.not_verified")) || !strings.Contains(w.Body.String(), `value="My phone"`) {
		t.Fatalf("refused answer: %d %s", w.Code, w.Body)
	}
	w = h.Post("/passkeys", url.Values{"token": {"reg-token"}, "name": {""}, "response": {"ok"}}, c)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#name"`) && !strings.Contains(w.Body.String(), i18n.T("en", "error.passkey.name_invalid")) {
		t.Fatalf("no name: %d %s", w.Code, w.Body)
	}
	w = h.Post("/passkeys", url.Values{"token": {"reg-token"}, "name": {"My phone"}, "response": {"ok"}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/passkeys?done=added" {
		t.Fatalf("added: %d %s", w.Code, w.Body)
	}
	if b := h.Get("/passkeys?done=added", c).Body.String(); !strings.Contains(b, "My phone") || !strings.Contains(b, i18n.T("en", "passkey.added")) {
		t.Fatalf("list after adding: %s", b)
	}
	// Remove: first the confirmation, naming it; nothing removed yet.
	w = h.Post("/passkeys/kMy-phone/remove", nil, c)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="passkey-remove-confirm"`) || !strings.Contains(w.Body.String(), "My phone") || len(f.calls) != 0 {
		t.Fatalf("confirmation: %d %s %v", w.Code, w.Body, f.calls)
	}
	// Another citizen cannot remove it, even confirmed.
	bob := h.Citizen("850505400001", "Bolat")
	if w := h.Post("/passkeys/kMy-phone/remove", url.Values{"confirmed": {"yes"}}, bob); w.Code != http.StatusNotFound || len(f.calls) != 0 {
		t.Fatalf("another citizen: %d %v", w.Code, f.calls)
	}
	if w := h.Post("/passkeys/kMy-phone/remove", url.Values{"confirmed": {"yes"}}, c); w.Code != http.StatusSeeOther || len(f.calls) != 1 {
		t.Fatalf("removed: %d %v", w.Code, f.calls)
	}
}

// TestLogin: the login page, its options, and a session cookie only for a verified
// answer; a refused one re-renders the page with the reason.
func TestLogin(t *testing.T) {
	// rule DD-5
	h, _ := mount(t)
	page := h.Get("/login/passkey", nil)
	csrf := page.Result().Cookies()
	var token string
	for _, ck := range csrf {
		if ck.Name == web.CookieCSRF {
			token = ck.Value
		}
	}
	if page.Code != http.StatusOK || token == "" || !strings.Contains(page.Body.String(), `data-passkey="login"`) {
		t.Fatalf("login page: %d %s", page.Code, page.Body)
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, "connect-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	post := func(form url.Values) *http.Response {
		form.Set("csrf", token)
		return h.Do(webtest.Request{Method: http.MethodPost, Path: "/login/passkey", Form: form, Cookies: csrf}).Result()
	}
	if r := post(url.Values{"token": {"login-token"}, "response": {"forged"}}); r.StatusCode != http.StatusUnauthorized || hasSession(r) {
		t.Fatalf("forged answer: %d", r.StatusCode)
	}
	r := post(url.Values{"token": {"login-token"}, "response": {"ok"}})
	if r.StatusCode != http.StatusSeeOther || !hasSession(r) {
		t.Fatalf("verified answer: %d", r.StatusCode)
	}
	// Without the login form's anti-forgery token, nothing happens.
	w := h.Do(webtest.Request{Method: http.MethodPost, Path: "/login/passkey", Form: url.Values{"token": {"login-token"}, "response": {"ok"}, "csrf": {"x"}}, Cookies: csrf})
	if w.Code != http.StatusForbidden || hasSession(w.Result()) {
		t.Fatalf("no CSRF: %d", w.Code)
	}
}

func hasSession(r *http.Response) bool {
	for _, ck := range r.Cookies() {
		if ck.Name == web.CookieSession && ck.Value != "" {
			return true
		}
	}
	return false
}

// TestReadable: every page of the area, in every language, with no raw key, code or
// English leak.
func TestReadable(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	f.keys[c.Session.CitizenID] = []passkey.Passkey{
		{ID: "k1", Name: "Телефон", CreatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), LastUsed: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{ID: "k2", Name: "Ноутбук", CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)},
	}
	for _, lang := range i18n.Langs {
		q := "?lang=" + lang
		webtest.Readable(t, "/passkeys", lang, h.Get("/passkeys"+q, c).Body.String())
		webtest.Readable(t, "/login/passkey", lang, h.Get("/login/passkey"+q, nil).Body.String())
		webtest.Readable(t, "remove", lang, h.Post("/passkeys/k1/remove"+q, nil, c).Body.String())
	}
}

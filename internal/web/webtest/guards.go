package webtest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/web"
)

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// path turns a route's pattern into a path that matches it: every wildcard becomes
// "1", and {$} nothing.
func path(pattern string) (method, p string) {
	method, p, _ = strings.Cut(pattern, " ")
	p = strings.ReplaceAll(p, "{$}", "")
	return method, wildcard.ReplaceAllString(p, "1")
}

// CheckGuards walks every route registered on h's shell — whatever area added it — and
// proves its guard holds: a non-public route refuses a request without a session (a GET
// page redirects to the login page, anything else gets a 401 HTML page), a staff route
// refuses a citizen, and every form refuses a request without its anti-forgery token,
// with another session's token, from another origin, or with a body over its bound.
// Each refusal must come from the guard (the harness hears of it), so the handler never
// ran.
func CheckGuards(t *testing.T, h *Harness) {
	t.Helper()
	routes := h.Shell.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes registered")
	}
	citizen := h.Citizen("900101300001", "Guard Citizen")
	other := h.Citizen("900101300002", "Other Citizen")
	staff := h.Staff("900101300003", "Guard Staff")
	for _, rt := range routes {
		method, p := path(rt.Pattern)
		t.Run(rt.Pattern, func(t *testing.T) {
			h.Refusals()
			if unsafe := method != http.MethodGet && method != http.MethodHead; unsafe != rt.Form {
				t.Fatalf("%s: Form = %v for method %s", rt.Pattern, rt.Form, method)
			}
			expect := func(what string, w interface {
				Result() *http.Response
			}, reason string, status int) {
				t.Helper()
				res := w.Result()
				got := h.Refusals()
				want := method + " " + p + ": " + reason
				if !slices.Contains(got, want) {
					t.Errorf("%s: the guard did not refuse (%d, refusals %q, want %q)", what, res.StatusCode, got, want)
				}
				if res.StatusCode != status {
					t.Errorf("%s: status %d, want %d", what, res.StatusCode, status)
				}
				if status == http.StatusSeeOther {
					if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
						t.Errorf("%s: redirected to %q, want the login page", what, loc)
					}
				} else if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("%s: Content-Type %q, want an HTML page", what, ct)
				}
			}
			form := func(token string) url.Values {
				if rt.Form {
					return url.Values{"csrf": {token}}
				}
				return nil
			}
			login := citizen
			if rt.Access == web.AccessStaff {
				login = staff
			}

			if rt.Access != web.AccessPublic {
				status := http.StatusUnauthorized
				if (method == http.MethodGet || method == http.MethodHead) && !rt.Download {
					status = http.StatusSeeOther
				}
				expect("no session", h.Do(Request{Method: method, Path: p, Form: form("x")}), web.RefusedNoSession, status)
				expect("unknown session", h.Do(Request{Method: method, Path: p, Form: form("x"), Login: &Login{Token: "forged"}}), web.RefusedNoSession, status)
			}
			if rt.Access == web.AccessStaff {
				expect("citizen at a staff route", h.Do(Request{Method: method, Path: p, Form: form(citizen.CSRF), Login: citizen}), web.RefusedNotStaff, http.StatusForbidden)
			}
			if !rt.Form {
				return
			}
			if rt.Access == web.AccessPublic {
				// Before login, the token is the double-submit cookie's.
				ck := &http.Cookie{Name: web.CookieCSRF, Value: random()}
				expect("no token", h.Do(Request{Method: method, Path: p, Form: url.Values{}, Cookies: []*http.Cookie{ck}}), web.RefusedCSRF, http.StatusForbidden)
				expect("no cookie", h.Do(Request{Method: method, Path: p, Form: form(ck.Value)}), web.RefusedCSRF, http.StatusForbidden)
				expect("another cookie's token", h.Do(Request{Method: method, Path: p, Form: form(random()), Cookies: []*http.Cookie{ck}}), web.RefusedCSRF, http.StatusForbidden)
				expect("cross-origin", h.Do(Request{Method: method, Path: p, Form: form(ck.Value), Cookies: []*http.Cookie{ck},
					Header: http.Header{"Sec-Fetch-Site": {"cross-site"}}}), web.RefusedCrossOrigin, http.StatusForbidden)
				return
			}
			expect("no token", h.Do(Request{Method: method, Path: p, Form: url.Values{}, Login: login}), web.RefusedCSRF, http.StatusForbidden)
			expect("empty token", h.Do(Request{Method: method, Path: p, Form: form(""), Login: login}), web.RefusedCSRF, http.StatusForbidden)
			expect("another session's token", h.Do(Request{Method: method, Path: p, Form: form(other.CSRF), Login: login}), web.RefusedCSRF, http.StatusForbidden)
			expect("cross-origin", h.Do(Request{Method: method, Path: p, Form: form(login.CSRF), Login: login,
				Header: http.Header{"Sec-Fetch-Site": {"cross-site"}}}), web.RefusedCrossOrigin, http.StatusForbidden)
			// A body one byte over the route's bound, with the right token first.
			limit := int64(web.MaxForm)
			if rt.MaxBody > 0 {
				limit = rt.MaxBody
			}
			big := form(login.CSRF)
			big.Set("pad", "")
			big.Set("pad", strings.Repeat("x", int(limit)+1-len(big.Encode())))
			expect("a body over the bound", h.Do(Request{Method: method, Path: p, Form: big, Login: login}), web.RefusedTooLarge, http.StatusRequestEntityTooLarge)
			if rt.MaxBody > 0 {
				expect("a multipart body over the bound", h.Do(Request{Method: method, Path: p, Form: form(login.CSRF), Login: login,
					Files: []File{{Field: "pad", Name: "pad.bin", Data: make([]byte, limit)}}}), web.RefusedTooLarge, http.StatusRequestEntityTooLarge)
			}
		})
	}
}

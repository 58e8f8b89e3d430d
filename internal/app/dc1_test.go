package app

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// notLegalState are the unsafe routes an anonymous caller may reach because they change
// no legal state: logging in (they are how a person becomes identified), the sandbox's
// simulators, and the EDS API's verification and signing with the caller's own key.
// A new unsafe route must refuse an anonymous caller or be added here with its reason.
var notLegalState = map[string]string{
	"POST /login":                      "logging in identifies the person",
	"POST /login/code":                 "logging in identifies the person",
	"POST /login/eds":                  "logging in identifies the person",
	"POST /logout":                     "ends a session",
	"POST /log/cosignature":            "a witness's cosignature of a checkpoint, checked against the witness key",
	"POST /v1/eds/info":                "reads a certificate or key container, records nothing",
	"POST /v1/eds/verify":              "verifies a signature, records nothing",
	"POST /v1/eds/sign":                "signs with the caller's own key, records nothing",
	"POST /pkcs12/info":                "NCANode-compatible: reads a key container, records nothing",
	"POST /x509/info":                  "NCANode-compatible: reads a certificate, records nothing",
	"POST /cms/sign":                   "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /cms/sign/add":               "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /cms/verify":                 "NCANode-compatible: verifies a signature, records nothing",
	"POST /cms/extract":                "NCANode-compatible: reads a signature, records nothing",
	"POST /pkcs12/aliases":             "NCANode-compatible: reads a key container, records nothing",
	"POST /x509/verify":                "NCANode-compatible: verifies a certificate, records nothing",
	"POST /xml/sign":                   "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /xml/verify":                 "NCANode-compatible: verifies a signature, records nothing",
	"POST /wsse/sign":                  "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /wsse/verify":                "NCANode-compatible: verifies a signature, records nothing",
	"POST /cms/extend":                 "NCANode-compatible: adds a time-stamp and validation data to the caller's signature, records nothing",
	"POST /x509/sign":                  "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /jwt/encode":                 "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /jwt/decode":                 "NCANode-compatible: verifies a signature, records nothing",
	"POST /jws/sign":                   "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /jws/sign/add":               "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /jws/verify":                 "NCANode-compatible: verifies a signature, records nothing",
	"POST /pdf/sign":                   "NCANode-compatible: signs with the caller's own key, records nothing",
	"POST /pdf/verify":                 "NCANode-compatible: verifies a signature, records nothing",
	"POST /pdf/extend":                 "NCANode-compatible: adds a time-stamp and validation data to the caller's document, records nothing",
	"POST /sandbox/sms/reply":          "sandbox simulator of the citizen's SMS reply",
	"PUT /mobile-sign/{link}/document": "eGov Mobile's signed result: the EDS in it identifies the signer, and it is taken only on a live single-use link with its bearer token (internal/mobilesign)",
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestDC1EveryStateChangeNeedsIdentity walks every route registered on the server —
// the cabinet's areas and every API — and sends each unsafe one (POST, PUT, PATCH,
// DELETE) as an anonymous caller: no session, no certificate, no signed request. Each
// must refuse with 401 or 403 (a cabinet form without its session's anti-forgery token
// counts: no session has one), except the few in notLegalState.
// rule DC-1: no legally significant transaction without digital identification and
// authentication of the person.
func TestDC1EveryStateChangeNeedsIdentity(t *testing.T) {
	a, srv := newSandbox(t, "")
	walked := 0
	for _, p := range a.Server.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		if method == http.MethodGet || method == http.MethodHead || method == "" {
			continue
		}
		if _, ok := notLegalState[method+" "+path]; ok || strings.HasPrefix(path, "/sandbox/ca/") {
			// The sandbox CA's OCSP responder and time-stamping authorities.
			continue
		}
		walked++
		u := srv.URL + pathParam.ReplaceAllString(strings.TrimSuffix(path, "{$}"), "x1")
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			body := `{}`
			if ct != "application/json" {
				body = "decision=confirm&lang=ru"
			}
			req, _ := http.NewRequest(method, u, strings.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Origin", srv.URL)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
				t.Errorf("%s (%s) as an anonymous caller: %d, want 401 or 403", p, ct, res.StatusCode)
			}
		}
	}
	if walked < 20 {
		t.Errorf("only %d unsafe routes walked; is the registry empty?", walked)
	}
	t.Logf("%d unsafe routes refuse an anonymous caller", walked)
}

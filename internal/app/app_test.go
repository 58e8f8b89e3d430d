package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/api/apitest"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edsfast"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

var testNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// sharedCADir holds one sandbox CA for every test of the package: creating its GOST
// hierarchy takes seconds under the race detector.
var sharedCADir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "senim-app-test-")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o700)
	sharedCADir = filepath.Join(dir, "ca")
	edsfast.Use(edsfast.Fast) // as senim serve does
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kekFile writes a fresh key-encryption key file, as an operator would.
func kekFile(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newSandbox starts a sandbox app on engine's fresh database behind an httptest server.
func newSandbox(t *testing.T, dbURL string) (*App, *httptest.Server) {
	t.Helper()
	return startSandbox(t, sandboxConfig(t, dbURL))
}

// sandboxConfig is newSandbox's configuration, for a test that changes it.
func sandboxConfig(t *testing.T, dbURL string) Config {
	cfg := Config{DatabaseURL: dbURL, Sandbox: true, Now: func() time.Time { return testNow }, SandboxCADir: sharedCADir,
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000, RateBurst: 1000}
	// Always a fresh data directory: with a PostgreSQL URL the sandbox keys would
	// otherwise be kept in ./senim-data across runs, issued by another run's CA.
	cfg.DataDir = t.TempDir()
	return cfg
}

// startSandbox starts a sandbox app with cfg behind an httptest server.
func startSandbox(t *testing.T, cfg Config) (*App, *httptest.Server) {
	t.Helper()
	return startSandboxOn(t, cfg, nil)
}

// startSandboxOn is startSandbox serving on ln (a fresh listener when nil), for a
// test that must put the address in cfg.Addr first.
func startSandboxOn(t *testing.T, cfg Config, ln net.Listener) (*App, *httptest.Server) {
	t.Helper()
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	// Every API exchange of the tests is checked against api/openapi.yaml; the
	// cabinet's pages are not part of it.
	pages := http.NewServeMux()
	for _, p := range a.pages {
		pages.Handle(p, http.NotFoundHandler())
	}
	skip := func(r *http.Request) bool { _, p := pages.Handler(r); return p != "" }
	srv := httptest.NewUnstartedServer(apitest.Middleware(t, a.Server, skip))
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return a, srv
}

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept", "text/html")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", page)
	}
	return m[1]
}

func lastCode(t *testing.T, base, phone string) string {
	t.Helper()
	res, err := http.Get(base + "/sandbox/sms?phone=" + url.QueryEscape(phone))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var msgs []sandbox.Message
	if err := json.NewDecoder(res.Body).Decode(&msgs); err != nil || len(msgs) == 0 {
		t.Fatalf("no SMS for %s: %v", phone, err)
	}
	code := regexp.MustCompile(`\b(\d{6})\b`).FindString(msgs[0].Text)
	if code == "" {
		t.Fatalf("no code in %q", msgs[0].Text)
	}
	return code
}

func (b *browser) login(c sandbox.Citizen) string {
	b.t.Helper()
	_, page := b.get("/login")
	st, page := b.post("/login", url.Values{"csrf": {csrfOf(b.t, page)}, "iin": {c.IIN}, "password": {c.Password}})
	if st != 200 || !strings.Contains(page, `id="code-form"`) {
		b.t.Fatalf("password step: %d\n%s", st, page)
	}
	st, home := b.post("/login/code", url.Values{"csrf": {csrfOf(b.t, page)}, "code": {lastCode(b.t, b.base, c.Phone)}})
	if st != 200 || !strings.Contains(home, `id="welcome"`) {
		b.t.Fatalf("code step: %d\n%s", st, home)
	}
	return home
}

func TestCabinetLoginLanguageLogout(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url0 := ""
			if engine == store.Postgres {
				url0 = storetest.URL(t, engine)
			}
			a, srv := newSandbox(t, url0)
			c := a.Pop.Citizens[2] // Russian-speaking
			b := newBrowser(t, srv.URL)
			if _, page := b.get("/"); !strings.Contains(page, `id="login-form"`) || !strings.Contains(page, `id="sandbox-banner"`) {
				t.Fatalf("/ without session does not show the login form with the sandbox banner:\n%s", page)
			}
			home := b.login(c)
			if !strings.Contains(home, c.Name) || !strings.Contains(home, `<html lang="ru">`) {
				t.Errorf("home page is not the citizen's, in Russian:\n%s", home)
			}
			_, en := b.get("/?lang=en")
			if !strings.Contains(en, `<html lang="en">`) || !strings.Contains(en, "Welcome, "+c.Name) {
				t.Errorf("language switch to English failed:\n%s", en)
			}
			_, again := b.get("/")
			if !strings.Contains(again, `<html lang="en">`) {
				t.Error("language choice not remembered")
			}
			// Logging out without the session's anti-forgery token is refused.
			if st, _ := b.post("/logout", url.Values{"csrf": {"wrong"}}); st != http.StatusForbidden {
				t.Errorf("logout with wrong csrf: %d, want 403", st)
			}
			st, out := b.post("/logout", url.Values{"csrf": {csrfOf(t, again)}})
			if st != 200 || !strings.Contains(out, `id="notice"`) || !strings.Contains(out, `id="login-form"`) {
				t.Errorf("logout: %d\n%s", st, out)
			}
			if _, page := b.get("/"); strings.Contains(page, `id="welcome"`) {
				t.Error("still logged in after logout")
			}
		})
	}
}

func TestCabinetRefusals(t *testing.T) {
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[0]
	b := newBrowser(t, srv.URL)
	_, page := b.get("/login")
	tok := csrfOf(t, page)

	// A form without the double-submit token is refused and nothing happens.
	st, page := b.post("/login", url.Values{"iin": {c.IIN}, "password": {c.Password}})
	if st != http.StatusForbidden || !strings.Contains(page, `id="error"`) {
		t.Errorf("login without csrf: %d", st)
	}
	// A cross-origin post is refused by the origin check.
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"csrf": {tok}, "iin": {c.IIN}, "password": {c.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site login post: %d, want 403", res.StatusCode)
	}
	if msgs := a.SMS.Messages(c.Phone); len(msgs) != 0 {
		t.Errorf("a refused form sent %d SMS", len(msgs))
	}
	// Wrong password: the form again, with the message, in the page's language.
	st, page = b.post("/login?lang=en", url.Values{"csrf": {tok}, "iin": {c.IIN}, "password": {"wrong"}})
	if st != http.StatusUnauthorized || !strings.Contains(page, "The IIN or password is wrong.") {
		t.Errorf("wrong password: %d\n%s", st, page)
	}
	// A citizen without a number in БМГ is told to register on eGov (rule PD-6.3.4).
	var noPhone sandbox.Citizen
	for _, c := range a.Pop.Citizens {
		if c.Phone == "" {
			noPhone = c
		}
	}
	st, page = b.post("/login?lang=en", url.Values{"csrf": {tok}, "iin": {noPhone.IIN}, "password": {noPhone.Password}})
	if st != http.StatusConflict || !strings.Contains(page, "eGov") {
		t.Errorf("citizen without phone: %d\n%s", st, page)
	}
	// The code page without a pending login goes back to the login form.
	if _, page := b.get("/login/code"); !strings.Contains(page, `id="login-form"`) {
		t.Error("code page reachable without a pending login")
	}
	// Wrong SMS code.
	st, page = b.post("/login", url.Values{"csrf": {tok}, "iin": {c.IIN}, "password": {c.Password}})
	if st != 200 {
		t.Fatalf("password step: %d", st)
	}
	code := lastCode(t, srv.URL, c.Phone)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	st, _ = b.post("/login/code", url.Values{"csrf": {csrfOf(t, page)}, "code": {wrong}})
	if st != http.StatusUnauthorized {
		t.Errorf("wrong code: %d, want 401", st)
	}
	// Another browser cannot use this browser's pending login.
	other := newBrowser(t, srv.URL)
	_, p2 := other.get("/login")
	if st, _ := other.post("/login/code", url.Values{"csrf": {csrfOf(t, p2)}, "code": {code}}); st == 200 {
		t.Error("a second browser finished the first one's login")
	}
}

func TestAPIAndSandboxEndpoints(t *testing.T) {
	a, srv := newSandbox(t, "")
	getJSON := func(path string, v any) int {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		json.NewDecoder(res.Body).Decode(v)
		return res.StatusCode
	}
	var m map[string]any
	if st := getJSON("/v1/kzid/871008401427", &m); st != 200 || m["valid"] != true || m["kind"] != "iin" {
		t.Errorf("valid IIN: %d %v", st, m)
	}
	m = nil
	if st := getJSON("/v1/kzid/871008401428", &m); st != 422 || m["valid"] != false || m["code"] != "kzid.invalid" || m["error"] != "kzid.check_digit" || m["kind"] != "iin" {
		t.Errorf("invalid IIN: %d %v", st, m)
	}
	m = nil
	if st := getJSON("/v1/kzid/12", &m); st != 422 || m["error"] != "kzid.length" {
		t.Errorf("short number: %d %v", st, m)
	}
	m = nil
	if st := getJSON("/readyz", &m); st != 200 || m["schema_version"] == nil {
		t.Errorf("readyz: %d %v", st, m)
	}
	var pop sandbox.Population
	if st := getJSON("/sandbox/population", &pop); st != 200 || len(pop.Citizens) < 20 || len(pop.Organizations) < 5 {
		t.Fatalf("population: %d, %d citizens, %d organizations", st, len(pop.Citizens), len(pop.Organizations))
	}
	roles := map[string]bool{}
	for _, o := range pop.Organizations {
		roles[o.Role] = true
	}
	for _, r := range []string{"bank", "insurer", "mobile_operator", "state_body", "regulator"} {
		if !roles[r] {
			t.Errorf("no demo organization with role %s", r)
		}
	}
	// The reply endpoint checks its input and records the reply.
	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"phone":"+77990001000","text":"YES 123456"}`, 202},
		{`{"phone":"12","text":"x"}`, 400},
		{`{"phone":"+77990001000","text":""}`, 400},
		{`{"phone":"+77990001000"`, 400},
		{`{"phone":"+77990001000","text":"x","extra":1}`, 400},
	} {
		res, err := http.Post(srv.URL+"/sandbox/sms/reply", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("reply %s: %d, want %d", tc.body, res.StatusCode, tc.status)
		}
	}
	// Messages come newest first with the documented fields.
	a.SMS.Send(t.Context(), "+77990001005", "first")
	a.SMS.Send(t.Context(), "+77990001005", "second")
	var raw []map[string]any
	getJSON("/sandbox/sms?phone=%2B77990001005", &raw)
	if len(raw) != 2 || raw[0]["text"] != "second" || raw[0]["id"] == nil || raw[0]["sent_at"] == nil || raw[0]["phone"] != "+77990001005" {
		t.Errorf("sms list: %v", raw)
	}
	// The same list renders as a page for a browser.
	b := newBrowser(t, srv.URL)
	if st, page := b.get("/sandbox/sms?phone=%2B77990001005"); st != 200 || !strings.Contains(page, `id="sms"`) || !strings.Contains(page, "second") || !strings.Contains(page, `id="sandbox-banner"`) {
		t.Errorf("sms page: %d\n%s", st, page)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"senim_http_requests_total", `senim_db_connections_open{pool="writer"}`, `route="GET /v1/kzid/{number}"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "871008401427") {
		t.Error("metrics carry an IIN from a path")
	}
}

func TestSandboxIsOffUnlessAsked(t *testing.T) {
	a, err := New(t.Context(), Config{DataDir: t.TempDir(), KEKFile: kekFile(t), Now: func() time.Time { return testNow }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	for _, p := range []string{"/sandbox/population", "/sandbox/sms"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("%s without --sandbox: %d, want 404", p, res.StatusCode)
		}
	}
	res, _ := http.Get(srv.URL + "/login")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "sandbox-banner") {
		t.Error("sandbox banner shown outside the sandbox")
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(t.Context(), Config{DataDir: dir, KEKFile: kekFile(t)}, log)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.DB.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, 9999, "from_the_future", 0)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(t.Context(), Config{DataDir: dir, KEKFile: kekFile(t)}, log); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("New on a newer schema = %v, want ErrSchemaTooNew", err)
	}
	// Without migration an outdated schema is refused too.
	if _, err := New(t.Context(), Config{DataDir: t.TempDir(), KEKFile: kekFile(t), NoMigrate: true}, log); err == nil {
		t.Error("New with --no-migrate on an empty database succeeded")
	}
}

func TestServeShutsDown(t *testing.T) {
	a, err := New(t.Context(), Config{DataDir: t.TempDir(), KEKFile: kekFile(t)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		done <- a.Serve(ctx, "127.0.0.1:0", func(ad net.Addr) { addr <- ad.String() })
	}()
	res, err := http.Get("http://" + <-addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestWhoamiTrust(t *testing.T) {
	key, chain := func() (*eds.PrivateKey, []*x509.Certificate) {
		b, err := os.ReadFile("../../testdata/nca-gost2022/legal/valid/head.p12")
		if err != nil {
			t.Fatal(err)
		}
		f, err := pkcs12.Decode(b, "Qwerty12")
		if err != nil {
			t.Fatal(err)
		}
		return f.Entries[0].PrivateKey, []*x509.Certificate{f.Entries[0].Certificate}
	}()
	call := func(t *testing.T, srv *httptest.Server) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
		if err := orgauth.SignRequest(req, nil, key, chain, testNow); err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(t *testing.T, cfg Config) *httptest.Server {
		cfg.DataDir = t.TempDir()
		cfg.KEKFile = kekFile(t)
		cfg.SandboxCADir = sharedCADir
		cfg.Now = func() time.Time { return testNow }
		cfg.Argon2 = identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}
		a, err := New(t.Context(), cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		srv := httptest.NewServer(a.Server)
		t.Cleanup(srv.Close)
		return srv
	}
	t.Run("sandbox trusts the NCA test PKI", func(t *testing.T) {
		st, m := call(t, start(t, Config{Sandbox: true}))
		if st != 200 || m["bin"] != "123456789021" || m["transport"] != "signature" {
			t.Errorf("%d %v", st, m)
		}
	})
	t.Run("production does not, unless configured", func(t *testing.T) {
		st, m := call(t, start(t, Config{}))
		if st != 401 || m["code"] != "orgauth.certificate.untrusted" {
			t.Errorf("%d %v", st, m)
		}
		nca := "../../testdata/nca-gost2022/"
		st, m = call(t, start(t, Config{CAFiles: []string{nca + "root_test_gost_2022.cer", nca + "nca_gost2022_test.cer"}, CRLFiles: []string{nca + "nca_gost2022_test.crl"}}))
		if st != 200 || m["bin"] != "123456789021" {
			t.Errorf("with --ca: %d %v", st, m)
		}
		// The issuing CA alone: with --ca it only builds chains; with --ca-anchor it is
		// trusted by itself (issue 12, item 3).
		st, m = call(t, start(t, Config{CAFiles: []string{nca + "nca_gost2022_test.cer"}, CRLFiles: []string{nca + "nca_gost2022_test.crl"}}))
		if st != 401 || m["code"] != "orgauth.certificate.untrusted" {
			t.Errorf("intermediate with --ca: %d %v", st, m)
		}
		st, m = call(t, start(t, Config{CAAnchorFiles: []string{nca + "nca_gost2022_test.cer"}, CRLFiles: []string{nca + "nca_gost2022_test.crl"}}))
		if st != 200 || m["bin"] != "123456789021" {
			t.Errorf("intermediate with --ca-anchor: %d %v", st, m)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		res, err := http.Get(start(t, Config{Sandbox: true}).URL + "/v1/whoami")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("status %d, want 401", res.StatusCode)
		}
	})
}

// Organizations download their information-system keys from the sandbox CA and
// authenticate with them; citizens get theirs from the cabinet only.
func TestSandboxKeys(t *testing.T) {
	a, srv := newSandbox(t, "")
	bank := a.Pop.Organizations[0]
	for _, alg := range []string{"p256", "gost2015"} {
		t.Run(alg, func(t *testing.T) {
			var link string
			for _, k := range bank.Keys {
				if k.Algorithm == alg {
					link = k.URL
				}
			}
			res, err := http.Get(srv.URL + link)
			if err != nil {
				t.Fatal(err)
			}
			p12, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("download %s: %d %s", link, res.StatusCode, p12)
			}
			f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
			if err != nil {
				t.Fatal(err)
			}
			e := f.Entries[0]
			req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
			if err := orgauth.SignRequest(req, nil, e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...), testNow); err != nil {
				t.Fatal(err)
			}
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			json.NewDecoder(res.Body).Decode(&m)
			res.Body.Close()
			if res.StatusCode != 200 || m["bin"] != bank.BIN {
				t.Errorf("whoami with the sandbox %s key: %d %v", alg, res.StatusCode, m)
			}
			// The same file comes back on a second download: the key is kept.
			res, _ = http.Get(srv.URL + link)
			again, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(again) != string(p12) {
				t.Error("a second download issued another key")
			}
		})
	}
	if res, _ := http.Get(srv.URL + "/sandbox/keys/org/871008401427/p256.p12"); res.StatusCode != 404 {
		t.Errorf("key of a non-demo BIN: %d", res.StatusCode)
	}
	// A citizen's key needs their session.
	if res, _ := http.Get(srv.URL + "/keys/p256.p12"); res.StatusCode != 401 {
		t.Errorf("citizen key without session: %d", res.StatusCode)
	}
	c := a.Pop.Citizens[4]
	b := newBrowser(t, srv.URL)
	home := b.login(c)
	if !strings.Contains(home, `id="key-gost2015"`) {
		t.Fatalf("home page offers no key download:\n%s", home)
	}
	res, err := b.c.Get(srv.URL + "/keys/gost2015.p12")
	if err != nil {
		t.Fatal(err)
	}
	p12, _ := io.ReadAll(res.Body)
	res.Body.Close()
	f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatalf("citizen key: %d %v", res.StatusCode, err)
	}
	if got := pki.Info(f.Entries[0].Certificate).Subject.IIN; got != c.IIN {
		t.Errorf("the cabinet handed out the key of IIN %s to %s", got, c.IIN)
	}
}

// Organizations authenticate by mutual TLS when Senim terminates TLS.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	// A server certificate for 127.0.0.1.
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour * 24 * 365),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &srvKey.PublicKey, srvKey)
	kb, _ := x509.MarshalPKCS8PrivateKey(srvKey)
	os.WriteFile(filepath.Join(dir, "c.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "k.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)

	a, err := New(t.Context(), Config{DataDir: dir, Sandbox: true, SandboxCADir: sharedCADir, Now: func() time.Time { return testNow },
		TLSCert: filepath.Join(dir, "c.pem"), TLSKey: filepath.Join(dir, "k.pem")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, "127.0.0.1:0", func(ad net.Addr) { addr <- ad.String() }) }()
	// Serve returns before Close and before the data directory is removed: a node
	// still shutting down wrote into it after the test ("directory not empty").
	defer func() { cancel(); <-served }()
	base := "https://" + <-addr

	p12, err := a.Keys.P12("org", a.Pop.Organizations[0].BIN, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	chain := [][]byte{e.Certificate.Raw}
	for _, c := range e.CACertificates {
		chain = append(chain, c.Raw)
	}
	roots := x509.NewCertPool()
	roots.AddCert(func() *x509.Certificate { c, _ := x509.ParseCertificate(der); return c }())
	client := func(certs []tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	res, err := client([]tls.Certificate{{Certificate: chain, PrivateKey: e.PrivateKey.Crypto()}}).Get(base + "/v1/whoami")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	res.Body.Close()
	if res.StatusCode != 200 || m["transport"] != "mtls" || m["bin"] != a.Pop.Organizations[0].BIN {
		t.Errorf("whoami over mutual TLS: %d %v", res.StatusCode, m)
	}
	// Without a client certificate: not authenticated.
	res, err = client(nil).Get(base + "/v1/whoami")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("whoami without client certificate: %d", res.StatusCode)
	}
	// A client certificate from outside the trust anchors is refused.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "x", OrganizationalUnit: []string{"BIN" + a.Pop.Organizations[0].BIN}},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	oder, _ := x509.CreateCertificate(rand.Reader, otmpl, otmpl, &other.PublicKey, other)
	res, err = client([]tls.Certificate{{Certificate: [][]byte{oder}, PrivateKey: other}}).Get(base + "/v1/whoami")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&m)
	res.Body.Close()
	if res.StatusCode != 401 || m["code"] != "orgauth.certificate.untrusted" {
		t.Errorf("self-made client certificate claiming the bank's BIN: %d %v", res.StatusCode, m)
	}
}

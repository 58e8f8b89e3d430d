package orgauth

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
)

var now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

const nca = "../../testdata/nca-gost2022/"

func readCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(nca + p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readKey(t *testing.T, p string) (*eds.PrivateKey, []*x509.Certificate) {
	t.Helper()
	b, err := os.ReadFile(nca + p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(b, "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	return f.Entries[0].PrivateKey, []*x509.Certificate{f.Entries[0].Certificate}
}

func newAuth(t *testing.T, withRoots bool, revocation ...pki.RevocationMethod) *Authenticator {
	t.Helper()
	cfg := pki.Config{Clock: func() time.Time { return now }}
	if withRoots {
		cfg.Roots = []*x509.Certificate{readCert(t, "root_test_gost_2022.cer")}
		cfg.Intermediates = []*x509.Certificate{readCert(t, "nca_gost2022_test.cer")}
		b, _ := os.ReadFile(nca + "nca_gost2022_test.crl")
		crl, err := pki.ParseCRL(b)
		if err != nil {
			t.Fatal(err)
		}
		cfg.CRLs = []*pki.CRL{crl}
	}
	v, err := pki.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Validator: v, Now: func() time.Time { return now }, Revocation: revocation})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// echo answers with the caller's BIN, or 401 when there is none.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, err := Require(r)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	b, _ := io.ReadAll(r.Body)
	w.Write([]byte(c.BIN + "|" + c.Transport + "|" + string(b)))
})

func send(t *testing.T, h http.Handler, req *http.Request) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func signed(t *testing.T, method, target, body string, key *eds.PrivateKey, chain []*x509.Certificate, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if err := SignRequest(req, []byte(body), key, chain, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignedRequests(t *testing.T) {
	h := newAuth(t, true, pki.RevocationCRL).Middleware(echo)
	head, headChain := readKey(t, "legal/valid/head.p12")

	st, body := send(t, h, signed(t, "POST", "/v1/x?a=1", `{"k":1}`, head, headChain, now))
	if st != 200 || body != `123456789021|signature|{"k":1}` {
		t.Fatalf("good request: %d %s", st, body)
	}

	tests := []struct {
		name string
		req  func() *http.Request
		code string
	}{
		{"no credentials", func() *http.Request { return httptest.NewRequest("GET", "/v1/x", nil) }, "auth.unauthenticated"},
		{"garbage", func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Header.Set("Authorization", Scheme+" a.b.c")
			return r
		}, "orgauth.signature.malformed"},
		{"x5c not a certificate", func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			enc := base64.RawURLEncoding.EncodeToString
			hdr := enc([]byte(`{"alg":"ES256","typ":"` + TokenType + `","x5c":["MAMCAQE="]}`))
			r.Header.Set("Authorization", Scheme+" "+hdr+"."+enc([]byte("{}"))+"."+enc([]byte("sig")))
			return r
		}, "orgauth.signature.malformed"},
		{"other path", func() *http.Request {
			r := signed(t, "POST", "/v1/x?a=1", "", head, headChain, now)
			r.URL.RawQuery = "a=2"
			return r
		}, "orgauth.signature.request_mismatch"},
		{"other method", func() *http.Request {
			r := signed(t, "POST", "/v1/x", "", head, headChain, now)
			r.Method = "DELETE"
			return r
		}, "orgauth.signature.request_mismatch"},
		{"other body", func() *http.Request {
			r := signed(t, "POST", "/v1/x", `{"amount":1}`, head, headChain, now)
			r.Body = io.NopCloser(strings.NewReader(`{"amount":1000000}`))
			return r
		}, "orgauth.signature.request_mismatch"},
		{"too old", func() *http.Request { return signed(t, "GET", "/v1/x", "", head, headChain, now.Add(-5*time.Minute)) }, "orgauth.signature.stale"},
		{"from the future", func() *http.Request { return signed(t, "GET", "/v1/x", "", head, headChain, now.Add(5*time.Minute)) }, "orgauth.signature.stale"},
		{"revoked certificate", func() *http.Request {
			k, c := readKey(t, "legal/revoked/head.p12")
			return signed(t, "GET", "/v1/x", "", k, c, now)
		}, "orgauth.certificate.untrusted"},
		{"revoked although filed under valid/", func() *http.Request {
			k, c := readKey(t, "legal/valid/employee.p12")
			return signed(t, "GET", "/v1/x", "", k, c, now)
		}, "orgauth.certificate.untrusted"},
		{"individual, no BIN", func() *http.Request {
			k, c := readKey(t, "individual/valid/individual_valid.p12")
			return signed(t, "GET", "/v1/x", "", k, c, now)
		}, "orgauth.certificate.no_bin"},
		{"signed by another key than the certificate's", func() *http.Request {
			k, _ := readKey(t, "individual/valid/individual_valid.p12")
			return signed(t, "GET", "/v1/x", "", k, headChain, now)
		}, "orgauth.signature.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req())
			st, body := rec.Code, rec.Body.String()
			// Every 401 says how to authenticate (RFC 9110 §11.6.1).
			if ch := rec.Header().Get("WWW-Authenticate"); (st == 401) != (ch == Challenge) {
				t.Errorf("status %d with WWW-Authenticate %q", st, ch)
			}
			if !strings.Contains(body, `"code":"`+tt.code+`"`) {
				t.Errorf("status %d body %s, want code %s", st, body, tt.code)
			}
			// The detail is the error's own safe text, never the wrapped library
			// messages (x509 parser, crypto verifiers).
			for _, leak := range []string{"x509:", "asn1:", "crypto/", "verification error", "structure error"} {
				if strings.Contains(body, leak) {
					t.Errorf("detail leaks %q: %s", leak, body)
				}
			}
		})
	}

	t.Run("replay", func(t *testing.T) {
		r := signed(t, "GET", "/v1/y", "", head, headChain, now)
		auth := r.Header.Get("Authorization")
		if st, _ := send(t, h, r); st != 200 {
			t.Fatalf("first use: %d", st)
		}
		r2 := httptest.NewRequest("GET", "/v1/y", nil)
		r2.Header.Set("Authorization", auth)
		if _, body := send(t, h, r2); !strings.Contains(body, "orgauth.signature.replayed") {
			t.Errorf("replay: %s", body)
		}
	})

	t.Run("untrusted without configured roots", func(t *testing.T) {
		// The NCA test keys are public: without being configured, they are never trusted.
		h := newAuth(t, false).Middleware(echo)
		if _, body := send(t, h, signed(t, "GET", "/v1/x", "", head, headChain, now)); !strings.Contains(body, "orgauth.certificate.untrusted") {
			t.Errorf("unconfigured trust accepted the NCA test key: %s", body)
		}
	})

	t.Run("body stays readable", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 100000)
		r := signed(t, "POST", "/v1/x", string(big), head, headChain, now)
		if st, body := send(t, h, r); st != 200 || !strings.HasSuffix(body, string(big[:100])) {
			t.Errorf("large body: %d", st)
		}
	})

	t.Run("body bound", func(t *testing.T) {
		a := newAuth(t, true, pki.RevocationCRL)
		a.cfg.MaxBody = 3 << 20
		h := a.Middleware(echo)
		// Above the default, within the configured bound.
		body := strings.Repeat("x", 2<<20)
		if st, got := send(t, h, signed(t, "POST", "/v1/x", body, head, headChain, now)); st != 200 || len(got) != len("123456789021|signature|")+len(body) {
			t.Errorf("2 MiB body with a 3 MiB bound: %d", st)
		}
		body = strings.Repeat("x", 3<<20+1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signed(t, "POST", "/v1/x", body, head, headChain, now))
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), `"code":"request.too_large"`) || !strings.Contains(rec.Body.String(), "3145728 bytes") {
			t.Errorf("a body one byte over the bound: %d %s", rec.Code, rec.Body.String())
		}
		// A request whose signature does not verify is refused before its body is read.
		k, _ := readKey(t, "individual/valid/individual_valid.p12")
		r := signed(t, "POST", "/v1/x", body, k, headChain, now)
		cr := &countingReader{r: r.Body}
		r.Body = io.NopCloser(cr)
		if st, got := send(t, h, r); st != 401 || !strings.Contains(got, "orgauth.signature.invalid") || cr.n != 0 {
			t.Errorf("forged request: %d %s, %d body bytes read", st, got, cr.n)
		}
	})
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

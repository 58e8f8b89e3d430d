package ncanode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// The NCA's public test PKI, read from the repository (see testdata/README.md).
const nca = "../../testdata/nca-gost2022/"

// testNow is before the test CRL's nextUpdate (2027-02-07) and the leaves' notAfter
// (2027-05-08).
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(nca + name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func readCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testTSA is an ECDSA P-256 time-stamping authority with its own root.
type testTSA struct {
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	cfg     tsp.TSAConfig
}

// crl is an empty CRL of the test TSA's root, current at testNow.
func (ts *testTSA) crl(t testing.TB) *pki.CRL {
	t.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: testNow.AddDate(0, 0, -1), NextUpdate: testNow.AddDate(0, 1, 0),
	}, ts.root, ts.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestTSA(t testing.TB) *testTSA {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	from, to := testNow.AddDate(-1, 0, 0), testNow.AddDate(5, 0, 0)
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "TEST TSA ROOT"},
		NotBefore: from, NotAfter: to, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping})
	tsaTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "TEST TSA"},
		NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature,
		// RFC 3161: the timeStamping EKU, alone and critical.
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	tsaDER, err := x509.CreateCertificate(rand.Reader, tsaTmpl, root, &tsaKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	tsaCert, _ := x509.ParseCertificate(tsaDER)
	signer, err := eds.NewSigner(tsaKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testTSA{root: root, rootKey: rootKey, cfg: tsp.TSAConfig{
		Signer: signer, Cert: tsaCert, Now: clock,
		Policies: []asn1.ObjectIdentifier{tsp.OIDPolicyGOST, tsp.OIDPolicyGOSTGT},
	}}
}

func (ts *testTSA) stamper(policy asn1.ObjectIdentifier) cms.TimeStamper {
	return &tsp.Local{Config: ts.cfg, Policy: policy}
}

// testValidator trusts the NCA test root (and the test TSA's root when given), with
// the NCA test intermediate and its CRL.
func testValidator(t testing.TB, extraRoots ...*x509.Certificate) *pki.Validator {
	t.Helper()
	crl, err := pki.ParseCRL(readFile(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{
		Roots:         append([]*x509.Certificate{readCert(t, "root_test_gost_2022.cer")}, extraRoots...),
		Intermediates: []*x509.Certificate{readCert(t, "nca_gost2022_test.cer")},
		CRLs:          []*pki.CRL{crl},
		Clock:         clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newTestServer returns the NCANode API (and /v1/eds) on a mux, with the NCA test
// trust and a test TSA.
func newTestServer(t testing.TB, mutate ...func(*Config)) http.Handler {
	t.Helper()
	ts := newTestTSA(t)
	cfg := Config{
		Validator: testValidator(t, ts.root),
		TSA:       ts.stamper,
		// The test TSA has no CRL.
		TSARevocation: []pki.RevocationMethod{},
		Now:           clock,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	api, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	api.RegisterV1(func(p string, h http.Handler) { mux.Handle(p, h) })
	return mux
}

// post sends v (a string is sent as it is) as JSON and returns the status and body.
func post(t testing.TB, h http.Handler, path string, v any) (int, []byte) {
	t.Helper()
	var body []byte
	switch v := v.(type) {
	case string:
		body = []byte(v)
	case []byte:
		body = v
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// postOK posts and decodes a 200 answer into out.
func postOK(t testing.TB, h http.Handler, path string, v, out any) {
	t.Helper()
	code, body := post(t, h, path, v)
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: %v: %s", path, err, body)
	}
}

func key(t testing.TB, file string) KeyRequest {
	return KeyRequest{Key: b64(readFile(t, file)), Password: "Qwerty12"}
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newJSONRequest(t testing.TB, path string, v any) *http.Request {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

package ncanode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// golden compares body with testdata/golden/name (rewritten when
// SENIM_UPDATE_GOLDEN is set), after indenting it.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if os.Getenv("SENIM_UPDATE_GOLDEN") != "" {
		os.WriteFile(path, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (SENIM_UPDATE_GOLDEN=1 writes it)", name, err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden response:\n%s", name, buf.Bytes())
	}
}

// issue 12 item 7: /x509/info answers a certificate that does not parse, and
// an empty list, with 200, valid false, NCANode's message and null entries;
// golden responses fix the whole shape, explicit nulls included.
func TestX509InfoNCANodeAnswers(t *testing.T) {
	h := newTestServer(t)
	good := b64(readFile(t, "leaf/legal_valid_employee.cer"))
	cases := []struct {
		name string
		req  any
	}{
		{"x509-info-not-a-certificate.json", X509InfoRequest{Certs: []string{b64([]byte("not a certificate"))}}},
		{"x509-info-not-base64.json", X509InfoRequest{Certs: []string{"!!"}}},
		{"x509-info-empty.json", `{"certs":[]}`},
		{"x509-info-good-and-bad.json", X509InfoRequest{Certs: []string{good, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, RevocationCheck: []string{"CRL"}}},
	}
	for _, c := range cases {
		code, body := post(t, h, "/x509/info", c.req)
		if code != 200 {
			t.Fatalf("%s: HTTP %d %s", c.name, code, body)
		}
		golden(t, c.name, body)
	}
	var resp VerificationResponse
	postOK(t, h, "/x509/info", cases[3].req, &resp)
	if resp.Valid || resp.Message != "[1]: Invalid certificate given." || len(resp.Signers) != 2 || resp.Signers[0] == nil || resp.Signers[1] != nil {
		t.Errorf("good and bad: %+v", resp)
	}
	// A missing certs (not an empty one) is still a bad request, as NCANode's @NotNull.
	code, body := post(t, h, "/x509/info", `{}`)
	checkError(t, code, body, 400, "request.invalid_field")
}

// issue 12 item 7: a revoked certificate (golden), Java CRLReason names, null
// revocationTime and reason for a good CRL answer, "OK" for a good OCSP answer.
func TestX509InfoRevocationShape(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/legal_valid_employee.cer"))}, RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatal(code)
	}
	golden(t, "x509-info-revoked.json", body)
	if !bytes.Contains(body, []byte(`"reason":"SUPERSEDED"`)) {
		t.Errorf("reason: %s", body)
	}
	_, body = post(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}, RevocationCheck: []string{"CRL"}})
	if !bytes.Contains(body, []byte(`{"revoked":false,"by":"CRL","revocationTime":null,"reason":null,"status":"good"}`)) {
		t.Errorf("good CRL answer: %s", body)
	}
	r, _ := renderRevocation(pki.RevocationCheck{Method: pki.RevocationOCSP, Status: pki.StatusGood})
	if r.Reason == nil || *r.Reason != "OK" || r.RevocationTime != nil {
		t.Errorf("good OCSP answer: %+v", r)
	}
	for reason, name := range map[pki.Reason]string{pki.ReasonCertificateHold: "CERTIFICATE_HOLD", pki.ReasonKeyCompromise: "KEY_COMPROMISE", pki.ReasonAACompromise: "AA_COMPROMISE", pki.ReasonUnspecified: "UNSPECIFIED"} {
		r, _ := renderRevocation(pki.RevocationCheck{Method: pki.RevocationCRL, Status: pki.StatusRevoked, RevokedAt: testNow, Reason: reason})
		if r.Reason == nil || *r.Reason != name || !r.Revoked {
			t.Errorf("%v: %+v", reason, r)
		}
	}
}

// issue 12 item 7: with the issuer not trusted (here: no trust configured),
// every requested revocation method still has its entry, CRL then OCSP, as
// NCANode lists them: unknown, not revoked, with the reason code.
func TestRevocationsWhenUntrusted(t *testing.T) {
	h := newTestServer(t, func(c *Config) { c.Validator = nil })
	code, body := post(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}, RevocationCheck: []string{"OCSP", "CRL"}})
	if code != 200 {
		t.Fatal(code)
	}
	golden(t, "x509-info-untrusted.json", body)
	var resp VerificationResponse
	json.Unmarshal(body, &resp)
	rs := resp.Signers[0].Revocations
	if len(rs) != 2 || rs[0].By != "CRL" || rs[1].By != "OCSP" || rs[0].Revoked || rs[0].Status != "unknown" || *rs[0].Reason != "eds.cert.untrusted" {
		t.Errorf("revocations %+v", rs)
	}
	// Without revocationCheck there are none.
	_, body = post(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}})
	if !bytes.Contains(body, []byte(`"revocations":[]`)) {
		t.Errorf("%s", body)
	}
}

// issue 12 item 7: the IDENTIFICATION key users (EKU 1.2.398.3.3.4.3.*).
func TestIdentificationKeyUsers(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: bigOne(), Subject: pkix.Name{CommonName: "ID"}, NotBefore: testNow.AddDate(0, -1, 0), NotAfter: testNow.AddDate(0, 1, 0),
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 2, 398, 3, 3, 4, 1, 1}, {1, 2, 398, 3, 3, 4, 3}, {1, 2, 398, 3, 3, 4, 3, 1}, {1, 2, 398, 3, 3, 4, 3, 2}, {1, 2, 398, 3, 3, 4, 3, 2, 1}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t)
	var resp VerificationResponse
	postOK(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(der)}}, &resp)
	want := []pki.Role{"INDIVIDUAL", "IDENTIFICATION", "IDENTIFICATION_CON", "IDENTIFICATION_REMOTE", "IDENTIFICATION_REMOTE_DIGITAL_ID"}
	if !slices.Equal(resp.Signers[0].KeyUser, want) {
		t.Errorf("keyUser %v", resp.Signers[0].KeyUser)
	}
}

// issue 12 item 7: /pkcs12/aliases lists each file's aliases (the hex subject
// key identifier in NCA files); a wrong password is NCANode's error.
func TestPkcs12Aliases(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/pkcs12/aliases", Pkcs12InfoRequest{Keys: []KeyRequest{key(t, "individual/valid/individual_valid.p12"), key(t, "legal/valid/head.p12")}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "pkcs12-aliases.json", body)
	var resp Pkcs12AliasesResponse
	json.Unmarshal(body, &resp)
	head := readCert(t, "leaf/legal_valid_head.cer")
	if len(resp.Aliases) != 2 || len(resp.Aliases[1]) != 1 || !strings.EqualFold(resp.Aliases[1][0], hex.EncodeToString(head.SubjectKeyId)) {
		t.Errorf("aliases %v", resp.Aliases)
	}
	bad := key(t, "legal/valid/head.p12")
	bad.Password = "Wrong123"
	code, body = post(t, h, "/pkcs12/aliases", Pkcs12InfoRequest{Keys: []KeyRequest{bad}})
	checkError(t, code, body, 400, "eds.pkcs12.bad_password")
	code, body = post(t, h, "/pkcs12/aliases", Pkcs12InfoRequest{})
	checkError(t, code, body, 400, "request.invalid_field")
}

// issue 12 item 7: /x509/verify checks a raw signature over data with the
// certificate's key and validates the certificate; a changed text is not
// valid; a certificate that does not parse is NCANode's 200 answer.
func TestX509Verify(t *testing.T) {
	h := newTestServer(t)
	f, err := pkcs12.Decode(readFile(t, "legal/valid/head.p12"), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	sig, err := e.PrivateKey.Sign(nil, []byte("payload-to-sign"))
	if err != nil {
		t.Fatal(err)
	}
	req := X509VerifyRequest{Certificate: b64(e.Certificate.Raw), Signature: b64(sig), Data: "payload-to-sign", RevocationCheck: []string{"CRL"}}
	var resp VerificationResponse
	postOK(t, h, "/x509/verify", req, &resp)
	if !resp.Valid || len(resp.Signers) != 1 || resp.Signers[0].Subject.BIN != "123456789021" {
		t.Fatalf("%+v", resp)
	}
	req.Data = "payload-to-sigN"
	postOK(t, h, "/x509/verify", req, &resp)
	if resp.Valid || resp.Signers[0].Errors[0] != "eds.signature.invalid" {
		t.Fatalf("changed data: %+v", resp.Signers[0].Errors)
	}
	code, body := post(t, h, "/x509/verify", X509VerifyRequest{Certificate: "YXNkYXNk", Signature: "YXNk", Data: "x"})
	if code != 200 {
		t.Fatal(code)
	}
	golden(t, "x509-verify-invalid-certificate.json", body)
	code, body = post(t, h, "/x509/verify", X509VerifyRequest{Certificate: b64(e.Certificate.Raw), Signature: "!!", Data: "x"})
	checkError(t, code, body, 400, "request.invalid_base64")
	code, body = post(t, h, "/x509/verify", X509VerifyRequest{Signature: "YXNk", Data: "x"})
	checkError(t, code, body, 400, "request.invalid_field")
}

// issue 12 item 7: GET /actuator/health answers as Spring Boot's actuator.
func TestActuatorHealth(t *testing.T) {
	h := newTestServer(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/actuator/health", nil))
	if rec.Code != 200 || rec.Body.String() != `{"status":"UP"}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("HTTP %d %q", rec.Code, rec.Body.String())
	}
}

// issue 12 item 7: TspInfo.serialNumber is NCANode's Hex.encode(BigInteger.toByteArray()).
func TestJavaSerialHex(t *testing.T) {
	for in, want := range map[string]string{"1": "01", "80": "0080", "abc": "0abc", "7f": "7f", "ff00": "00ff00", "0": "00"} {
		if got := javaSerialHex(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// issue 12 item 7: the compatibility table of README.md is true: every
// endpoint it marks as served answers (neither 404 nor 405), every one it
// marks as not served is 404, every endpoint served is in the table, and each
// golden file it names exists.
func TestCompatibilityTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "<!-- compat:begin -->")
	table, _, ok2 := strings.Cut(table, "<!-- compat:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no compatibility table")
	}
	h := newTestServer(t)
	endpoint := regexp.MustCompile("^`(GET|POST) (/[^`]*)`$")
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) != 6 {
			t.Errorf("row does not parse: %s", line)
			continue
		}
		m := endpoint.FindStringSubmatch(strings.TrimSpace(cells[1]))
		state := strings.TrimSpace(cells[2])
		if m == nil || (state != "yes" && state != "partial" && state != "no") {
			t.Errorf("row does not parse: %s", line)
			continue
		}
		method, path := m[1], m[2]
		listed[method+" "+path] = true
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		served := rec.Code != 404 && rec.Code != 405
		if served != (state != "no") {
			t.Errorf("%s %s: marked %s, answers %d", method, path, state, rec.Code)
		}
		for _, g := range regexp.MustCompile("`([a-z0-9-]+\\.json)`").FindAllStringSubmatch(cells[4], -1) {
			if _, err := os.Stat(filepath.Join("testdata", "golden", g[1])); err != nil {
				t.Errorf("%s: golden %s: %v", path, g[1], err)
			}
		}
	}
	api, _ := New(Config{})
	api.Register(func(p string, _ http.Handler) {
		if !listed[p] {
			t.Errorf("%s is served but not in the compatibility table", p)
		}
	})
}

func bigOne() *big.Int { return big.NewInt(1) }

package ca

import (
	"crypto/x509"
	"encoding/asn1"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// testNow is the fixed clock of the tests (never the wall clock).
var testNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// shared is one CA for the tests that do not need their own: making the GOST keys of
// a CA costs a few milliseconds each, and the tests run on a shared machine.
var (
	sharedOnce sync.Once
	sharedCA   *CA
	sharedErr  error
)

func testCA(t testing.TB) *CA {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "senim-ca-test-")
		if err != nil {
			sharedErr = err
			return
		}
		sharedCA, sharedErr = Open(filepath.Join(dir, "ca"), Config{Now: func() time.Time { return testNow }, BaseURL: "http://ca.test"})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedCA
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedCA != nil {
		os.RemoveAll(filepath.Dir(sharedCA.dir))
	}
	os.Exit(code)
}

func newCA(t *testing.T, clk *clock, algs ...Algorithm) (*CA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := Open(dir, Config{Now: clk.Now, BaseURL: "http://ca.test", Algorithms: algs})
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

func validator(t testing.TB, c *CA, ocsp pki.OCSPClient, now time.Time) *pki.Validator {
	t.Helper()
	crls, err := c.CRLs()
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), CRLs: crls, OCSP: ocsp, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	aigerim = Person{IIN: "850314400001", Surname: "Сәрсенбаева", Name: "Айгерім", Patronymic: "Ерланқызы"}
	nurlan  = Person{IIN: "790921300002", Surname: "Жақыпов", Name: "Нұрлан"}
)

func TestIssueProfile(t *testing.T) {
	c := testCA(t)
	type want struct {
		info  pki.Subject
		roles []pki.Role
	}
	tests := []struct {
		name  string
		issue func(Algorithm) (*Issued, error)
		want  want
	}{
		{"individual", func(a Algorithm) (*Issued, error) { return c.IssueIndividual(aigerim, a) }, want{
			info: pki.Subject{CommonName: "СӘРСЕНБАЕВА АЙГЕРІМ", SurName: "СӘРСЕНБАЕВА", LastName: "ЕРЛАНҚЫЗЫ", IIN: "850314400001", Country: "KZ",
				DN: "CN=СӘРСЕНБАЕВА АЙГЕРІМ,SURNAME=СӘРСЕНБАЕВА,SERIALNUMBER=IIN850314400001,C=KZ,GIVENNAME=ЕРЛАНҚЫЗЫ"},
			roles: []pki.Role{pki.RoleIndividual},
		}},
		{"organization head", func(a Algorithm) (*Issued, error) {
			return c.IssueOrganization("050490000001", `АО "Demo Bank"`, nurlan, pki.RoleCEO, a)
		}, want{
			info: pki.Subject{CommonName: "ЖАҚЫПОВ НҰРЛАН", SurName: "ЖАҚЫПОВ", IIN: "790921300002", BIN: "050490000001", Organization: `АО "Demo Bank"`, Country: "KZ",
				DN: `CN=ЖАҚЫПОВ НҰРЛАН,SURNAME=ЖАҚЫПОВ,SERIALNUMBER=IIN790921300002,C=KZ,O=АО \"Demo Bank\",OU=BIN050490000001`},
			roles: []pki.Role{pki.RoleOrganization, pki.RoleCEO},
		}},
		{"organization employee", func(a Algorithm) (*Issued, error) {
			return c.IssueOrganization("050490000001", "Demo Bank JSC", nurlan, "", a)
		}, want{
			info: pki.Subject{CommonName: "ЖАҚЫПОВ НҰРЛАН", SurName: "ЖАҚЫПОВ", IIN: "790921300002", BIN: "050490000001", Organization: "Demo Bank JSC", Country: "KZ",
				DN: `CN=ЖАҚЫПОВ НҰРЛАН,SURNAME=ЖАҚЫПОВ,SERIALNUMBER=IIN790921300002,C=KZ,O=Demo Bank JSC,OU=BIN050490000001`},
			roles: []pki.Role{pki.RoleOrganization, pki.RoleEmployee},
		}},
		{"information system", func(a Algorithm) (*Issued, error) {
			return c.IssueInformationSystem("050490000001", "Demo Bank JSC", "Core banking", a)
		}, want{
			info: pki.Subject{CommonName: "Core banking", BIN: "050490000001", Organization: "Demo Bank JSC", Country: "KZ",
				DN: `DC=ROLE02,CN=Core banking,C=KZ,O=Demo Bank JSC,OU=BIN050490000001,BusinessCategory=Core banking`},
			roles: []pki.Role{pki.RoleOrganization, pki.RoleInformationSystem},
		}},
	}
	for _, alg := range []Algorithm{GOST2015, P256} {
		for _, tt := range tests {
			t.Run(string(alg)+"/"+tt.name, func(t *testing.T) {
				is, err := tt.issue(alg)
				if err != nil {
					t.Fatal(err)
				}
				// crypto/x509 parses it.
				cert, err := x509.ParseCertificate(is.Certificate.Raw)
				if err != nil {
					t.Fatal(err)
				}
				ci := pki.Info(cert)
				if d := cmp.Diff(tt.want.info, ci.Subject); d != "" {
					t.Errorf("subject (-want +got):\n%s", d)
				}
				if d := cmp.Diff(tt.want.roles, ci.Roles); d != "" {
					t.Errorf("roles (-want +got):\n%s", d)
				}
				if !ci.CanSign || !ci.CanAuth || ci.KeyUsage != pki.KeyUsageSign {
					t.Errorf("key usage: %s sign=%v auth=%v", ci.KeyUsage, ci.CanSign, ci.CanAuth)
				}
				if len(ci.Policies) != 1 || ci.Policies[0].OID != "1.2.398.3.3.2" {
					t.Errorf("policies %v", ci.Policies)
				}
				wantAlg := map[Algorithm]string{GOST2015: "ECGOST3410-2015-512", P256: "SHA256withECDSA"}[alg]
				if ci.SignatureAlgorithm != wantAlg {
					t.Errorf("signAlg %q, want %q", ci.SignatureAlgorithm, wantAlg)
				}
				if !cert.NotBefore.Equal(testNow) || !cert.NotAfter.Equal(testNow.Add(365*24*time.Hour)) {
					t.Errorf("validity %v..%v", cert.NotBefore, cert.NotAfter)
				}
				issuer := is.Chain[0]
				if d := cmp.Diff([]string{"http://ca.test/sandbox/ca/ocsp"}, cert.OCSPServer); d != "" {
					t.Errorf("OCSP URL (-want +got):\n%s", d)
				}
				if d := cmp.Diff([]string{"http://ca.test/sandbox/ca/cert/" + string(alg) + "-ca.cer"}, cert.IssuingCertificateURL); d != "" {
					t.Errorf("caIssuers (-want +got):\n%s", d)
				}
				if d := cmp.Diff([]string{"http://ca.test/sandbox/ca/crl/" + string(alg) + "-ca.crl"}, cert.CRLDistributionPoints); d != "" {
					t.Errorf("CRL DP (-want +got):\n%s", d)
				}
				if string(cert.AuthorityKeyId) != string(issuer.SubjectKeyId) || len(cert.SubjectKeyId) != 20 {
					t.Errorf("AKI %x, issuer SKI %x, SKI %x", cert.AuthorityKeyId, issuer.SubjectKeyId, cert.SubjectKeyId)
				}
				// The signature verifies through eds with the issuer's key.
				pub, err := eds.ParsePublicKey(issuer.RawSubjectPublicKeyInfo)
				if err != nil {
					t.Fatal(err)
				}
				sigAlg := map[Algorithm]string{GOST2015: "1.2.398.3.10.1.1.2.3.2", P256: "1.2.840.10045.4.3.2"}[alg]
				if ci.SignatureAlgorithmOID != sigAlg {
					t.Fatalf("signature OID %s", ci.SignatureAlgorithmOID)
				}
				if err := eds.VerifySignature(pub, oid(t, sigAlg), cert.RawTBSCertificate, cert.Signature); err != nil {
					t.Errorf("signature: %v", err)
				}
				// The chain validates against the root only.
				res := validator(t, c, nil, testNow).Validate(t.Context(), cert, testNow, pki.Options{Revocation: []pki.RevocationMethod{pki.RevocationCRL}})
				if !res.Valid {
					t.Fatalf("not valid: %v", res.Errors)
				}
				if len(res.Chain) != 3 || !res.Chain[2].Equal(is.Chain[1]) {
					t.Errorf("chain %d long", len(res.Chain))
				}
				// The PKCS#12 file opens, and its key signs what the certificate verifies.
				p12, err := PKCS12(is, "Sandbox1")
				if err != nil {
					t.Fatal(err)
				}
				f, err := pkcs12.Decode(p12, "Sandbox1")
				if err != nil {
					t.Fatal(err)
				}
				e, ok := f.Entry("")
				if !ok || !e.Certificate.Equal(cert) || len(e.CACertificates) != 2 {
					t.Fatalf("p12 entry %+v", e)
				}
				msg := []byte("сенім")
				sig, err := e.PrivateKey.Sign(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				cpub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
				if err != nil {
					t.Fatal(err)
				}
				if err := eds.VerifySignature(cpub, e.PrivateKey.Algorithm().OID, msg, sig); err != nil {
					t.Errorf("p12 key's signature: %v", err)
				}
			})
		}
	}
}

func oid(t testing.TB, s string) asn1.ObjectIdentifier {
	t.Helper()
	var o asn1.ObjectIdentifier
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			t.Fatal(err)
		}
		o = append(o, n)
	}
	return o
}

package cms_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// ncaDir is the repo-level copy of the NCA test PKI (see testdata/README.md).
const ncaDir = "../../../testdata/nca-gost2022"

// ncaNow is the clock of the NCA tests: inside the test certificates' validity and
// before the test CRL's nextUpdate (2027-02-07).
var ncaNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func ncaClock() time.Time { return ncaNow }

func readNCA(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ncaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var p12Cache sync.Map // name -> *pkcs12.Entry (decoding takes a while)

// ncaKey opens an NCA test key file, e.g. "individual/valid/individual_valid.p12".
func ncaKey(t testing.TB, name string) *pkcs12.Entry {
	t.Helper()
	if e, ok := p12Cache.Load(name); ok {
		return e.(*pkcs12.Entry)
	}
	f, err := pkcs12.Decode(readNCA(t, name), "Qwerty12")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	e, ok := f.Entry("")
	if !ok {
		t.Fatalf("%s: no single entry", name)
	}
	p12Cache.Store(name, e)
	return e
}

func ncaSpec(t testing.TB, name string) cms.SignerSpec {
	e := ncaKey(t, name)
	return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}
}

func ncaCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readNCA(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ncaValidator trusts the NCA test root, knows the intermediate and its CRL, clock ncaNow.
func ncaValidator(t testing.TB) *pki.Validator {
	t.Helper()
	crl, err := pki.ParseCRL(readNCA(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{
		Roots:         []*x509.Certificate{ncaCert(t, "root_test_gost_2022.cer")},
		Intermediates: []*x509.Certificate{ncaCert(t, "nca_gost2022_test.cer")},
		CRLs:          []*pki.CRL{crl},
		Clock:         ncaClock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	crlOnly      = []pki.RevocationMethod{pki.RevocationCRL}
	noRevocation = []pki.RevocationMethod{}
)

// testTSA is a TSA under its own root, with a validator trusting that root.
type testTSA struct {
	local *tsp.Local
	v     *pki.Validator
}

func newTSA(t testing.TB, kt eds.KeyType, genTime func() time.Time, validatorClock func() time.Time) *testTSA {
	t.Helper()
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	root, err := tsptest.NewRoot(kt, "Test TSA Root", from, to)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := root.TSA(kt, "Test TSA", from, to, genTime)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, Clock: validatorClock})
	if err != nil {
		t.Fatal(err)
	}
	return &testTSA{local: &tsp.Local{Config: cfg}, v: v}
}

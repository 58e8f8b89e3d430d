package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ncaDir is the repo-level copy of the NCA test PKI (see testdata/README.md).
const ncaDir = "../../../testdata/nca-gost2022"

// fixedNow is the tests' clock: inside every test certificate's validity and before the
// test CRL's nextUpdate (2027-02-07).
var fixedNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func readNCA(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ncaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ncaCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readNCA(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func ncaLeaf(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	return ncaCert(t, filepath.Join("leaf", name+".cer"))
}

func ncaRoot(t testing.TB) *x509.Certificate { return ncaCert(t, "root_test_gost_2022.cer") }
func ncaCA(t testing.TB) *x509.Certificate   { return ncaCert(t, "nca_gost2022_test.cer") }

// leafNames lists every extracted NCA test leaf certificate.
var leafNames = []string{
	"individual_revoked", "individual_valid",
	"legal_revoked_employee", "legal_revoked_employee_signright", "legal_revoked_head",
	"legal_revoked_infosystem", "legal_revoked_treasury_client",
	"legal_valid_employee", "legal_valid_employee_signright", "legal_valid_head",
	"legal_valid_infosystem", "legal_valid_treasury_client",
}

func x509KeyUsage(v int) x509.KeyUsage { return x509.KeyUsage(v) }

package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

// testCA is an ECDSA P-256 certification authority made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serialCounter int64 = 1000

func nextSerial() *big.Int { serialCounter++; return big.NewInt(serialCounter) }

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestRoot makes a self-signed root valid 2025..2030.
func newTestRoot(t testing.TB, cn string) *testCA {
	t.Helper()
	return newTestRootFor(t, cn, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
}

// newTestRootFor makes a self-signed root valid from..to.
func newTestRootFor(t testing.TB, cn string, from, to time.Time) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: cn, Country: []string{"KZ"}},
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: c, key: key}
}

// issue signs a certificate from tmpl for pub (a fresh key when nil).
func (ca *testCA) issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	if pub == nil {
		pub = &newKey(t).PublicKey
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = nextSerial()
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// subCA issues an intermediate CA valid 2025..2030.
func (ca *testCA) subCA(t testing.TB, cn string) *testCA {
	t.Helper()
	key := newKey(t)
	c := ca.issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Country: []string{"KZ"}},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, &key.PublicKey)
	return &testCA{cert: c, key: key}
}

// leaf issues an end-entity certificate valid 2026-01-01..2027-01-01.
func (ca *testCA) leaf(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	return ca.issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: cn, Country: []string{"KZ"}},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, nil)
}

type crlSpec struct {
	number     int64
	baseNumber int64 // > 0 makes a delta CRL
	thisUpdate time.Time
	nextUpdate time.Time
	entries    []x509.RevocationListEntry
	// expiredCertsOnCRL, when set, adds the ExpiredCertsOnCRL extension.
	expiredCertsOnCRL time.Time
}

// crl makes a DER CRL signed by ca.
func (ca *testCA) crl(t testing.TB, s crlSpec) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(s.number),
		ThisUpdate:                s.thisUpdate,
		NextUpdate:                s.nextUpdate,
		RevokedCertificateEntries: s.entries,
	}
	if s.baseNumber > 0 {
		v, err := asn1.Marshal(big.NewInt(s.baseNumber))
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtDeltaCRL, Critical: true, Value: v}}
	}
	if !s.expiredCertsOnCRL.IsZero() {
		v, err := asn1.MarshalWithParams(s.expiredCertsOnCRL.UTC(), "generalized")
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtExpiredCerts, Value: v})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func revoked(serial *big.Int, at time.Time, reason Reason) x509.RevocationListEntry {
	return x509.RevocationListEntry{SerialNumber: serial, RevocationTime: at, ReasonCode: int(reason)}
}

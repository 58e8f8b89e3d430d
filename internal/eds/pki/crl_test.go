package pki

import (
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCRLNCA(t *testing.T) {
	der := readNCA(t, "nca_gost2022_test.crl")
	// The reason this parser exists.
	if _, err := x509.ParseRevocationList(der); err == nil {
		t.Log("crypto/x509 now accepts the NCA CRL")
	}
	c, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Number == nil || c.Number.Int64() != 166 {
		t.Errorf("CRL number = %v, want 166", c.Number)
	}
	if c.IsDelta() {
		t.Error("full CRL reported as delta")
	}
	if len(c.Entries) != 195 {
		t.Errorf("%d entries, want 195", len(c.Entries))
	}
	if want := time.Date(2026, 8, 11, 3, 49, 19, 0, time.UTC); !c.ThisUpdate.Equal(want) {
		t.Errorf("thisUpdate = %v, want %v", c.ThisUpdate, want)
	}
	if want := time.Date(2027, 2, 7, 3, 49, 19, 0, time.UTC); !c.NextUpdate.Equal(want) {
		t.Errorf("nextUpdate = %v, want %v", c.NextUpdate, want)
	}
	ca := ncaCA(t)
	if diff := cmp.Diff(ca.SubjectKeyId, c.AuthorityKeyID); diff != "" {
		t.Errorf("authority key id (-issuer SKI +got):\n%s", diff)
	}
	if string(c.RawIssuer) != string(ca.RawSubject) {
		t.Error("issuer differs from the intermediate's subject")
	}
	if c.Issuer.CommonName != "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022" {
		t.Errorf("issuer CN = %q", c.Issuer.CommonName)
	}
	if c.SignatureAlgorithm.String() != "1.2.398.3.10.1.1.2.3.2" || len(c.Signature) != 128 {
		t.Errorf("signature alg %v, %d bytes", c.SignatureAlgorithm, len(c.Signature))
	}
	if len(c.UnhandledCritical) != 0 {
		t.Errorf("unhandled critical extensions %v", c.UnhandledCritical)
	}

	superseded := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		leaf    string
		revoked bool
		reason  Reason
	}{
		{"individual_revoked", true, ReasonCertificateHold},
		{"legal_revoked_head", true, -1},
		{"legal_revoked_employee", true, -1},
		{"legal_revoked_employee_signright", true, -1},
		{"legal_revoked_infosystem", true, -1},
		{"legal_revoked_treasury_client", true, ReasonCertificateHold},
		// In the "valid" folder but revoked on 2026-06-02, superseded.
		{"legal_valid_employee", true, ReasonSuperseded},
		{"legal_valid_infosystem", true, ReasonSuperseded},
		{"individual_valid", false, 0},
		{"legal_valid_head", false, 0},
		{"legal_valid_employee_signright", false, 0},
		{"legal_valid_treasury_client", false, 0},
	}
	for _, tt := range tests {
		e, ok := c.Lookup(ncaLeaf(t, tt.leaf).SerialNumber)
		if ok != tt.revoked {
			t.Errorf("%s: listed %v, want %v", tt.leaf, ok, tt.revoked)
			continue
		}
		if tt.reason >= 0 && ok && e.Reason != tt.reason {
			t.Errorf("%s: reason %v, want %v", tt.leaf, e.Reason, tt.reason)
		}
		if tt.reason == ReasonSuperseded && (e.RevocationTime.Before(superseded) || !e.RevocationTime.Before(superseded.AddDate(0, 0, 1))) {
			t.Errorf("%s: revoked at %v, want 2026-06-02", tt.leaf, e.RevocationTime)
		}
	}
}

func TestParseCRLDelta(t *testing.T) {
	ca := newTestRoot(t, "Delta Test CA")
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	a, b, c, d := big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(4)
	base, err := ParseCRL(ca.crl(t, crlSpec{
		number: 10, thisUpdate: t0, nextUpdate: t0.AddDate(0, 0, 7),
		entries: []x509.RevocationListEntry{
			revoked(a, t0.Add(-time.Hour), ReasonKeyCompromise),
			revoked(b, t0.Add(-time.Hour), ReasonCertificateHold),
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Hour)
	delta, err := ParseCRL(ca.crl(t, crlSpec{
		number: 11, baseNumber: 10, thisUpdate: t1, nextUpdate: t1.Add(2 * time.Hour),
		entries: []x509.RevocationListEntry{
			revoked(b, t1.Add(-time.Minute), ReasonRemoveFromCRL), // hold released
			revoked(c, t1.Add(-time.Minute), ReasonSuperseded),
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !delta.IsDelta() || delta.BaseCRLNumber.Int64() != 10 || delta.Number.Int64() != 11 {
		t.Fatalf("delta: isDelta %v base %v number %v", delta.IsDelta(), delta.BaseCRLNumber, delta.Number)
	}
	if diff := cmp.Diff(ca.cert.SubjectKeyId, delta.AuthorityKeyID); diff != "" {
		t.Errorf("AKI (-want +got):\n%s", diff)
	}

	m, err := ApplyDelta(base, delta)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		serial *big.Int
		listed bool
		reason Reason
	}{{a, true, ReasonKeyCompromise}, {b, false, 0}, {c, true, ReasonSuperseded}, {d, false, 0}} {
		e, ok := m.Lookup(tt.serial)
		if ok != tt.listed || (ok && e.Reason != tt.reason) {
			t.Errorf("serial %v: listed %v reason %v, want %v %v", tt.serial, ok, e.Reason, tt.listed, tt.reason)
		}
	}
	if !m.NextUpdate.Equal(delta.NextUpdate) || m.Number.Int64() != 11 {
		t.Errorf("merged nextUpdate %v number %v", m.NextUpdate, m.Number)
	}

	// Misuse is refused.
	other := newTestRoot(t, "Other CA")
	otherDelta, err := ParseCRL(other.crl(t, crlSpec{number: 11, baseNumber: 10, thisUpdate: t1, nextUpdate: t1.Add(time.Hour)}))
	if err != nil {
		t.Fatal(err)
	}
	newerBase, err := ParseCRL(ca.crl(t, crlSpec{number: 12, baseNumber: 11, thisUpdate: t1, nextUpdate: t1.Add(time.Hour)}))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]*CRL{
		"delta as base": {delta, delta},
		"full as delta": {base, base},
		"other issuer":  {base, otherDelta},
		"base too old":  {base, newerBase},
	} {
		if _, err := ApplyDelta(pair[0], pair[1]); !errors.Is(err, ErrCRLDeltaMissing) {
			t.Errorf("%s: err = %v, want ErrCRLDeltaMissing", name, err)
		}
	}
}

func TestParseCRLRejects(t *testing.T) {
	good := readNCA(t, "nca_gost2022_test.crl")
	tests := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("not a CRL"),
		"trailing":  append(append([]byte(nil), good...), 0),
		"truncated": good[:len(good)/2],
	}
	// Outer signature algorithm changed to another OID: inner and outer now differ.
	swapped := append([]byte(nil), good...)
	swapped[10443+2+9] ^= 1 // last byte of the outer OID (offset from openssl asn1parse)
	tests["algorithm mismatch"] = swapped
	for name, der := range tests {
		if _, err := ParseCRL(der); !errors.Is(err, ErrMalformedCRL) {
			t.Errorf("%s: err = %v, want ErrMalformedCRL", name, err)
		}
	}
	if _, err := ParseCRL(swapped); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("algorithm mismatch: err = %v", err)
	}
}

func FuzzParseCRL(f *testing.F) {
	f.Add(readNCA(f, "nca_gost2022_test.crl"))
	ca := newTestRoot(f, "Fuzz CA")
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	f.Add(ca.crl(f, crlSpec{number: 2, baseNumber: 1, thisUpdate: t0, nextUpdate: t0.Add(time.Hour),
		entries: []x509.RevocationListEntry{revoked(big.NewInt(7), t0, ReasonRemoveFromCRL)}}))
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCRL(der)
		if err != nil {
			if !errors.Is(err, ErrMalformedCRL) {
				t.Fatalf("error does not wrap ErrMalformedCRL: %v", err)
			}
			return
		}
		for _, e := range c.Entries {
			if _, ok := c.Lookup(e.Serial); !ok {
				t.Fatalf("entry %v not found by Lookup", e.Serial)
			}
		}
	})
}

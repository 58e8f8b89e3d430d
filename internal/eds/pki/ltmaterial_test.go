package pki

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// rule LT-EVIDENCE: WithEvidence adds CRLs and stored OCSP answers to a copy of
// the Validator; the copy decides with them, the original does not (it is not
// changed). Negative cases: a CRL of another CA, and an OCSP answer about another
// certificate (by the right issuer) or by another CA, are no evidence — the status
// stays unknown, never good.
func TestWithEvidence(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	root := newTestRoot(t, "LT Root")
	other := newTestRoot(t, "LT Other")
	leaf := root.leaf(t, "LT Leaf")
	sibling := root.leaf(t, "LT Sibling")
	base, err := New(Config{Roots: []*x509.Certificate{root.cert, other.cert}})
	if err != nil {
		t.Fatal(err)
	}
	crlOpts := Options{Revocation: []RevocationMethod{RevocationCRL}}
	ocspOpts := Options{Revocation: []RevocationMethod{RevocationOCSP}}
	spec := crlSpec{number: 1, thisUpdate: at.Add(-time.Hour), nextUpdate: at.Add(24 * time.Hour)}
	mine, err := ParseCRL(root.crl(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := ParseCRL(other.crl(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	if r := base.WithEvidence([]*CRL{mine}, nil).Validate(t.Context(), leaf, at, crlOpts); !r.Valid || r.CRL.Status != StatusGood {
		t.Fatalf("own CRL: %v %v", r.CRL.Status, r.Errors)
	}
	if r := base.Validate(t.Context(), leaf, at, crlOpts); r.Valid || r.CRL.Status == StatusGood {
		t.Errorf("the original Validator gained the evidence: %v", r.CRL.Status)
	}
	if r := base.WithEvidence([]*CRL{theirs}, nil).Validate(t.Context(), leaf, at, crlOpts); r.Valid || r.CRL.Status == StatusGood {
		t.Errorf("another CA's CRL decided: %v", r.CRL.Status)
	}

	answer := func(ca *testCA, serial *x509.Certificate) []byte {
		der, err := buildOCSPResponse(ca.cert, ca.cert, ca.key, ocsp.Response{Status: ocsp.Good, SerialNumber: serial.SerialNumber,
			ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(24 * time.Hour), ProducedAt: at}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	good := NewStoredOCSP([][]byte{answer(root, leaf)})
	if r := base.WithEvidence(nil, good).Validate(t.Context(), leaf, at, ocspOpts); !r.Valid || r.OCSP.Status != StatusGood {
		t.Fatalf("own OCSP answer: %v %v", r.OCSP.Status, r.Errors)
	}
	for name, der := range map[string][]byte{"about another certificate": answer(root, sibling), "by another CA": answer(other, leaf)} {
		r := base.WithEvidence(nil, NewStoredOCSP([][]byte{der})).Validate(t.Context(), leaf, at, ocspOpts)
		if r.Valid || r.OCSP.Status == StatusGood {
			t.Errorf("OCSP answer %s decided: %v", name, r.OCSP.Status)
		}
	}
}

// rule LT-COLLECT: CollectLT keeps every chain certificate once, the OCSP answer
// that decided good, and only the CRLs issued by a CA of a chain. Negative: a
// CRL of a CA on no chain, and an OCSP answer that did not decide, are left out.
func TestCollectLT(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	root := newTestRoot(t, "Collect Root")
	other := newTestRoot(t, "Collect Other")
	leaf := root.leaf(t, "Collect Leaf")
	spec := crlSpec{number: 1, thisUpdate: at.Add(-time.Hour), nextUpdate: at.Add(24 * time.Hour)}
	mine, _ := ParseCRL(root.crl(t, spec))
	theirs, _ := ParseCRL(other.crl(t, spec))
	r1 := &Result{Chain: []*x509.Certificate{leaf, root.cert}, OCSP: RevocationCheck{Status: StatusGood, Basis: BasisCoversTime, OCSPResponse: []byte("decided")}}
	r2 := &Result{Chain: []*x509.Certificate{leaf, root.cert}, OCSP: RevocationCheck{Status: StatusUnknown, OCSPResponse: []byte("undecided")}}
	m := CollectLT([]*Result{r1, nil, r2}, []*CRL{theirs, mine})
	if len(m.Certs) != 2 || !m.Certs[0].Equal(leaf) || !m.Certs[1].Equal(root.cert) {
		t.Errorf("certs: %d", len(m.Certs))
	}
	if len(m.CRLs) != 1 || !bytes.Equal(m.CRLs[0], mine.Raw) {
		t.Errorf("CRLs: %d", len(m.CRLs))
	}
	if len(m.OCSPs) != 1 || string(m.OCSPs[0]) != "decided" {
		t.Errorf("OCSPs: %q", m.OCSPs)
	}
}

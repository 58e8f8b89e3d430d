package pki

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/senimkz/senim/internal/eds"
)

func ncaCRL(t testing.TB) *CRL {
	t.Helper()
	c, err := ParseCRL(readNCA(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

// ncaValidator trusts the NCA test root: only tests do that (design.md, "Trust").
func ncaValidator(t testing.TB, now time.Time, crls ...*CRL) *Validator {
	t.Helper()
	if crls == nil {
		crls = []*CRL{ncaCRL(t)}
	}
	v, err := New(Config{
		Roots:         []*x509.Certificate{ncaRoot(t)},
		Intermediates: []*x509.Certificate{ncaCA(t)},
		CRLs:          crls,
		Clock:         fixedClock(now),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var crlOnly = Options{Revocation: []RevocationMethod{RevocationCRL}}

func codes(errs []error) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, Code(e))
	}
	return out
}

func TestValidateNCAChain(t *testing.T) {
	v := ncaValidator(t, fixedNow)
	root, ca := ncaRoot(t), ncaCA(t)
	for _, name := range leafNames {
		t.Run(name, func(t *testing.T) {
			leaf := ncaLeaf(t, name)
			res := v.Validate(t.Context(), leaf, fixedNow, Options{})
			if res.ChainErr != nil {
				t.Fatalf("chain: %v", res.ChainErr)
			}
			if len(res.Chain) != 3 || res.Chain[0] != leaf || !res.Chain[1].Equal(ca) || !res.Chain[2].Equal(root) {
				t.Fatalf("chain has %d certificates, want leaf, NCA, root", len(res.Chain))
			}
			if len(res.Signatures) != 2 {
				t.Fatalf("%d signature checks, want 2", len(res.Signatures))
			}
			for _, s := range res.Signatures {
				if s.Err != nil || s.Algorithm != "ECGOST3410-2015-512" {
					t.Errorf("signature of %s: alg %q err %v", s.Subject, s.Algorithm, s.Err)
				}
			}
			if len(res.Periods) != 3 {
				t.Errorf("%d period checks, want 3", len(res.Periods))
			}
			if !res.Valid || len(res.Errors) != 0 {
				t.Errorf("valid %v errors %v", res.Valid, res.Errors)
			}
		})
	}
}

func TestValidateNoConfiguredRootIsUntrusted(t *testing.T) {
	leaf := ncaLeaf(t, "individual_valid")
	for name, cfg := range map[string]Config{
		"nothing configured": {},
		"intermediate only":  {Intermediates: []*x509.Certificate{ncaCA(t), ncaRoot(t)}},
		"another root":       {Roots: []*x509.Certificate{newTestRoot(t, "Other").cert}, Intermediates: []*x509.Certificate{ncaCA(t)}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Clock = fixedClock(fixedNow)
			v, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), leaf, fixedNow, Options{Intermediates: []*x509.Certificate{ncaRoot(t)}})
			if !errors.Is(res.ChainErr, ErrUntrusted) || Code(res.ChainErr) != "eds.cert.untrusted" {
				t.Errorf("chain err = %v (code %q), want eds.cert.untrusted", res.ChainErr, Code(res.ChainErr))
			}
			if res.Valid || res.Chain != nil {
				t.Error("untrusted certificate reported valid or chained")
			}
		})
	}
}

func TestValidateNCAPeriods(t *testing.T) {
	v := ncaValidator(t, fixedNow)
	leaf := ncaLeaf(t, "individual_valid")
	tests := []struct {
		at   time.Time
		code string
	}{
		{time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), "eds.cert.expired"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "eds.cert.not_yet_valid"},
	}
	for _, tt := range tests {
		res := v.Validate(t.Context(), leaf, tt.at, Options{})
		if res.Valid {
			t.Errorf("at %v: valid", tt.at)
		}
		if res.ChainErr != nil {
			t.Errorf("at %v: chain err %v", tt.at, res.ChainErr)
		}
		if diff := cmp.Diff([]string{tt.code}, codes(res.Errors)); diff != "" {
			t.Errorf("at %v: codes (-want +got):\n%s", tt.at, diff)
		}
		if res.Periods[0].Err == nil || res.Periods[1].Err != nil || res.Periods[2].Err != nil {
			t.Errorf("at %v: leaf/CA/root period errs %v %v %v", tt.at, res.Periods[0].Err, res.Periods[1].Err, res.Periods[2].Err)
		}
	}
	// The treasury client certificate is valid until 2029.
	if res := v.Validate(t.Context(), ncaLeaf(t, "legal_valid_treasury_client"), time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), Options{}); !res.Valid {
		t.Errorf("treasury client at 2027-06-01: %v", res.Errors)
	}
}

func TestValidateNCACRL(t *testing.T) {
	v := ncaValidator(t, fixedNow)
	tests := []struct {
		leaf   string
		status RevocationStatus
		reason Reason
	}{
		{"individual_valid", StatusGood, 0},
		{"legal_valid_head", StatusGood, 0},
		{"legal_valid_employee_signright", StatusGood, 0},
		{"legal_valid_treasury_client", StatusGood, 0},
		// In the "valid" folder, revoked on 2026-06-02 as superseded.
		{"legal_valid_employee", StatusRevoked, ReasonSuperseded},
		{"legal_valid_infosystem", StatusRevoked, ReasonSuperseded},
		{"individual_revoked", StatusRevoked, ReasonCertificateHold},
		{"legal_revoked_head", StatusRevoked, -1},
		{"legal_revoked_employee", StatusRevoked, -1},
		{"legal_revoked_employee_signright", StatusRevoked, -1},
		{"legal_revoked_infosystem", StatusRevoked, -1},
		{"legal_revoked_treasury_client", StatusRevoked, ReasonCertificateHold},
	}
	for _, tt := range tests {
		t.Run(tt.leaf, func(t *testing.T) {
			res := v.Validate(t.Context(), ncaLeaf(t, tt.leaf), fixedNow, crlOnly)
			if res.CRL.Status != tt.status {
				t.Fatalf("CRL status %s, want %s (err %v)", res.CRL.Status, tt.status, res.CRL.Err)
			}
			if res.CRL.CRLNumber != "166" {
				t.Errorf("CRL number %q", res.CRL.CRLNumber)
			}
			if res.OCSP.Status != StatusNotChecked {
				t.Errorf("OCSP status %s, want not_checked", res.OCSP.Status)
			}
			if tt.status == StatusGood {
				if !res.Valid || len(res.Errors) != 0 {
					t.Errorf("valid %v errors %v", res.Valid, res.Errors)
				}
				return
			}
			if res.Valid {
				t.Error("revoked certificate reported valid")
			}
			if diff := cmp.Diff([]string{"eds.cert.revoked"}, codes(res.Errors)); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			if tt.reason >= 0 && res.CRL.Reason != tt.reason {
				t.Errorf("reason %v, want %v", res.CRL.Reason, tt.reason)
			}
		})
	}
}

func TestValidateNCACRLStale(t *testing.T) {
	at := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC) // after nextUpdate 2027-02-07
	for name, now := range map[string]time.Time{"clock at 2027-03-01": at, "clock at 2026-11-01": fixedNow} {
		t.Run(name, func(t *testing.T) {
			res := ncaValidator(t, now).Validate(t.Context(), ncaLeaf(t, "individual_valid"), at, crlOnly)
			if res.CRL.Status != StatusUnknown || !errors.Is(res.CRL.Err, ErrCRLStale) {
				t.Errorf("CRL status %s err %v, want unknown, stale", res.CRL.Status, res.CRL.Err)
			}
			if res.Valid {
				t.Error("valid with a stale CRL")
			}
			if diff := cmp.Diff([]string{"eds.crl.stale"}, codes(res.Errors)); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
	// Validating at a past time stays possible with a CRL issued after it, even when the
	// clock has passed its nextUpdate.
	res := ncaValidator(t, at).Validate(t.Context(), ncaLeaf(t, "individual_valid"), fixedNow.AddDate(0, -3, 0), crlOnly)
	if res.CRL.Status != StatusGood {
		t.Errorf("at 2026-08-01 with a CRL of 2026-08-11: %s %v", res.CRL.Status, res.CRL.Err)
	}
}

func TestValidateRevokedAfterAtDoesNotCount(t *testing.T) {
	v := ncaValidator(t, fixedNow)
	leaf := ncaLeaf(t, "legal_valid_employee") // valid from 2026-05-08, revoked 2026-06-02
	before := time.Date(2026, 5, 30, 12, 0, 0, 0, time.UTC)
	res := v.Validate(t.Context(), leaf, before, crlOnly)
	if !res.Valid || res.CRL.Status != StatusGood {
		t.Fatalf("at %v: valid %v CRL %s errors %v", before, res.Valid, res.CRL.Status, res.Errors)
	}
	if res.CRL.RevokedAt.IsZero() || res.CRL.Reason != ReasonSuperseded {
		t.Errorf("later revocation not reported: %v %v", res.CRL.RevokedAt, res.CRL.Reason)
	}
	after := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	if res := v.Validate(t.Context(), leaf, after, crlOnly); res.CRL.Status != StatusRevoked || res.Valid {
		t.Errorf("at %v: CRL %s valid %v", after, res.CRL.Status, res.Valid)
	}
	// Exactly at the revocation time it counts.
	if res := v.Validate(t.Context(), leaf, res.CRL.RevokedAt, crlOnly); res.CRL.Status != StatusRevoked {
		t.Errorf("at the revocation time: %s", res.CRL.Status)
	}
}

func TestValidateNCACRLBadSignature(t *testing.T) {
	der := readNCA(t, "nca_gost2022_test.crl")
	der[len(der)-5] ^= 0x40 // inside the signature value
	bad, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.CheckSignatureFrom(ncaCA(t)); !errors.Is(err, ErrCRLSignature) || !errors.Is(err, eds.ErrSignatureInvalid) {
		t.Errorf("CheckSignatureFrom = %v", err)
	}
	if err := ncaCRL(t).CheckSignatureFrom(ncaCA(t)); err != nil {
		t.Errorf("real CRL: %v", err)
	}
	if err := ncaCRL(t).CheckSignatureFrom(ncaRoot(t)); !errors.Is(err, ErrCRLSignature) {
		t.Errorf("CRL checked against the root: %v", err)
	}
	res := ncaValidator(t, fixedNow, bad).Validate(t.Context(), ncaLeaf(t, "legal_valid_employee"), fixedNow, crlOnly)
	if res.CRL.Status != StatusUnknown || Code(res.CRL.Err) != "eds.crl.signature_invalid" || res.Valid {
		t.Errorf("CRL %s err %v valid %v", res.CRL.Status, res.CRL.Err, res.Valid)
	}
	res = ncaValidator(t, fixedNow, []*CRL{}...).Validate(t.Context(), ncaLeaf(t, "legal_valid_head"), fixedNow, crlOnly)
	if res.CRL.Status != StatusUnknown || Code(res.CRL.Err) != "eds.crl.missing" || res.Valid {
		t.Errorf("no CRL: %s err %v valid %v", res.CRL.Status, res.CRL.Err, res.Valid)
	}
}

func TestValidateNCABadCertSignature(t *testing.T) {
	der := append([]byte(nil), readNCA(t, "leaf/legal_valid_head.cer")...)
	der[len(der)-3] ^= 1
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	res := ncaValidator(t, fixedNow).Validate(t.Context(), leaf, fixedNow, Options{})
	if !errors.Is(res.ChainErr, ErrCertSignature) || Code(res.ChainErr) != "eds.cert.signature_invalid" || res.Valid {
		t.Errorf("chain err %v valid %v", res.ChainErr, res.Valid)
	}
	if len(res.Signatures) != 1 || res.Signatures[0].Err == nil {
		t.Errorf("signature checks %+v", res.Signatures)
	}
}

// fakeOCSP is a hand-written OCSPClient.
type fakeOCSP struct {
	check func(cert, issuer *x509.Certificate) (*OCSPStatus, error)
	calls atomic.Int32
}

func (f *fakeOCSP) Check(_ context.Context, cert, issuer *x509.Certificate) (*OCSPStatus, error) {
	f.calls.Add(1)
	return f.check(cert, issuer)
}

func TestValidateOCSPCombinations(t *testing.T) {
	leaf := ncaLeaf(t, "legal_valid_head")
	revokedAt := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		ocsp      OCSPClient
		methods   []RevocationMethod
		at        time.Time
		wantOCSP  RevocationStatus
		wantValid bool
		codes     []string
	}{
		{"no client", nil, []RevocationMethod{RevocationOCSP}, fixedNow, StatusUnknown, false, []string{"eds.ocsp.unavailable"}},
		{"no client, CRL good", nil, []RevocationMethod{RevocationCRL, RevocationOCSP}, fixedNow, StatusUnknown, true, []string{"eds.ocsp.unavailable"}},
		{"good", &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
			return &OCSPStatus{Status: StatusGood, ProducedAt: fixedNow, ThisUpdate: fixedNow, NextUpdate: fixedNow.Add(time.Hour)}, nil
		}}, []RevocationMethod{RevocationOCSP}, fixedNow, StatusGood, true, []string{}},
		{"revoked", &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
			return &OCSPStatus{Status: StatusRevoked, RevokedAt: revokedAt, Reason: ReasonKeyCompromise}, nil
		}}, []RevocationMethod{RevocationCRL, RevocationOCSP}, fixedNow, StatusRevoked, false, []string{"eds.cert.revoked"}},
		{"revoked after at", &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
			return &OCSPStatus{Status: StatusRevoked, RevokedAt: revokedAt, Reason: ReasonKeyCompromise}, nil
		}}, []RevocationMethod{RevocationOCSP}, revokedAt.Add(-time.Hour), StatusGood, true, []string{}},
		{"responder does not know", &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
			return &OCSPStatus{Status: StatusUnknown}, nil
		}}, []RevocationMethod{RevocationOCSP}, fixedNow, StatusUnknown, false, []string{"eds.ocsp.unknown_cert"}},
		{"down", &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
			return nil, errors.New("connection refused")
		}}, []RevocationMethod{RevocationOCSP}, fixedNow, StatusUnknown, false, []string{"eds.ocsp.unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(Config{
				Roots: []*x509.Certificate{ncaRoot(t)}, Intermediates: []*x509.Certificate{ncaCA(t)},
				CRLs: []*CRL{ncaCRL(t)}, OCSP: tt.ocsp, Clock: fixedClock(fixedNow),
			})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), leaf, tt.at, Options{Revocation: tt.methods})
			if res.OCSP.Status != tt.wantOCSP || res.Valid != tt.wantValid {
				t.Errorf("OCSP %s valid %v, want %s %v (errors %v)", res.OCSP.Status, res.Valid, tt.wantOCSP, tt.wantValid, res.Errors)
			}
			if diff := cmp.Diff(tt.codes, codes(res.Errors)); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateECDSAChainAndDelta(t *testing.T) {
	root := newTestRoot(t, "Test Root")
	sub := root.subCA(t, "Test Issuing CA")
	leaf := sub.leaf(t, "Leaf")
	other := sub.leaf(t, "Other leaf")
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	t0 := now.Add(-2 * time.Hour)
	base, err := ParseCRL(sub.crl(t, crlSpec{number: 5, thisUpdate: t0, nextUpdate: t0.AddDate(0, 0, 7),
		entries: []x509.RevocationListEntry{revoked(other.SerialNumber, t0.Add(-time.Hour), ReasonCertificateHold)}}))
	if err != nil {
		t.Fatal(err)
	}
	delta, err := ParseCRL(sub.crl(t, crlSpec{number: 6, baseNumber: 5, thisUpdate: now.Add(-time.Hour), nextUpdate: now.Add(time.Hour),
		entries: []x509.RevocationListEntry{
			revoked(leaf.SerialNumber, now.Add(-90*time.Minute), ReasonKeyCompromise),
			revoked(other.SerialNumber, now.Add(-90*time.Minute), ReasonRemoveFromCRL),
		}}))
	if err != nil {
		t.Fatal(err)
	}
	// A stale delta's hold is not applied; its statement of a key compromise is: revocation
	// is permanent, so an authentic CRL listing it decides whatever its age.
	staleDelta, err := ParseCRL(sub.crl(t, crlSpec{number: 7, baseNumber: 5, thisUpdate: now.Add(-3 * time.Hour), nextUpdate: now.Add(-2 * time.Hour),
		entries: []x509.RevocationListEntry{revoked(leaf.SerialNumber, now.Add(-4*time.Hour), ReasonCertificateHold)}}))
	if err != nil {
		t.Fatal(err)
	}
	staleDeltaCompromise, err := ParseCRL(sub.crl(t, crlSpec{number: 7, baseNumber: 5, thisUpdate: now.Add(-3 * time.Hour), nextUpdate: now.Add(-2 * time.Hour),
		entries: []x509.RevocationListEntry{revoked(leaf.SerialNumber, now.Add(-4*time.Hour), ReasonKeyCompromise)}}))
	if err != nil {
		t.Fatal(err)
	}
	holdDelta, err := ParseCRL(sub.crl(t, crlSpec{number: 8, baseNumber: 5, thisUpdate: now.Add(-time.Hour), nextUpdate: now.Add(time.Hour),
		entries: []x509.RevocationListEntry{revoked(leaf.SerialNumber, now.Add(-4*time.Hour), ReasonCertificateHold)}}))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		crls       []*CRL
		leaf       *x509.Certificate
		want       RevocationStatus
		wantNumber string
	}{
		{"base only: leaf good", []*CRL{base}, leaf, StatusGood, "5"},
		{"base only: other on hold", []*CRL{base}, other, StatusRevoked, "5"},
		{"delta revokes leaf", []*CRL{base, delta}, leaf, StatusRevoked, "6"},
		{"delta releases hold", []*CRL{delta, base}, other, StatusGood, "6"},
		{"stale delta's hold is ignored", []*CRL{base, staleDelta}, leaf, StatusGood, "5"},
		{"stale delta's key compromise counts", []*CRL{base, staleDeltaCompromise}, leaf, StatusRevoked, "7"},
		{"current delta's hold counts", []*CRL{base, holdDelta}, leaf, StatusRevoked, "8"},
		{"delta without base: hold unknown", []*CRL{holdDelta}, leaf, StatusUnknown, ""},
		{"delta without base: key compromise counts", []*CRL{delta}, leaf, StatusRevoked, "6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(Config{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{sub.cert}, CRLs: tt.crls, Clock: fixedClock(now)})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), tt.leaf, now, crlOnly)
			if res.ChainErr != nil || len(res.Chain) != 3 {
				t.Fatalf("chain %d err %v", len(res.Chain), res.ChainErr)
			}
			if res.CRL.Status != tt.want || res.CRL.CRLNumber != tt.wantNumber {
				t.Errorf("CRL %s #%s, want %s #%s (err %v)", res.CRL.Status, res.CRL.CRLNumber, tt.want, tt.wantNumber, res.CRL.Err)
			}
		})
	}
}

func TestValidateChainLoopsAndDepth(t *testing.T) {
	// Two CAs that certify each other, and no root: the builder must stop.
	x := newTestRoot(t, "X")
	y := newTestRoot(t, "Y")
	xByY := y.issue(t, &x509.Certificate{Subject: x.cert.Subject, NotBefore: x.cert.NotBefore, NotAfter: x.cert.NotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: x.cert.SubjectKeyId}, &x.key.PublicKey)
	yByX := x.issue(t, &x509.Certificate{Subject: y.cert.Subject, NotBefore: y.cert.NotBefore, NotAfter: y.cert.NotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: y.cert.SubjectKeyId}, &y.key.PublicKey)
	leaf := x.leaf(t, "looped leaf")
	v, err := New(Config{Intermediates: []*x509.Certificate{xByY, yByX, x.cert, y.cert}, Clock: fixedClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	if res := v.Validate(t.Context(), leaf, fixedNow, Options{}); !errors.Is(res.ChainErr, ErrUntrusted) {
		t.Errorf("loop: %v", res.ChainErr)
	}

	// A chain of 10 CAs below the root: refused at the default depth, built at 12.
	root := newTestRoot(t, "Deep root")
	cas := []*testCA{root}
	var inter []*x509.Certificate
	for i := range 10 {
		next := cas[len(cas)-1].subCA(t, "level "+string(rune('A'+i)))
		cas = append(cas, next)
		inter = append(inter, next.cert)
	}
	deep := cas[len(cas)-1].leaf(t, "deep leaf")
	for _, tt := range []struct {
		max  int
		want error
	}{{0, ErrUntrusted}, {12, nil}} {
		v, err := New(Config{Roots: []*x509.Certificate{root.cert}, Intermediates: inter, MaxChainLength: tt.max, Clock: fixedClock(fixedNow)})
		if err != nil {
			t.Fatal(err)
		}
		res := v.Validate(t.Context(), deep, fixedNow, Options{})
		if !errors.Is(res.ChainErr, tt.want) || (tt.want == nil && len(res.Chain) != 12) {
			t.Errorf("max %d: chain %d err %v", tt.max, len(res.Chain), res.ChainErr)
		}
	}
}

func TestValidateIssuerMustBeCA(t *testing.T) {
	root := newTestRoot(t, "Root")
	notCAKey := newKey(t)
	notCA := root.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Not a CA"},
		NotBefore: root.cert.NotBefore, NotAfter: root.cert.NotAfter, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature}, &notCAKey.PublicKey)
	leaf := (&testCA{cert: notCA, key: notCAKey}).leaf(t, "leaf")
	v, err := New(Config{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{notCA}, Clock: fixedClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	if res := v.Validate(t.Context(), leaf, fixedNow, Options{}); !errors.Is(res.ChainErr, ErrNotCA) {
		t.Errorf("chain err %v, want ErrNotCA", res.ChainErr)
	}
}

func TestValidateExtraIntermediatesAndSignatureCache(t *testing.T) {
	v, err := New(Config{Roots: []*x509.Certificate{ncaRoot(t)}, Clock: fixedClock(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	verify := v.sigs.verify
	v.sigs.verify = func(pub *eds.PublicKey, alg asn1.ObjectIdentifier, msg, sig []byte) error {
		calls.Add(1)
		return verify(pub, alg, msg, sig)
	}
	leaf := ncaLeaf(t, "legal_valid_head")
	if res := v.Validate(t.Context(), leaf, fixedNow, Options{}); !errors.Is(res.ChainErr, ErrUntrusted) {
		t.Fatalf("without the intermediate: %v", res.ChainErr)
	}
	opts := Options{Intermediates: []*x509.Certificate{ncaCA(t)}}
	for i := range 2 {
		res := v.Validate(t.Context(), leaf, fixedNow, opts)
		if !res.Valid {
			t.Fatalf("with the intermediate from the signature: %v", res.Errors)
		}
		if want := int32(2); calls.Load() != want {
			t.Errorf("after call %d: %d GOST verifications, want %d (cached)", i+1, calls.Load(), want)
		}
	}
}

func TestNewRejectsNil(t *testing.T) {
	if _, err := New(Config{Roots: []*x509.Certificate{nil}}); err == nil {
		t.Error("nil root accepted")
	}
	v, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res := v.Validate(t.Context(), nil, fixedNow, Options{}); res.Valid || res.ChainErr == nil {
		t.Error("nil leaf valid")
	}
}

func TestValidateConcurrent(t *testing.T) {
	v := ncaValidator(t, fixedNow)
	want := map[string]bool{"legal_valid_head": true, "legal_valid_employee": false, "individual_valid": true, "individual_revoked": false}
	leaves := map[string]*x509.Certificate{}
	for name := range want {
		leaves[name] = ncaLeaf(t, name)
	}
	errc := make(chan error, 4*len(want))
	for range 4 {
		for name, ok := range want {
			go func() {
				res := v.Validate(t.Context(), leaves[name], fixedNow, crlOnly)
				if res.Valid != ok {
					errc <- errors.New(name + ": unexpected validity")
					return
				}
				errc <- nil
			}()
		}
	}
	for range 4 * len(want) {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// An intermediate CA certificate configured as a trust anchor ends the chain by itself;
// the report says which kind of anchor did (issue 12, item 3).
func TestValidateIntermediateAnchor(t *testing.T) {
	leaf := ncaLeaf(t, "legal_valid_head")
	for _, tc := range []struct {
		name          string
		roots, inters []*x509.Certificate
		chain         int
		anchor        AnchorKind
	}{
		{"root", []*x509.Certificate{ncaRoot(t)}, []*x509.Certificate{ncaCA(t)}, 3, AnchorRoot},
		{"intermediate anchor, no root", []*x509.Certificate{ncaCA(t)}, nil, 2, AnchorIntermediate},
		{"intermediate anchor beside the root: the first reached ends", []*x509.Certificate{ncaRoot(t), ncaCA(t)}, nil, 2, AnchorIntermediate},
		{"intermediate only for building: untrusted", nil, []*x509.Certificate{ncaCA(t)}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Config{Roots: tc.roots, Intermediates: tc.inters, CRLs: []*CRL{ncaCRL(t)}})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), leaf, fixedNow, crlOnly)
			if len(res.Chain) != tc.chain || res.Anchor != tc.anchor {
				t.Fatalf("chain %d anchor %q, want %d %q (%v)", len(res.Chain), res.Anchor, tc.chain, tc.anchor, res.Errors)
			}
			if tc.chain == 0 {
				if res.Valid || !errors.Is(res.ChainErr, ErrUntrusted) {
					t.Errorf("valid %v chain err %v", res.Valid, res.ChainErr)
				}
				return
			}
			if !res.Valid || res.CRL.Status != StatusGood {
				t.Errorf("valid %v CRL %s errors %v", res.Valid, res.CRL.Status, res.Errors)
			}
		})
	}
}

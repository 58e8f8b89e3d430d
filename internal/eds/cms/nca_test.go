package cms_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

const individualValid = "individual/valid/individual_valid.p12"

func TestSignVerifyNCA(t *testing.T) {
	content := []byte("Senim: test document / тестовый документ")
	spec := ncaSpec(t, individualValid)
	v := ncaValidator(t)
	for _, detached := range []bool{false, true} {
		name := "attached"
		if detached {
			name = "detached"
		}
		t.Run(name, func(t *testing.T) {
			der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Detached: detached, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			var given []byte
			if detached {
				given = content
			}
			res, err := cms.Verify(t.Context(), der, given, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Valid || len(res.Signers) != 1 || res.Detached != detached || !bytes.Equal(res.Content, content) {
				t.Fatalf("result: valid %v detached %v signers %d", res.Valid, res.Detached, len(res.Signers))
			}
			s := res.Signers[0]
			if diff := cmp.Diff([]string{}, s.Codes()); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if !s.SignatureValid || !s.DigestValid || !s.SigningCertificate || !s.ChainChecked || !s.Chain.Valid {
				t.Errorf("checks: %+v", s)
			}
			if s.SignatureAlgorithm != "ECGOST3410-2015-512" || s.CertInfo.Subject.IIN != "123456789011" {
				t.Errorf("alg %q IIN %q", s.SignatureAlgorithm, s.CertInfo.Subject.IIN)
			}
			if s.Chain.CRL.Status != pki.StatusGood || len(s.Chain.Chain) != 3 {
				t.Errorf("CRL %v chain %d", s.Chain.CRL.Status, len(s.Chain.Chain))
			}
			if !s.ValidationTime.Equal(ncaNow) || !s.SigningTime.Equal(ncaNow) {
				t.Errorf("validation %v signing %v", s.ValidationTime, s.SigningTime)
			}

			// One changed content byte: digest mismatch, and only that.
			changed := bytes.Clone(content)
			changed[0] ^= 1
			var bad []byte
			if detached {
				bad = der
			} else {
				bad = bytes.Replace(der, content, changed, 1)
			}
			given = nil
			if detached {
				given = changed
			}
			res, err = cms.Verify(t.Context(), bad, given, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid || res.Signers[0].DigestValid || !res.Signers[0].SignatureValid {
				t.Errorf("changed content accepted: %+v", res.Signers[0])
			}
			if diff := cmp.Diff([]string{"eds.cms.digest_mismatch"}, res.Signers[0].Codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}

			// One changed signature byte: signature invalid.
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			sig := sd.Signers[0].Signature
			i := bytes.Index(der, sig)
			bad = bytes.Clone(der)
			bad[i+10] ^= 0x40
			given = nil
			if detached {
				given = content
			}
			res, err = cms.Verify(t.Context(), bad, given, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid || res.Signers[0].SignatureValid || !res.Signers[0].DigestValid {
				t.Errorf("changed signature accepted: %+v", res.Signers[0])
			}
			if !slices.ContainsFunc(res.Signers[0].Errors, func(e error) bool { return errors.Is(e, cms.ErrSignatureInvalid) }) {
				t.Errorf("errors %v", res.Signers[0].Errors)
			}

			// Extract.
			got, err := cms.Extract(der)
			if detached {
				if !errors.Is(err, cms.ErrNoContent) {
					t.Errorf("Extract of detached: %v", err)
				}
			} else if err != nil || !bytes.Equal(got, content) {
				t.Errorf("Extract: %q %v", got, err)
			}
		})
	}
}

func TestRevokedNCA(t *testing.T) {
	v := ncaValidator(t)
	for _, tc := range []struct {
		file  string
		valid bool
	}{
		{individualValid, true},
		{"individual/revoked/individual_revoked.p12", false},
		// In the "valid" folder but revoked on 2026-06-02 (superseded) by the CRL.
		{"legal/valid/employee.p12", false},
		{"legal/valid/infosystem.p12", false},
		{"legal/valid/head.p12", true},
		{"legal/revoked/head.p12", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			der, err := cms.Sign(t.Context(), []byte("x"), []cms.SignerSpec{ncaSpec(t, tc.file)}, cms.SignOptions{Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			res, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Signers[0]
			if res.Valid != tc.valid || !s.SignatureValid || !s.DigestValid {
				t.Fatalf("valid %v (want %v), codes %v", res.Valid, tc.valid, s.Codes())
			}
			if !tc.valid {
				if s.Chain.CRL.Status != pki.StatusRevoked || !slices.Contains(s.Codes(), "eds.cert.revoked") {
					t.Errorf("CRL %v codes %v", s.Chain.CRL.Status, s.Codes())
				}
			}
		})
	}
}

func TestCAdESTWithNCAKeys(t *testing.T) {
	tsa := newTSA(t, eds.KeyGOST2015_512, ncaClock, ncaClock)
	v := ncaValidator(t)
	content := []byte("CAdES-T")
	der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{ncaSpec(t, individualValid)},
		cms.SignOptions{TSA: tsa.local, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{Validator: v, TSAValidator: tsa.v, TSARevocation: noRevocation, Revocation: crlOnly, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Signers[0]
	if !res.Valid || s.TimeStamp == nil || !s.TimeStamp.Valid {
		t.Fatalf("valid %v codes %v ts %+v", res.Valid, s.Codes(), s.TimeStamp)
	}
	ts := s.TimeStamp
	if ts.Policy != "1.2.398.3.3.2.6.4" || ts.HashAlgorithm != "GOST3411-2015-512" || len(ts.Hash) != 64 ||
		!ts.GenTime.Equal(ncaNow) || ts.TSA == "" || ts.SerialNumber == "" || ts.Chain == nil || !ts.Chain.Valid {
		t.Errorf("time-stamp info %+v", ts)
	}
	// Without trust in the TSA root the time-stamp, hence the signer, is invalid.
	res, err = cms.Verify(t.Context(), der, nil, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || res.Signers[0].TimeStamp.Valid || !slices.Contains(res.Signers[0].Codes(), "eds.tsp.untrusted") {
		t.Errorf("untrusted TSA accepted: %v", res.Signers[0].Codes())
	}
}

func TestAddSignerKeepsEarlierSigners(t *testing.T) {
	tsa := newTSA(t, eds.KeyECDSA, ncaClock, ncaClock)
	v := ncaValidator(t)
	content := []byte("two signers")
	for _, detached := range []bool{false, true} {
		first, err := cms.Sign(t.Context(), content, []cms.SignerSpec{ncaSpec(t, individualValid)},
			cms.SignOptions{TSA: tsa.local, Now: ncaClock, Detached: detached})
		if err != nil {
			t.Fatal(err)
		}
		var given []byte
		if detached {
			given = content
			if _, err := cms.AddSigner(t.Context(), first, nil, ncaSpec(t, "legal/valid/head.p12"), cms.SignOptions{}); !errors.Is(err, cms.ErrDetachedContentMissing) {
				t.Errorf("detached without content: %v", err)
			}
			if _, err := cms.AddSigner(t.Context(), first, []byte("other"), ncaSpec(t, "legal/valid/head.p12"), cms.SignOptions{}); !errors.Is(err, cms.ErrDigestMismatch) {
				t.Errorf("detached with other content: %v", err)
			}
		} else if _, err := cms.AddSigner(t.Context(), first, []byte("other"), ncaSpec(t, "legal/valid/head.p12"), cms.SignOptions{}); !errors.Is(err, cms.ErrContentConflict) {
			t.Errorf("attached with other content: %v", err)
		}
		both, err := cms.AddSigner(t.Context(), first, given, ncaSpec(t, "legal/valid/head.p12"), cms.SignOptions{TSA: tsa.local, Now: ncaClock})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := cms.Parse(first)
		b, err := cms.Parse(both)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Signers) != 2 || !bytes.Equal(a.Signers[0].Raw, b.Signers[0].Raw) {
			t.Fatalf("first signer changed (detached %v)", detached)
		}
		if !bytes.Contains(both, a.Signers[0].UnsignedAttrs[0].Values[0]) {
			t.Error("first signer's time-stamp token not kept byte-for-byte")
		}
		res, err := cms.Verify(t.Context(), both, given, cms.VerifyOptions{Validator: v, TSAValidator: tsa.v, TSARevocation: noRevocation, Revocation: crlOnly, Now: ncaClock})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Valid || len(res.Signers) != 2 {
			t.Fatalf("valid %v", res.Valid)
		}
		for i, s := range res.Signers {
			if s.TimeStamp == nil || !s.TimeStamp.Valid || len(s.Errors) != 0 {
				t.Errorf("signer %d: %v %+v", i, s.Codes(), s.TimeStamp)
			}
		}
		if res.Signers[0].CertInfo.Subject.IIN != "123456789011" || res.Signers[1].CertInfo.Subject.BIN != "123456789021" {
			t.Errorf("signers %+v / %+v", res.Signers[0].CertInfo.Subject, res.Signers[1].CertInfo.Subject)
		}
	}
}

// A TSA for tests of the client path: the NCA-style default policy is requested.
var _ cms.TimeStamper = (*tsp.Client)(nil)
var _ cms.TimeStamper = (*tsp.Local)(nil)

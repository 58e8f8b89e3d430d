package cms_test

import (
	"crypto/x509"
	"math/big"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestValidityAtTimeStamp: a signature time-stamped while its certificate was valid
// stays valid after the certificate expires, and after it is revoked later; revoked
// before the time-stamp it is not. The clock is injected, never the wall clock.
func TestValidityAtTimeStamp(t *testing.T) {
	var (
		signedAt = date(2026, 7, 1)
		expires  = date(2026, 8, 1)
		now      = date(2027, 1, 1)
	)
	clock := func() time.Time { return now }
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Test CA", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyECDSA, "Signer", date(2026, 1, 1), expires)
	if err != nil {
		t.Fatal(err)
	}
	tsaCfg, err := root.TSA(eds.KeyECDSA, "TSA", date(2025, 1, 1), date(2030, 1, 1), func() time.Time { return signedAt })
	if err != nil {
		t.Fatal(err)
	}
	spec := cms.SignerSpec{Signer: key, Cert: cert, Chain: []*x509.Certificate{root.Cert}}
	content := []byte("contract")
	stamped, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec},
		cms.SignOptions{TSA: &tsp.Local{Config: tsaCfg}, Now: func() time.Time { return signedAt }})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Now: func() time.Time { return signedAt }})
	if err != nil {
		t.Fatal(err)
	}

	// The CA issues a CRL before the signer's certificate expires ("early", 2026-07-20) and
	// one after ("today", 2026-12-01). Like the NCA, it drops a certificate from its CRLs
	// once it has expired (RFC 5280, 3.3): "today" never lists the signer.
	validator := func(t *testing.T, crls []string, revoked ...tsptest.Revoked) *pki.Validator {
		var parsed []*pki.CRL
		for i, name := range crls {
			this, next := date(2026, 7, 20), date(2026, 8, 20)
			if name == "today" {
				this, next = date(2026, 12, 1), date(2027, 2, 1)
			}
			var listed []tsptest.Revoked
			for _, r := range revoked {
				if !r.At.After(this) && !(r.Serial.Cmp(cert.SerialNumber) == 0 && this.After(expires)) {
					listed = append(listed, r)
				}
			}
			crlDER, err := root.CRL(int64(i+1), this, next, listed)
			if err != nil {
				t.Fatal(err)
			}
			crl, err := pki.ParseCRL(crlDER)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, crl)
		}
		v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: parsed, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	revokedAt := func(serial *big.Int, at time.Time, reason pki.Reason) tsptest.Revoked {
		return tsptest.Revoked{Serial: serial, At: at, Reason: int(reason)}
	}
	both, todayOnly := []string{"early", "today"}, []string{"today"}

	for _, tc := range []struct {
		name      string
		cms       []byte
		noChain   bool
		crls      []string
		revoked   []tsptest.Revoked
		valid     bool
		at        time.Time
		wantCode  string
		crlStatus pki.RevocationStatus
	}{
		{name: "time-stamped, expired since", cms: stamped, crls: both, valid: true, at: signedAt, crlStatus: pki.StatusGood},
		// Today's CRL was issued after the certificate expired: it cannot say it was good.
		{name: "time-stamped, expired since, today's CRL only", cms: stamped, crls: todayOnly,
			valid: false, at: signedAt, wantCode: "eds.crl.not_covered", crlStatus: pki.StatusUnknown},
		{name: "not time-stamped, expired", cms: plain, crls: both, valid: false, at: now, wantCode: "eds.cert.expired"},
		{name: "revoked after the time-stamp", cms: stamped, crls: both,
			revoked: []tsptest.Revoked{revokedAt(cert.SerialNumber, date(2026, 7, 15), pki.ReasonKeyCompromise)},
			valid:   true, at: signedAt, crlStatus: pki.StatusGood},
		{name: "revoked before the time-stamp", cms: stamped, crls: both,
			revoked: []tsptest.Revoked{revokedAt(cert.SerialNumber, date(2026, 6, 15), pki.ReasonKeyCompromise)},
			valid:   false, at: signedAt, wantCode: "eds.cert.revoked", crlStatus: pki.StatusRevoked},
		// A CAdES-T made with a revoked key is not accepted once the certificate has expired
		// and left the CRL (issue 12, item 1).
		{name: "revoked before the time-stamp, expired, dropped from today's CRL", cms: stamped, crls: todayOnly,
			revoked: []tsptest.Revoked{revokedAt(cert.SerialNumber, date(2026, 6, 15), pki.ReasonKeyCompromise)},
			valid:   false, at: signedAt, wantCode: "eds.crl.not_covered", crlStatus: pki.StatusUnknown},
		{name: "TSA key compromised after genTime", cms: stamped, crls: both,
			revoked: []tsptest.Revoked{revokedAt(tsaCfg.Cert.SerialNumber, date(2026, 9, 1), pki.ReasonKeyCompromise)},
			valid:   false, at: now, wantCode: "eds.tsp.untrusted"},
		{name: "TSA superseded after genTime", cms: stamped, crls: both,
			revoked: []tsptest.Revoked{revokedAt(tsaCfg.Cert.SerialNumber, date(2026, 9, 1), pki.ReasonSuperseded)},
			valid:   true, at: signedAt, crlStatus: pki.StatusGood},
		{name: "no validator, time-stamped", cms: stamped, noChain: true, valid: true, at: signedAt},
		{name: "no validator, not time-stamped", cms: plain, noChain: true, valid: false, at: now, wantCode: "eds.cert.expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := cms.VerifyOptions{Revocation: crlOnly, Now: clock}
			if !tc.noChain {
				opts.Validator = validator(t, tc.crls, tc.revoked...)
			}
			res, err := cms.Verify(t.Context(), tc.cms, nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			s := res.Signers[0]
			if res.Valid != tc.valid || s.Valid != tc.valid {
				t.Fatalf("valid %v, want %v; codes %v", res.Valid, tc.valid, s.Codes())
			}
			if !s.ValidationTime.Equal(tc.at) {
				t.Errorf("validation time %v, want %v", s.ValidationTime, tc.at)
			}
			if tc.wantCode != "" && !slices.Contains(s.Codes(), tc.wantCode) {
				t.Errorf("codes %v, want %s", s.Codes(), tc.wantCode)
			}
			if tc.valid && len(s.Errors) != 0 {
				t.Errorf("valid with errors %v", s.Codes())
			}
			if s.ChainChecked == tc.noChain {
				t.Errorf("chain checked %v", s.ChainChecked)
			}
			if tc.crlStatus != "" && s.Chain.CRL.Status != tc.crlStatus {
				t.Errorf("CRL status %v, want %v", s.Chain.CRL.Status, tc.crlStatus)
			}
		})
	}
}

// TestCAdESTOverHTTP: the time-stamp comes from a TSA over HTTP (tsp.Handler and
// tsp.Client); a dead TSA fails the signing with the TSA's code.
func TestCAdESTOverHTTP(t *testing.T) {
	p := newECDSAPKI(t)
	tsa := newTSA(t, eds.KeyGOST2015_512, ncaClock, ncaClock)
	h, err := tsp.Handler(tsa.local.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &tsp.Client{URL: srv.URL, Policy: tsp.OIDPolicyGOST2015, Hash: eds.OIDDigestStreebog512}
	der, err := cms.Sign(t.Context(), []byte("x"), []cms.SignerSpec{p.spec}, cms.SignOptions{TSA: client, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{Validator: p.v, TSAValidator: tsa.v, Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	ts := res.Signers[0].TimeStamp
	if !res.Valid || ts == nil || ts.HashAlgorithm != "GOST3411-2015-512" || ts.Policy != "1.2.398.3.3.2.6.4" {
		t.Errorf("valid %v codes %v ts %+v", res.Valid, res.Signers[0].Codes(), ts)
	}
	dead := &tsp.Client{URL: "http://127.0.0.1:1/", Timeout: time.Second}
	_, err = cms.Sign(t.Context(), []byte("x"), []cms.SignerSpec{p.spec}, cms.SignOptions{TSA: dead, Now: ncaClock})
	if eds.Code(err) != "eds.tsp.unavailable" {
		t.Errorf("dead TSA: %v", err)
	}
}

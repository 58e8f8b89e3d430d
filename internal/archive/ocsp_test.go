package archive

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// sandboxCA opens the sandbox CA (GOST 2015) behind a loopback OCSP responder, on a
// clock the test moves.
func sandboxCA(t *testing.T, clock *time.Time) (*ca.CA, *pki.OCSPChecker) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	now := func() time.Time { return *clock }
	c, err := ca.Open(t.TempDir()+"/ca", ca.Config{Now: now, BaseURL: srv.URL, Algorithms: []ca.Algorithm{ca.GOST2015}})
	if err != nil {
		t.Fatal(err)
	}
	h = c.Handler()
	return c, pki.NewOCSPChecker(pki.OCSPConfig{Clock: now, CacheTTL: -1})
}

// rule DC-5: when OCSP decides a signer's status at ingest, the answer is embedded in the
// CAdES-LT signature (RFC 5940 id-ri-ocsp-response in SignedData.crls) and the offline
// verification decides with it, after the signer's certificate expired and was revoked;
// without the answer, with a changed answer, or for a signer revoked before signing,
// the signature is not valid.
func TestOCSPEmbedded(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c, oc := sandboxCA(t, &clock)
	now := func() time.Time { return clock }
	signer, err := c.IssueIndividual(ca.Person{IIN: "850314400001", Surname: "TEST", Name: "SIGNER"}, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	tcfg, err := c.TSA(ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), OCSP: oc})
	if err != nil {
		t.Fatal(err)
	}
	val := Validation{Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationOCSP}, TSA: &tsp.Local{Config: tcfg}, Now: now}
	content := []byte("power of attorney, valid one year")
	sign := func(s *ca.Issued) []byte {
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: s.Key, Cert: s.Certificate}}, cms.SignOptions{Detached: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	clock = clock.Add(time.Minute)
	lt, res, err := MakeLT(ctx, sign(signer), content, val)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signers[0].Chain.OCSP.Status != pki.StatusGood {
		t.Fatalf("ingest: OCSP %+v", res.Signers[0].Chain.OCSP)
	}
	sd, err := signeddata.Parse(lt)
	if err != nil {
		t.Fatal(err)
	}
	crls, ocsps := splitRevInfo(sd.RawCRLs)
	if len(ocsps) == 0 || len(crls) != 0 {
		t.Fatalf("embedded: %d OCSP answers, %d CRLs", len(ocsps), len(crls))
	}

	// Two years on: the signer's certificate expired (365 days) and was revoked after
	// signing; the responder is gone. Only the embedded answer speaks.
	clock = clock.Add(time.Hour)
	if err := c.Revoke(signer.Certificate.SerialNumber, pki.ReasonKeyCompromise, clock); err != nil {
		t.Fatal(err)
	}
	trust := Trust{Roots: c.Roots()}
	at := clock.AddDate(2, 0, 0)
	verify := func(name string, sig []byte, wantValid bool) *Report {
		t.Helper()
		rep, err := VerifyDocument(ctx, &Document{Content: content, Signatures: [][]byte{sig}}, trust, at, Policy{})
		if err != nil || rep.Valid != wantValid {
			t.Fatalf("%s: %v valid %v %v", name, err, rep.Valid, rep.Errs())
		}
		return rep
	}
	rep := verify("embedded OCSP answer", lt, true)
	if got := rep.Signatures[0].Result.Signers[0].Chain.OCSP; got.Status != pki.StatusGood || got.Basis == "" {
		t.Fatalf("offline OCSP: %+v", got)
	}

	// Without the answer nothing decides the revocation status.
	bare, _ := signeddata.Parse(lt)
	bare.RawCRLs = nil
	bareDER, err := bare.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	verify("no OCSP answer", bareDER, false)
	// An answer whose signature has a changed byte (the issuer signs it, no responder
	// certificates follow: the signature is the last bytes) proves nothing.
	bad, _ := signeddata.Parse(lt)
	resp := bytes.Clone(ocsps[0])
	resp[len(resp)-1] ^= 1
	bad.RawCRLs = [][]byte{ocspRevInfo(resp)}
	badDER, err := bad.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if rep := verify("changed OCSP answer", badDER, false); !rep.HasCode(pki.ErrOCSPSignature) {
		t.Fatalf("changed OCSP answer: %v", rep.Errs())
	}
	// The same signature ingested again after the revocation: OCSP now says revoked
	// before the new signature time-stamp, so it is refused.
	if _, _, err := MakeLT(ctx, sign(signer), content, val); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("ingest after the revocation: %v", err)
	}

	// A signer revoked before signing is refused at ingest, by the OCSP answer.
	other, err := c.IssueIndividual(ca.Person{IIN: "790921300002", Surname: "TEST", Name: "OTHER"}, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(other.Certificate.SerialNumber, pki.ReasonKeyCompromise, clock.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := MakeLT(ctx, sign(other), content, val); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("revoked signer: %v", err)
	}
}

// FuzzRevInfo: the revocation information of an untrusted signature is sorted and
// answered offline without a panic; what it returns as OCSP came from an id-ri-ocsp-response entry.
func FuzzRevInfo(f *testing.F) {
	f.Add([]byte{0x30, 0x00}, []byte{0x30, 0x03, 0x0a, 0x01, 0x00})
	f.Add(ocspRevInfo([]byte{0x30, 0x03, 0x0a, 0x01, 0x00}), []byte{0xa1, 0x00})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		crls, ocsps := splitRevInfo([][]byte{a, b})
		if len(crls)+len(ocsps) > 2 {
			t.Fatal("more entries than given")
		}
		for _, o := range ocsps {
			if !bytes.Equal(ocspRevInfo(o), a) && !bytes.Equal(ocspRevInfo(o), b) {
				t.Fatal("an OCSP answer that was not an entry")
			}
		}
		_ = pki.NewStoredOCSP(ocsps).Len()
	})
}

// rule DC-6: offline, the OCSP answers a signature carries are evidence for the
// certificates they are about, not a responder to ask: a signer whose status the
// carried CRL decides gets no eds.ocsp.unavailable beside the verdict — revoked before
// the time-stamp names only the revocation, valid names nothing — while a signer that
// no CRL and no answer decides still names why.
func TestNoOCSPNoiseBesideACRLVerdict(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	alice := w.signer("Alice")
	doc := w.archiveDoc([]byte("loan agreement, 24 months"), alice)
	// The signature also carries an OCSP answer, about another certificate (one that
	// does not read stands for it: neither is about Alice).
	sd, err := signeddata.Parse(doc.Signatures[0])
	if err != nil {
		t.Fatal(err)
	}
	withCRL := append([][]byte(nil), sd.RawCRLs...)
	sd.RawCRLs = append(sd.RawCRLs, ocspRevInfo([]byte{0x30, 0x03, 0x0a, 0x01, 0x01}))
	if doc.Signatures[0], err = sd.Marshal(); err != nil {
		t.Fatal(err)
	}
	w.clock = day(2026, 6, 5)
	early := w.crl(tsptest.Revoked{Serial: alice.Cert.SerialNumber, At: day(2026, 5, 1), Reason: int(pki.ReasonKeyCompromise)})
	withEarly := w.trust()
	withEarly.CRLs = []*pki.CRL{early}
	codes := func(trust Trust, d *Document) (bool, []string) {
		t.Helper()
		rep, err := VerifyDocument(ctx, d, trust, day(2027, 1, 1), Policy{})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Valid, rep.View().Signers[0].Codes
	}
	if valid, got := codes(withEarly, doc); valid || !slices.Equal(got, []string{"eds.cert.revoked"}) {
		t.Errorf("revoked before the time-stamp: valid %v, codes %v", valid, got)
	}
	if valid, got := codes(w.trust(), doc); !valid || len(got) != 0 {
		t.Errorf("valid: valid %v, codes %v", valid, got)
	}
	// Without the CRL nothing decides: the missing answer is named with the CRL's absence.
	sd.RawCRLs = slices.DeleteFunc(slices.Clone(sd.RawCRLs), func(e []byte) bool { return containsBytes(withCRL, e) })
	bare := *doc
	if bare.Signatures, err = func() ([][]byte, error) { b, err := sd.Marshal(); return [][]byte{b}, err }(); err != nil {
		t.Fatal(err)
	}
	if valid, got := codes(w.trust(), &bare); valid || !slices.Contains(got, "eds.ocsp.unavailable") {
		t.Errorf("nothing decides: valid %v, codes %v", valid, got)
	}
}

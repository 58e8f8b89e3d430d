package archive

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// bareTSA is w's 2026 TSA answering without its CA chain: the token carries the TSA
// certificate only, as many real TSAs answer.
func (w *world) bareTSA() *tsp.Local {
	c := w.tsa1.Config
	c.Chain = nil
	return &tsp.Local{Config: c}
}

// ingestOne stores one signed document in svc and returns its id.
func (w *world) ingestOne(svc *Service, content []byte) string {
	ctx := w.t.Context()
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		w.t.Fatal(err)
	}
	sum, err := svc.Ingest(ctx, "org:900140000009", "contract.txt", content, [][]byte{sig})
	if err != nil {
		w.t.Fatal(err)
	}
	return sum.ID
}

// rule DC-6: an archive time-stamp is stored only when it carries what verifies it
// offline later — the TSA's chain up to a root the operator gave and a CRL of its CA —
// so an exported, sealed document verifies with no server; a seal or a renewal that
// cannot embed them is refused with archive.seal.validation_data and stores nothing
// (the job tries again).
func TestSealCarriesValidationData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		clock := func() time.Time { return w.clock }
		sealed := func() int { return count(t, db, `SELECT COUNT(*) FROM archive_documents WHERE batch_id IS NOT NULL`) }
		stamps := func() int { return count(t, db, `SELECT COUNT(*) FROM archive_stamps`) }
		events := func() int {
			return count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type IN ('archive.batch.sealed', 'archive.evidence.renewed')`)
		}
		val := w.validation(w.crl())
		svc, err := New(Config{DB: db, Validation: val, TSA: w.bareTSA(), TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert},
			Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		w.ingestOne(svc, []byte("loan agreement, 24 months"))

		// Refused: a TSA that sends no chain and no root given; the root given but no
		// CRL to embed; a CRL but the root neither given nor trusted.
		refused := []struct {
			name  string
			tsa   cms.TimeStamper
			chain []*x509.Certificate
			crls  []*pki.CRL
			trust Trust
		}{
			{"no root, no CRL", w.bareTSA(), nil, nil, Trust{}},
			{"root, no CRL", w.bareTSA(), []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}, nil, Trust{}},
			{"root in the token, no CRL", w.tsa1, nil, nil, Trust{}},
			{"CRL, no root", w.bareTSA(), []*x509.Certificate{w.tsa1.Config.Cert}, []*pki.CRL{w.crl()}, Trust{}},
		}
		for _, tt := range refused {
			v := val
			v.CRLs = tt.crls
			bad, err := New(Config{DB: db, Validation: v, TSA: tt.tsa, TSAChain: tt.chain, Trust: tt.trust, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			n, err := bad.Seal(ctx, 100)
			if !errors.Is(err, ErrSealValidationData) || n != 0 {
				t.Fatalf("%s: sealed %d: %v", tt.name, n, err)
			}
			if sealed() != 0 || stamps() != 0 || events() != 0 {
				t.Fatalf("%s: a refused seal stored something", tt.name)
			}
		}

		// Given the root (the token carries only the TSA certificate) and the CRL:
		// sealed, and the export verifies offline with the root alone.
		if n, err := svc.Seal(ctx, 100); err != nil || n != 1 {
			t.Fatalf("seal: %d %v", n, err)
		}
		id := w.ingestOne(svc, []byte("second agreement"))
		w.clock = w.clock.Add(time.Hour)
		if n, err := svc.Seal(ctx, 100); err != nil || n != 1 {
			t.Fatalf("seal: %d %v", n, err)
		}
		d, _, err := svc.Open(ctx, "org:900140000009", id, true)
		if err != nil || d.Evidence == nil {
			t.Fatalf("open: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteASiCE(&buf, d, w.clock); err != nil {
			t.Fatal(err)
		}
		back, err := ReadASiCE(buf.Bytes(), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyDocument(ctx, back, w.trust(), day(2029, 1, 1), Policy{})
		if err != nil || !rep.Valid {
			t.Fatalf("offline: %v %v", err, rep.Errs())
		}

		// A renewal without a CRL of the new TSA's CA is refused the same way; with
		// one it is stored.
		w.clock = day(2030, 6, 1)
		before := stamps()
		svc.cfg.TSA = w.tsa2
		svc.cfg.TSAChain = []*x509.Certificate{w.tsa2.Config.Cert, w.root.Cert}
		svc.cfg.Validation.CRLs = nil
		if r, err := svc.Renew(ctx); !errors.Is(err, ErrSealValidationData) || r.Renewed != 0 {
			t.Fatalf("renewal without a CRL: %+v %v", r, err)
		}
		if stamps() != before {
			t.Fatal("a refused renewal stored a time-stamp")
		}
		svc.cfg.Validation.CRLs = []*pki.CRL{w.crl()}
		if r, err := svc.Renew(ctx); err != nil || r.Renewed != 2 {
			t.Fatalf("renewal: %+v %v", r, err)
		}
		d, _, err = svc.Open(ctx, "org:900140000009", id, true)
		if err != nil {
			t.Fatal(err)
		}
		rep, err = VerifyDocument(ctx, d, w.trust(), day(2035, 1, 1), Policy{})
		if err != nil || !rep.Valid {
			t.Fatalf("2035: %v %v", err, rep.Errs())
		}
	})
}

// rule DC-6: a TSA under a GOST root (as the NCA's is) is given the same way: its
// root, a GOST 2015-512 self-signed certificate, in the TSA chain is the anchor the
// seal checks the time-stamp against, and the export verifies offline with it; a
// GOST root that is not the TSA's issuer does not pass for it.
func TestSealGOSTRootInTSAChain(t *testing.T) {
	for _, kt := range []eds.KeyType{eds.KeyGOST2015_512, eds.KeyGOST2015_256} {
		t.Run(kt.String(), func(t *testing.T) { testSealGOSTRoot(t, kt) })
	}
}

func testSealGOSTRoot(t *testing.T, kt eds.KeyType) {
	ctx := t.Context()
	w := newWorld(t)
	gostRoot, err := tsptest.NewRoot(kt, "GOST TSA Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	other, err := tsptest.NewRoot(kt, "Other GOST Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := gostRoot.TSA(eds.KeyGOST2015_512, "GOST TSA", day(2026, 1, 1), day(2031, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		t.Fatal(err)
	}
	tc.Chain = nil // the TSA sends its own certificate only
	crlDER, err := gostRoot.CRL(1, w.clock, w.clock.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := pki.ParseCRL(crlDER)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t)
	val := w.validation(w.crl(), crl)
	var id string
	for _, tt := range []struct {
		name string
		root *tsptest.CA
		ok   bool
	}{
		{"another GOST root", other, false},
		{"the TSA's GOST root", gostRoot, true},
	} {
		svc, err := New(Config{DB: db, Validation: val, TSA: &tsp.Local{Config: tc}, TSAChain: []*x509.Certificate{tc.Cert, tt.root.Cert},
			Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		if id == "" {
			id = w.ingestOne(svc, []byte("agreement under a GOST TSA"))
		}
		n, err := svc.Seal(ctx, 10)
		if !tt.ok {
			if !errors.Is(err, ErrSealValidationData) || n != 0 {
				t.Fatalf("%s: %d %v", tt.name, n, err)
			}
			continue
		}
		if err != nil || n != 1 {
			t.Fatalf("%s: %d %v", tt.name, n, err)
		}
		d, _, err := svc.Open(ctx, "org:900140000009", id, true)
		if err != nil || d.Evidence == nil {
			t.Fatalf("open: %v", err)
		}
		trust := Trust{Roots: []*x509.Certificate{w.root.Cert, gostRoot.Cert}}
		if rep, err := VerifyDocument(ctx, d, trust, day(2029, 1, 1), Policy{}); err != nil || !rep.Valid {
			t.Fatalf("offline: %v %v", err, rep.Errs())
		}
	}
}

// rule DC-6: serve gives the TSA's root and its intermediate CA through --ca (the
// service's Trust), not as a TSA chain; a TSA answers with its own certificate only.
// The seal puts the intermediate into the time-stamp from the trust, so the export
// verifies offline against the root alone; without the intermediate's CRL it is refused.
func TestSealEmbedsTheTSAIntermediate(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	sub, err := w.root.SubCA(eds.KeyECDSA, "TSA CA", day(2020, 1, 1), day(2050, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := sub.TSA(eds.KeyGOST2015_512, "TSA under a CA", day(2026, 1, 1), day(2031, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		t.Fatal(err)
	}
	tc.Chain = nil
	subCRL := w.crlOf(sub)
	rootCRL := w.crl()
	db := storetest.Open(t)
	trust := Trust{Roots: []*x509.Certificate{w.root.Cert}, Intermediates: []*x509.Certificate{sub.Cert}}
	var id string
	for _, tt := range []struct {
		name string
		crls []*pki.CRL
		ok   bool
	}{
		{"without the intermediate's CRL", []*pki.CRL{rootCRL}, false},
		{"with both CRLs", []*pki.CRL{rootCRL, subCRL}, true},
	} {
		val := w.validation(tt.crls...)
		svc, err := New(Config{DB: db, Validation: val, TSA: &tsp.Local{Config: tc}, Trust: trust, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		if id == "" {
			id = w.ingestOne(svc, []byte("agreement under a TSA with an intermediate"))
		}
		n, err := svc.Seal(ctx, 10)
		if !tt.ok {
			if !errors.Is(err, ErrSealValidationData) || n != 0 {
				t.Fatalf("%s: %d %v", tt.name, n, err)
			}
			continue
		}
		if err != nil || n != 1 {
			t.Fatalf("%s: %d %v", tt.name, n, err)
		}
		d, _, err := svc.Open(ctx, "org:900140000009", id, true)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := VerifyDocument(ctx, d, w.trust(), day(2027, 1, 1), Policy{}); err != nil || !rep.Valid {
			t.Fatalf("offline against the root alone: %v %v", err, rep.Errs())
		}
	}
}

// rule DC-6: the archive time-stamp carries the CRLs that decide its TSA's chain and no
// other CRL the deployment holds (a deployment trusting many CAs would otherwise copy
// all their CRLs into every seal).
func TestSealEmbedsOnlyTheTSAChainsCRLs(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	other, err := tsptest.NewRoot(eds.KeyECDSA, "Another Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := w.root.SubCA(eds.KeyECDSA, "Signers CA", day(2020, 1, 1), day(2050, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	rootCRL, otherCRL, subCRL := w.crl(), w.crlOf(other), w.crlOf(sub)
	db := storetest.Open(t)
	val := w.validation(otherCRL, rootCRL, subCRL)
	svc, err := New(Config{DB: db, Validation: val, TSA: w.bareTSA(), TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert},
		Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	id := w.ingestOne(svc, []byte("agreement sealed among many CAs"))
	if n, err := svc.Seal(ctx, 10); err != nil || n != 1 {
		t.Fatalf("seal: %d %v", n, err)
	}
	var raw []byte
	if err := db.QueryRowContext(ctx, `SELECT ats FROM archive_stamps`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	ats, err := ParseATS(raw)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tsp.ParseToken(ats.TimeStamp)
	if err != nil {
		t.Fatal(err)
	}
	got := tok.SignedData.RawCRLs
	if !containsBytes(got, rootCRL.Raw) {
		t.Fatal("the CRL of the TSA's CA is not in the seal")
	}
	if containsBytes(got, otherCRL.Raw) || containsBytes(got, subCRL.Raw) || len(got) != 1 {
		t.Fatalf("the seal carries %d CRLs, want only the TSA's CA's", len(got))
	}
	d, _, err := svc.Open(ctx, "org:900140000009", id, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := VerifyDocument(ctx, d, w.trust(), day(2027, 1, 1), Policy{}); err != nil || !rep.Valid {
		t.Fatalf("offline: %v %v", err, rep.Errs())
	}
}

func TestCRLIssuer(t *testing.T) {
	w := newWorld(t)
	c := w.crl()
	if got, ok := crlIssuer(c.Raw); !ok || !bytes.Equal(got, c.RawIssuer) {
		t.Fatalf("issuer %x %v, want %x", got, ok, c.RawIssuer)
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, c.Raw[:20], w.root.Cert.Raw[:10]} {
		if _, ok := crlIssuer(bad); ok {
			t.Fatalf("%x: parsed", bad)
		}
	}
	if issuedOne([]*x509.Certificate{w.tsa1.Config.Cert}, []byte("not a CRL")) {
		t.Fatal("garbage matched")
	}
}

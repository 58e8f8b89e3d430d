package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/store/storetest"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// world is a test PKI across decades: a root that issues CRLs, signers with GOST
// 2015-512 keys, and a TSA whose key is rolled (a second TSA certificate) in 2030.
type world struct {
	t     testing.TB
	clock time.Time
	root  *tsptest.CA
	tsa1  *tsp.Local
	tsa2  *tsp.Local
	crlN  int64
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, clock: day(2026, 6, 1)}
	var err error
	if w.root, err = tsptest.NewRoot(eds.KeyECDSA, "Archive Root", day(2020, 1, 1), day(2060, 1, 1)); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return w.clock }
	c1, err := w.root.TSA(eds.KeyGOST2015_512, "TSA 2026", day(2026, 1, 1), day(2031, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := w.root.TSA(eds.KeyGOST2015_512, "TSA 2030", day(2030, 1, 1), day(2040, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	w.tsa1, w.tsa2 = &tsp.Local{Config: c1}, &tsp.Local{Config: c2}
	return w
}

func (w *world) signer(cn string) cms.SignerSpec {
	cert, key, err := w.root.Leaf(eds.KeyGOST2015_512, cn, day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		w.t.Fatal(err)
	}
	return cms.SignerSpec{Signer: key, Cert: cert}
}

// crl issues a CRL of the root at the clock, valid a month, listing entries.
func (w *world) crl(entries ...tsptest.Revoked) *pki.CRL {
	w.crlN++
	return w.crlBy(w.root, w.crlN, entries)
}

// crlOf issues an empty CRL of ca at the clock, valid a month.
func (w *world) crlOf(ca *tsptest.CA) *pki.CRL { return w.crlBy(ca, 1, nil) }

func (w *world) crlBy(ca *tsptest.CA, number int64, entries []tsptest.Revoked) *pki.CRL {
	der, err := ca.CRL(number, w.clock, w.clock.AddDate(0, 1, 0), entries)
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := pki.ParseCRL(der)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) validation(crls ...*pki.CRL) Validation {
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{w.root.Cert}, CRLs: crls})
	if err != nil {
		w.t.Fatal(err)
	}
	return Validation{Validator: v, CRLs: crls, TSA: w.tsa1, Now: func() time.Time { return w.clock }}
}

func (w *world) trust() Trust { return Trust{Roots: []*x509.Certificate{w.root.Cert}} }

// archiveDoc signs content (detached) by the signers at the clock, without a
// time-stamp, ingests it (LT) with a CRL issued a day later, and seals it.
func (w *world) archiveDoc(content []byte, signers ...cms.SignerSpec) *Document {
	ctx := w.t.Context()
	sig, err := cms.Sign(ctx, content, signers, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		w.t.Fatal(err)
	}
	w.clock = w.clock.Add(time.Hour)
	lt, _, err := MakeLT(ctx, sig, content, w.validation(w.crl()))
	if err != nil {
		w.t.Fatal(err)
	}
	return &Document{Name: "contract.txt", Content: content, Signatures: [][]byte{lt}}
}

func (w *world) seal(docs ...*Document) {
	crl := w.crl()
	ers, err := SealDocuments(w.t.Context(), w.tsa1, Policy{}, docs, []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}, [][]byte{crl.Raw})
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range docs {
		docs[i].Evidence = ers[i]
	}
}

func (w *world) renew(tsa *tsp.Local, revoked []tsptest.Revoked, docs ...*Document) {
	crl := w.crl(revoked...)
	var recs [][]byte
	for _, d := range docs {
		recs = append(recs, d.Evidence)
	}
	out, err := RenewRecords(w.t.Context(), tsa, recs, []*x509.Certificate{w.root.Cert}, [][]byte{crl.Raw})
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range docs {
		docs[i].Evidence = out[i]
	}
}

// rule DC-5, DC-6: an electronic document keeps its content and stays verifiable for
// decades: valid at its signing time after the signer's certificate expired and was
// revoked and after the TSA certificate of its time-stamps expired, thanks to an
// evidence record renewed with a rolled TSA key; invalid when one content byte changes,
// when the evidence was not renewed in time, or when the signer was revoked before the
// time-stamp.
func TestDecadesLater(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.signer("Alice"), w.signer("Bob")
	doc := w.archiveDoc([]byte("loan agreement, 24 months"), alice, bob)
	other := w.archiveDoc([]byte("another contract"), w.signer("Carol"))
	w.clock = w.clock.Add(24 * time.Hour)
	w.seal(doc, other)

	// 2027: Alice's certificate is revoked (after she signed).
	revokedAlice := tsptest.Revoked{Serial: alice.Cert.SerialNumber, At: day(2027, 3, 1), Reason: int(pki.ReasonSuperseded)}
	// 2030-06: the archive time-stamp is renewed with the new TSA key, before the 2026
	// TSA certificate expires (2031-01-01); the CRL of then lists Alice's revocation.
	unrenewed := *doc
	w.clock = day(2030, 6, 1)
	w.renew(w.tsa2, []tsptest.Revoked{revokedAlice}, doc, other)

	ctx := t.Context()
	check := func(name string, d *Document, at time.Time, wantValid bool, wantErr error) {
		t.Helper()
		rep, err := VerifyDocument(ctx, d, w.trust(), at, Policy{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Valid != wantValid || (wantErr != nil && !rep.HasCode(wantErr)) {
			t.Fatalf("%s: valid %v, errors %v; want %v %v", name, rep.Valid, rep.Errs(), wantValid, wantErr)
		}
	}
	// 2035: the signers' certificates expired in 2028, the 2026 TSA certificate in 2031.
	check("2035, renewed", doc, day(2035, 1, 1), true, nil)
	check("2035, other document of the batch", other, day(2035, 1, 1), true, nil)
	// The CRL of 2030 that lists Alice's later revocation, given from outside, does not
	// change the verdict at her signing time.
	later := w.crl(revokedAlice)
	withLater := w.trust()
	withLater.CRLs = []*pki.CRL{later}
	if rep, _ := VerifyDocument(ctx, doc, withLater, day(2035, 1, 1), Policy{}); !rep.Valid {
		t.Fatalf("revoked later: %v", rep.Errs())
	}
	// A CRL that lists a revocation before the time-stamp makes it invalid.
	w.clock = day(2026, 6, 5)
	early := w.crl(tsptest.Revoked{Serial: alice.Cert.SerialNumber, At: day(2026, 5, 1), Reason: int(pki.ReasonKeyCompromise)})
	withEarly := w.trust()
	withEarly.CRLs = []*pki.CRL{early}
	if rep, _ := VerifyDocument(ctx, doc, withEarly, day(2035, 1, 1), Policy{}); rep.Valid || !rep.HasCode(pki.ErrRevoked) {
		t.Fatalf("revoked before the time-stamp: valid %v %v", rep.Valid, rep.Errs())
	}
	// Sealed in 2026 but never renewed: in 2035 the 2026 TSA certificate has expired.
	check("2035, sealed, not renewed", &unrenewed, day(2035, 1, 1), false, ErrGap)
	check("2029, sealed, not renewed", &unrenewed, day(2029, 1, 1), true, nil)

	// Without the evidence record, the expired TSA certificate proves nothing.
	bare := *doc
	bare.Evidence = nil
	check("2035, no evidence", &bare, day(2035, 1, 1), false, ErrGap)
	// Before 2031 the bare LT signature is enough.
	check("2029, no evidence", &bare, day(2029, 1, 1), true, nil)

	// 2041: the 2030 TSA certificate expired in 2040 and nobody renewed.
	check("2041, not renewed", doc, day(2041, 1, 1), false, ErrGap)

	// The policy says Streebog-512 weakens in 2034: evidence that still rests on it in
	// 2035 proves nothing (hash-tree renewal would have been due).
	weak := Policy{WeakFrom: map[string]time.Time{oidStreebog512.String(): day(2034, 1, 1)}}
	if rep, _ := VerifyDocument(ctx, doc, w.trust(), day(2035, 1, 1), weak); rep.Valid || !rep.HasCode(ErrWeakHash) {
		t.Fatalf("weak hash: valid %v %v", rep.Valid, rep.Errs())
	}
	if rep, _ := VerifyDocument(ctx, doc, w.trust(), day(2033, 1, 1), weak); !rep.Valid {
		t.Fatalf("before the hash weakens: %v", rep.Errs())
	}

	// One content byte changed.
	changed := *doc
	changed.Content = append([]byte(nil), doc.Content...)
	changed.Content[0] ^= 1
	check("content byte changed", &changed, day(2035, 1, 1), false, ErrNotCovered)

	// A second signature file added later and then dropped from the document: the
	// evidence covered both, so the document without it is not the archived one.
	two := w.archiveDoc([]byte("agreement with two signature files"), w.signer("Dana"))
	more := w.archiveDoc(two.Content, w.signer("Erlan"))
	two.Signatures = append(two.Signatures, more.Signatures...)
	w.clock = day(2030, 7, 1)
	w.seal(two)
	check("both signature files", two, day(2030, 8, 1), true, nil)
	dropped := *two
	dropped.Signatures = two.Signatures[:1]
	check("a signature file dropped", &dropped, day(2030, 8, 1), false, ErrNotCovered)

	// Evidence of another document.
	swapped := *doc
	swapped.Evidence = other.Evidence
	check("evidence of another document", &swapped, day(2035, 1, 1), false, ErrNotCovered)
}

// rule DC-6: a signer revoked before the signature time-stamp is refused at ingest,
// and an LT signature whose embedded CRL says so verifies invalid.
func TestRevokedBeforeTimeStamp(t *testing.T) {
	w := newWorld(t)
	dave := w.signer("Dave")
	content := []byte("signed with a revoked key")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{dave}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	w.clock = w.clock.Add(time.Hour)
	crl := w.crl(tsptest.Revoked{Serial: dave.Cert.SerialNumber, At: day(2026, 5, 1), Reason: int(pki.ReasonKeyCompromise)})
	_, res, err := MakeLT(t.Context(), sig, content, w.validation(crl))
	if !errors.Is(err, ErrSignatureInvalid) || res == nil {
		t.Fatalf("ingest of a revoked signer: %v", err)
	}
	if eds.Code(err) != "archive.signature.invalid" {
		t.Fatalf("code %q", eds.Code(err))
	}
}

// Bad input at ingest: a stable code each.
// brokenTSA answers as its TSA does with the last byte of each token's signature changed,
// through TimeStamp and TimeStampMatched alike, and counts the tokens it made.
type brokenTSA struct {
	*tsp.Local
	n int
}

func (b *brokenTSA) spoil(tok []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	b.n++
	t, err := tsp.ParseToken(tok)
	if err != nil {
		return nil, err
	}
	sig := t.SignedData.Signers[0].Signature
	bad := bytes.Clone(tok)
	bad[bytes.Index(tok, sig)+len(sig)-1] ^= 1
	return bad, nil
}

func (b *brokenTSA) TimeStamp(ctx context.Context, alg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return b.spoil(b.Local.TimeStamp(ctx, alg, data))
}

func (b *brokenTSA) TimeStampMatched(ctx context.Context, alg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return b.spoil(b.Local.TimeStampMatched(ctx, alg, data))
}

// MakeLT asks its TSA for a token without the signature check (TimeStampMatched) and
// relies on cms.Verify to check it: a token whose signature is broken fails the
// signature, and ingest stores nothing. Rule DC-5.
func TestMakeLTBrokenToken(t *testing.T) {
	w := newWorld(t)
	content := []byte("document")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{w.signer("Eve")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	val := w.validation(w.crl())
	if _, _, err := MakeLT(t.Context(), sig, content, val); err != nil {
		t.Fatalf("with a good TSA: %v", err)
	}
	bad := &brokenTSA{Local: w.tsa1}
	val.TSA = bad
	if _, _, err := MakeLT(t.Context(), sig, content, val); !errors.Is(err, ErrSignatureInvalid) || !errors.Is(err, tsp.ErrInvalid) {
		t.Fatalf("a token with a broken signature: %v, want %v and %v", err, ErrSignatureInvalid, tsp.ErrInvalid)
	}
	db := storetest.Open(t)
	svc, err := New(Config{DB: db, Validation: val, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(t.Context(), "org:900140000009", "a.txt", content, [][]byte{sig}); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("ingest with a broken token: %v", err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM archive_documents`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("documents after the refused ingest: %d (%v)", n, err)
	}
	if bad.n != 2 {
		t.Fatalf("the broken TSA made %d tokens, want 2", bad.n)
	}
}

func TestMakeLTBadInput(t *testing.T) {
	w := newWorld(t)
	content := []byte("document")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{w.signer("Eve")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	val := w.validation(w.crl())
	tests := []struct {
		name    string
		sig     []byte
		content []byte
		want    error
	}{
		{"corrupt CMS", sig[:len(sig)/2], content, ErrBadCMS},
		{"not DER at all", []byte("hello"), content, ErrBadCMS},
		{"other content", sig, []byte("documenT"), ErrContentMismatch},
		{"detached without content", sig, nil, ErrContentMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := MakeLT(t.Context(), tt.sig, tt.content, val)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// An untrusted signer (another root).
	other, err := tsptest.NewRoot(eds.KeyECDSA, "Other Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := other.Leaf(eds.KeyGOST2015_512, "Mallory", day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	sig2, err := cms.Sign(t.Context(), content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := MakeLT(t.Context(), sig2, nil, val); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("untrusted signer: %v", err)
	}
}

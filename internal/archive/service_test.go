package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// citizenSigner issues a GOST 2015-512 certificate carrying an IIN.
func (w *world) citizenSigner(cn string, n int) (cms.SignerSpec, string) {
	iin, ok := kzid.Complete(fmt.Sprintf("9001010%04d", n))
	if !ok {
		w.t.Fatal("no IIN")
	}
	key, err := eds.GenerateKey(nil, eds.KeyGOST2015_512)
	if err != nil {
		w.t.Fatal(err)
	}
	cert, err := w.root.Issue(tsptest.Template{CommonName: cn, SerialNumber: "IIN" + iin, NotBefore: day(2026, 1, 1), NotAfter: day(2028, 1, 1),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return cms.SignerSpec{Signer: key, Cert: cert}, iin
}

type fakeParties map[string]string

func (f fakeParties) SubjectRefTx(_ context.Context, _ *store.Tx, iin string) (string, error) {
	if r, ok := f[iin]; ok {
		return r, nil
	}
	return "", errors.New("unknown IIN")
}

// switchTSA is the archive's TSA whose key the test rolls.
type switchTSA struct{ cur *tsp.Local }

func (s *switchTSA) TimeStamp(ctx context.Context, alg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return s.cur.TimeStamp(ctx, alg, data)
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rule DC-5, DC-6: the archive on both engines and both blob stores: a two-signer
// document is seen by both signers and its owner and by nobody else; bad input stores
// nothing; sealing and a renewal with the rolled TSA key keep it verifiable in 2035;
// every ingest, view and export is an outbox event.
func TestService(t *testing.T) {
	for _, blobs := range []string{"db", "files"} {
		t.Run(blobs, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) { testService(t, db, blobs) })
		})
	}
}

func testService(t *testing.T, db *store.DB, blobKind string) {
	ctx := t.Context()
	w := newWorld(t)
	alice, aliceIIN := w.citizenSigner("Alice", 1)
	bob, bobIIN := w.citizenSigner("Bob", 2)
	parties := fakeParties{aliceIIN: "citizen:1", bobIIN: "citizen:2"}
	var blobs BlobStore = DBBlobs{DB: db}
	dir := ""
	if blobKind == "files" {
		dir = t.TempDir()
		var err error
		if blobs, err = Blobs(db, dir, nil); err != nil { // as serve --archive-blobs makes it
			t.Fatal(err)
		}
	}
	crl := w.crl()
	tsa := &switchTSA{cur: w.tsa1}
	val := w.validation(crl)
	svc, err := New(Config{DB: db, Blobs: blobs, Validation: val, TSA: tsa, TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert},
		Parties: parties, Now: func() time.Time { return w.clock }, MaxDocument: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Loan agreement between Alice and Bob, 24 months")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	sig, err = cms.AddSigner(ctx, sig, content, bob, cms.SignOptions{Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	events := func() int { return count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type LIKE 'archive.%'`) }
	docs := func() int { return count(t, db, `SELECT COUNT(*) FROM archive_documents`) }

	// Bad input: a stable code each, nothing stored.
	bad := []struct {
		name    string
		content []byte
		sigs    [][]byte
		want    error
	}{
		{"corrupt CMS", content, [][]byte{sig[:40]}, ErrBadCMS},
		{"other content", []byte("Loan agreement between Alice and Bob, 36 months"), [][]byte{sig}, ErrContentMismatch},
		{"too large", make([]byte, 2<<20), [][]byte{sig}, ErrTooLarge},
		{"no signature", content, nil, ErrBadCMS},
	}
	for _, tt := range bad {
		if _, err := svc.Ingest(ctx, "citizen:1", "a.txt", tt.content, tt.sigs); !errors.Is(err, tt.want) {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	if docs() != 0 || events() != 0 {
		t.Fatal("bad input stored something")
	}

	sum, err := svc.Ingest(ctx, "citizen:1", "agreement.txt", content, [][]byte{sig})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ContentSHA256 != Address(content) {
		t.Fatal("content is not addressed by its SHA-256")
	}
	for _, p := range []string{"citizen:1", "citizen:2"} {
		page, err := svc.List(ctx, p, "", 0)
		if err != nil || len(page.Documents) != 1 || page.Documents[0].ID != sum.ID || page.Documents[0].Signatures != 1 || page.Next != "" {
			t.Fatalf("%s: %v %+v", p, err, page)
		}
	}
	if page, _ := svc.List(ctx, "citizen:3", "", 0); len(page.Documents) != 0 {
		t.Fatal("a third citizen sees the document")
	}
	if _, _, err := svc.Open(ctx, "citizen:3", sum.ID, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a third citizen opens it: %v", err)
	}
	if _, _, err := svc.Open(ctx, "org:900140000009", sum.ID, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an organisation opens it: %v", err)
	}

	// Stored as signed (DC-5): the content is byte-for-byte what was signed.
	d, _, err := svc.Open(ctx, "citizen:2", sum.ID, false)
	if err != nil || !bytes.Equal(d.Content, content) || d.Evidence != nil {
		t.Fatalf("%v", err)
	}

	w.clock = w.clock.Add(24 * time.Hour)
	if n, err := svc.Seal(ctx, 100); err != nil || n != 1 {
		t.Fatalf("seal: %d %v", n, err)
	}
	if n, _ := svc.Seal(ctx, 100); n != 0 {
		t.Fatal("sealed twice")
	}
	// Renewal before it is due does nothing.
	if r, err := svc.Renew(ctx); err != nil || r.Renewed != 0 {
		t.Fatalf("early renewal: %+v %v", r, err)
	}
	// 2030-06: within a year of the 2026 TSA certificate's expiry; the TSA key rolled.
	w.clock = day(2030, 6, 1)
	tsa.cur = w.tsa2
	svc.cfg.TSAChain = []*x509.Certificate{w.tsa2.Config.Cert, w.root.Cert}
	svc.cfg.Validation.CRLs = []*pki.CRL{w.crl()}
	if r, err := svc.Renew(ctx); err != nil || r.Renewed != 1 {
		t.Fatalf("renewal: %+v %v", r, err)
	}
	if r, _ := svc.Renew(ctx); r.Renewed != 0 {
		t.Fatal("renewed twice")
	}
	// rule DC-6: a batch whose hash weakens within the margin is due for hash-tree
	// renewal; renewing it by a tree of the same weak hash is refused, nothing changes
	// (TestHashTreeService renews one).
	strict := *svc
	strict.cfg.Policy.WeakFrom = map[string]time.Time{oidStreebog512.String(): day(2031, 1, 1)}
	strict.cfg.Now = func() time.Time { return day(2030, 6, 2) }
	if due, err := strict.Due(ctx); err != nil || len(due.HashTree) != 1 || len(due.TimeStamp) != 0 {
		t.Fatalf("due: %+v %v", due, err)
	}
	if due, err := svc.Due(ctx); err != nil || len(due.HashTree) != 0 || len(due.TimeStamp) != 0 {
		t.Fatalf("due, default policy: %+v %v", due, err)
	}
	if r, err := strict.Renew(ctx); !errors.Is(err, ErrWeakHash) || r.HashTreeDocuments != 0 {
		t.Fatalf("weak hash renewal: %+v %v", r, err)
	}

	d, _, err = svc.Open(ctx, "citizen:1", sum.ID, true)
	if err != nil || d.Evidence == nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteASiCE(&buf, d, w.clock); err != nil {
		t.Fatal(err)
	}
	back, err := ReadASiCE(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyDocument(ctx, back, w.trust(), day(2035, 1, 1), Policy{})
	if err != nil || !rep.Valid {
		t.Fatalf("2035: %v %v", err, rep.Errs())
	}
	// ingested, viewed and exported once for each citizen party (citizen:1 and
	// citizen:2: both see them in their histories), sealed and renewed once.
	if got := events(); got != 8 {
		t.Fatalf("%d archive events", got)
	}
	for _, p := range []string{"citizen:1", "citizen:2"} {
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type LIKE 'archive.document.%' AND subject = ?`, p); n != 3 {
			t.Errorf("%s is the subject of %d document events, want 3", p, n)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type = 'archive.document.exported' AND actor = 'citizen:1'`); n != 2 {
		t.Fatalf("%d export events, want one for each citizen party", n)
	}

	// A blob changed behind the store's back is reported, not served.
	if dir != "" {
		p := filepath.Join(dir, sum.ContentSHA256[:2], sum.ContentSHA256)
		if err := os.WriteFile(p, []byte("changed"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Open(ctx, "citizen:1", sum.ID, false); !errors.Is(err, ErrBlobChanged) {
			t.Fatalf("changed blob: %v", err)
		}
	}
}

// rule DC-6: with a blob directory (serve --archive-blobs) new bytes go to files and
// bytes stored earlier in the database are still read, so switching needs no copy; a
// file changed behind the store's back is reported even when the database holds a good
// copy; a relative or unusable directory is refused at start.
func TestBlobsDirectory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		old := []byte("stored before the directory was chosen")
		oldAddr, err := (DBBlobs{DB: db}).Put(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "blobs")
		bs, err := Blobs(db, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := bs.Get(ctx, oldAddr); err != nil || string(b) != string(old) {
			t.Fatalf("bytes stored in the database: %q %v", b, err)
		}
		fresh := []byte("stored after")
		addr, err := bs.Put(ctx, fresh)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, addr[:2], addr)); err != nil || string(b) != string(fresh) {
			t.Fatalf("the new blob's file: %q %v", b, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM archive_blobs`); n != 1 {
			t.Fatalf("%d blobs in the database, want only the old one", n)
		}
		if b, err := bs.Get(ctx, addr); err != nil || string(b) != string(fresh) {
			t.Fatalf("the new blob: %q %v", b, err)
		}
		if _, err := bs.Get(ctx, Address([]byte("never stored"))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("an unknown blob: %v", err)
		}
		// A changed file is not masked by the database's copy.
		if _, err := (DBBlobs{DB: db}).Put(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, addr[:2], addr), []byte("changed"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := bs.Get(ctx, addr); !errors.Is(err, ErrBlobChanged) {
			t.Fatalf("a changed file: %v", err)
		}
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"relative/blobs", filepath.Join(file, "blobs")} {
			if _, err := Blobs(db, bad, nil); err == nil {
				t.Errorf("Blobs(%q) accepted", bad)
			}
		}
	})
}

// rule DC-6: the service renews a batch whose hash weakens by a new hash tree (the
// renewal job), the exported container verifies decades later with the old hash
// declared weak; a container imported with its evidence record keeps it, the next seal
// continues it, and it verifies decades later too.
func TestHashTreeService(t *testing.T) {
	storetest.Run(t, testHashTreeService)
}

func testHashTreeService(t *testing.T, db *store.DB) {
	ctx := t.Context()
	w := newWorld(t)
	alice, _ := w.citizenSigner("Alice", 1)
	tsa := &switchTSA{cur: w.tsa1}
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), TSA: tsa, TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert},
		Now: func() time.Time { return w.clock }, Policy: Policy{Hash: oidSHA256}})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("deed of gift, flat 12")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := svc.Ingest(ctx, "citizen:1", "deed.txt", content, [][]byte{sig})
	if err != nil {
		t.Fatal(err)
	}
	w.clock = w.clock.Add(24 * time.Hour)
	if n, err := svc.Seal(ctx, 10); err != nil || n != 1 {
		t.Fatalf("seal: %d %v", n, err)
	}
	// 2030: time-stamp renewal with the rolled key.
	w.clock, tsa.cur = day(2030, 6, 1), w.tsa2
	svc.cfg.TSAChain = []*x509.Certificate{w.tsa2.Config.Cert, w.root.Cert}
	svc.cfg.Validation.CRLs = []*pki.CRL{w.crl()}
	if r, err := svc.Renew(ctx); err != nil || r.Renewed != 1 || r.HashTreeDocuments != 0 {
		t.Fatalf("2030 renewal: %+v %v", r, err)
	}
	// 2035-06: the operator's policy declares SHA-256 weak from 2036; the renewal job
	// moves the document to a Streebog-512 tree with the 2035 TSA key.
	weak := Policy{Hash: oidStreebog512, WeakFrom: map[string]time.Time{oidSHA256.String(): day(2036, 1, 1)}}
	svc.cfg.Policy = weak.withDefaults()
	tsa3 := w.tsa3()
	w.clock, tsa.cur = day(2035, 6, 1), tsa3
	svc.cfg.TSAChain = []*x509.Certificate{tsa3.Config.Cert, w.root.Cert}
	svc.cfg.Validation.CRLs = []*pki.CRL{w.crl()}
	if r, err := svc.Renew(ctx); err != nil || r.Renewed != 0 || r.HashTreeBatches != 1 || r.HashTreeDocuments != 1 {
		t.Fatalf("hash-tree renewal: %+v %v", r, err)
	}
	if r, err := svc.Renew(ctx); err != nil || r.Renewed != 0 || r.HashTreeDocuments != 0 {
		t.Fatalf("renewed twice: %+v %v", r, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type = ?`, EvRenewed); n != 2 {
		t.Fatalf("%d renewal events", n)
	}
	d, _, err := svc.Open(ctx, "citizen:1", sum.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	er, err := ParseEvidenceRecord(d.Evidence)
	if err != nil || len(er.Chains) != 2 || len(er.Chains[0]) != 2 || len(er.Chains[1]) != 1 {
		t.Fatalf("record: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteASiCE(&buf, d, w.clock); err != nil {
		t.Fatal(err)
	}
	container := buf.Bytes()
	verify := func(name string, d *Document, at time.Time, wantValid bool, wantErr error) {
		t.Helper()
		rep, err := VerifyDocument(ctx, d, w.trust(), at, weak)
		if err != nil || rep.Valid != wantValid || (wantErr != nil && !rep.HasCode(wantErr)) {
			t.Fatalf("%s: %v valid %v %v", name, err, rep.Valid, rep.Errs())
		}
	}
	back, err := ReadASiCE(container, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	verify("2055, exported", back, day(2055, 1, 1), true, nil)
	changed := *back
	changed.Content = bytes.Clone(back.Content)
	changed.Content[0] ^= 1
	verify("2055, one byte changed", &changed, day(2055, 1, 1), false, ErrNotCovered)

	// The container imported in 2035-07 (its signature time-stamp's TSA certificate
	// expired in 2031: only its evidence record covers it) keeps its record.
	w.clock = day(2035, 7, 1)
	svc.cfg.Trust = w.trust()
	imp, err := svc.Import(ctx, "org:900140000009", container)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_prior_chains p JOIN archive_documents d ON d.id = p.document_id
		WHERE d.public_id = ? AND p.chain IS NOT NULL`, imp.ID); n != 2 {
		t.Fatalf("%d chains kept", n)
	}
	d2, _, err := svc.Open(ctx, "org:900140000009", imp.ID, false)
	if err != nil || !bytes.Equal(d2.Evidence, back.Evidence) {
		t.Fatalf("the kept record is not the container's: %v", err)
	}
	// rule DC-6: the same document as ASiC-S is imported the same way, its record
	// kept; with one content byte changed it is refused and nothing is stored.
	buf.Reset()
	if err := WriteASiCS(&buf, d, w.clock); err != nil {
		t.Fatal(err)
	}
	simple := bytes.Clone(buf.Bytes())
	impS, err := svc.Import(ctx, "org:900140000009", simple)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_prior_chains p JOIN archive_documents d ON d.id = p.document_id
		WHERE d.public_id = ?`, impS.ID); n != 2 {
		t.Fatalf("%d chains kept from the ASiC-S", n)
	}
	before := count(t, db, `SELECT COUNT(*) FROM archive_documents`)
	bad := bytes.Clone(d.Content)
	bad[0] ^= 1
	buf.Reset()
	if err := WriteASiCS(&buf, &Document{Name: d.Name, Content: bad, Signatures: d.Signatures, Evidence: d.Evidence}, w.clock); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, "org:900140000009", buf.Bytes()); !errors.Is(err, ErrNotCovered) || !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("import of a changed ASiC-S: %v", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != before {
		t.Fatalf("a refused import stored a document: %d, %d", n, before)
	}
	// The next seal continues them: a third chain over the two kept ones.
	w.clock = day(2035, 7, 2)
	svc.cfg.Validation.CRLs = []*pki.CRL{w.crl()}
	if n, err := svc.Seal(ctx, 10); err != nil || n != 2 {
		t.Fatalf("seal of the imports: %d %v", n, err)
	}
	dS, _, err := svc.Open(ctx, "org:900140000009", impS.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	verify("2055, imported from ASiC-S and sealed", dS, day(2055, 1, 1), true, nil)
	d2, _, err = svc.Open(ctx, "org:900140000009", imp.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if er, err := ParseEvidenceRecord(d2.Evidence); err != nil || len(er.Chains) != 3 {
		t.Fatalf("continued record: %v", err)
	}
	verify("2055, imported and sealed", d2, day(2055, 1, 1), true, nil)
	// The kept chains alone still verify until 2040 and prove the 2026 signature.
	d3 := *d2
	d3.Evidence = back.Evidence
	verify("2039, kept record", &d3, day(2039, 1, 1), true, nil)
	// The same container without its evidence record is refused: the signature
	// time-stamp's TSA certificate has expired and nothing covers it.
	bare := *back
	bare.Evidence = nil
	buf.Reset()
	if err := WriteASiCE(&buf, &bare, w.clock); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, "org:900140000009", buf.Bytes()); !errors.Is(err, ErrGap) {
		t.Fatalf("import without evidence: %v", err)
	}
	// A container whose record's earlier chain was changed is refused.
	er, _ = ParseEvidenceRecord(back.Evidence)
	if er.Chains[0][0].TimeStamp, err = withValidationData(er.Chains[0][0].TimeStamp, nil, [][]byte{w.crl().Raw}); err != nil {
		t.Fatal(err)
	}
	tampered := *back
	if tampered.Evidence, err = er.Marshal(); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := WriteASiCE(&buf, &tampered, w.clock); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, "org:900140000009", buf.Bytes()); !errors.Is(err, ErrNotCovered) {
		t.Fatalf("import of a changed record: %v", err)
	}
}

// txParties makes a citizen record in the ingest's transaction, as identity does.
type txParties struct{}

func (txParties) SubjectRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error) {
	id, err := tx.InsertID(ctx, `INSERT INTO citizens (iin, name, lang, created_at) VALUES (?, '', 'kk', 0) RETURNING id`, iin)
	return fmt.Sprintf("citizen:%d", id), err
}

// rule DC-6: an ingest refused at its second signature leaves no citizen record for the
// first one's signer (bad input changes nothing); a stored one makes the signer a party.
func TestRefusedIngestMakesNoParty(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	w := newWorld(t)
	alice, _ := w.citizenSigner("Alice", 1)
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), TSA: w.tsa1, TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert},
		Parties: txParties{}, Now: func() time.Time { return w.clock }, MaxDocument: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Tenancy agreement")
	good, err := cms.Sign(ctx, content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cms.Sign(ctx, []byte("Another agreement"), []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, "org:100000000001", "t.txt", content, [][]byte{good, other}); !errors.Is(err, ErrContentMismatch) {
		t.Fatalf("a second signature over other content: %v", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM citizens`); n != 0 {
		t.Fatalf("the refused ingest left %d citizen records", n)
	}
	sum, err := svc.Ingest(ctx, "org:100000000001", "t.txt", content, [][]byte{good})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM citizens`); n != 1 {
		t.Fatalf("the stored ingest made %d citizen records, want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_parties p JOIN archive_documents d ON d.id = p.document_id WHERE d.public_id = ? AND p.party LIKE 'citizen:%'`, sum.ID); n != 1 {
		t.Errorf("the signer is a party of %d rows, want 1", n)
	}
}

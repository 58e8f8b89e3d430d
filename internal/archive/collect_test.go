package archive

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-6: the collector deletes only blobs that nothing references and that were
// last put more than the grace period ago; an archived document's bytes stay however
// old, bytes put again are young again, and a blob put again between the collector's
// listing and its removal is not removed. On both engines, with bytes in the database
// and in a directory (which also sweeps the database's older bytes).
func TestCollectBlobs(t *testing.T) {
	for _, kind := range []string{"db", "files"} {
		t.Run(kind, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) { testCollectBlobs(t, db, kind) })
		})
	}
}

func testCollectBlobs(t *testing.T, db *store.DB, kind string) {
	ctx := t.Context()
	w := newWorld(t)
	clock := func() time.Time { return w.clock }
	var bs BlobSweeper = DBBlobs{DB: db, Now: clock}
	if kind == "files" {
		var err error
		if bs, err = Blobs(db, t.TempDir(), clock); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := w.citizenSigner("Alice", 1)
	svc, err := New(Config{DB: db, Blobs: bs, Validation: w.validation(w.crl()), TSA: w.tsa1,
		TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Receipt for 150 000 tenge")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := svc.Ingest(ctx, "citizen:1", "receipt.txt", content, [][]byte{sig})
	if err != nil {
		t.Fatal(err)
	}
	put := func(s BlobStore, b string) string {
		t.Helper()
		a, err := s.Put(ctx, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	lost := put(bs, "the signature of an ingest whose transaction failed")
	renewed := put(bs, "bytes an ingest puts again later")
	raced := put(bs, "bytes put again while the collector runs")
	legacy := ""
	if kind == "files" {
		legacy = put(DBBlobs{DB: db, Now: clock}, "bytes left in the database before the directory")
	}
	w.clock = w.clock.Add(DefaultBlobGrace + time.Hour)
	young := put(bs, "the bytes of an ingest in progress")
	put(bs, "bytes an ingest puts again later")

	// A blob put again after the listing is not removed.
	before := w.clock.Add(-DefaultBlobGrace)
	var listed []string
	if err := bs.Old(ctx, before, func(a []string) error { listed = append(listed, a...); return nil }); err != nil {
		t.Fatal(err)
	}
	put(bs, "bytes put again while the collector runs")
	if ok, err := bs.Remove(ctx, raced, before); ok || err != nil {
		t.Fatalf("Remove of a blob put again after the listing = %v, %v", ok, err)
	}

	n, err := svc.CollectBlobs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	if legacy != "" {
		want = 2
	}
	if n != want {
		t.Errorf("collected %d blobs, want %d", n, want)
	}
	for _, a := range []string{lost, legacy} {
		if _, err := bs.Get(ctx, a); a != "" && !errors.Is(err, ErrNotFound) {
			t.Errorf("an old unreferenced blob is still there: %v", err)
		}
	}
	for what, a := range map[string]string{"young": young, "put again": renewed, "raced": raced} {
		if _, err := bs.Get(ctx, a); err != nil {
			t.Errorf("the %s blob was collected: %v", what, err)
		}
	}
	d, _, err := svc.Open(ctx, "citizen:1", sum.ID, false)
	if err != nil || string(d.Content) != string(content) || len(d.Signatures) != 1 {
		t.Fatalf("the archived document after collection: %v", err)
	}
	// Nothing more to collect; later, the young blobs' turn comes.
	if n, err := svc.CollectBlobs(ctx, 0); n != 0 || err != nil {
		t.Errorf("a second collection = %d, %v", n, err)
	}
	w.clock = w.clock.Add(DefaultBlobGrace + time.Hour)
	if n, err := svc.CollectBlobs(ctx, 0); n != 3 || err != nil {
		t.Errorf("a day later = %d, %v; want the three unreferenced blobs", n, err)
	}
	if _, _, err := svc.Open(ctx, "citizen:1", sum.ID, false); err != nil {
		t.Fatalf("the archived document after the second collection: %v", err)
	}
}

// rule DC-6: a party's documents come a page at a time, newest first, every one of
// them once however many there are (the list stopped at 500 before); a cursor is only
// good for the party it was given to, and a page size out of range is refused.
func TestListPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		svc, err := New(Config{DB: db, TSA: w.tsa1, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		// Rows as ingest writes them: citizen:1 owns 7 documents; citizen:2 signed d05.
		var ids []string
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for i := range 7 {
				id := fmt.Sprintf("d%02d", i)
				ids = append([]string{id}, ids...) // newest first
				n, err := tx.InsertID(ctx, `INSERT INTO archive_documents (public_id, name, content_sha256, content_size, owner, created_at)
					VALUES (?, 'x.txt', ?, 1, 'citizen:1', ?) RETURNING id`, id, Address([]byte{byte(i)}), store.Micros(w.clock))
				if err != nil {
					return err
				}
				parties := []string{"citizen:1"}
				if i == 5 {
					parties = append(parties, "citizen:2")
				}
				for _, p := range parties {
					if _, err := tx.ExecContext(ctx, `INSERT INTO archive_parties (document_id, party) VALUES (?, ?)`, n, p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			page, err := svc.List(ctx, "citizen:1", after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Documents) > 3 || pages > 3 {
				t.Fatalf("page %d: %d documents", pages, len(page.Documents))
			}
			for _, d := range page.Documents {
				got = append(got, d.ID)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Fatalf("pages gave %v, want %v", got, ids)
		}
		if page, err := svc.List(ctx, "citizen:1", "", 7); err != nil || len(page.Documents) != 7 || page.Next != "" {
			t.Fatalf("a page of exactly all: %+v %v", page, err)
		}
		if page, err := svc.List(ctx, "citizen:2", "", 0); err != nil || len(page.Documents) != 1 || page.Documents[0].ID != "d05" {
			t.Fatalf("citizen:2: %+v %v", page, err)
		}
		// A cursor of citizen:1's list is nothing to citizen:2; an unknown one is refused.
		for _, c := range []string{"d03", "nope"} {
			if _, err := svc.List(ctx, "citizen:2", c, 0); !errors.Is(err, ErrCursor) {
				t.Errorf("cursor %q for citizen:2: %v", c, err)
			}
		}
		for _, l := range []int{-1, MaxPageSize + 1} {
			if _, err := svc.List(ctx, "citizen:1", "", l); problem.From(err).Code != "request.invalid_field" {
				t.Errorf("limit %d: %v", l, err)
			}
		}
	})
}

// rule DC-6: a Remove interrupted by a crash after moving a file aside loses nothing:
// Get moves it back, and so does the collector's next listing.
func TestFileBlobsAsideAfterCrash(t *testing.T) {
	ctx := t.Context()
	fb := FileBlobs{Dir: t.TempDir()}
	aside := func(b string) string {
		t.Helper()
		a, err := fb.Put(ctx, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := fb.path(a)
		if err := os.Rename(p, p+asideSuffix); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := aside("read after the crash")
	if b, err := fb.Get(ctx, a); err != nil || string(b) != "read after the crash" {
		t.Fatalf("Get of a blob left aside: %q %v", b, err)
	}
	a2 := aside("listed after the crash")
	if err := fb.Old(ctx, time.Now().Add(time.Hour), func([]string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if b, err := fb.Get(ctx, a2); err != nil || string(b) != "listed after the crash" {
		t.Fatalf("a blob left aside, after a listing: %q %v", b, err)
	}
	if p, _ := fb.path(a2); fileExists(p + asideSuffix) {
		t.Fatal("the file aside is still there")
	}
	// Remove of a blob that is not there (never stored, or moved back by a Get) removes
	// nothing and is no error.
	if ok, err := fb.Remove(ctx, Address([]byte("never stored")), time.Now()); ok || err != nil {
		t.Fatalf("Remove of a missing blob = %v, %v", ok, err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rule DC-5: with the bytes in the archive's own database, an ingest stores its bytes
// and its rows in one transaction: an ingest refused inside it (here by IngestThen's
// step) leaves no bytes behind, and one that succeeds has them — on both engines. A
// blob store in another database keeps putting first.
func TestIngestBlobsInItsTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t)
		content := []byte("the document of an ingest refused in its transaction")
		sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{w.signer("Alice")}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		blobs := func(d *store.DB) int {
			var n int
			if err := d.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM archive_blobs`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("refused in the transaction")
		if _, err := svc.IngestThen(t.Context(), "org:900140000009", "a.txt", content, [][]byte{sig},
			func(context.Context, *store.Tx, *Summary) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("refused ingest: %v", err)
		}
		if n := blobs(db); n != 0 {
			t.Fatalf("%d blobs left by a refused ingest", n)
		}
		sum, err := svc.Ingest(t.Context(), "org:900140000009", "a.txt", content, [][]byte{sig})
		if err != nil {
			t.Fatal(err)
		}
		if n := blobs(db); n != 2 {
			t.Fatalf("%d blobs after an ingest of a document and one signature, want 2", n)
		}
		if d, _, err := svc.Open(t.Context(), "org:900140000009", sum.ID, false); err != nil || string(d.Content) != string(content) {
			t.Fatalf("the stored document: %v", err)
		}
		// Bytes in another database are put before the transaction, as any store's.
		other := storetest.Open(t)
		svc2, err := New(Config{DB: db, Blobs: DBBlobs{DB: other}, Validation: w.validation(w.crl()), Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc2.IngestThen(t.Context(), "org:900140000009", "a.txt", content, [][]byte{sig},
			func(context.Context, *store.Tx, *Summary) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("refused ingest: %v", err)
		}
		if n := blobs(other); n != 2 {
			t.Fatalf("%d blobs put in the other database, want 2 (put before the transaction)", n)
		}
	})
}

package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

const testOrigin = "senim.test/log"

var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// detRand is a deterministic salt source for tests.
type detRand struct{ r *mrand.ChaCha8 }

func (d detRand) Read(p []byte) (int, error) { return d.r.Read(p) }

func newTestLog(t testing.TB, db *store.DB, mod func(*Config)) *Log {
	t.Helper()
	s, v, err := LoadOrCreateSigner(filepath.Join(t.TempDir(), "log.key"), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{DB: db, Signer: s, Verifier: v, Origin: testOrigin,
		Now: func() time.Time { return testNow }, Rand: detRand{mrand.NewChaCha8([32]byte{1})}}
	if mod != nil {
		mod(&cfg)
	}
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// emit writes n events in one transaction and returns their IDs.
func emit(t testing.TB, db *store.DB, evs ...store.Event) []int64 {
	t.Helper()
	var ids []int64
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		ids = ids[:0]
		for _, e := range evs {
			id, err := tx.Emit(context.Background(), e)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func sampleEvents(n, offset int) []store.Event {
	out := make([]store.Event, n)
	for i := range out {
		k := i + offset
		e := store.Event{Type: "identity.session.opened", Actor: fmt.Sprintf("citizen:%d", k%7+1), Subject: fmt.Sprintf("citizen:%d", k%7+1)}
		switch k % 4 {
		case 1:
			e = store.Event{Type: "pd.access.requested", Actor: "org:990140000123", Subject: fmt.Sprintf("citizen:%d", k%5+1), Payload: json.RawMessage(fmt.Sprintf(`{"scope":["address"],"n":%d}`, k))}
		case 2:
			e = store.Event{Type: "system.tick", Actor: "system"}
		}
		out[i] = e
	}
	return out
}

// tileReader serves tlog tiles (height 8) from the log, for x/mod/sumdb/tlog.
type tileReader struct {
	ctx context.Context
	l   *Log
}

func (r tileReader) Height() int { return TileHeight }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r.l.Tile(r.ctx, TileID{Level: t.L, Index: t.N, Width: t.W})
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func toHash(b []byte) tlog.Hash { var h tlog.Hash; copy(h[:], b); return h }

// checkIndependently verifies the log with golang.org/x/mod/sumdb/tlog: the
// tiles against the signed checkpoint, the leaves against the tiles, and our
// inclusion and consistency proofs.
func checkIndependently(t *testing.T, ctx context.Context, l *Log, prevSize int64) Checkpoint {
	t.Helper()
	signed, err := l.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := OpenCheckpoint(signed, l.cfg.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	tree := tlog.Tree{N: cp.Size, Hash: toHash(cp.Hash)}
	hr := tlog.TileHashReader(tree, tileReader{ctx, l})
	// The root from the tiles (TileHashReader checks every tile it reads).
	th, err := tlog.TreeHash(cp.Size, hr)
	if err != nil || th != tree.Hash {
		t.Fatalf("tlog tree hash: %v (%x vs %x)", err, th, tree.Hash)
	}
	for i := int64(0); i < cp.Size; i++ {
		leaf, err := l.Leaf(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseLeaf(leaf); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		rh := tlog.RecordHash(leaf)
		hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil || hs[0] != rh {
			t.Fatalf("leaf %d hash from tiles: %v", i, err)
		}
		p, size, err := l.InclusionProof(ctx, i, 0)
		if err != nil || size != cp.Size {
			t.Fatalf("inclusion %d: %v", i, err)
		}
		var tp tlog.RecordProof
		for _, h := range p {
			tp = append(tp, toHash(h))
		}
		if err := tlog.CheckRecord(tp, cp.Size, tree.Hash, i, rh); err != nil {
			t.Fatalf("tlog rejects our inclusion proof of %d in %d: %v", i, cp.Size, err)
		}
	}
	if prevSize > 0 {
		oldRoot, err := l.RootHash(ctx, prevSize)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.ConsistencyProof(ctx, prevSize, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		var tp tlog.TreeProof
		for _, h := range p {
			tp = append(tp, toHash(h))
		}
		if err := tlog.CheckTree(tp, cp.Size, tree.Hash, prevSize, toHash(oldRoot)); err != nil {
			t.Fatalf("tlog rejects our consistency proof %d -> %d: %v", prevSize, cp.Size, err)
		}
	}
	return cp
}

func TestSequencerIndependentVerification(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := newTestLog(t, db, func(c *Config) { c.BatchMax = 100 })
		var prev int64
		total := 0
		// Batches of awkward sizes cross tile boundaries at both levels.
		for _, n := range []int{1, 2, 253, 1, 300, 512, 7} {
			emit(t, db, sampleEvents(n, total)...)
			got, err := l.Sync(ctx)
			if err != nil || got != n {
				t.Fatalf("Sync = %d, %v; want %d", got, err, n)
			}
			total += n
			cp := checkIndependently(t, ctx, l, prev)
			if cp.Size != int64(total) {
				t.Fatalf("size %d, want %d", cp.Size, total)
			}
			prev = cp.Size
		}
		// Every event once, in order.
		for i := int64(0); i < int64(total); i++ {
			idx, err := l.IndexOfEvent(ctx, i+1)
			if err != nil || idx != i {
				t.Fatalf("IndexOfEvent(%d) = %d, %v", i+1, idx, err)
			}
		}
	})
}

func TestIntegrateIsIdempotent(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	l := newTestLog(t, db, nil)
	emit(t, db, sampleEvents(10, 0)...)
	if _, err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// A redelivery (the process died before the cursor moved) adds nothing.
	evs, err := readAllEvents(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.integrate(ctx, evs)
	if err != nil || n != 0 {
		t.Fatalf("re-integrate = %d, %v", n, err)
	}
	// A batch that starts after a gap pulls the skipped events in first.
	emit(t, db, sampleEvents(5, 10)...)
	evs, _ = readAllEvents(ctx, db)
	n, err = l.integrate(ctx, evs[12:])
	if err != nil || n != 5 {
		t.Fatalf("integrate after gap = %d, %v", n, err)
	}
	for id := int64(1); id <= 15; id++ {
		if idx, err := l.IndexOfEvent(ctx, id); err != nil || idx != id-1 {
			t.Fatalf("event %d at %d, %v", id, idx, err)
		}
	}
}

func readAllEvents(ctx context.Context, db *store.DB) ([]store.Event, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, type, actor, subject, payload, created_at FROM outbox_events ORDER BY id")
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

var _ = bytes.Equal
var _ = ed25519.Sign
var _ = sha256.Sum256
var _ note.Signer

package auditlog

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func testKEK(t testing.TB) *keyring.KEK {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	k, err := keyring.NewKEK(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sharedDB is one database that several nodes open with their own handles:
// a SQLite file, or a PostgreSQL schema.
func sharedDB(t *testing.T, engine store.Engine) string {
	t.Helper()
	url := storetest.URL(t, engine)
	db := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return url
}

// node opens the shared database with its own handle, as another process would,
// and a log whose keys live in the database.
func node(t *testing.T, url string, ks KeyStore) (*Log, *store.DB, error) {
	t.Helper()
	db := storetest.OpenURL(t, url, storetest.Options(t))
	l, err := New(t.Context(), Config{DB: db, Keys: &ks, Origin: testOrigin, Now: func() time.Time { return testNow }})
	return l, db, err
}

func mustNode(t *testing.T, url string, ks KeyStore) (*Log, *store.DB) {
	t.Helper()
	l, db, err := node(t, url, ks)
	if err != nil {
		t.Fatal(err)
	}
	return l, db
}

// allCheckpoints returns every stored checkpoint, oldest first.
func allCheckpoints(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT note FROM auditlog_checkpoints ORDER BY tree_size")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func pin(t *testing.T, key string) note.Verifier {
	t.Helper()
	v, err := NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Issue 18: several nodes on one database start at once; they must agree on one
// log key, created exactly once.
func TestKeyCreatedOnceAcrossConcurrentNodes(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url := sharedDB(t, engine)
			kek := testKEK(t)
			const nodes = 6
			keys := make([]string, nodes)
			errs := make([]error, nodes)
			dbs := make([]*store.DB, nodes)
			for i := range dbs {
				dbs[i] = storetest.OpenURL(t, url, storetest.Options(t))
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range nodes {
				wg.Go(func() {
					<-start
					l, err := New(t.Context(), Config{DB: dbs[i], Origin: testOrigin,
						Keys: &KeyStore{KEK: kek, ImportFile: filepath.Join(t.TempDir(), "log.key")}})
					if err == nil {
						keys[i] = l.Key()
					}
					errs[i] = err
				})
			}
			close(start)
			wg.Wait()
			for i := range nodes {
				if errs[i] != nil {
					t.Fatalf("node %d: %v", i, errs[i])
				}
				if keys[i] == "" || keys[i] != keys[0] {
					t.Fatalf("node %d signs with %q, node 0 with %q", i, keys[i], keys[0])
				}
			}
			var n int
			dbs[0].QueryRowContext(t.Context(), "SELECT COUNT(*) FROM auditlog_keys").Scan(&n)
			if n != 1 {
				t.Fatalf("%d keys stored, want 1", n)
			}
		})
	}
}

// Issue 18: two sequencers on one database integrate concurrently; every
// checkpoint verifies with the one published key, and a node started later with
// an empty data directory signs with that key too.
func TestTwoNodesSignWithOneKey(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url := sharedDB(t, engine)
			kek := testKEK(t)
			a, dbA := mustNode(t, url, KeyStore{KEK: kek, ImportFile: filepath.Join(t.TempDir(), "log.key")})
			b, dbB := mustNode(t, url, KeyStore{KEK: kek, ImportFile: filepath.Join(t.TempDir(), "log.key")})
			if a.Key() != b.Key() {
				t.Fatalf("nodes publish %s and %s", a.Key(), b.Key())
			}
			ctx := t.Context()
			var wg sync.WaitGroup
			for i, n := range []struct {
				l  *Log
				db *store.DB
			}{{a, dbA}, {b, dbB}} {
				wg.Go(func() {
					for r := range 15 {
						emit(t, n.db, sampleEvents(3, 100*i+r)...)
						if _, err := n.l.Sync(ctx); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			cps := allCheckpoints(t, dbA)
			if len(cps) < 2 {
				t.Fatalf("only %d checkpoints", len(cps))
			}
			published := pin(t, a.Key())
			for i, c := range cps {
				if _, _, err := OpenCheckpoint([]byte(c), published); err != nil {
					t.Fatalf("checkpoint %d does not verify with the published key: %v", i, err)
				}
			}
			var size int64
			dbA.QueryRowContext(ctx, "SELECT tree_size FROM auditlog_state").Scan(&size)
			if size != 2*15*3 {
				t.Fatalf("tree size %d, want %d", size, 2*15*3)
			}
			// A node whose data directory is empty (a container without a volume).
			c, _ := mustNode(t, url, KeyStore{KEK: kek, ImportFile: filepath.Join(t.TempDir(), "log.key")})
			if c.Key() != a.Key() {
				t.Fatalf("a node with an empty data directory publishes %s, the log's key is %s", c.Key(), a.Key())
			}
			if err := c.Ready(ctx); err != nil {
				t.Fatalf("Ready: %v", err)
			}
		})
	}
}

func TestKeyStoreRefuses(t *testing.T) {
	url := sharedDB(t, store.SQLite)
	kek := testKEK(t)
	dir := t.TempDir()
	fileKey := filepath.Join(dir, "log.key")
	_, fv, err := LoadOrCreateSigner(fileKey, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	// Upgrade: the single-node key file is imported, so the published key stays.
	l, db := mustNode(t, url, KeyStore{KEK: kek, ImportFile: fileKey})
	if l.Key() != VerifierKey(fv) {
		t.Fatalf("imported key %s, the file holds %s", l.Key(), VerifierKey(fv))
	}
	emit(t, db, sampleEvents(4, 0)...)
	if _, err := l.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := node(t, url, KeyStore{KEK: kek, ImportFile: fileKey}); err != nil {
		t.Fatalf("the same file again: %v", err)
	}
	otherFile := filepath.Join(t.TempDir(), "log.key")
	LoadOrCreateSigner(otherFile, testOrigin)
	for _, tc := range []struct {
		name string
		ks   KeyStore
		want error
	}{
		{"a different key file", KeyStore{KEK: kek, ImportFile: otherFile}, ErrKeyFileMismatch},
		{"wrong KEK", KeyStore{KEK: testKEK(t)}, keyring.ErrWrongKEK},
		{"no KEK", KeyStore{}, keyring.ErrNoKEK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := node(t, url, tc.ks); !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("checkpoints but no key", func(t *testing.T) {
		db := storetest.Open(t)
		old := newTestLog(t, db, nil) // a file key from before the upgrade, now lost
		emit(t, db, sampleEvents(3, 0)...)
		if _, err := old.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err := New(t.Context(), Config{DB: db, Origin: testOrigin, Keys: &KeyStore{KEK: kek, ImportFile: filepath.Join(t.TempDir(), "log.key")}})
		if !errors.Is(err, ErrNoLogKey) {
			t.Fatalf("New = %v, want ErrNoLogKey", err)
		}
		var n int
		db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM auditlog_keys").Scan(&n)
		if n != 0 {
			t.Fatal("a new key was stored for a log that has checkpoints")
		}
	})

	t.Run("sealed rows swapped", func(t *testing.T) {
		if _, err := l.cfg.Keys.Rotate(t.Context(), "system"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(t.Context(), `UPDATE auditlog_keys SET sealed = (SELECT sealed FROM auditlog_keys k WHERE k.seq = 2) WHERE seq = 1`)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := node(t, url, KeyStore{KEK: kek}); !errors.Is(err, keyring.ErrTampered) {
			t.Fatalf("New = %v, want ErrTampered", err)
		}
		if err := l.Ready(t.Context()); !errors.Is(err, keyring.ErrTampered) {
			t.Fatalf("Ready = %v, want ErrTampered", err)
		}
	})
}

// Issue 18: a node refuses to become ready, and to extend the tree, when the
// newest stored checkpoint does not verify with the log's keys.
func TestReadyRefusesForeignOrTamperedCheckpoint(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l, err := New(ctx, Config{DB: db, Origin: testOrigin, Keys: &KeyStore{KEK: testKEK(t)}, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx); err != nil {
			t.Fatalf("an empty log is not ready: %v", err)
		}
		emit(t, db, sampleEvents(5, 0)...)
		if _, err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		// The defect of a node with its own key: the old file-key layout with an
		// empty data directory.
		stranger := newTestLog(t, db, nil)
		if err := stranger.Ready(ctx); !errors.Is(err, ErrCheckpointInvalid) {
			t.Fatalf("a node with another key: Ready = %v, want ErrCheckpointInvalid", err)
		}
		emit(t, db, sampleEvents(2, 10)...)
		if _, err := stranger.Sync(ctx); !errors.Is(err, ErrCheckpointInvalid) {
			t.Fatalf("a node with another key extended the tree: %v", err)
		}

		var signed string
		db.QueryRowContext(ctx, "SELECT note FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&signed)
		lines := strings.SplitN(signed, "\n", 4)
		forgedRoot := strings.Replace(signed, lines[2], b64(make([]byte, 32)), 1)
		if _, err := db.ExecContext(ctx, "UPDATE auditlog_checkpoints SET note = ? WHERE tree_size = 5", forgedRoot); err != nil {
			t.Fatal(err)
		}
		err = l.Ready(ctx)
		if !errors.Is(err, ErrCheckpointInvalid) {
			t.Fatalf("tampered checkpoint: Ready = %v, want ErrCheckpointInvalid", err)
		}
		if _, err := l.Sync(ctx); !errors.Is(err, ErrCheckpointInvalid) {
			t.Fatalf("the sequencer extended a tree with a tampered checkpoint: %v", err)
		}
		// A validly signed checkpoint that is not the tree's head.
		if _, err := db.ExecContext(ctx, "UPDATE auditlog_checkpoints SET note = ? WHERE tree_size = 5", signed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE auditlog_state SET compact_range = ? WHERE id = 1", make([]byte, 64)); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx); !errors.Is(err, ErrInconsistent) {
			t.Fatalf("checkpoint not the tree's head: Ready = %v, want ErrInconsistent", err)
		}
	})
}

// Issue 18: rotation. The announcing checkpoint carries the old and the new key's
// signatures, so a data owner's old pin still verifies it and a new pin does too;
// after the old key is retired only the new pin verifies.
func TestKeyRotation(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := t.Context()
			url := sharedDB(t, engine)
			kek := testKEK(t)
			a, db := mustNode(t, url, KeyStore{KEK: kek})
			b, _ := mustNode(t, url, KeyStore{KEK: kek}) // another node, never restarted
			c, _ := mustNode(t, url, KeyStore{KEK: kek}) // a node that integrates nothing
			emit(t, db, sampleEvents(3, 0)...)
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			oldKey := a.Key()
			oldPin := pin(t, oldKey)

			newKey, err := a.cfg.Keys.Rotate(ctx, "admin:1")
			if err != nil {
				t.Fatal(err)
			}
			newPin := pin(t, newKey)
			// The rotation's own event is in the next batch, which node b integrates.
			if _, err := b.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.PublishedKeys(ctx); len(got) != 2 || got[0] != oldKey || got[1] != newKey {
				t.Fatalf("published keys %q, want old then new", got)
			}
			announcing, err := b.LatestCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range map[string]note.Verifier{"old": oldPin, "new": newPin} {
				if _, _, err := OpenCheckpoint(announcing, p); err != nil {
					t.Fatalf("the announcing checkpoint does not verify with the %s pin: %v", name, err)
				}
			}
			leaf, err := b.Leaf(ctx, 3)
			if err != nil || !strings.Contains(string(leaf), "type auditlog.key.added") {
				t.Fatalf("the announcement is not logged: %q, %v", leaf, err)
			}
			if _, err := a.cfg.Keys.Retire(ctx, "admin:1", "deadbeef"); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("Retire of an unknown key: %v", err)
			}
			hash := strings.Split(oldKey, "+")[1]
			if got, err := a.cfg.Keys.Retire(ctx, "admin:1", hash); err != nil || got != oldKey {
				t.Fatalf("Retire = %q, %v", got, err)
			}
			if _, err := a.cfg.Keys.Retire(ctx, "admin:1", newKey); !errors.Is(err, ErrLastKey) {
				t.Fatalf("retiring the last key: %v", err)
			}
			emit(t, db, sampleEvents(2, 20)...)
			if _, err := a.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			after, _ := a.LatestCheckpoint(ctx)
			if _, _, err := OpenCheckpoint(after, newPin); err != nil {
				t.Fatalf("the new pin does not verify after retirement: %v", err)
			}
			if _, _, err := OpenCheckpoint(after, oldPin); !errors.Is(err, ErrCheckpointInvalid) {
				t.Fatalf("a retired key still signs: %v", err)
			}
			if got := a.PublishedKeys(ctx); len(got) != 1 || got[0] != newKey {
				t.Fatalf("published %q after retirement", got)
			}
			// Old checkpoints still verify on every node: bundles and proofs of
			// events logged under the old key.
			// Node c read its keys before the rotation: it proves events against a
			// checkpoint only the new key signed (it reads the keys again), and
			// accepts a witness's cosignature on it.
			if _, err := c.EventProof(ctx, 1); err != nil {
				t.Fatalf("event proof on a node that read the keys before the rotation: %v", err)
			}
			for _, l := range []*Log{a, b, c} {
				if err := l.Ready(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := l.EventProof(ctx, 1); err != nil {
					t.Fatalf("event proof: %v", err)
				}
			}
			infos, err := a.cfg.Keys.Keys(ctx)
			if err != nil || len(infos) != 2 || infos[0].RetiredAt.IsZero() || !infos[1].RetiredAt.IsZero() {
				t.Fatalf("Keys = %+v, %v", infos, err)
			}
		})
	}
}

func TestKeyMatches(t *testing.T) {
	k := "senim.test/log+0a1b2c3d+AQ=="
	for sel, want := range map[string]bool{
		k: true, "senim.test/log+0a1b2c3d": true, "0a1b2c3d": true, "0A1B2C3D": true,
		"": false, "0a1b2c3e": false, "senim.test/log": false, "0a1b": false,
	} {
		if got := keyMatches(k, sel); got != want {
			t.Errorf("keyMatches(%q) = %v", sel, got)
		}
	}
}

// Issue 18, the deployments already hit: two nodes each signed with their own
// key file. After the upgrade one key is the log's; the newest checkpoint carries
// the other, so no node is ready until that key is imported as retired.
func TestImportRetiredKeyForSplitHistory(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	dir := t.TempDir()
	fileA, fileB := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	sa, va, _ := LoadOrCreateSigner(fileA, testOrigin)
	sb, vb, _ := LoadOrCreateSigner(fileB, testOrigin)
	old, err := New(ctx, Config{DB: db, Signer: sa, Verifier: va, Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, db, sampleEvents(3, 0)...)
	if _, err := old.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The newest checkpoint as node B signed it.
	var size int64
	var signed string
	db.QueryRowContext(ctx, "SELECT tree_size, note FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&size, &signed)
	n, err := note.Open([]byte(signed), note.VerifierList(va))
	if err != nil {
		t.Fatal(err)
	}
	bySigned, _ := note.Sign(&note.Note{Text: n.Text}, sb)
	db.ExecContext(ctx, "UPDATE auditlog_checkpoints SET note = ? WHERE tree_size = ?", string(bySigned), size)

	kek := testKEK(t)
	l, err := New(ctx, Config{DB: db, Origin: testOrigin, Keys: &KeyStore{KEK: kek, ImportFile: fileA}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx); !errors.Is(err, ErrCheckpointInvalid) {
		t.Fatalf("Ready = %v, want ErrCheckpointInvalid", err)
	}
	if _, err := l.cfg.Keys.ImportRetired(ctx, "system", filepath.Join(dir, "missing.key")); err == nil {
		t.Fatal("importing a missing file worked")
	}
	if _, err := l.cfg.Keys.ImportRetired(ctx, "system", fileA); err == nil {
		t.Fatal("importing the log's own key again worked")
	}
	got, err := l.cfg.Keys.ImportRetired(ctx, "system", fileB)
	if err != nil || got != VerifierKey(vb) {
		t.Fatalf("ImportRetired = %q, %v", got, err)
	}
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("Ready after importing the other key: %v", err)
	}
	if got := l.PublishedKeys(ctx); len(got) != 1 || got[0] != VerifierKey(va) {
		t.Fatalf("published %q: an imported retired key must not sign", got)
	}
	if _, err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	latest, _ := l.LatestCheckpoint(ctx)
	if _, _, err := OpenCheckpoint(latest, va); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenCheckpoint(latest, vb); err == nil {
		t.Fatal("the imported retired key signed a new checkpoint")
	}
}

// Two operators retiring the two active keys at once must not leave the log
// without a signing key: one wins, the other gets ErrLastKey.
func TestConcurrentRetireKeepsOneKey(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := t.Context()
			url := sharedDB(t, engine)
			kek := testKEK(t)
			a, _ := mustNode(t, url, KeyStore{KEK: kek})
			b, _ := mustNode(t, url, KeyStore{KEK: kek})
			second, err := a.cfg.Keys.Rotate(ctx, "system")
			if err != nil {
				t.Fatal(err)
			}
			var errs [2]error
			var wg sync.WaitGroup
			wg.Go(func() { _, errs[0] = a.cfg.Keys.Retire(ctx, "system", a.Key()) })
			wg.Go(func() { _, errs[1] = b.cfg.Keys.Retire(ctx, "system", second) })
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs[:]...), ErrLastKey) {
				t.Fatalf("Retire results: %v, %v; want one success and one ErrLastKey", errs[0], errs[1])
			}
			if err := a.Ready(ctx); err != nil {
				t.Fatal(err)
			}
			if got := a.PublishedKeys(ctx); len(got) != 1 {
				t.Fatalf("published %q", got)
			}
		})
	}
}

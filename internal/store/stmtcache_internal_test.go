package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
)

// The SQLite writer's statement cache: a statement is prepared after the transaction
// that first ran it, reused by later ones (results unchanged), survives a rolled-back
// transaction and a schema change, and is bounded.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const ins = "INSERT INTO kv (k, v) VALUES (?, ?) RETURNING v"
	cached := func(q string) bool {
		db.stmts.mu.Lock()
		defer db.stmts.mu.Unlock()
		return db.stmts.stmts[q] != nil
	}
	put := func(k string, v int) error {
		return db.Tx(ctx, func(tx *Tx) error {
			var got int
			if err := tx.QueryRowContext(ctx, ins, k, v).Scan(&got); err != nil {
				return err
			}
			if got != v {
				t.Errorf("RETURNING %d, want %d", got, v)
			}
			_, err := tx.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", k)
			return err
		})
	}
	if cached(ins) {
		t.Fatal("cached before it ran")
	}
	if err := put("a", 1); err != nil {
		t.Fatal(err)
	}
	if !cached(ins) || !cached("UPDATE kv SET v = v + 1 WHERE k = ?") {
		t.Fatal("not cached after its transaction")
	}
	for i, k := range []string{"b", "c", "d"} {
		if err := put(k, i+10); err != nil {
			t.Fatal(err)
		}
	}
	// A failing statement (duplicate key) rolls back; the cache stays usable.
	if err := put("a", 5); err == nil {
		t.Fatal("duplicate key accepted")
	}
	boom := errors.New("boom")
	if err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", "b"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// A schema change under cached statements.
	if _, err := db.ExecContext(ctx, "ALTER TABLE kv ADD COLUMN note TEXT NOT NULL DEFAULT ''"); err != nil {
		t.Fatal(err)
	}
	if err := put("e", 20); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := db.QueryRowContext(ctx, "SELECT SUM(v) FROM kv").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if want := 2 + 11 + 12 + 13 + 21; sum != want { // each put adds one; the rolled-back update did not
		t.Errorf("sum %d, want %d", sum, want)
	}
	// Bounded: beyond maxCachedStmts, queries run unprepared.
	for i := range maxCachedStmts + 10 {
		q := "SELECT v FROM kv WHERE k = ? AND " + strconv.Itoa(i) + " = " + strconv.Itoa(i)
		if err := db.Tx(ctx, func(tx *Tx) error {
			var v int
			return tx.QueryRowContext(ctx, q, "a").Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.stmts.mu.Lock()
	n := len(db.stmts.stmts)
	db.stmts.mu.Unlock()
	if n > maxCachedStmts {
		t.Errorf("%d statements cached, at most %d", n, maxCachedStmts)
	}
	closed = true
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if cached(ins) {
		t.Error("statements left after Close")
	}
}

// The reader pool's statements: prepared on first use, reused, and safe with several
// results open at once (each on its own connection).
func TestReadStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "r.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", i, i*i); err != nil {
			t.Fatal(err)
		}
	}
	const q = "SELECT k, v FROM kv WHERE k >= ? ORDER BY k"
	r1, err := db.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	db.stmts.mu.Lock()
	cached := db.stmts.reads[q] != nil
	db.stmts.mu.Unlock()
	if !cached {
		t.Fatal("reader statement not cached")
	}
	// A second result of the same statement while the first is open.
	r2, err := db.QueryContext(ctx, q, 3)
	if err != nil {
		t.Fatal(err)
	}
	read := func(r interface {
		Next() bool
		Scan(...any) error
		Close() error
	}) (ks []int) {
		defer r.Close()
		for r.Next() {
			var k, v int
			if err := r.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			if v != k*k {
				t.Errorf("k %d: v %d", k, v)
			}
			ks = append(ks, k)
		}
		return ks
	}
	if got := read(r2); len(got) != 2 || got[0] != 3 {
		t.Errorf("second result %v", got)
	}
	if got := read(r1); len(got) != 5 || got[0] != 0 {
		t.Errorf("first result %v", got)
	}
	var v int
	if err := db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 4).Scan(&v); err != nil || v != 16 {
		t.Errorf("QueryRow: %d, %v", v, err)
	}
	// An invalid query is not cached and fails as before.
	if _, err := db.QueryContext(ctx, "SELECT nope FROM kv"); err == nil {
		t.Error("invalid query ran")
	}
	db.stmts.mu.Lock()
	bad := db.stmts.reads["SELECT nope FROM kv"] != nil
	db.stmts.mu.Unlock()
	if bad {
		t.Error("invalid query cached")
	}
}

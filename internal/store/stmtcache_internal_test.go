package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// Tx.ScanRows: a multi-row INSERT … RETURNING runs from the writer's cached statement
// after its first transaction, gives every row each time, and a scan error ends it
// with that error and rolls the transaction back.
func TestScanRowsCached(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const ins = "INSERT INTO kv (k, v) VALUES (?, ?), (?, ?) ON CONFLICT (k) DO NOTHING RETURNING k, v"
	cached := func() bool {
		db.stmts.mu.Lock()
		defer db.stmts.mu.Unlock()
		return db.stmts.stmts[ins] != nil
	}
	put := func(a, b string) (got []string, err error) {
		err = db.Tx(ctx, func(tx *Tx) error {
			got = got[:0]
			return tx.ScanRows(ctx, ins, []any{a, 1, b, 2}, func(rows *sql.Rows) error {
				var k string
				var v int
				if err := rows.Scan(&k, &v); err != nil {
					return err
				}
				got = append(got, k+"="+strconv.Itoa(v))
				return nil
			})
		})
		return got, err
	}
	for i, c := range []struct{ a, b, want string }{
		{"a", "b", "[a=1 b=2]"},
		{"c", "a", "[c=1]"}, // a is there: DO NOTHING returns no row for it
		{"d", "e", "[d=1 e=2]"},
	} {
		got, err := put(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("run %d: %s, want %s", i, s, c.want)
		}
		if !cached() {
			t.Errorf("run %d: the statement is not cached after it", i)
		}
	}
	boom := errors.New("boom")
	err = db.Tx(ctx, func(tx *Tx) error {
		return tx.ScanRows(ctx, ins, []any{"x", 1, "y", 2}, func(*sql.Rows) error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Fatalf("scan error: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM kv WHERE k IN ('x', 'y')").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows of the failed transaction stored (%v)", n, err)
	}
	// The cached statement is usable after the failure.
	if got, err := put("f", "g"); err != nil || fmt.Sprint(got) != "[f=1 g=2]" {
		t.Fatalf("after a failure: %v %v", got, err)
	}
}

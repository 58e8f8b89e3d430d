package storetest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/senimkz/senim/internal/store"
)

// recTB records how a helper ended a test; Fatal and Skip stop the
// goroutine as the real ones do.
type recTB struct {
	testing.TB
	mu       sync.Mutex
	fatal    []string
	skipped  bool
	cleanups []func()
}

func (r *recTB) Helper() {}
func (r *recTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = append(r.fatal, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recTB) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recTB) FailNow()          { r.Fatalf("FailNow") }
func (r *recTB) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recTB) Skip(args ...any) { r.Skipf("") }
func (r *recTB) SkipNow()         { r.Skipf("") }
func (r *recTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// call runs fn(r) in its own goroutine, as the testing package runs a test.
func call(r *recTB, fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	r.runCleanups()
}

// TestUnreachablePostgresFails: with the variable set and no server, the
// helpers fail the test; they must never skip, or CI would pass silently.
func TestUnreachablePostgresFails(t *testing.T) {
	t.Setenv(EnvURL, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	for name, fn := range map[string]func(testing.TB){
		"URL":     func(tb testing.TB) { URL(tb, store.Postgres) },
		"Engines": func(tb testing.TB) { Engines(tb) },
	} {
		r := &recTB{TB: t}
		call(r, fn)
		if r.skipped || len(r.fatal) == 0 || !strings.Contains(r.fatal[0], "unreachable") {
			t.Errorf("%s: skipped=%v fatal=%q; want a failure naming the unreachable server", name, r.skipped, r.fatal)
		}
	}
}

func TestPostgresUnsetSkips(t *testing.T) {
	t.Setenv(EnvURL, "")
	r := &recTB{TB: t}
	call(r, func(tb testing.TB) { URL(tb, store.Postgres) })
	if !r.skipped || len(r.fatal) != 0 {
		t.Errorf("skipped=%v fatal=%q; want a skip", r.skipped, r.fatal)
	}
	if got := EnginesAvailable(); len(got) != 1 || got[0] != store.SQLite {
		t.Errorf("EnginesAvailable() = %v, want [sqlite]", got)
	}
}

// TestPostgresSchemaIsolation: each database lives in its own schema,
// which is gone after the test's cleanup.
func TestPostgresSchemaIsolation(t *testing.T) {
	base := PostgresURL()
	if base == "" {
		t.Skip(EnvURL + " not set")
	}
	r := &recTB{TB: t}
	var schemas []string
	call(r, func(tb testing.TB) {
		for range 2 {
			db := OpenEngine(tb, store.Postgres)
			var s string
			if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&s); err != nil {
				tb.Fatal(err)
			}
			schemas = append(schemas, s)
		}
	})
	if len(r.fatal) > 0 {
		t.Fatal(r.fatal)
	}
	if len(schemas) != 2 || schemas[0] == schemas[1] || !strings.HasPrefix(schemas[0], "senim_test_") {
		t.Fatalf("schemas = %q; want two distinct senim_test_ schemas", schemas)
	}
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT COUNT(*) FROM pg_namespace WHERE nspname = ANY($1)", schemas).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d of the test schemas left after cleanup (%v)", n, err)
	}
}

func TestOpenIsMigratedSQLite(t *testing.T) {
	db := Open(t)
	if db.Engine() != store.SQLite {
		t.Fatalf("Engine() = %q", db.Engine())
	}
	if err := db.CheckSchema(t.Context()); err != nil {
		t.Fatal(err)
	}
}

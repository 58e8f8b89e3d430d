// Package storetest opens fresh, migrated Senim databases for tests:
// SQLite in t.TempDir() always, and PostgreSQL when the environment
// variable SENIM_TEST_DATABASE_URL holds a postgres:// URL. Each
// PostgreSQL database lives in its own schema (senim_test_<random>),
// created for the test and dropped in t.Cleanup, so parallel tests and
// packages never collide.
//
// When SENIM_TEST_DATABASE_URL is set and PostgreSQL cannot be reached,
// the test fails; it never skips. CI relies on that.
//
// Typical use, running a test on every available engine:
//
//	storetest.Run(t, func(t *testing.T, db *store.DB) { ... })
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/senimkz/senim/internal/store"
)

// EnvURL names the environment variable with the PostgreSQL test URL.
const EnvURL = "SENIM_TEST_DATABASE_URL"

// Now is the fixed time of the test clock used by Options:
// 2026-11-01T00:00:00Z, inside the validity of the NCA test PKI.
var Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Options returns the store options used by this package: a fixed clock
// at Now and a logger that writes to t.Log (and drops what is logged
// after the test ends, e.g. by a consumer goroutine still stopping).
func Options(t testing.TB) store.Options {
	w := &tWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	return store.Options{
		Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:    func() time.Time { return Now },
	}
}

type tWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// PostgresURL returns the value of SENIM_TEST_DATABASE_URL ("" if unset).
func PostgresURL() string { return os.Getenv(EnvURL) }

// EnginesAvailable lists SQLite, and PostgreSQL when SENIM_TEST_DATABASE_URL is set.
func EnginesAvailable() []store.Engine {
	if PostgresURL() != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// URL returns the URL of a fresh, empty (unmigrated) database on engine:
// a file in t.TempDir() for SQLite, a new schema for PostgreSQL (dropped
// in t.Cleanup). For PostgreSQL it skips if SENIM_TEST_DATABASE_URL is
// unset and fails if the server cannot be reached.
func URL(t testing.TB, engine store.Engine) string {
	t.Helper()
	switch engine {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "senim.db")
	case store.Postgres:
		base := PostgresURL()
		if base == "" {
			t.Skipf("%s not set: skipping PostgreSQL", EnvURL)
		}
		return postgresSchemaURL(t, base)
	}
	t.Fatalf("storetest: unknown engine %q", engine)
	return ""
}

// postgresSchemaURL creates a schema in the database at base and returns
// base with search_path set to it. It fails t when PostgreSQL is unreachable.
func postgresSchemaURL(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s must be a postgres:// URL", EnvURL)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "senim_test_" + hex.EncodeToString(rnd[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("storetest: %s is set but PostgreSQL is unreachable: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenURL opens the database at url with opts (see Options) and closes it
// in t.Cleanup. It does not migrate.
func OpenURL(t testing.TB, url string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("storetest: open %s database: %v", engineOf(url), err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	return db
}

func engineOf(url string) string {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return "PostgreSQL"
	}
	return "SQLite"
}

// OpenEngine returns a fresh, migrated database on engine (see URL).
func OpenEngine(t testing.TB, engine store.Engine) *store.DB {
	t.Helper()
	db := OpenURL(t, URL(t, engine), Options(t))
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate %s: %v", engine, err)
	}
	return db
}

// Open returns a fresh, migrated SQLite database in t.TempDir().
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenEngine(t, store.SQLite)
}

// Engines returns a fresh, migrated database on every available engine:
// SQLite always, PostgreSQL when SENIM_TEST_DATABASE_URL is set (failing
// t if it is unreachable). Use db.Engine() to name subtests.
func Engines(t testing.TB) []*store.DB {
	t.Helper()
	var dbs []*store.DB
	for _, e := range EnginesAvailable() {
		dbs = append(dbs, OpenEngine(t, e))
	}
	return dbs
}

// Run runs fn as a subtest named after each available engine, each with
// its own fresh, migrated database.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, OpenEngine(t, e))
		})
	}
}

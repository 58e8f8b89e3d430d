package store_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url     string
		wantErr error
		file    string // the SQLite file that must exist afterwards
	}{
		{url: "", wantErr: store.ErrInvalidURL},
		{url: ":memory:", wantErr: store.ErrInvalidURL},
		{url: "sqlite::memory:", wantErr: store.ErrInvalidURL},
		{url: "file::memory:?cache=shared", wantErr: store.ErrInvalidURL},
		{url: "sqlite:", wantErr: store.ErrInvalidURL},
		{url: "postgres://%zz", wantErr: store.ErrInvalidURL},
		{url: filepath.Join(dir, "plain.db"), file: "plain.db"},
		{url: "sqlite:" + filepath.Join(dir, "prefixed.db"), file: "prefixed.db"},
		{url: "sqlite://" + filepath.Join(dir, "slashes.db"), file: "slashes.db"},
		{url: "file:" + filepath.Join(dir, "file.db"), file: "file.db"},
		{url: "sqlite:" + filepath.Join(dir, "x.db") + "?mode=ro", wantErr: store.ErrInvalidURL},
		{url: filepath.Join(dir, "odd name#1%.db"), file: "odd name#1%.db"},
	}
	for _, tc := range tests {
		db, err := store.Open(t.Context(), tc.url, storetest.Options(t))
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Open(%q) = %v, want %v", tc.url, err, tc.wantErr)
			}
			if db != nil {
				db.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q) = %v", tc.url, err)
			continue
		}
		if db.Engine() != store.SQLite {
			t.Errorf("Open(%q).Engine() = %q", tc.url, db.Engine())
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
			t.Errorf("Open(%q) did not create %s: %v", tc.url, tc.file, err)
		}
	}
}

func TestOpenPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on localhost: connection refused.
	_, err := store.Open(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", store.Options{})
	if err == nil {
		t.Fatal("Open of an unreachable PostgreSQL succeeded")
	}
}

// TestSQLiteSettings checks the settings Open promises on SQLite: WAL,
// foreign keys, synchronous=FULL on the writer (the power-cut argument of
// docs/security.md rests on it) and NORMAL on the readers, which write nothing, a
// busy timeout, temporary files (statement journals of multi-row statements) in
// memory, and readers that cannot write.
func TestSQLiteSettings(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "1",
		"busy_timeout": "5000",
		"query_only":   "1", // on the reader pool
	} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("reader PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for pragma, want := range map[string]string{"foreign_keys": "1", "synchronous": "2", "query_only": "0", "temp_store": "2", "wal_autocheckpoint": "20000"} {
			var got string
			if err := tx.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
				t.Errorf("writer PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "INSERT INTO outbox_cursors (consumer, position, updated_at) VALUES ('x', 0, 0) RETURNING consumer")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Error("a write through the reader pool succeeded")
	}
}

// TestTxRetriesBusy: a second process (here a second DB on the same file)
// holds the write lock; Tx retries SQLITE_BUSY until the lock is free, and
// gives up after its bounded attempts when it stays taken.
func TestTxRetriesBusy(t *testing.T) {
	url := storetest.URL(t, store.SQLite)
	opts := storetest.Options(t)
	a := storetest.OpenURL(t, url, opts)
	if _, err := a.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	opts.BusyTimeout = time.Millisecond
	b := storetest.OpenURL(t, url, opts)

	hold := func(release <-chan struct{}, held chan<- struct{}) error {
		return a.Tx(context.Background(), func(tx *store.Tx) error {
			if _, err := tx.ExecContext(context.Background(), "INSERT INTO outbox_cursors (consumer, position, updated_at) VALUES ('holder', 0, 0) ON CONFLICT (consumer) DO NOTHING"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}
	write := func() error {
		return b.Tx(t.Context(), func(tx *store.Tx) error {
			_, err := tx.ExecContext(t.Context(), "INSERT INTO outbox_cursors (consumer, position, updated_at) VALUES ('b', 0, 0) ON CONFLICT (consumer) DO NOTHING")
			return err
		})
	}

	// The lock stays taken: Tx ends with the busy error, not a hang.
	release, held := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := hold(release, held); err != nil {
			t.Error(err)
		}
	})
	<-held
	err := write()
	close(release)
	wg.Wait()
	if err == nil {
		t.Fatal("Tx succeeded while another connection held the write lock")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Tx error after the busy retries = %v, want it marked ErrUnavailable", err)
	}

	// The lock is released soon: a retry succeeds.
	release, held = make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		if err := hold(release, held); err != nil {
			t.Error(err)
		}
	})
	<-held
	time.AfterFunc(20*time.Millisecond, func() { close(release) })
	if err := write(); err != nil {
		t.Errorf("Tx did not succeed after the lock was released: %v", err)
	}
	wg.Wait()
}

// TestTxRetriesSerializationFailure: fn is run again when it fails with
// a PostgreSQL serialization failure or deadlock, and not for other errors.
func TestTxRetriesSerializationFailure(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		tests := []struct {
			err       error
			wantCalls int
		}{
			{&pgconn.PgError{Code: "40001"}, 2},
			{&pgconn.PgError{Code: "40P01"}, 2},
			{&pgconn.PgError{Code: "23505"}, 1},
			{errors.New("other"), 1},
		}
		for _, tc := range tests {
			calls := 0
			err := db.Tx(t.Context(), func(tx *store.Tx) error {
				calls++
				if calls == 1 {
					return tc.err
				}
				return nil
			})
			if calls != tc.wantCalls {
				t.Errorf("%v: fn called %d times, want %d", tc.err, calls, tc.wantCalls)
			}
			if (tc.wantCalls == 1) != (err != nil) {
				t.Errorf("%v: Tx = %v", tc.err, err)
			}
		}
	})
}

// TestPostgresDurability: Open refuses a PostgreSQL connection that would
// acknowledge a commit before flushing it (synchronous_commit=off), with
// ErrNotDurable, and accepts every setting that flushes the local WAL. (fsync is a
// server-wide setting a test cannot change; the same check reads it.)
func TestPostgresDurability(t *testing.T) {
	for _, tc := range []struct {
		setting string
		want    error
	}{
		{"", nil},
		{"on", nil},
		{"local", nil},
		{"remote_apply", nil},
		{"off", store.ErrNotDurable},
	} {
		t.Run("synchronous_commit="+tc.setting, func(t *testing.T) {
			u, err := url.Parse(storetest.URL(t, store.Postgres))
			if err != nil {
				t.Fatal(err)
			}
			if tc.setting != "" {
				q := u.Query()
				q.Set("synchronous_commit", tc.setting)
				u.RawQuery = q.Encode()
			}
			db, err := store.Open(t.Context(), u.String(), store.Options{})
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

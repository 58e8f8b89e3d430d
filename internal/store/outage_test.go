package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Outages: what the store does when PostgreSQL ends its sessions or cannot be
// reached. PostgreSQL only; SQLite's outage (a lock held past the busy timeout) is
// TestTxRetriesBusy.

// pgURLWithApp returns a fresh schema's URL whose connections carry a unique
// application_name, so a test can terminate its own backends and no one else's.
func pgURLWithApp(t *testing.T) (dsn, app string) {
	t.Helper()
	raw := storetest.URL(t, store.Postgres)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	app = "senim_outage_" + hex.EncodeToString(b[:])
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), app
}

// terminate ends every backend of application app from a separate connection and
// waits until they are gone.
func terminate(t *testing.T, app string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(t.Context(),
		"SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", app).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStaleConnectionsRetried: the server ends every pooled session (as a restart or
// pg_terminate_backend does); the next reads and transactions run on fresh
// connections instead of failing.
func TestStaleConnectionsRetried(t *testing.T) {
	dsn, app := pgURLWithApp(t)
	db := storetest.OpenURL(t, dsn, storetest.Options(t))
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with several idle connections, each used more than once: database/sql
	// pings a connection it takes from the pool only when it was idle for over a second
	// or never reused, so these will not be pinged before the next use.
	fill := func() {
		for range 2 {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					rows, err := db.QueryContext(ctx, "SELECT pg_sleep(0.02)")
					if err != nil {
						t.Error(err)
						return
					}
					rows.Close()
				})
			}
			wg.Wait()
		}
	}
	for round := range 2 {
		fill()
		if n := terminate(t, app); n == 0 {
			t.Fatal("no backend to terminate: the test would prove nothing")
		}
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("round %d: read after the sessions were terminated: %v", round, err)
		}
		fill()
		if n := terminate(t, app); n == 0 {
			t.Fatal("no backend to terminate")
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Emit(ctx, store.Event{Type: "test.outage", Actor: "system"})
			return err
		})
		if err != nil {
			t.Fatalf("round %d: transaction after the sessions were terminated: %v", round, err)
		}
	}
	// Negative: an error of the statement itself is neither retried into success nor
	// taken for an outage.
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO no_such_table VALUES (1)")
		return err
	})
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a bad statement gave %v, want its own error, not ErrUnavailable", err)
	}
}

// TestSessionLostInTransaction: the session ends in the middle of a transaction that
// claimed an idempotency key and emitted an event. The error is ErrUnavailable and
// nothing stays half-written: the key is free and no event exists.
func TestSessionLostInTransaction(t *testing.T) {
	dsn, _ := pgURLWithApp(t)
	db := storetest.OpenURL(t, dsn, storetest.Options(t))
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key := store.IdempotencyKey{Scope: "org:1 POST /v1/x", Key: "k1", RequestHash: make([]byte, 32)}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ClaimIdempotencyKey(ctx, key); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, store.Event{Type: "test.outage", Actor: "system"}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		return err
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Tx = %v, want ErrUnavailable", err)
	}
	if n := count(t, db, "SELECT count(*) FROM idempotency_keys"); n != 0 {
		t.Errorf("%d idempotency keys left behind", n)
	}
	if n := count(t, db, "SELECT count(*) FROM outbox_events"); n != 0 {
		t.Errorf("%d outbox events left behind", n)
	}
	// The same key can be claimed afresh (not "in progress").
	err = db.Tx(ctx, func(tx *store.Tx) error {
		resp, err := tx.ClaimIdempotencyKey(ctx, key)
		if resp != nil {
			t.Errorf("a replay where the first claim was rolled back: %+v", resp)
		}
		return err
	})
	if err != nil {
		t.Fatalf("claiming the key again: %v", err)
	}
}

// ProxiedURL returns a fresh schema's URL that reaches PostgreSQL through a proxy
// the test can cut.
func proxiedURL(t *testing.T) (string, *storetest.CutProxy) {
	t.Helper()
	u, err := url.Parse(storetest.URL(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	p := storetest.NewCutProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// TestUnreachable: with the database unreachable, reads, transactions and Ping fail
// promptly with ErrUnavailable (which the API answers with 503).
func TestUnreachable(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skipf("%s not set", storetest.EnvURL)
	}
	dsn, p := proxiedURL(t)
	db := storetest.OpenURL(t, dsn, storetest.Options(t))
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("QueryRow = %v, want ErrUnavailable", err)
	}
	if _, err := db.QueryContext(ctx, "SELECT 1"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Query = %v, want ErrUnavailable", err)
	}
	wrote := false
	err := db.Tx(ctx, func(tx *store.Tx) error {
		wrote = true
		_, err := tx.Emit(ctx, store.Event{Type: "test.outage", Actor: "system"})
		return err
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Tx = %v, want ErrUnavailable", err)
	}
	if wrote {
		t.Error("fn ran although no transaction could begin")
	}
	if err := db.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
	if ctx.Err() != nil {
		t.Error("the calls took until the deadline instead of failing promptly")
	}
}

// TestConnectionCutInTransaction: the network to the database breaks between two
// statements of a transaction. The error is ErrUnavailable, not a bare driver error.
func TestConnectionCutInTransaction(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skipf("%s not set", storetest.EnvURL)
	}
	dsn, p := proxiedURL(t)
	db := storetest.OpenURL(t, dsn, storetest.Options(t))
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Emit(ctx, store.Event{Type: "test.outage", Actor: "system"}); err != nil {
			return err
		}
		p.Cut()
		_, err := tx.ExecContext(ctx, "SELECT 2")
		return err
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Tx = %v, want ErrUnavailable", err)
	}
}

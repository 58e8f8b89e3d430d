package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The conformance suite: every test here runs on SQLite, and on
// PostgreSQL when SENIM_TEST_DATABASE_URL is set.

func createItems(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE test_items (n BIGINT NOT NULL, note TEXT NOT NULL DEFAULT '', flag INTEGER NOT NULL DEFAULT 0)"); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrate(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			ctx := t.Context()
			db := storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t))
			if db.Engine() != e {
				t.Fatalf("Engine() = %q, want %q", db.Engine(), e)
			}
			cur, known, err := db.SchemaVersion(ctx)
			if err != nil || cur != 0 || known < 1 || known != db.KnownVersion() {
				t.Fatalf("SchemaVersion on an empty database = %d, %d, %v; want 0, >=1, nil", cur, known, err)
			}
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaOutdated) {
				t.Fatalf("CheckSchema on an empty database = %v, want ErrSchemaOutdated", err)
			}
			if err := db.EnsureSchema(ctx, false); !errors.Is(err, store.ErrSchemaOutdated) {
				t.Fatalf("EnsureSchema(migrate=false) = %v, want ErrSchemaOutdated", err)
			}
			n, err := db.Migrate(ctx)
			if err != nil || n != known {
				t.Fatalf("Migrate = %d, %v; want %d, nil", n, err, known)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate = %v", err)
			}
			// Idempotent: a second run applies nothing.
			if n, err := db.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
			}
			if err := db.EnsureSchema(ctx, true); err != nil {
				t.Fatalf("EnsureSchema(migrate=true) = %v", err)
			}
			rows, err := db.QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var versions []int
			for rows.Next() {
				var v int
				var name string
				var at int64
				if err := rows.Scan(&v, &name, &at); err != nil {
					t.Fatal(err)
				}
				if at != store.Micros(storetest.Now) || name == "" {
					t.Errorf("migration %d: name %q applied_at %d", v, name, at)
				}
				versions = append(versions, v)
			}
			var want []int
			for v := 1; v <= known; v++ {
				want = append(want, v)
			}
			if diff := cmp.Diff(want, versions); diff != "" {
				t.Errorf("schema_migrations versions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			url := storetest.URL(t, e)
			// Two nodes starting at once against one empty database.
			a := storetest.OpenURL(t, url, storetest.Options(t))
			b := storetest.OpenURL(t, url, storetest.Options(t))
			var wg sync.WaitGroup
			var na, nb int
			var ea, eb error
			wg.Go(func() { na, ea = a.Migrate(t.Context()) })
			wg.Go(func() { nb, eb = b.Migrate(t.Context()) })
			wg.Wait()
			if ea != nil || eb != nil {
				t.Fatalf("Migrate errors: %v, %v", ea, eb)
			}
			if na+nb != a.KnownVersion() {
				t.Errorf("applied %d + %d migrations, want %d in total", na, nb, a.KnownVersion())
			}
			if err := a.CheckSchema(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSchemaTooNew(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		known := db.KnownVersion()
		if _, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			known+1, fmt.Sprintf("%04d_from_the_future", known+1), 0); err != nil {
			t.Fatal(err)
		}
		cur, k, err := db.SchemaVersion(ctx)
		if err != nil || cur != known+1 || k != known {
			t.Fatalf("SchemaVersion = %d, %d, %v; want %d, %d", cur, k, err, known+1, known)
		}
		err = db.CheckSchema(ctx)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("CheckSchema = %v, want ErrSchemaTooNew", err)
		}
		var coded interface{ Code() string }
		if !errors.As(err, &coded) || coded.Code() != "store.schema.too_new" {
			t.Errorf("CheckSchema error has no code store.schema.too_new: %v", err)
		}
		if n, err := db.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) || n != 0 {
			t.Fatalf("Migrate = %d, %v; want 0, ErrSchemaTooNew", n, err)
		}
		if err := db.EnsureSchema(ctx, true); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("EnsureSchema = %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestTxRollback(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		createItems(t, db)
		errBoom := errors.New("boom")
		write := func(ctx context.Context, tx *store.Tx) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO test_items (n) VALUES (?)", 1); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Emit(ctx, store.Event{Type: "test.item.created", Actor: "system"}); err != nil {
				t.Fatal(err)
			}
			// The transaction sees its own writes.
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM test_items").Scan(&n); err != nil || n != 1 {
				t.Fatalf("count inside tx = %d, %v", n, err)
			}
		}
		tests := []struct {
			name      string
			fn        func(ctx context.Context, tx *store.Tx) error
			wantErr   error
			wantPanic bool
		}{
			{"error", func(ctx context.Context, tx *store.Tx) error { write(ctx, tx); return errBoom }, errBoom, false},
			{"panic", func(ctx context.Context, tx *store.Tx) error { write(ctx, tx); panic("boom") }, nil, true},
			{"bad SQL after writes", func(ctx context.Context, tx *store.Tx) error {
				write(ctx, tx)
				_, err := tx.ExecContext(ctx, "INSERT INTO no_such_table (n) VALUES (1)")
				return err
			}, nil, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				var err error
				panicked := func() (p bool) {
					defer func() { p = recover() != nil }()
					err = db.Tx(ctx, func(tx *store.Tx) error { return tc.fn(ctx, tx) })
					return false
				}()
				if panicked != tc.wantPanic {
					t.Fatalf("panicked = %v, want %v", panicked, tc.wantPanic)
				}
				if !tc.wantPanic && err == nil {
					t.Fatal("Tx returned nil")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("Tx = %v, want %v", err, tc.wantErr)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM test_items"); n != 0 {
					t.Errorf("%d rows left after rollback", n)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM outbox_events"); n != 0 {
					t.Errorf("%d events left after rollback", n)
				}
				// The writer is usable afterwards.
				if err := db.Tx(ctx, func(tx *store.Tx) error { return nil }); err != nil {
					t.Fatalf("Tx after rollback: %v", err)
				}
			})
		}

		t.Run("commit", func(t *testing.T) {
			ctx := t.Context()
			var id int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO test_items (n, flag) VALUES (?, ?)", 7, true); err != nil {
					return err
				}
				var err error
				id, err = tx.Emit(ctx, store.Event{Type: "test.item.created", Actor: "system", Subject: "s1", Payload: json.RawMessage(`{"n":7}`)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM test_items WHERE n = ? AND flag = ?", 7, true); n != 1 {
				t.Errorf("committed rows = %d, want 1", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM outbox_events WHERE id = ?", id); n != 1 {
				t.Errorf("committed events = %d, want 1", n)
			}
		})
	})
}

func TestInsertID(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.InsertID(ctx, "INSERT INTO outbox_cursors (consumer, position, updated_at) VALUES ('x', 0, 0)"); !errors.Is(err, store.ErrBadQuery) {
				t.Errorf("InsertID without RETURNING id = %v, want ErrBadQuery", err)
			}
			var last int64
			for i := range 3 {
				id, err := tx.InsertID(ctx, "INSERT INTO outbox_events (type, actor, created_at) VALUES (?, ?, ?) RETURNING id", "test.insert", "system", i)
				if err != nil {
					return err
				}
				if id <= last {
					t.Errorf("InsertID = %d after %d", id, last)
				}
				last = id
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestPlaceholders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		createItems(t, db)
		ctx := t.Context()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for _, r := range []struct {
				n    int
				note string
			}{{1, "what?"}, {2, "what?"}, {2, "plain"}, {3, "it's?"}} {
				if _, err := tx.ExecContext(ctx, "INSERT INTO test_items (n, note) VALUES (?, ?)", r.n, r.note); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			query string
			args  []any
			want  int
		}{
			{"SELECT COUNT(*) FROM test_items WHERE note = 'what?' AND n = ?", []any{2}, 1},
			{"SELECT COUNT(*) FROM test_items WHERE note = 'it''s?' AND n = ?", []any{3}, 1},
			{`SELECT COUNT(*) FROM test_items AS "t?" WHERE "t?".n = ? -- a comment?` + "\n", []any{2}, 2},
			{"SELECT COUNT(*) /* why? */ FROM test_items WHERE n > ? AND note <> ?", []any{1, "plain"}, 2},
		}
		for _, tc := range tests {
			if got := count(t, db, tc.query, tc.args...); got != tc.want {
				t.Errorf("%s = %d, want %d", tc.query, got, tc.want)
			}
		}
	})
}

// events emits n events of type typ in one transaction each.
func emit(t testing.TB, db *store.DB, n int, typ string) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		err := db.Tx(context.Background(), func(tx *store.Tx) error {
			id, err := tx.Emit(context.Background(), store.Event{Type: typ, Actor: "system", Payload: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestOutbox(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Date(2026, 10, 1, 12, 0, 0, 123456000, time.UTC)
		var ids []int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for _, e := range []store.Event{
				{Type: "identity.citizen.login", Actor: "citizen:c1", Subject: "c1", Payload: json.RawMessage(`{"method":"eds"}`), CreatedAt: at},
				{Type: "pd.token.issued", Actor: "org:123456789012"},
			} {
				id, err := tx.Emit(ctx, e)
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
		ids = append(ids, emit(t, db, 3, "test.event")...)

		// The consumer fails: nothing is acknowledged, the same events come again.
		errFail := errors.New("consumer down")
		var seen [][]store.Event
		n, err := db.ConsumeBatch(ctx, "audit", 2, func(ctx context.Context, evs []store.Event) error {
			seen = append(seen, evs)
			return errFail
		})
		if !errors.Is(err, errFail) || n != 0 {
			t.Fatalf("ConsumeBatch with failing fn = %d, %v; want 0, errFail", n, err)
		}
		if pos, head, err := db.ConsumerPosition(ctx, "audit"); err != nil || pos != 0 || head != ids[4] {
			t.Fatalf("ConsumerPosition after failure = %d, %d, %v; want 0, %d", pos, head, err, ids[4])
		}
		n, err = db.ConsumeBatch(ctx, "audit", 2, func(ctx context.Context, evs []store.Event) error {
			seen = append(seen, evs)
			return nil
		})
		if err != nil || n != 2 {
			t.Fatalf("ConsumeBatch = %d, %v; want 2, nil", n, err)
		}
		want := []store.Event{
			{ID: ids[0], Type: "identity.citizen.login", Actor: "citizen:c1", Subject: "c1", Payload: json.RawMessage(`{"method":"eds"}`), CreatedAt: at},
			{ID: ids[1], Type: "pd.token.issued", Actor: "org:123456789012", CreatedAt: storetest.Now},
		}
		if diff := cmp.Diff([][]store.Event{want, want}, seen); diff != "" {
			t.Fatalf("delivered batches (-want +got):\n%s", diff)
		}

		// The rest, in order; another consumer has its own cursor.
		var rest []int64
		for {
			n, err := db.ConsumeBatch(ctx, "audit", 2, func(ctx context.Context, evs []store.Event) error {
				for _, e := range evs {
					rest = append(rest, e.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if diff := cmp.Diff(ids[2:], rest); diff != "" {
			t.Errorf("remaining events (-want +got):\n%s", diff)
		}
		var other []int64
		if _, err := db.ConsumeBatch(ctx, "notify", 100, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				other = append(other, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ids, other); diff != "" {
			t.Errorf("second consumer (-want +got):\n%s", diff)
		}
		if pos, head, err := db.ConsumerPosition(ctx, "audit"); err != nil || pos != head || head != ids[4] {
			t.Errorf("ConsumerPosition = %d, %d, %v; want %d twice", pos, head, err, ids[4])
		}
	})
}

func TestEmitValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		for _, e := range []store.Event{
			{Actor: "system"},
			{Type: "Test.Upper", Actor: "system"},
			{Type: "test.no_actor"},
			{Type: "test.bad_json", Actor: "system", Payload: json.RawMessage(`{`)},
		} {
			err := db.Tx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.Emit(t.Context(), e)
				return err
			})
			if !errors.Is(err, store.ErrInvalidEvent) {
				t.Errorf("Emit(%+v) = %v, want ErrInvalidEvent", e, err)
			}
		}
	})
}

// TestConcurrentEmitters: 8 writers emit 200 events each while a consumer
// runs; it must see every event exactly once, in increasing ID order.
func TestConcurrentEmitters(t *testing.T) {
	const writers, perWriter = 8, 200
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var mu sync.Mutex
		var got []int64
		seen := map[string]int{}
		done := make(chan struct{})
		var consumer sync.WaitGroup
		consumer.Go(func() {
			db.RunConsumer(ctx, "test", 50, 5*time.Millisecond, func(ctx context.Context, evs []store.Event) error {
				mu.Lock()
				defer mu.Unlock()
				for _, e := range evs {
					got = append(got, e.ID)
					seen[string(e.Payload)]++
				}
				if len(seen) == writers*perWriter {
					select {
					case <-done:
					default:
						close(done)
					}
				}
				return nil
			})
		})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := db.Tx(ctx, func(tx *store.Tx) error {
						_, err := tx.Emit(ctx, store.Event{Type: "test.concurrent", Actor: "system",
							Payload: json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))})
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("consumer did not see every event")
		}
		cancel()
		consumer.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(got) != writers*perWriter || len(seen) != writers*perWriter {
			t.Fatalf("consumer got %d deliveries of %d distinct events, want %d", len(got), len(seen), writers*perWriter)
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("deliveries are not in strictly increasing ID order")
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("event %s delivered %d times", k, n)
			}
		}
	})
}

// outOfOrderCommit makes transaction A emit first and commit last while B
// emits after A and tries to commit at once; a consumer reads in between.
// It returns the IDs the consumer saw in total.
func outOfOrderCommit(t *testing.T, db *store.DB) (a, b int64, seen []int64) {
	ctx := t.Context()
	consume := func() {
		if _, err := db.ConsumeBatch(ctx, "gap", 100, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				seen = append(seen, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	consume() // creates the cursor (a write) before A holds the writer
	aEmitted, releaseA := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			a, err = tx.Emit(ctx, store.Event{Type: "test.a", Actor: "system"})
			close(aEmitted)
			<-releaseA
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-aEmitted
	bDone := make(chan struct{})
	wg.Go(func() {
		defer close(bDone)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			b, err = tx.Emit(ctx, store.Event{Type: "test.b", Actor: "system"})
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
	// Give B the chance to commit before A. On PostgreSQL it does; on
	// SQLite (one writer) it cannot, and this wait times out.
	select {
	case <-bDone:
	case <-time.After(300 * time.Millisecond):
	}
	consume()
	close(releaseA)
	wg.Wait()
	consume()
	return a, b, seen
}

// TestOutOfOrderCommit: an event whose transaction took its ID first but
// committed last must still reach the consumer.
func TestOutOfOrderCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a, b, seen := outOfOrderCommit(t, db)
		if a >= b {
			t.Errorf("A's id %d not below B's %d: commit order and id order disagree", a, b)
		}
		if diff := cmp.Diff([]int64{a, b}, seen); diff != "" {
			t.Errorf("consumer saw (-want +got):\n%s", diff)
		}
	})
}

// TestOutOfOrderCommitWithoutGapCheck shows that the test above catches
// the loss: on PostgreSQL, when the consumer does not wait at the gap A
// leaves, B commits first and the consumer skips A for ever. (It is what
// the outbox advisory lock once prevented, at the cost of serializing
// every emitting transaction of the cluster; docs/scaling.md.)
func TestOutOfOrderCommitWithoutGapCheck(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: the gap problem exists on PostgreSQL only")
	}
	db := storetest.OpenEngine(t, store.Postgres)
	store.SetGapCheck(db, false)
	a, b, seen := outOfOrderCommit(t, db)
	if slices.Contains(seen, a) || !slices.Contains(seen, b) || a >= b {
		t.Errorf("without the gap check: a=%d b=%d seen=%v; expected B seen and A lost", a, b, seen)
	}
}

// TestGapHeldByRollbackAndLongTransaction: on PostgreSQL a gap left by a
// transaction that rolls back is passed once every transaction that could
// have filled it has ended; an unrelated long transaction delays the
// events behind the gap, it does not lose them.
func TestGapHeldByRollbackAndLongTransaction(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: gaps are waited at on PostgreSQL only")
	}
	db := storetest.OpenEngine(t, store.Postgres)
	ctx := t.Context()
	var seen []int64
	consume := func() {
		t.Helper()
		if _, err := db.ConsumeBatch(ctx, "gap", 100, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				seen = append(seen, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	consume()
	// A long transaction that holds a transaction ID and emits nothing.
	longStarted, endLong := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
				return err
			}
			close(longStarted)
			<-endLong
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-longStarted
	// A draws an ID and rolls back after B has committed.
	errRollback := errors.New("roll back")
	aEmitted, rollbackA := make(chan struct{}), make(chan struct{})
	var a int64
	wg.Go(func() {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if a, err = tx.Emit(ctx, store.Event{Type: "test.a", Actor: "system"}); err != nil {
				return err
			}
			close(aEmitted)
			<-rollbackA
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Errorf("A: %v, want the rollback", err)
		}
	})
	<-aEmitted
	var b int64
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		b, err = tx.Emit(ctx, store.Event{Type: "test.b", Actor: "system"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	consume()
	if len(seen) != 0 {
		t.Fatalf("consumer went past A's uncommitted ID %d: saw %v", a, seen)
	}
	close(rollbackA)
	for range 3 {
		consume() // the long transaction could still have filled the gap
	}
	if len(seen) != 0 {
		t.Fatalf("consumer went past the gap while a transaction that was running could fill it: saw %v", seen)
	}
	close(endLong)
	wg.Wait()
	// Now the hold settles — once the cluster's oldest running transaction is younger
	// than the hold. The snapshot's xmin is cluster-wide, so another package's test
	// transaction on the same server can delay it: wait for it, never past a bound.
	for deadline := time.Now().Add(30 * time.Second); len(seen) == 0 && time.Now().Before(deadline); {
		consume()
		if len(seen) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	consume()
	if diff := cmp.Diff([]int64{b}, seen); diff != "" {
		t.Errorf("consumer saw (-want +got):\n%s", diff)
	}
}

// TestGapHeldByTransactionNewerThanSnapshot: the transaction that holds a
// gap can have a transaction ID newer than every ended transaction, so
// that the consumer's snapshot does not list it (it is at or above the
// snapshot's xmax). B takes its ID first, A then emits, B emits and
// commits: A's ID is above B's, the newest ended. The consumer must still
// wait for A. (Other transactions in the cluster ending in between put A
// in the snapshot's list instead; the test then passes either way.)
func TestGapHeldByTransactionNewerThanSnapshot(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: gaps are waited at on PostgreSQL only")
	}
	db := storetest.OpenEngine(t, store.Postgres)
	ctx := t.Context()
	var seen []int64
	consume := func() {
		t.Helper()
		if _, err := db.ConsumeBatch(ctx, "gap", 100, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				seen = append(seen, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	consume()
	bHasXID, aEmitted, bDone, commitA := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	var a, b int64
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(bDone)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
				return err
			}
			close(bHasXID)
			<-aEmitted
			var err error
			b, err = tx.Emit(ctx, store.Event{Type: "test.b", Actor: "system"})
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		<-bHasXID
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			a, err = tx.Emit(ctx, store.Event{Type: "test.a", Actor: "system"})
			close(aEmitted)
			<-commitA
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-bDone
	for range 3 {
		consume()
	}
	if len(seen) != 0 {
		t.Errorf("consumer went past A's uncommitted ID %d: saw %v", a, seen)
	}
	close(commitA)
	wg.Wait()
	consume()
	if diff := cmp.Diff([]int64{a, b}, seen); diff != "" {
		t.Errorf("consumer saw (-want +got):\n%s", diff)
	}
}

// concurrentCommits runs writers whose transactions emit 1 to 3 events,
// wait a random 0 to 3 ms before committing, and roll back one time in
// eight, while RunConsumer reads. It returns the committed events the
// consumer never saw (after waiting for them), and fails t on a
// duplicate, an event out of ID order or a rolled-back event delivered.
func concurrentCommits(t *testing.T, db *store.DB) (lost int) {
	const writers, perWriter = 8, 60
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	var ids []int64
	seen := map[string]int{}
	var consumer sync.WaitGroup
	consumer.Go(func() {
		db.RunConsumer(ctx, "stress", 7, 2*time.Millisecond, func(ctx context.Context, evs []store.Event) error {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				ids = append(ids, e.ID)
				seen[string(e.Payload)]++
			}
			return nil
		})
	})
	errRollback := errors.New("roll back")
	var cmu sync.Mutex
	committed := map[string]bool{}
	rolledBack := map[string]bool{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rnd := mrand.New(mrand.NewPCG(uint64(w), 1))
			for i := range perWriter {
				var keys []string
				rollback := rnd.IntN(8) == 0
				err := db.Tx(ctx, func(tx *store.Tx) error {
					keys = keys[:0]
					for j := range 1 + rnd.IntN(3) {
						k := fmt.Sprintf(`{"w":%d,"i":%d,"j":%d}`, w, i, j)
						if _, err := tx.Emit(ctx, store.Event{Type: "test.stress", Actor: "system", Payload: json.RawMessage(k)}); err != nil {
							return err
						}
						keys = append(keys, k)
					}
					time.Sleep(time.Duration(rnd.IntN(3000)) * time.Microsecond)
					if rollback {
						return errRollback
					}
					return nil
				})
				if err != nil && !(rollback && errors.Is(err, errRollback)) {
					t.Error(err)
					return
				}
				cmu.Lock()
				for _, k := range keys {
					if rollback {
						rolledBack[k] = true
					} else {
						committed[k] = true
					}
				}
				cmu.Unlock()
			}
		})
	}
	wg.Wait()
	missing := func() int {
		mu.Lock()
		defer mu.Unlock()
		return countMissing(committed, seen)
	}
	deadline := time.Now().Add(10 * time.Second)
	for missing() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	consumer.Wait()
	mu.Lock()
	defer mu.Unlock()
	for k, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", k, n)
		}
		if rolledBack[k] {
			t.Errorf("rolled-back event %s delivered", k)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("deliveries are not in increasing ID order")
	}
	t.Logf("%d events committed, %d rolled back, %d delivered", len(committed), len(rolledBack), len(ids))
	return countMissing(committed, seen)
}

func countMissing(committed map[string]bool, seen map[string]int) int {
	n := 0
	for k := range committed {
		if seen[k] == 0 {
			n++
		}
	}
	return n
}

// TestNoEventLostUnderConcurrentCommits: writers that commit in an order
// of their own and sometimes roll back; the consumer gets every committed
// event exactly once, in ID order.
func TestNoEventLostUnderConcurrentCommits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if lost := concurrentCommits(t, db); lost > 0 {
			t.Errorf("%d committed events never delivered", lost)
		}
	})
}

// TestConcurrentCommitsWithoutGapCheck shows that the test above can fail:
// without the wait at gaps, PostgreSQL consumers lose events under the
// same load. (Random timing: it tries up to five times.)
func TestConcurrentCommitsWithoutGapCheck(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: the gap problem exists on PostgreSQL only")
	}
	for try := range 5 {
		db := storetest.OpenEngine(t, store.Postgres)
		store.SetGapCheck(db, false)
		if lost := concurrentCommits(t, db); lost > 0 {
			t.Logf("try %d: %d committed events lost without the gap check", try+1, lost)
			return
		}
	}
	t.Error("no event lost without the gap check in five tries: the stress test does not exercise gaps")
}

func TestRunConsumerWakesOnCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan int64, 10)
		var wg sync.WaitGroup
		wg.Go(func() {
			// An hour-long poll: only the commit notification can deliver in time.
			err := db.RunConsumer(ctx, "wake", 10, time.Hour, func(ctx context.Context, evs []store.Event) error {
				for _, e := range evs {
					got <- e.ID
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
		// Let the consumer go idle first (its first batch is empty).
		time.Sleep(50 * time.Millisecond)
		ids := emit(t, db, 1, "test.wake")
		select {
		case id := <-got:
			if id != ids[0] {
				t.Errorf("got event %d, want %d", id, ids[0])
			}
		case <-time.After(10 * time.Second):
			t.Error("RunConsumer was not woken by the commit")
		}
		cancel()
		wg.Wait()
	})
}

func TestRunConsumerRetries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ids := emit(t, db, 3, "test.retry")
		ctx, cancel := context.WithCancel(t.Context())
		var calls [][]int64
		var wg sync.WaitGroup
		wg.Go(func() {
			db.RunConsumer(ctx, "retry", 10, time.Millisecond, func(ctx context.Context, evs []store.Event) error {
				var batch []int64
				for _, e := range evs {
					batch = append(batch, e.ID)
				}
				calls = append(calls, batch)
				if len(calls) < 3 {
					return errors.New("transient")
				}
				cancel()
				return nil
			})
		})
		wg.Wait()
		if diff := cmp.Diff([][]int64{ids, ids, ids}, calls); diff != "" {
			t.Errorf("deliveries (-want +got):\n%s", diff)
		}
	})
}

func TestIdempotencyKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		createItems(t, db)
		key := store.IdempotencyKey{Scope: "org:123456789012 POST /v1/consents", Key: "k-1", RequestHash: []byte{1, 2, 3}}
		resp := store.StoredResponse{Status: 201, ContentType: "application/json", Body: []byte(`{"id":"c1"}`)}

		// handle is what an API handler does with a key.
		handle := func(k store.IdempotencyKey) (*store.StoredResponse, error) {
			var replay *store.StoredResponse
			err := db.Tx(ctx, func(tx *store.Tx) error {
				r, err := tx.ClaimIdempotencyKey(ctx, k)
				if err != nil || r != nil {
					replay = r
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO test_items (n) VALUES (1)"); err != nil {
					return err
				}
				return tx.SaveIdempotentResponse(ctx, k, resp)
			})
			return replay, err
		}

		// A claim rolled back leaves the key free.
		errBoom := errors.New("boom")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if r, err := tx.ClaimIdempotencyKey(ctx, key); r != nil || err != nil {
				t.Fatalf("first claim = %v, %v", r, err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatal(err)
		}

		if r, err := handle(key); r != nil || err != nil {
			t.Fatalf("first request = %v, %v; want it done", r, err)
		}
		r, err := handle(key)
		if err != nil || r == nil {
			t.Fatalf("repeated request = %v, %v; want the stored response", r, err)
		}
		want := resp
		want.CreatedAt = storetest.Now
		if diff := cmp.Diff(&want, r); diff != "" {
			t.Errorf("stored response (-want +got):\n%s", diff)
		}
		other := key
		other.RequestHash = []byte{9}
		if _, err := handle(other); !errors.Is(err, store.ErrIdempotencyConflict) {
			t.Errorf("same key, different request = %v, want ErrIdempotencyConflict", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM test_items"); n != 1 {
			t.Errorf("work done %d times, want once", n)
		}

		// Concurrent requests with one new key: the work is done once.
		k2 := store.IdempotencyKey{Scope: key.Scope, Key: "k-2", RequestHash: []byte{4}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		replays := 0
		for range 4 {
			wg.Go(func() {
				r, err := handle(k2)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if r != nil {
					replays++
				}
			})
		}
		wg.Wait()
		if n := count(t, db, "SELECT COUNT(*) FROM test_items"); n != 2 || replays != 3 {
			t.Errorf("after 4 concurrent requests: work done %d times in total (want 2), %d replays (want 3)", n, replays)
		}

		// Bad keys, an unclaimed save and a committed claim without response.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for _, k := range []store.IdempotencyKey{
				{Scope: "s", Key: "", RequestHash: []byte{1}},
				{Scope: "", Key: "k", RequestHash: []byte{1}},
				{Scope: "s", Key: "k", RequestHash: nil},
				{Scope: "s", Key: "with space", RequestHash: []byte{1}},
			} {
				if _, err := tx.ClaimIdempotencyKey(ctx, k); !errors.Is(err, store.ErrInvalidIdempotencyKey) {
					t.Errorf("Claim(%+v) = %v, want ErrInvalidIdempotencyKey", k, err)
				}
			}
			if err := tx.SaveIdempotentResponse(ctx, store.IdempotencyKey{Scope: "s", Key: "never", RequestHash: []byte{1}}, resp); !errors.Is(err, store.ErrNotClaimed) {
				t.Errorf("save without claim = %v, want ErrNotClaimed", err)
			}
			_, err := tx.ClaimIdempotencyKey(ctx, store.IdempotencyKey{Scope: "s", Key: "dangling", RequestHash: []byte{1}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := handle(store.IdempotencyKey{Scope: "s", Key: "dangling", RequestHash: []byte{1}}); !errors.Is(err, store.ErrIdempotencyInProgress) {
			t.Errorf("claim committed without response = %v, want ErrIdempotencyInProgress", err)
		}

		// IdempotentResponse judges a key as a claim would, and claims nothing.
		if r, err := db.IdempotentResponse(ctx, store.IdempotencyKey{Scope: "s", Key: "unknown", RequestHash: []byte{1}}); r != nil || err != nil {
			t.Errorf("IdempotentResponse(unknown) = %v, %v; want nothing", r, err)
		}
		if r, err := db.IdempotentResponse(ctx, key); err != nil || r == nil || r.Status != resp.Status || string(r.Body) != string(resp.Body) {
			t.Errorf("IdempotentResponse(done) = %v, %v; want the stored response", r, err)
		}
		if _, err := db.IdempotentResponse(ctx, other); !errors.Is(err, store.ErrIdempotencyConflict) {
			t.Errorf("IdempotentResponse(another request) = %v, want ErrIdempotencyConflict", err)
		}
		if _, err := db.IdempotentResponse(ctx, store.IdempotencyKey{Scope: "s", Key: "dangling", RequestHash: []byte{1}}); !errors.Is(err, store.ErrIdempotencyInProgress) {
			t.Errorf("IdempotentResponse(dangling) = %v, want ErrIdempotencyInProgress", err)
		}
		if _, err := db.IdempotentResponse(ctx, store.IdempotencyKey{Scope: "s", Key: "with space", RequestHash: []byte{1}}); !errors.Is(err, store.ErrInvalidIdempotencyKey) {
			t.Errorf("IdempotentResponse(bad key) = %v, want ErrInvalidIdempotencyKey", err)
		}
		if r, err := handle(store.IdempotencyKey{Scope: "s", Key: "unknown", RequestHash: []byte{1}}); r != nil || err != nil {
			t.Errorf("a key looked up is still new: %v, %v", r, err)
		}

		n, err := db.PruneIdempotencyKeys(ctx, storetest.Now.Add(time.Microsecond))
		if err != nil || n != 4 {
			t.Errorf("PruneIdempotencyKeys = %d, %v; want 4", n, err)
		}
	})
}

func TestStatsAndPing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if err := db.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		var pools []string
		for _, s := range db.Stats() {
			pools = append(pools, s.Pool)
			if s.MaxOpenConnections < 1 {
				t.Errorf("pool %s: MaxOpenConnections = %d", s.Pool, s.MaxOpenConnections)
			}
		}
		want := map[store.Engine][]string{store.SQLite: {"writer", "reader"}, store.Postgres: {"pool"}}[db.Engine()]
		if diff := cmp.Diff(want, pools); diff != "" {
			t.Errorf("pools (-want +got):\n%s", diff)
		}
		if db.Engine() == store.SQLite && db.Stats()[0].MaxOpenConnections != 1 {
			t.Errorf("SQLite writer pool allows %d connections, want 1", db.Stats()[0].MaxOpenConnections)
		}
	})
}

func TestPruneEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ids := emit(t, db, 4, "test.prune")
		ack := func(consumer string, max int) {
			if _, err := db.ConsumeBatch(ctx, consumer, max, func(context.Context, []store.Event) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		ack("fast", 4)
		ack("slow", 2)
		// Events are at storetest.Now; "before" in the past keeps them all.
		if n, err := db.PruneEvents(ctx, storetest.Now); err != nil || n != 0 {
			t.Fatalf("PruneEvents(now) = %d, %v; want 0", n, err)
		}
		// Only what both consumers have processed goes.
		if n, err := db.PruneEvents(ctx, storetest.Now.Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("PruneEvents = %d, %v; want 2", n, err)
		}
		var rest []int64
		if _, err := db.ConsumeBatch(ctx, "slow", 10, func(_ context.Context, evs []store.Event) error {
			for _, e := range evs {
				rest = append(rest, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ids[2:], rest); diff != "" {
			t.Errorf("slow consumer after pruning (-want +got):\n%s", diff)
		}
		if n, err := db.PruneEvents(ctx, storetest.Now.Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("second PruneEvents = %d, %v; want 2", n, err)
		}
		// New IDs continue after the pruned ones.
		if next := emit(t, db, 1, "test.prune"); next[0] <= ids[3] {
			t.Errorf("ID %d reused after pruning (last was %d)", next[0], ids[3])
		}
	})
}

// TestRunConsumerWakesAcrossProcesses: on PostgreSQL a commit in another
// process (here another DB handle on the same schema) wakes the consumer
// through LISTEN/NOTIFY, well before its hour-long poll.
func TestRunConsumerWakesAcrossProcesses(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: cross-process wake-up is PostgreSQL only")
	}
	url := storetest.URL(t, store.Postgres)
	writer := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := writer.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	reader := storetest.OpenURL(t, url, storetest.Options(t))
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan int64, 10)
	var wg sync.WaitGroup
	wg.Go(func() {
		reader.RunConsumer(ctx, "remote", 10, time.Hour, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				got <- e.ID
			}
			return nil
		})
	})
	// Wait until the consumer listens: its first (empty) round is done
	// once the cursor row exists.
	deadline := time.Now().Add(10 * time.Second)
	for count(t, writer, "SELECT COUNT(*) FROM outbox_cursors WHERE consumer = 'remote'") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // LISTEN is issued on its own connection
	ids := emit(t, writer, 1, "test.remote")
	select {
	case id := <-got:
		if id != ids[0] {
			t.Errorf("got event %d, want %d", id, ids[0])
		}
	case <-time.After(10 * time.Second):
		t.Error("a commit in another process did not wake RunConsumer")
	}
	cancel()
	wg.Wait()
}

package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// readEvent reads one outbox row back by ID.
func readEvent(t *testing.T, db *store.DB, id int64) store.Event {
	t.Helper()
	var e store.Event
	var payload *string
	var at int64
	err := db.QueryRowContext(t.Context(), "SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE id = ?", id).
		Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at)
	if err != nil {
		t.Fatalf("event %d: %v", id, err)
	}
	if payload != nil {
		e.Payload = json.RawMessage(*payload)
	}
	e.CreatedAt = store.FromMicros(at)
	return e
}

// TestEmitBatch: the IDs EmitBatch returns increase with the events' order, each
// names the row holding that very event, Emit and EmitBatch interleave in one
// transaction, and a consumer gets them in that order.
func TestEmitBatch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Date(2026, 12, 3, 18, 0, 0, 654321000, time.UTC)
		var want []store.Event
		for i := range 40 {
			e := store.Event{Type: fmt.Sprintf("test.batch.n%d", i), Actor: fmt.Sprintf("org:%012d", i), Subject: fmt.Sprintf("s%d", 40-i), CreatedAt: at.Add(time.Duration(i) * time.Microsecond)}
			if i%3 != 0 {
				e.Payload = json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
			}
			want = append(want, e)
		}
		var ids []int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			first, err := tx.Emit(ctx, want[0])
			if err != nil {
				return err
			}
			batch, err := tx.EmitBatch(ctx, want[1:39])
			if err != nil {
				return err
			}
			last, err := tx.Emit(ctx, want[39])
			ids = append(append([]int64{first}, batch...), last)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(want) {
			t.Fatalf("%d IDs for %d events", len(ids), len(want))
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("IDs not increasing with the events' order: %v", ids)
			}
		}
		for i, id := range ids {
			w := want[i]
			w.ID = id
			if diff := cmp.Diff(w, readEvent(t, db, id)); diff != "" {
				t.Errorf("event %d (ID %d) (-want +got):\n%s", i, id, diff)
			}
		}
		var got []int64
		if _, err := db.ConsumeBatch(ctx, "batch", 100, func(ctx context.Context, evs []store.Event) error {
			for _, e := range evs {
				got = append(got, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("consumer got %v, want %v", got, ids)
		}

		// A default creation time is the DB clock, as with Emit.
		var id []int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = tx.EmitBatch(ctx, []store.Event{{Type: "test.batch.now", Actor: "system"}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if e := readEvent(t, db, id[0]); e.CreatedAt.IsZero() || e.Payload != nil {
			t.Errorf("event without time or payload = %+v", e)
		}
	})
}

// TestEmitBatchRefused: one invalid event refuses the whole batch before anything is
// written, even when the transaction then commits; an empty batch writes nothing; a
// rolled-back batch leaves nothing.
func TestEmitBatchRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		before := count(t, db, "SELECT COUNT(*) FROM outbox_events")
		for _, bad := range []store.Event{
			{Actor: "system"},
			{Type: "Test.Upper", Actor: "system"},
			{Type: "test.no_actor"},
			{Type: "test.bad_json", Actor: "system", Payload: json.RawMessage(`{"a":`)},
		} {
			var ids []int64
			var emitErr error
			err := db.Tx(ctx, func(tx *store.Tx) error {
				ids, emitErr = tx.EmitBatch(ctx, []store.Event{{Type: "test.ok", Actor: "system"}, bad, {Type: "test.ok", Actor: "system"}})
				return nil // commit whatever was written
			})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(emitErr, store.ErrInvalidEvent) || ids != nil {
				t.Errorf("EmitBatch with %+v = %v, %v; want nil, ErrInvalidEvent", bad, ids, emitErr)
			}
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			ids, err := tx.EmitBatch(ctx, nil)
			if err != nil || ids != nil {
				t.Errorf("EmitBatch(nil) = %v, %v; want nil, nil", ids, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		errAbort := errors.New("abort")
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.EmitBatch(ctx, []store.Event{{Type: "test.rolled_back", Actor: "system"}, {Type: "test.rolled_back", Actor: "system"}}); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Tx = %v, want %v", err, errAbort)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM outbox_events"); n != before {
			t.Errorf("events after refused, empty and rolled-back batches = %d, want %d", n, before)
		}
	})
}

// TestConcurrentEmitBatches: writers emit batches at the same time while a consumer
// runs; it sees every event exactly once, in increasing ID order, and each batch's
// events in the batch's order.
func TestConcurrentEmitBatches(t *testing.T) {
	const writers, batches, size = 6, 40, 7
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var mu sync.Mutex
		var got []store.Event
		done := make(chan struct{})
		var consumer sync.WaitGroup
		consumer.Go(func() {
			db.RunConsumer(ctx, "test", 64, 5*time.Millisecond, func(ctx context.Context, evs []store.Event) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, evs...)
				if len(got) >= writers*batches*size {
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
				for b := range batches {
					evs := make([]store.Event, size)
					for i := range evs {
						evs[i] = store.Event{Type: "test.concurrent", Actor: "system", Payload: json.RawMessage(fmt.Sprintf(`{"w":%d,"b":%d,"i":%d}`, w, b, i))}
					}
					err := db.Tx(ctx, func(tx *store.Tx) error {
						_, err := tx.EmitBatch(ctx, evs)
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
		if len(got) != writers*batches*size {
			t.Fatalf("consumer got %d events, want %d", len(got), writers*batches*size)
		}
		type key struct{ w, b int }
		next := map[key]int{}
		for k, e := range got {
			if k > 0 && e.ID <= got[k-1].ID {
				t.Fatalf("delivery %d: ID %d after %d", k, e.ID, got[k-1].ID)
			}
			var p struct{ W, B, I int }
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if next[key{p.W, p.B}] != p.I {
				t.Fatalf("batch %d/%d: event %d delivered where %d was due", p.W, p.B, p.I, next[key{p.W, p.B}])
			}
			next[key{p.W, p.B}]++
		}
	})
}

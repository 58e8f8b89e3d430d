package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// ClaimIdempotencyKeyWith: the key and its answer in one statement. A rolled-back
// claim leaves the key free; a committed one answers the same request with the stored
// response, another request under the key with ErrIdempotencyConflict, and a key
// claimed the two-step way without its response yet with ErrIdempotencyInProgress.
func TestClaimIdempotencyKeyWith(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		key := store.IdempotencyKey{Scope: "org:123456789012 POST /v1/notices", Key: "k-1", RequestHash: []byte{1}}
		resp := store.StoredResponse{Status: 201, ContentType: "application/json", Body: []byte(`{"id":"n_1"}`)}
		claim := func(k store.IdempotencyKey, fail error) (*store.StoredResponse, error) {
			var r *store.StoredResponse
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				r, err = tx.ClaimIdempotencyKeyWith(ctx, k, resp)
				if err != nil {
					return err
				}
				return fail
			})
			return r, err
		}
		errBoom := errors.New("boom")
		if _, err := claim(key, errBoom); !errors.Is(err, errBoom) {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM idempotency_keys"); n != 0 {
			t.Fatalf("a rolled-back claim left %d keys", n)
		}
		if r, err := claim(key, nil); r != nil || err != nil {
			t.Fatalf("first claim = %v, %v", r, err)
		}
		r, err := claim(key, nil)
		if err != nil || r == nil || r.Status != 201 || string(r.Body) != `{"id":"n_1"}` || r.ContentType != "application/json" {
			t.Fatalf("the same request again = %+v, %v; want the stored answer", r, err)
		}
		other := key
		other.RequestHash = []byte{2}
		if _, err := claim(other, nil); !errors.Is(err, store.ErrIdempotencyConflict) {
			t.Errorf("another request under the key = %v", err)
		}
		// Both ways share the keys: a two-step claim not yet answered is in progress.
		two := store.IdempotencyKey{Scope: key.Scope, Key: "k-2", RequestHash: []byte{3}}
		if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.ClaimIdempotencyKey(ctx, two); return err }); err != nil {
			t.Fatal(err)
		}
		if _, err := claim(two, nil); !errors.Is(err, store.ErrIdempotencyInProgress) {
			t.Errorf("a key claimed without its answer = %v", err)
		}
		bad := key
		bad.Key = "k 1"
		if _, err := claim(bad, nil); !errors.Is(err, store.ErrInvalidIdempotencyKey) {
			t.Errorf("a key with a space = %v", err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.ClaimIdempotencyKeyWith(ctx, store.IdempotencyKey{Scope: key.Scope, Key: "k-3", RequestHash: []byte{4}}, store.StoredResponse{Status: 99})
			return err
		}); !errors.Is(err, store.ErrInvalidIdempotencyKey) {
			t.Errorf("status 99 = %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM idempotency_keys"); n != 2 {
			t.Errorf("%d keys, want 2", n)
		}
	})
}

// EmitAll writes its events in order, like Emit for each, and wakes consumers; one
// invalid event refuses the whole call before anything is written.
func TestEmitAll(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
		evs := []store.Event{
			{Type: "test.a", Actor: "org:123456789012", Subject: "citizen:1", Payload: json.RawMessage(`{"n":1}`)},
			{Type: "test.b", Actor: "system", CreatedAt: at},
			{Type: "test.c", Actor: "system", Payload: json.RawMessage(`{"n":3}`)},
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EmitAll(ctx, evs) }); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.EmitAll(ctx, []store.Event{{Type: "test.d", Actor: "system"}, {Type: "", Actor: "system"}})
		}); !errors.Is(err, store.ErrInvalidEvent) {
			t.Errorf("an event without a type = %v", err)
		}
		var got []store.Event
		if _, err := db.ConsumeBatch(ctx, "t", 10, func(_ context.Context, e []store.Event) error { got = e; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d events, want 3: %+v", len(got), got)
		}
		for i, e := range got {
			if e.Type != evs[i].Type || e.Actor != evs[i].Actor || e.Subject != evs[i].Subject || string(e.Payload) != string(evs[i].Payload) ||
				(i > 0 && e.ID <= got[i-1].ID) {
				t.Errorf("event %d = %+v, want %+v in order", i, e, evs[i])
			}
		}
		if !got[1].CreatedAt.Equal(at) || got[0].CreatedAt.IsZero() {
			t.Errorf("times %v %v", got[0].CreatedAt, got[1].CreatedAt)
		}
	})
}

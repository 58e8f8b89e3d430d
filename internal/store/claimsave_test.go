package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// EmitAll splits a long list into multi-row statements and keeps its order.
func TestEmitAllChunks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		evs := make([]store.Event, 2*store.RowsChunk+44) // 128 + 128 + 32 + 8 + 4
		for i := range evs {
			evs[i] = store.Event{Type: "test.n", Actor: "system", Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EmitAll(ctx, evs) }); err != nil {
			t.Fatal(err)
		}
		var got []store.Event
		if _, err := db.ConsumeBatch(ctx, "t", 1000, func(_ context.Context, e []store.Event) error { got = e; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(evs) {
			t.Fatalf("%d events, want %d", len(got), len(evs))
		}
		for i, e := range got {
			if string(e.Payload) != string(evs[i].Payload) || (i > 0 && e.ID <= got[i-1].ID) {
				t.Fatalf("event %d = %s (id %d), want %s in order", i, e.Payload, e.ID, evs[i].Payload)
			}
		}
	})
}

// ClaimIdempotencyKeysWith claims the new keys of a list at once and leaves every
// other key — taken before, repeated in the list, invalid — to ClaimIdempotencyKeyWith,
// which then answers as it would have key by key.
func TestClaimIdempotencyKeysWith(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		scope := "org:123456789012 POST /v1/notices"
		k := func(key string, hash byte) store.IdempotencyKey {
			return store.IdempotencyKey{Scope: scope, Key: key, RequestHash: []byte{hash}}
		}
		r := func(body string) store.StoredResponse {
			return store.StoredResponse{Status: 201, ContentType: "application/json", Body: []byte(body)}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.ClaimIdempotencyKeyWith(ctx, k("old", 1), r("old")); return err }); err != nil {
			t.Fatal(err)
		}
		keys := []store.IdempotencyKey{k("a", 1), k("old", 1), k("b", 2), k("a", 1), k("a", 9), k("bad key", 1), k("c", 3)}
		resps := []store.StoredResponse{r("A"), r("old again"), r("B"), r("A again"), r("A other"), r("bad"), {Status: 99}}
		want := []bool{true, false, true, false, false, false, false}
		var claimed []bool
		errBoom := errors.New("boom")
		for _, fail := range []error{errBoom, nil} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				if claimed, err = tx.ClaimIdempotencyKeysWith(ctx, keys, resps); err != nil {
					return err
				}
				if fail != nil {
					return fail
				}
				// What the caller does with the keys left over, key by key, in this
				// transaction.
				for i, c := range claimed {
					if c {
						continue
					}
					got, err := tx.ClaimIdempotencyKeyWith(ctx, keys[i], resps[i])
					switch i {
					case 1:
						if err != nil || got == nil || string(got.Body) != "old" {
							t.Errorf("a key taken before = %+v, %v; want its first answer", got, err)
						}
					case 3:
						if err != nil || got == nil || string(got.Body) != "A" {
							t.Errorf("a key repeated with its request = %+v, %v; want the list's first answer", got, err)
						}
					case 4:
						if !errors.Is(err, store.ErrIdempotencyConflict) {
							t.Errorf("a key repeated with another request = %v", err)
						}
					case 5, 6:
						if !errors.Is(err, store.ErrInvalidIdempotencyKey) {
							t.Errorf("key %d = %v, want invalid", i, err)
						}
					}
				}
				return nil
			})
			if !errors.Is(err, fail) {
				t.Fatal(err)
			}
			if fail != nil {
				if n := count(t, db, "SELECT COUNT(*) FROM idempotency_keys"); n != 1 {
					t.Errorf("a rolled-back claim left %d keys, want the 1 before", n)
				}
			}
		}
		if !slices.Equal(claimed, want) {
			t.Errorf("claimed %v, want %v", claimed, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM idempotency_keys"); n != 3 {
			t.Errorf("%d keys, want 3 (old, a, b)", n)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.ClaimIdempotencyKeysWith(ctx, []store.IdempotencyKey{k("d", 4), k("e", 5)}, resps[:1])
			return err
		}); err == nil {
			t.Error("two keys with one response: no error")
		}
	})
}

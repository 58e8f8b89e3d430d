package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// A consumer that advances its cursor in its own batch transaction: the cursor moves
// with the batch's writes, a rolled-back batch comes again, and a cursor moved by
// another process rolls the batch back (ErrCursorMoved). On PostgreSQL the call does
// nothing and ConsumeBatch moves the cursor as always.
func TestAdvanceConsumer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		createItems(t, db)
		ids := emit(t, db, 3, "test.cursor")
		batch := func(fail error, meddle bool) (int, error) {
			return db.ConsumeBatch(ctx, "c", 10, func(ctx context.Context, evs []store.Event) error {
				if meddle {
					if _, err := db.ExecContext(ctx, "UPDATE outbox_cursors SET position = position + 1 WHERE consumer = 'c'"); err != nil {
						t.Fatal(err)
					}
				}
				return db.Tx(ctx, func(tx *store.Tx) error {
					for range evs {
						if _, err := tx.ExecContext(ctx, "INSERT INTO test_items (n) VALUES (1)"); err != nil {
							return err
						}
					}
					if err := tx.AdvanceConsumer(ctx); err != nil {
						return err
					}
					return fail
				})
			})
		}
		errBoom := errors.New("boom")
		if n, err := batch(errBoom, false); n != 0 || !errors.Is(err, errBoom) {
			t.Fatalf("failed batch = %d, %v", n, err)
		}
		if pos, _, _ := db.ConsumerPosition(ctx, "c"); pos != 0 || count(t, db, "SELECT COUNT(*) FROM test_items") != 0 {
			t.Fatalf("a rolled-back batch left the cursor at %d", pos)
		}
		if db.Engine() == store.SQLite {
			if n, err := batch(nil, true); n != 0 || !errors.Is(err, store.ErrCursorMoved) {
				t.Fatalf("batch with the cursor moved under it = %d, %v", n, err)
			}
			if count(t, db, "SELECT COUNT(*) FROM test_items") != 0 {
				t.Fatal("the batch's writes stayed although the cursor had moved")
			}
			if _, err := db.ExecContext(ctx, "UPDATE outbox_cursors SET position = 0 WHERE consumer = 'c'"); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := batch(nil, false); n != 3 || err != nil {
			t.Fatalf("batch = %d, %v", n, err)
		}
		if pos, _, _ := db.ConsumerPosition(ctx, "c"); pos != ids[2] || count(t, db, "SELECT COUNT(*) FROM test_items") != 3 {
			t.Errorf("cursor at %d, want %d", pos, ids[2])
		}
		if n, err := batch(nil, false); n != 0 || err != nil {
			t.Errorf("nothing pending = %d, %v", n, err)
		}
		// Outside a consumer it does nothing.
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.AdvanceConsumer(ctx) }); err != nil {
			t.Error(err)
		}
	})
}

package store

import (
	"context"
	"errors"
	"fmt"
)

// The cursor in the consumer's own transaction. On SQLite, ConsumeBatch advances a
// consumer's cursor in a write transaction of its own after fn returns: for a consumer
// that writes its batch in one transaction, that is a second commit per batch, another
// turn of the single writer. Such a consumer calls Tx.AdvanceConsumer in its batch's
// transaction instead: the cursor then moves with the batch's writes (one commit, and
// never the writes without the cursor or the reverse) and ConsumeBatch skips its own
// update. On PostgreSQL the cursor is already moved by ConsumeBatch's own transaction,
// which holds the consumer's row; AdvanceConsumer does nothing there.

// cursorMove is what ConsumeBatch on SQLite hands fn through its context: the cursor's
// position read and the last event of the batch.
type cursorMove struct {
	consumer string
	from, to int64
	advanced bool
}

type cursorMoveKey struct{}

// ErrCursorMoved: the consumer's cursor was moved by another process while this batch
// was handled; the batch's transaction is rolled back and the events are read again.
var ErrCursorMoved = errors.New("store: consumer cursor moved by another process")

// AdvanceConsumer moves, in tx, the cursor of the consumer whose ConsumeBatch fn is
// running with ctx past the events handed to fn. Call it in the transaction that
// writes the batch's effects, and return nil from fn only if that transaction
// committed. Outside a ConsumeBatch fn, and on PostgreSQL, it does nothing.
func (tx *Tx) AdvanceConsumer(ctx context.Context) error {
	m, _ := ctx.Value(cursorMoveKey{}).(*cursorMove)
	if m == nil || tx.db.engine != SQLite {
		return nil
	}
	res, err := tx.ExecContext(ctx, "UPDATE outbox_cursors SET position = ?, updated_at = ? WHERE consumer = ? AND position = ?",
		m.to, Micros(tx.db.now()), m.consumer, m.from)
	if err != nil {
		return fmt.Errorf("store: advance cursor %q: %w", m.consumer, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: advance cursor %q: %w", m.consumer, err)
	} else if k == 0 {
		return ErrCursorMoved
	}
	m.advanced = true
	return nil
}

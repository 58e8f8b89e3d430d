package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ClaimIdempotencyKeyWith is ClaimIdempotencyKey and SaveIdempotentResponse in one
// statement, for a request whose response is known before its work is done (the
// notification point's sending path answers with the notice's reference, drawn before
// the transaction): the key is inserted with resp, so the key and its answer commit or
// roll back with the work, and a concurrent or later request with the key sees the
// answer, never "in progress". The results are those of ClaimIdempotencyKey: (nil, nil)
// when this transaction now holds the key, the stored response for a replay,
// ErrIdempotencyConflict, ErrIdempotencyInProgress (the key was claimed by a request
// that saves its response later).
func (tx *Tx) ClaimIdempotencyKeyWith(ctx context.Context, k IdempotencyKey, resp StoredResponse) (*StoredResponse, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	if resp.Status < 100 || resp.Status > 599 {
		return nil, fmt.Errorf("%w: status %d", ErrInvalidIdempotencyKey, resp.Status)
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	res, err := tx.ExecContext(ctx,
		"INSERT INTO idempotency_keys (scope, key, request_hash, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING",
		k.Scope, k.Key, k.RequestHash, resp.Status, resp.ContentType, body, Micros(tx.db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("store: claim idempotency key: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	// Taken: ClaimIdempotencyKey's own reading of the stored row (its INSERT does
	// nothing on a taken key).
	return tx.ClaimIdempotencyKey(ctx, k)
}

// EmitAll writes events to the outbox in this transaction, like Emit for each in
// turn (the IDs follow the order of events), when the caller needs no IDs: one
// statement either way — a multi-row INSERT on SQLite (the few status events of one
// change; the statement is not cached, which costs less than one per event here), and
// EmitBatch's on PostgreSQL.
func (tx *Tx) EmitAll(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if err := validEvent(e); err != nil {
			return err
		}
	}
	if tx.db.engine == Postgres {
		_, err := tx.EmitBatch(ctx, events)
		return err
	}
	if len(events) == 1 {
		_, err := tx.Emit(ctx, events[0])
		return err
	}
	var q strings.Builder
	q.WriteString("INSERT INTO outbox_events (type, actor, subject, payload, created_at) VALUES ")
	args := make([]any, 0, 5*len(events))
	now := tx.db.now()
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		at := e.CreatedAt
		if at.IsZero() {
			at = now
		}
		var payload sql.NullString
		if len(e.Payload) > 0 {
			payload = sql.NullString{String: string(e.Payload), Valid: true}
		}
		args = append(args, e.Type, e.Actor, e.Subject, payload, Micros(at))
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("store: emit %d events: %w", len(events), err)
	}
	tx.emitted = true
	return nil
}

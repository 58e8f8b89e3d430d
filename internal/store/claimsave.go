package store

import (
	"context"
	"database/sql"
	"fmt"
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
// turn (the IDs follow the order of events), when the caller needs no IDs: on SQLite
// multi-row INSERTs of MultiRowChunk rows, whose few texts stay cached on the writer
// (the status events of one change, or of a thousand notices of a bulk send), and
// EmitBatch's one statement on PostgreSQL.
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
	now := tx.db.now()
	for start := 0; start < len(events); {
		n := MultiRowChunk(len(events) - start)
		args := make([]any, 0, 5*n)
		for _, e := range events[start : start+n] {
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
		if _, err := tx.ExecContext(ctx, MultiRow("INSERT INTO outbox_events (type, actor, subject, payload, created_at) VALUES ", "(?, ?, ?, ?, ?)", n, ""), args...); err != nil {
			return fmt.Errorf("store: emit %d events: %w", len(events), err)
		}
		tx.emitted = true
		start += n
	}
	return nil
}

// ClaimIdempotencyKeysWith is ClaimIdempotencyKeyWith for many keys, each with its
// response (resps[i] is keys[i]'s), in multi-row INSERTs: claimed[i] reports whether
// this call claimed keys[i]. A key it did not claim — taken before, invalid, or a
// repeat of an earlier key of the list — is left to ClaimIdempotencyKeyWith, whose
// answer (a replay, a conflict, in progress, invalid) the caller needs; within this
// transaction it reads what this call wrote. The claims commit or roll back with the
// transaction, as ClaimIdempotencyKeyWith's do.
func (tx *Tx) ClaimIdempotencyKeysWith(ctx context.Context, keys []IdempotencyKey, resps []StoredResponse) (claimed []bool, err error) {
	if len(keys) != len(resps) {
		return nil, fmt.Errorf("store: claim idempotency keys: %d keys, %d responses", len(keys), len(resps))
	}
	claimed = make([]bool, len(keys))
	type scoped struct{ scope, key string }
	first := make(map[scoped]int, len(keys)) // the index of each key's first valid occurrence
	try := make([]int, 0, len(keys))
	for i, k := range keys {
		if k.valid() != nil || resps[i].Status < 100 || resps[i].Status > 599 {
			continue
		}
		sk := scoped{k.Scope, k.Key}
		if _, seen := first[sk]; seen {
			continue
		}
		first[sk] = i
		try = append(try, i)
	}
	created := Micros(tx.db.now())
	for start := 0; start < len(try); {
		n := MultiRowChunk(len(try) - start)
		args := make([]any, 0, 7*n)
		for _, i := range try[start : start+n] {
			k, r := keys[i], resps[i]
			body := r.Body
			if body == nil {
				body = []byte{}
			}
			args = append(args, k.Scope, k.Key, k.RequestHash, r.Status, r.ContentType, body, created)
		}
		q := MultiRow("INSERT INTO idempotency_keys (scope, key, request_hash, status, content_type, body, created_at) VALUES ",
			"(?, ?, ?, ?, ?, ?, ?)", n, " ON CONFLICT (scope, key) DO NOTHING RETURNING scope, key")
		err := tx.ScanRows(ctx, q, args, func(rows *sql.Rows) error {
			var sk scoped
			if err := rows.Scan(&sk.scope, &sk.key); err != nil {
				return err
			}
			if i, ok := first[sk]; ok {
				claimed[i] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: claim idempotency keys: %w", err)
		}
		start += n
	}
	return claimed, nil
}

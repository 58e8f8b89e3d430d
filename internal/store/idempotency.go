package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyKey identifies one client request that creates something.
type IdempotencyKey struct {
	// Scope separates key spaces, e.g. the authenticated client and the
	// route: "org:123456789012 POST /v1/consents".
	Scope string
	// Key is the client's Idempotency-Key header value.
	Key string
	// RequestHash is a digest of the request (method, path, body) so that
	// a key reused with a different request is detected.
	RequestHash []byte
}

// StoredResponse is the response recorded for an idempotency key.
type StoredResponse struct {
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

const (
	maxIdemScope = 512
	maxIdemKey   = 255
	maxIdemHash  = 64
)

func (k IdempotencyKey) valid() error {
	switch {
	case k.Scope == "" || len(k.Scope) > maxIdemScope:
		return fmt.Errorf("%w: scope must have 1 to %d bytes", ErrInvalidIdempotencyKey, maxIdemScope)
	case k.Key == "" || len(k.Key) > maxIdemKey:
		return fmt.Errorf("%w: key must have 1 to %d bytes", ErrInvalidIdempotencyKey, maxIdemKey)
	case len(k.RequestHash) == 0 || len(k.RequestHash) > maxIdemHash:
		return fmt.Errorf("%w: request hash must have 1 to %d bytes", ErrInvalidIdempotencyKey, maxIdemHash)
	}
	for i := 0; i < len(k.Key); i++ {
		if k.Key[i] < 0x21 || k.Key[i] > 0x7e {
			return fmt.Errorf("%w: key must be printable ASCII", ErrInvalidIdempotencyKey)
		}
	}
	return nil
}

// ClaimIdempotencyKey is the first step of a request that carries an
// idempotency key, inside the transaction that will do the work:
//
//   - (nil, nil): the key is new and now claimed by this transaction. Do
//     the work, then SaveIdempotentResponse in the same transaction. If the
//     transaction rolls back, the claim goes with it.
//   - (resp, nil): the same request was already done; replay resp.
//   - ErrIdempotencyConflict: the key was used with a different request.
//   - ErrIdempotencyInProgress: a claim was committed without a response.
//
// Concurrent requests with one key are serialized: on PostgreSQL the
// second claim waits for the first transaction and then sees its response;
// on SQLite write transactions are serial anyway.
func (tx *Tx) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey) (*StoredResponse, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx,
		"INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (scope, key) DO NOTHING",
		k.Scope, k.Key, k.RequestHash, Micros(tx.db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("store: claim idempotency key: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	// No row now: pruned between the two statements; treat it as busy.
	return readIdempotencyKey(tx.QueryRowContext(ctx, idemSelect, k.Scope, k.Key), k, ErrIdempotencyInProgress)
}

const idemSelect = "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?"

// readIdempotencyKey judges the row of k: the stored response of the same request,
// ErrIdempotencyConflict for another request, ErrIdempotencyInProgress for a claim
// without a response, and absent for no row.
func readIdempotencyKey(row *sql.Row, k IdempotencyKey, absent error) (*StoredResponse, error) {
	var (
		hash        []byte
		status      int
		contentType string
		body        []byte
		at          int64
	)
	err := row.Scan(&hash, &status, &contentType, &body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, absent
	}
	if err != nil {
		return nil, fmt.Errorf("store: read idempotency key: %w", err)
	}
	if !bytes.Equal(hash, k.RequestHash) {
		return nil, ErrIdempotencyConflict
	}
	if status == 0 {
		return nil, ErrIdempotencyInProgress
	}
	return &StoredResponse{Status: status, ContentType: contentType, Body: body, CreatedAt: FromMicros(at)}, nil
}

// IdempotentResponse looks k up without claiming it, for a request whose work is
// costly or leaves traces outside the database (the archive's blobs) before the
// transaction that claims the key: the stored response of the same request, or nil
// when the key is unknown; ErrIdempotencyConflict and ErrIdempotencyInProgress as
// ClaimIdempotencyKey gives them. The claim in the working transaction still decides.
func (db *DB) IdempotentResponse(ctx context.Context, k IdempotencyKey) (*StoredResponse, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	return readIdempotencyKey(db.QueryRowContext(ctx, idemSelect, k.Scope, k.Key), k, nil)
}

// SaveIdempotentResponse records the response for a key this transaction
// claimed with ClaimIdempotencyKey. Status must be 100..599.
func (tx *Tx) SaveIdempotentResponse(ctx context.Context, k IdempotencyKey, resp StoredResponse) error {
	if err := k.valid(); err != nil {
		return err
	}
	if resp.Status < 100 || resp.Status > 599 {
		return fmt.Errorf("%w: status %d", ErrInvalidIdempotencyKey, resp.Status)
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	res, err := tx.ExecContext(ctx,
		"UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE scope = ? AND key = ? AND request_hash = ? AND status = 0",
		resp.Status, resp.ContentType, body, k.Scope, k.Key, k.RequestHash)
	if err != nil {
		return fmt.Errorf("store: save idempotent response: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: save idempotent response: %w", err)
	} else if n != 1 {
		return ErrNotClaimed
	}
	return nil
}

// PruneIdempotencyKeys deletes keys created before t and returns how many.
func (db *DB) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", Micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune idempotency keys: %w", err)
	}
	return res.RowsAffected()
}

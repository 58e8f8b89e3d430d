package store

// Error is a sentinel error of this package. Code returns a stable dotted
// code that the API layer can put in an RFC 9457 problem document; the
// message is safe to log but is not meant for clients.
type Error struct {
	code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// Code returns the stable dotted error code, e.g. "store.schema.too_new".
func (e *Error) Code() string { return e.code }

// Unavailable reports whether e is ErrUnavailable; the API's error renderer answers
// such errors with 503 and Retry-After.
func (e *Error) Unavailable() bool { return e == ErrUnavailable }

var (
	// ErrUnavailable: the database cannot be reached or cannot serve now
	// (connection refused or lost, the server shutting down or out of
	// connections, SQLite locked by another process past the busy timeout).
	// Nothing of the failed transaction was written, unless the connection was
	// lost during COMMIT itself, when the outcome is unknown (an idempotency key
	// makes the retry safe either way); retry later (HTTP 503).
	// It wraps the driver's error, which stays available to errors.As.
	ErrUnavailable = &Error{"store.unavailable", "store: database unavailable"}

	// ErrInvalidURL: the database URL is empty, unsupported or names an
	// in-memory SQLite database. Fix the configuration.
	ErrInvalidURL = &Error{"store.url.invalid", "store: invalid database URL"}

	// ErrNotDurable: PostgreSQL would acknowledge commits it has not flushed
	// (synchronous_commit=off or fsync=off), so a crash could lose issued tokens
	// and hand their event ids to other events. Fix the server, role, database or
	// URL setting; Senim does not run on it.
	ErrNotDurable = &Error{"store.not_durable", "store: PostgreSQL does not commit durably (synchronous_commit or fsync is off)"}

	// ErrSchemaTooNew: the database has a migration this binary does not
	// know (a newer binary migrated it). Refuse to serve; run the newer
	// binary or restore a backup.
	ErrSchemaTooNew = &Error{"store.schema.too_new", "store: database schema is newer than this binary"}

	// ErrSchemaOutdated: the database lacks migrations this binary knows.
	// Run `senim migrate` (or serve with migrations enabled).
	ErrSchemaOutdated = &Error{"store.schema.outdated", "store: database schema is older than this binary"}

	// ErrBadMigration: an embedded migration file is malformed (bad name,
	// a gap in versions, an unknown {{token}}). A programming error.
	ErrBadMigration = &Error{"store.migration.invalid", "store: invalid embedded migration"}

	// ErrInvalidEvent: an outbox event lacks its type or actor, or its
	// payload is not JSON. A programming error.
	ErrInvalidEvent = &Error{"store.event.invalid", "store: invalid outbox event"}

	// ErrBadQuery: a query passed to a helper does not have the shape the
	// helper needs (InsertID without "RETURNING id").
	ErrBadQuery = &Error{"store.query.invalid", "store: invalid query for this helper"}

	// ErrIdempotencyConflict: the idempotency key was already used with a
	// different request. Clients must use a fresh key (HTTP 422).
	ErrIdempotencyConflict = &Error{"idempotency.key_conflict", "store: idempotency key reused with a different request"}

	// ErrIdempotencyInProgress: the key is claimed by a request whose
	// response was never stored. Clients may retry later (HTTP 409).
	ErrIdempotencyInProgress = &Error{"idempotency.in_progress", "store: idempotency key has no stored response"}

	// ErrInvalidIdempotencyKey: empty or over-long key, scope or hash (HTTP 400).
	ErrInvalidIdempotencyKey = &Error{"idempotency.key_invalid", "store: invalid idempotency key"}

	// ErrNotClaimed: SaveIdempotentResponse was called for a key that
	// this transaction did not claim. A programming error.
	ErrNotClaimed = &Error{"store.idempotency.not_claimed", "store: idempotency key not claimed in this transaction"}
)

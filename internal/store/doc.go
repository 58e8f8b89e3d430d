// Package store is Senim's database layer: one SQL schema on two engines,
// SQLite (the embedded default, pure Go via modernc.org/sqlite) and
// PostgreSQL (pgx/v5, for several API nodes), with embedded versioned
// migrations, a transactional outbox and idempotency keys.
//
// # Engines
//
// Open picks the engine from the URL. On SQLite the file is opened twice:
// one writer *sql.DB limited to a single connection (WAL, BEGIN
// IMMEDIATE, busy_timeout, foreign_keys=ON, synchronous=FULL,
// temp_store=MEMORY so that the statement journal of a multi-row write is
// not a temporary file) and a pool of read-only connections. Writes in the process therefore queue in Go
// instead of failing with SQLITE_BUSY, and reads run in parallel with the
// writer. DB.QueryContext and DB.QueryRowContext read from the reader pool;
// everything that writes goes through DB.Tx. On PostgreSQL a single pool
// serves both.
//
// # Outages
//
// A pooled PostgreSQL connection whose session the server or the network
// ended is found out on its next BEGIN or read, which then runs again on
// another connection, the last try on a fresh one (conn.go); a statement
// inside a transaction is never retried there. When the database cannot be
// reached or cannot serve (connection refused or lost, server shutting
// down or out of connections, SQLite locked past the busy timeout), the
// error is marked ErrUnavailable, which the API answers with 503 and
// Retry-After.
//
// # Durability
//
// A commit that returned survives a power cut or a kernel crash. On SQLite
// the writer (and the background checkpointer) run with synchronous=FULL: in
// WAL mode that fsyncs the WAL at every commit, before COMMIT returns
// (NORMAL would sync only at checkpoints, and a crash could drop the last
// commits together with the ids they took, which AUTOINCREMENT then hands out
// again). Its cost is one fsync per transaction, which callers amortise by
// batching many writes in one (Group: token issuance, shares, notices; on
// PostgreSQL Options.GroupLanes of a Group's batches may commit at once); the readers
// write nothing and keep NORMAL. On PostgreSQL every new connection checks
// that synchronous_commit is not off and fsync is on, and is refused with
// ErrNotDurable otherwise (any other synchronous_commit value flushes the
// local WAL at commit). docs/security.md has the argument and its limits.
//
// Queries are written once, with '?' placeholders; on PostgreSQL they are
// rewritten to $1, $2, ... A '?' inside a string literal, a quoted
// identifier, a dollar-quoted string or a comment is left alone; any other
// '?' is a placeholder, so PostgreSQL's jsonb operators ?, ?| and ?& cannot
// be used (call jsonb_exists and friends instead). Go bool arguments are
// passed as 0/1.
//
// # Schema conventions
//
// Every table follows them, on both engines: times are BIGINT Unix
// microseconds UTC (Micros, FromMicros); booleans INTEGER 0/1; text TEXT;
// JSON TEXT; binary {{blob}}; surrogate keys {{id}}. Write SQL in the
// subset both engines accept: CREATE TABLE/INDEX, INSERT ... ON CONFLICT
// (...) DO NOTHING / DO UPDATE, RETURNING, partial indexes, COALESCE. No
// engine-specific types, functions or defaults such as now().
//
// # Migrations
//
// Migrations are the files migrations/NNNN_name.sql embedded in the
// binary, numbered 0001, 0002, ... without gaps; adding a file is all it
// takes, and the highest number is the version the binary knows. A file
// is one schema for both engines: before running it, these tokens are
// replaced per engine (any other {{token}} fails loading, in every test):
//
//	{{id}}    INTEGER PRIMARY KEY AUTOINCREMENT (SQLite)
//	          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY (PostgreSQL)
//	{{blob}}  BLOB (SQLite) / BYTEA (PostgreSQL)
//	{{instr}} instr (SQLite) / strpos (PostgreSQL): (haystack, needle), the
//	          1-based position of needle in haystack, 0 when absent
//	{{json}}  TEXT (SQLite) / JSONB (PostgreSQL): CAST(col AS {{json}}) ->> 'key'
//	          is a key of a JSON TEXT column as text, on both engines
//
// Migrate applies each pending file and its schema_migrations row in one
// transaction (DDL is transactional on both engines). A database at a
// version newer than the binary knows is refused with ErrSchemaTooNew,
// by Migrate and by CheckSchema, which the server calls before serving:
// an old binary must not write to a schema it does not understand.
// EnsureSchema(ctx, migrate) combines both for `senim serve`.
//
// # Transactional outbox
//
// Every domain change writes its event with Tx.Emit in the same
// transaction, so an event exists if and only if the change committed.
// Tx.EmitBatch writes several at once — on PostgreSQL in one statement
// (one round trip), the k-th smallest of the IDs it draws given to the k-th
// event, so IDs increase with the events' order as with Emit called in turn;
// the transaction has its ID before either draws one, so the gap rule below
// holds for both.
// Consumers (the audit-log sequencer, the notification dispatcher) read
// events in ID order after their cursor, a row in outbox_cursors, with
// DB.ConsumeBatch or DB.RunConsumer. The cursor advances in a transaction
// after the consumer's function succeeds, so delivery is at least once and
// consumers must be idempotent by event ID; since IDs are delivered in
// increasing order, "skip IDs at or below the last one applied" is enough.
// RunConsumer is woken by commits in its own process and, on PostgreSQL,
// by LISTEN/NOTIFY from other processes; it also polls.
//
// Reading "id > cursor" is only correct if no lower ID can still commit.
// SQLite has one writer, so IDs commit in order. On PostgreSQL a sequence
// hands out IDs at insert time, not at commit: transaction A takes 5, B
// takes 6 and commits first; a consumer that moved its cursor past 5
// would lose A's event. So a PostgreSQL consumer delivers only the IDs
// that follow its cursor without a gap, and waits at a gap until every
// transaction that could still fill it has ended (then the gap is a
// rollback and is passed). Emit gives its transaction a transaction ID
// before it draws an event ID; every transaction that drew an ID below
// one the consumer sees therefore had a transaction ID when the consumer
// read, and if it was still running, that ID is in the read's snapshot
// (pg_current_snapshot's xip list) or between the snapshot's xmax and the
// consumer's own transaction ID, taken after the snapshot. A later read
// whose snapshot shows none of them running passes the gap (gapHold). It
// relies on the ID sequence's default CACHE 1 (IDs drawn in time order
// across sessions). A transaction that runs long delays a consumer only
// when a gap appears while it runs, and only until it ends; prepared
// transactions count as running. Emitting transactions no longer wait for
// each other: until issue 18 each took a cluster-wide advisory lock held
// through COMMIT, which let one transaction flush the WAL at a time;
// BenchmarkEmitWriters measures both (docs/scaling.md: 2 to 3.6 times
// more events/s from 4 writers on). The alternative of ordering by
// transaction ID and pg_snapshot_xmin was rejected: it changes the log's
// order away from event IDs, which the log audit's duplicate check relies
// on, and stalls every consumer behind any long transaction in the cluster.
//
// # Idempotency keys
//
// POST requests that create something carry an Idempotency-Key. In the
// transaction that does the work, Tx.ClaimIdempotencyKey either claims
// the key (do the work, then Tx.SaveIdempotentResponse), returns the
// stored response of the same earlier request, or fails with
// ErrIdempotencyConflict when the key came with a different request.
//
// # Errors
//
// Sentinel errors are *Error values with a stable dotted Code, wrapped with
// %w: test them with errors.Is and render Code in problem documents.
//
// # Tests
//
// Package storetest opens migrated databases for tests of any package:
// SQLite in t.TempDir() always, PostgreSQL in a fresh schema when
// SENIM_TEST_DATABASE_URL is set (and the test fails if it is set but
// unreachable).
package store

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Tx is a write transaction handed to the fn of DB.Tx. It must not be
// used after fn returns.
type Tx struct {
	db      *DB
	tx      *sql.Tx
	emitted bool // an outbox event was written: wake consumers after commit
	locked  bool // PostgreSQL: the outbox lock is held and NOTIFY queued
	// emit is, on SQLite, the outbox INSERT of the first Emit of the transaction,
	// reused by the others (on PostgreSQL pgx's per-connection statement cache does
	// that).
	emit *sql.Stmt
}

// Retry policy of DB.Tx for serialization failures and SQLITE_BUSY.
const (
	txAttempts   = 8
	txBackoff    = 5 * time.Millisecond
	txMaxBackoff = 500 * time.Millisecond
)

// Tx runs fn in a write transaction and commits it when fn returns nil.
// When fn returns an error or panics, the transaction is rolled back
// (nothing fn wrote stays, outbox events included) and the error is
// returned or the panic continues.
//
// On SQLite the transaction runs on the single writer connection and
// starts with BEGIN IMMEDIATE, so write transactions in this process queue
// for the connection and never fail with SQLITE_BUSY between themselves.
// On PostgreSQL it is an ordinary READ COMMITTED transaction.
//
// When the transaction fails with a PostgreSQL serialization failure or
// deadlock (SQLSTATE 40001, 40P01), or SQLite's BUSY/LOCKED (another
// process holds the lock past the busy timeout), the whole fn is run again,
// up to 8 attempts with jittered exponential backoff. fn must therefore
// have no effects outside the transaction that would be wrong to repeat.
//
// A pooled PostgreSQL connection that the server or the network has closed is found
// out when BEGIN fails on it; BEGIN is then run again on another connection, the last
// try on a fresh one, before fn runs (see pgConn). When the database cannot be reached
// or stops serving, the error returned is marked ErrUnavailable, and nothing fn wrote
// stays.
//
// fn must not call DB.Tx or DB.ExecContext: on SQLite they wait for the
// writer connection that fn holds, a deadlock until ctx ends. Reads on DB
// inside fn work but do not see fn's writes.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	backoff := txBackoff
	for attempt := 1; ; attempt++ {
		err := db.runTx(ctx, fn)
		if err == nil {
			return nil
		}
		if attempt == txAttempts || !retryable(err) || ctx.Err() != nil {
			return unavailable(err)
		}
		d := backoff/2 + rand.N(backoff/2+1)
		db.log.DebugContext(ctx, "store: retrying transaction", "attempt", attempt, "backoff", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return unavailable(err)
		case <-t.C:
		}
		backoff = min(backoff*2, txMaxBackoff)
	}
}

func (db *DB) runTx(ctx context.Context, fn func(tx *Tx) error) error {
	defer db.prepareWanted(ctx) // after the transaction has released the writer
	stx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// Also reached on panic; the panic then continues.
			_ = stx.Rollback()
		}
	}()
	t := &Tx{db: db, tx: stx}
	if err := fn(t); err != nil {
		return err
	}
	done = true
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if t.emitted {
		db.wake.broadcast()
	}
	return nil
}

// retryable reports whether err means "run the transaction again".
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// Engine reports the engine the transaction runs on.
func (tx *Tx) Engine() Engine { return tx.db.engine }

// QueryContext runs a query inside the transaction; it sees the
// transaction's own writes.
//
// It runs unprepared even where ExecContext and QueryRowContext use the writer's
// cached statements: rows stay open while the caller may run other statements, and
// two open results of one cached statement would share (and reset) one SQLite
// statement.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.db.bind(query), convertArgs(args)...)
}

// ScanRows runs a query inside the transaction and calls scan for each row of its
// result, which it closes before returning. As no result of query stays open, SQLite
// uses the writer's cached statement for it, as ExecContext does (QueryContext cannot:
// see stmtcache.go) — for queries a transaction runs often, a multi-row INSERT …
// RETURNING say, whose parsing would otherwise be paid every time.
func (tx *Tx) ScanRows(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if st := tx.cachedStmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, convertArgs(args)...)
	} else {
		rows, err = tx.tx.QueryContext(ctx, tx.db.bind(query), convertArgs(args)...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// QueryRowContext runs a query returning at most one row inside the
// transaction. On SQLite it uses the writer's cached statement for query (see
// stmtcache.go): Scan the row before running the same query again in the
// transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.cachedStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, convertArgs(args)...)
	}
	return tx.tx.QueryRowContext(ctx, tx.db.bind(query), convertArgs(args)...)
}

// ExecContext runs a statement inside the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.cachedStmt(ctx, query); st != nil {
		return st.ExecContext(ctx, convertArgs(args)...)
	}
	return tx.tx.ExecContext(ctx, tx.db.bind(query), convertArgs(args)...)
}

// InsertID runs an INSERT that ends with "RETURNING id" and returns the
// new row's id (SQLite >= 3.35 and PostgreSQL both support RETURNING).
func (tx *Tx) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	if !hasReturningID(query) {
		return 0, fmt.Errorf("%w: InsertID needs a query ending in RETURNING id", ErrBadQuery)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

func hasReturningID(q string) bool {
	q = strings.TrimRight(q, " \t\r\n;")
	f := strings.Fields(q)
	return len(f) >= 2 && strings.EqualFold(f[len(f)-2], "RETURNING") && strings.EqualFold(f[len(f)-1], "id")
}

// notifier wakes in-process outbox consumers after a commit with events.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) init() { n.ch = make(chan struct{}) }

// wait returns a channel closed by the next broadcast.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

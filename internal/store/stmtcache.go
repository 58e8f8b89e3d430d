package store

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements on SQLite. Parsing a statement is a fifth of the CPU of a small
// write transaction (the notification point's sending path, measured with pprof:
// sqlite3RunParser), so statements are prepared once and reused.
//
// The writer is one connection that lives as long as the DB: Tx.ExecContext and
// QueryRowContext (and Emit) bind its cached statement to the transaction
// (sql.Tx.StmtContext, which finds it already prepared on the connection). A statement
// seen for the first time runs unprepared and is prepared after its transaction has
// released the connection (preparing while the transaction holds the writer's only
// connection would wait for it forever). Tx.QueryContext stays unprepared: its rows
// stay open, and two open results of one cached statement would share one SQLite
// statement.
//
// The reader pool's DB.QueryContext and QueryRowContext use statements prepared on
// the pool (see stmtCache.reads).
//
// The cache holds at most maxCachedStmts statements; queries beyond that (queries
// built with a variable number of placeholders, say) simply stay unprepared.
// PostgreSQL needs none of this: pgx caches prepared statements per connection itself.
const maxCachedStmts = 512

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// reads are the reader pool's statements (DB.QueryContext, QueryRowContext).
	// database/sql prepares such a statement on each pooled connection the first
	// time it runs there, and a connection serves one query at a time, so, unlike the
	// writer's, they are safe for results that stay open.
	reads map[string]*sql.Stmt
	// want are queries run unprepared, to prepare once the writer is free.
	want   map[string]bool
	closed bool
}

// cachedStmt returns the transaction's statement for q, or nil to run q unprepared
// (PostgreSQL, or not prepared yet: then it is noted for after the transaction).
func (tx *Tx) cachedStmt(ctx context.Context, q string) *sql.Stmt {
	db := tx.db
	if db.engine != SQLite {
		return nil
	}
	c := &db.stmts
	c.mu.Lock()
	st := c.stmts[q]
	if st == nil {
		if len(c.stmts)+len(c.want)+len(c.reads) < maxCachedStmts {
			if c.want == nil {
				c.want = map[string]bool{}
			}
			c.want[q] = true
		}
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return tx.tx.StmtContext(ctx, st)
}

// prepareWanted prepares, on the writer, the statements transactions ran unprepared.
// It runs after a transaction has ended, outside it. A failure leaves the query
// unprepared for good (it ran fine unprepared, so it cannot matter).
func (db *DB) prepareWanted(ctx context.Context) {
	c := &db.stmts
	c.mu.Lock()
	if len(c.want) == 0 {
		c.mu.Unlock()
		return
	}
	want := c.want
	c.want = nil
	c.mu.Unlock()
	for q := range want {
		st, err := db.writer.PrepareContext(context.WithoutCancel(ctx), q)
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if err != nil || c.stmts[q] != nil || c.closed {
			c.mu.Unlock()
			if st != nil {
				st.Close()
			}
			if err != nil {
				db.log.DebugContext(ctx, "store: statement not cached", "err", err)
			}
			continue
		}
		c.stmts[q] = st
		c.mu.Unlock()
	}
}

// readStmt returns the reader pool's prepared statement for q, preparing it the
// first time, or nil (PostgreSQL, the cache full, or preparing failed: run q as
// usual, and any error shows there).
func (db *DB) readStmt(ctx context.Context, q string) *sql.Stmt {
	if db.engine != SQLite {
		return nil
	}
	c := &db.stmts
	c.mu.Lock()
	st := c.reads[q]
	full := len(c.stmts)+len(c.want)+len(c.reads) >= maxCachedStmts
	c.mu.Unlock()
	if st != nil || full {
		return st
	}
	st, err := db.reader.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		st.Close()
		return nil
	}
	if old := c.reads[q]; old != nil { // prepared concurrently
		st.Close()
		return old
	}
	if c.reads == nil {
		c.reads = map[string]*sql.Stmt{}
	}
	c.reads[q] = st
	return st
}

// closeStmts closes the cached statements (DB.Close, before the writer).
func (db *DB) closeStmts() error {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var first error
	for q, st := range c.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.stmts, q)
	}
	for q, st := range c.reads {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.reads, q)
	}
	return first
}

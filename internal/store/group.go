package store

import (
	"context"
	"runtime"
	"sync"
)

// Group commits concurrent writes in shared transactions (group commit): one commit —
// one WAL write on SQLite, one flush on PostgreSQL — serves every write that was
// waiting, so the rate of durable writes is not bounded by the disk's flushes per
// second, and on SQLite concurrent writers do not queue for the one writer one by one.
//
// The first caller to find no batch in progress starts a leader goroutine that writes
// everything pending, a batch at a time, until nothing is; every caller, that one
// included, waits only for its own batch. On PostgreSQL, where transactions do not
// queue for one writer, up to Options.GroupLanes leaders (default 1) may run at once: a
// caller that finds every running leader inside its transaction starts another, so
// one batch fills while others wait for their round trips and their WAL flush,
// instead of the whole group waiting for one transaction at a time. Batches in
// different lanes commit in no defined order; the write function must not rely on
// one (outbox consumers do not: see the package doc on gaps). (A caller that led in its own goroutine would
// keep its answer until the queue ran dry: under steady load, on PostgreSQL, for
// seconds.) A write whose caller has gone before its batch starts is left out.
//
// The write function writes a batch in one transaction. It may refuse an item alone —
// errs[i], decided before anything of that item is written, say a replayed token or a
// taken idempotency key — and the others commit; an error it returns fails the whole
// batch, and every item in it gets that error (nothing of theirs was written). It runs
// again from the start if the transaction is retried (DB.Tx), with errs cleared.
type Group[T any] struct {
	db    *DB
	max   int
	write func(ctx context.Context, tx *Tx, items []T, errs []error) error

	lanes int // leaders that may run at once

	mu      sync.Mutex
	pending []*groupItem[T]
	leaders int // leaders running
}

type groupItem[T any] struct {
	ctx  context.Context
	item T
	err  error
	done chan struct{}
}

// NewGroup returns a Group that writes at most limit items per transaction with write.
func NewGroup[T any](db *DB, limit int, write func(ctx context.Context, tx *Tx, items []T, errs []error) error) *Group[T] {
	return &Group[T]{db: db, max: max(1, limit), write: write, lanes: db.groupLanes}
}

// defaultGroupLanes is Options.GroupLanes's default.
const defaultGroupLanes = 1

// Lanes reports how many batches may be in their transactions at once: 1 on SQLite.
func (g *Group[T]) Lanes() int { return g.lanes }

// Do queues item and returns its own outcome once its batch has committed (or the
// error that failed the batch). If ctx ends first it returns ctx's error; the item may
// still be written if its batch had begun.
func (g *Group[T]) Do(ctx context.Context, item T) error {
	p := &groupItem[T]{ctx: ctx, item: item, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, p)
	lead := g.leaders < g.lanes
	if lead {
		g.leaders++
	}
	g.mu.Unlock()
	if lead {
		go g.lead(context.WithoutCancel(ctx))
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Group[T]) lead(ctx context.Context) {
	for {
		// Let the requests already running reach the queue: a larger batch shares one
		// commit among more writes.
		runtime.Gosched()
		g.mu.Lock()
		n := min(len(g.pending), g.max)
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		if n == 0 {
			g.leaders--
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		live := batch[:0:0]
		for _, p := range batch {
			if err := p.ctx.Err(); err != nil {
				p.err = err
				close(p.done)
				continue
			}
			live = append(live, p)
		}
		if len(live) == 0 {
			continue
		}
		items := make([]T, len(live))
		for i, p := range live {
			items[i] = p.item
		}
		errs := make([]error, len(live))
		err := g.db.Tx(ctx, func(tx *Tx) error {
			clear(errs)
			return g.write(ctx, tx, items, errs)
		})
		for i, p := range live {
			p.err = errs[i]
			if err != nil {
				p.err = err
			}
			close(p.done)
		}
	}
}

// Write is a write of a Group of functions (GroupFuncs): it runs in the batch's
// transaction.
type Write func(ctx context.Context, tx *Tx) error

// GroupFuncs returns a Group whose items are functions run in turn in the batch's
// transaction. refused tells a function's own refusal (which it must make before it
// writes anything) from an error that fails the whole batch.
func GroupFuncs(db *DB, limit int, refused func(error) bool) *Group[Write] {
	return NewGroup(db, limit, func(ctx context.Context, tx *Tx, fns []Write, errs []error) error {
		for i, fn := range fns {
			if err := fn(ctx, tx); err != nil {
				if !refused(err) {
					return err
				}
				errs[i] = err
			}
		}
		return nil
	})
}

package notify

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Group commit of the sending path. Every accepted notice is a durable transaction; one
// commit per notice bounds acceptance by the disk's flush rate. Concurrent Submit calls
// therefore join one transaction: the first caller to find no commit in progress leads,
// runs the waiting callers' work in one transaction, and hands the lead to a waiter if
// more arrived meanwhile. A caller's work that refuses with a problem (a replayed
// idempotency key with another body, say) refuses before it writes anything, so only
// that caller gets the problem; any other error fails the whole transaction and every
// caller in it gets the error (nothing of theirs was written).

// maxGroup bounds the callers in one transaction.
const maxGroup = 128

type groupJob struct {
	ctx  context.Context
	fn   func(tx *store.Tx) error
	err  error
	done chan struct{}
	lead chan struct{}
}

type group struct {
	mu         sync.Mutex
	committing bool
	pending    []*groupJob
}

// commit runs fn in a write transaction shared with concurrent callers.
func (s *Service) commit(ctx context.Context, fn func(tx *store.Tx) error) error {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, j)
	if g.committing {
		g.mu.Unlock()
		select {
		case <-j.done:
			return j.err
		case <-j.lead:
		}
	} else {
		g.committing = true
		g.mu.Unlock()
	}
	// Leading: commit batches until this caller's own work is done, then hand over.
	for {
		g.mu.Lock()
		n := min(len(g.pending), maxGroup)
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		if n > 0 {
			s.commitGroup(batch)
		}
		select {
		case <-j.done:
			g.mu.Lock()
			if len(g.pending) == 0 {
				g.committing = false
			} else {
				g.pending[0].lead <- struct{}{}
			}
			g.mu.Unlock()
			return j.err
		default:
		}
	}
}

// commitGroup runs a batch in one transaction. It is detached from the callers'
// cancellation (one caller going away must not fail the others), bounded in time.
func (s *Service) commitGroup(batch []*groupJob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), 30*time.Second)
	defer cancel()
	refused := make([]error, len(batch))
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for i, j := range batch {
			refused[i] = nil
			if j.ctx.Err() != nil {
				refused[i] = j.ctx.Err()
				continue
			}
			if err := j.fn(tx); err != nil {
				var p *problem.Problem
				if errors.As(err, &p) && p.Status < 500 {
					refused[i] = err
					continue
				}
				return err
			}
		}
		return nil
	})
	for i, j := range batch {
		j.err = err
		if err == nil {
			j.err = refused[i]
		}
		close(j.done)
	}
}

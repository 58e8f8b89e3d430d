package docs

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// batcher commits concurrent writes of shares and views in shared transactions (group
// commit), as pd's token issuance does: one commit — one WAL write or one PostgreSQL
// flush — serves every write that was waiting, so throughput is not bounded by the
// disk's flushes per second. Each write is a func run inside the transaction; one that
// returns a domain refusal (a *problem.Problem or errCodeTaken), which it must do before
// writing anything, is refused alone and the others commit; any other error fails the
// whole batch, and every write in it gets that error.
type batcher struct {
	db      *store.DB
	mu      sync.Mutex
	pending []*pendingWrite
	leading bool
}

type pendingWrite struct {
	fn   func(ctx context.Context, tx *store.Tx) error
	err  error
	done chan struct{}
}

// maxBatch bounds the writes of one transaction.
const maxBatch = 256

// errCodeTaken: the drawn short code is live in another share; draw again.
var errCodeTaken = errors.New("docs: short code taken")

func refusal(err error) bool {
	var p *problem.Problem
	return errors.Is(err, errCodeTaken) || errors.As(err, &p)
}

// do runs fn in a batch transaction and returns its own outcome once that commits.
func (b *batcher) do(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	p := &pendingWrite{fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, p)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		go b.lead(context.WithoutCancel(ctx))
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err() // the write may still commit; its event then stands
	}
}

func (b *batcher) lead(ctx context.Context) {
	for {
		runtime.Gosched() // let the requests already running reach the queue
		b.mu.Lock()
		n := min(len(b.pending), maxBatch)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		if n == 0 {
			b.leading = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		err := b.db.Tx(ctx, func(tx *store.Tx) error {
			for _, p := range batch {
				p.err = p.fn(ctx, tx)
				if p.err != nil && !refusal(p.err) {
					return p.err
				}
			}
			return nil
		})
		for _, p := range batch {
			if err != nil {
				p.err = err
			}
			close(p.done)
		}
	}
}

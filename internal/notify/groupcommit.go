package notify

import (
	"context"
	"errors"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Group commit of the sending path. Every accepted notice is a durable transaction; one
// commit per notice would bound acceptance by the disk's flush rate. Concurrent Submit
// and read-confirmation calls therefore share transactions (store.Group). A caller's
// work that refuses with a problem (a replayed idempotency key with another body, say)
// refuses before it writes anything, so only that caller gets the problem; any other
// error fails the whole transaction and every caller in it gets the error.

// maxGroup bounds the callers in one transaction.
const maxGroup = 128

func newGroup(db *store.DB) *store.Group[store.Write] {
	return store.GroupFuncs(db, maxGroup, func(err error) bool {
		var p *problem.Problem
		return errors.As(err, &p) && p.Status < 500
	})
}

// commit runs fn in a write transaction shared with concurrent callers.
func (s *Service) commit(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.group.Do(ctx, func(_ context.Context, tx *store.Tx) error { return fn(tx) })
}

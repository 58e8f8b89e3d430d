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

// groupWrite is a caller's work in a shared transaction: its writes in tx, and the
// changes of unread counts they make, in u (written once for the whole transaction,
// after every caller's work: unread.go).
type groupWrite func(tx *store.Tx, u unreadDelta) error

func newGroup(db *store.DB) *store.Group[groupWrite] {
	return store.NewGroup(db, maxGroup, func(ctx context.Context, tx *store.Tx, fns []groupWrite, errs []error) error {
		u := unreadDelta{} // afresh on every run: the store may run the transaction again
		for i, fn := range fns {
			if err := fn(tx, u); err != nil {
				if !refused(err) {
					return err
				}
				errs[i] = err
			}
		}
		return u.flush(ctx, tx)
	})
}

// refused tells a caller's own refusal, made before it wrote anything, from an error
// that fails the whole transaction.
func refused(err error) bool {
	var p *problem.Problem
	return errors.As(err, &p) && p.Status < 500
}

// commit runs fn in a write transaction shared with concurrent callers.
func (s *Service) commit(ctx context.Context, fn groupWrite) error {
	return s.group.Do(ctx, fn)
}

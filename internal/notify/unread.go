package notify

import (
	"context"
	"fmt"
	"slices"

	"github.com/senimkz/senim/internal/store"
)

// The header's unread count is a row per addressee (notify_unread, migration 0029):
// the number of the addressee's notices in state delivered. Every transaction that
// moves a notice into delivered (the outbox consumer, a sent notice, an accepted one
// delivered later) or out of it (opened, acknowledged) gathers its changes in an
// unreadDelta and writes them last, in multi-row statements (store.RowsChunk addressees
// each: one for almost any transaction), the addressees in order: on PostgreSQL two
// transactions then take the counters' row locks in the same order and after every
// other lock they take, so counting adds no deadlock.
//
// TestUnreadCounterFollowsEveryPath compares the counter with the notices themselves
// after each of those changes.

// unreadDelta is the change of the unread counts a transaction makes, by addressee.
type unreadDelta map[string]int64

// add counts k more (or, negative, fewer) unread notices of subject.
func (u unreadDelta) add(subject string, k int64) { u[subject] += k }

// flush writes u's changes in tx, the addressees in order; a zero change writes
// nothing.
func (u unreadDelta) flush(ctx context.Context, tx *store.Tx) error {
	subs := make([]string, 0, len(u))
	for s, k := range u {
		if k != 0 {
			subs = append(subs, s)
		}
	}
	slices.Sort(subs)
	for start := 0; start < len(subs); {
		n := store.MultiRowChunk(len(subs) - start)
		args := make([]any, 0, 2*n)
		for _, s := range subs[start : start+n] {
			args = append(args, s, u[s])
		}
		if _, err := tx.ExecContext(ctx, unreadAdd(n), args...); err != nil {
			return fmt.Errorf("notify: unread count: %w", err)
		}
		start += n
	}
	return nil
}

// unreadAdd is the statement adding to n addressees' counts.
func unreadAdd(n int) string {
	return store.MultiRow(`INSERT INTO notify_unread (subject, n) VALUES `, "(?, ?)", n,
		` ON CONFLICT (subject) DO UPDATE SET n = notify_unread.n + excluded.n`)
}

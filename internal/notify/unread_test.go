package notify

import (
	"fmt"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The unread count stops at UnreadCap ("at least"), is exact below it, counts neither
// read nor accepted notices nor another addressee's (the counter's writers are tested in
// TestUnreadCounterFollowsEveryPath; here the notices are written as they do), and the head is the newest notice
// the addressee can see — never one still accepted (the live view would skip it once
// it is delivered).
func TestUnreadCount(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		seq := 0
		insert := func(sub, state string, n int) (last int64) {
			t.Helper()
			for range n {
				seq++
				err := db.Tx(ctx, func(tx *store.Tx) error {
					if err := tx.QueryRowContext(ctx, `INSERT INTO notify_notices (ref, subject, kind, facts, state, created_at, delivered_at) VALUES (?, ?, 'message', '{}', ?, 1, 1) RETURNING id`,
						fmt.Sprintf("n_%d", seq), sub, state).Scan(&last); err != nil {
						return err
					}
					if state != StateDelivered {
						return nil
					}
					return unreadDelta{sub: 1}.flush(ctx, tx) // as every writer of a delivered notice does
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			return last
		}
		check := func(sub string, wantCount int, wantHead int64) {
			t.Helper()
			c, head, err := f.svc.Unread(ctx, sub)
			if err != nil || c != wantCount || head != wantHead {
				t.Errorf("%s: unread %d, head %d, %v; want %d, %d", sub, c, head, err, wantCount, wantHead)
			}
		}
		check(alice, 0, 0)
		insert(alice, StateRead, 5)
		aliceHead := insert(alice, StateDelivered, UnreadCap-1)
		bobHead := insert(bob, StateDelivered, 3)
		insert(alice, StateAccepted, 2) // not yet in the inbox: neither counted nor the head
		check(alice, UnreadCap-1, aliceHead)
		check(bob, 3, bobHead)
		aliceHead = insert(alice, StateDelivered, 1)
		check(alice, UnreadCap, aliceHead)
		aliceHead = insert(alice, StateDelivered, 50)
		check(alice, UnreadCap, aliceHead) // 149 unread: at least UnreadCap
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE notify_notices SET state = 'read' WHERE subject = ? AND state = 'delivered' AND id <= ?`, alice, aliceHead-3)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			return unreadDelta{alice: -k}.flush(ctx, tx)
		}); err != nil {
			t.Fatal(err)
		}
		check(alice, 3, aliceHead)
		check(bob, 3, bobHead)
	})
}

package notify

import (
	"fmt"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The unread count stops at UnreadCap ("at least"), is exact below it, counts neither
// read nor accepted notices nor another addressee's, and the head is the newest notice
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
					return tx.QueryRowContext(ctx, `INSERT INTO notify_notices (ref, subject, kind, facts, state, created_at, delivered_at) VALUES (?, ?, 'message', '{}', ?, 1, 1) RETURNING id`,
						fmt.Sprintf("n_%d", seq), sub, state).Scan(&last)
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
		if _, err := db.ExecContext(ctx, `UPDATE notify_notices SET state = 'read' WHERE subject = ? AND state = 'delivered' AND id <= ?`, alice, aliceHead-3); err != nil {
			t.Fatal(err)
		}
		check(alice, 3, aliceHead)
		check(bob, 3, bobHead)
	})
}

// rule DC-2: acknowledgements of one notice that race (two tabs, a double tap) all
// answer the one receipt that was made; none is refused and none makes a second.
func TestConcurrentAcknowledgementsShareTheReceipt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n, err := f.svc.Send(t.Context(), message(alice, true))
		if err != nil {
			t.Fatal(err)
		}
		const tabs = 8
		jws := make([]string, tabs)
		errs := make([]error, tabs)
		var wg sync.WaitGroup
		for i := range tabs {
			wg.Go(func() {
				o, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
				if err == nil {
					jws[i] = o.Receipt.JWS
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range tabs {
			if errs[i] != nil || jws[i] == "" || jws[i] != jws[0] {
				t.Errorf("acknowledgement %d: %v (same receipt as the first: %t)", i, errs[i], jws[i] == jws[0])
			}
		}
		var receipts int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_receipts`).Scan(&receipts)
		if receipts != 1 {
			t.Errorf("%d receipts for one notice", receipts)
		}
	})
}

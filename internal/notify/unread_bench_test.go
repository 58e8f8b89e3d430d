package notify

import (
	"fmt"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkUnread is the header's unread count of an addressee with n notices, one in
// every `every` of them unread (counted up to UnreadCap): what every cabinet page of a
// citizen pays. every=0: all read, the count's worst case.
func BenchmarkUnread(b *testing.B) {
	for _, c := range []struct{ n, every int }{{80, 4}, {1000, 4}, {10000, 4}, {10000, 1}, {1000, 0}, {10000, 0}} {
		n := c.n
		b.Run(fmt.Sprintf("notices=%d/unread=1in%d", n, c.every), func(b *testing.B) {
			db := storetest.Open(b)
			svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: newSigner(b), Issuer: "https://senim.test"})
			if err != nil {
				b.Fatal(err)
			}
			err = db.Tx(b.Context(), func(tx *store.Tx) error {
				u := unreadDelta{} // as every writer of a delivered notice does
				for i := range n {
					state := StateRead
					if c.every > 0 && i%c.every == 0 {
						state = StateDelivered
					}
					// Another addressee's notice between each two of alice's.
					for _, sub := range []string{alice, bob} {
						if _, err := tx.ExecContext(b.Context(), `INSERT INTO notify_notices (ref, subject, kind, facts, state, created_at, delivered_at) VALUES (?, ?, 'message', '{}', ?, 1, 1)`,
							fmt.Sprintf("n_%s_%d", sub, i), sub, state); err != nil {
							return err
						}
						if state == StateDelivered {
							u.add(sub, 1)
						}
					}
				}
				return u.flush(b.Context(), tx)
			})
			if err != nil {
				b.Fatal(err)
			}
			want := 0
			if c.every > 0 {
				want = min((n+c.every-1)/c.every, UnreadCap)
			}
			b.ResetTimer()
			cpu0 := processCPU()
			for b.Loop() {
				if c, _, err := svc.Unread(b.Context(), alice); err != nil || c != want {
					b.Fatalf("unread %d, %v; want %d", c, err, want)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

package store_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Migration 0029 starts the unread counters (notify_unread) from the notices already
// there: each addressee's count is the number of their notices in state delivered —
// neither accepted nor read ones — and an addressee without one has no row (a missing
// row reads as 0).
func TestMigration0029UnreadCounters(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			ctx := t.Context()
			db := storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t))
			if _, err := store.MigrateTo(ctx, db, 28); err != nil {
				t.Fatal(err)
			}
			seq := 0
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for _, n := range []struct {
					subject, state string
					k              int
				}{
					{"citizen:1", "delivered", 3}, {"citizen:1", "read", 2}, {"citizen:1", "accepted", 1},
					{"citizen:2", "delivered", 1}, {"citizen:3", "read", 4}, {"citizen:4", "accepted", 1},
				} {
					for range n.k {
						seq++
						if _, err := tx.ExecContext(ctx, `INSERT INTO notify_notices (ref, subject, kind, facts, state, created_at, delivered_at) VALUES (?, ?, 'message', '{}', ?, 1, 1)`,
							fmt.Sprintf("n_%d", seq), n.subject, n.state); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := db.Migrate(ctx); err != nil || n != db.KnownVersion()-28 {
				t.Fatalf("migrate: %d %v", n, err)
			}
			rows, err := db.QueryContext(ctx, `SELECT subject, n FROM notify_unread ORDER BY subject`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]int64{}
			for rows.Next() {
				var s string
				var n int64
				if err := rows.Scan(&s, &n); err != nil {
					t.Fatal(err)
				}
				got[s] = n
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(map[string]int64{"citizen:1": 3, "citizen:2": 1}, got); d != "" {
				t.Errorf("notify_unread (-want +got):\n%s", d)
			}
		})
	}
}

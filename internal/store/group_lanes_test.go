package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// TestGroupLanes: on PostgreSQL up to Options.GroupLanes batches are in their
// transactions at once, never more; SQLite's single writer keeps one.
func TestGroupLanes(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			// The default is one lane on both engines.
			if g := store.NewGroup(storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t)), 1, func(context.Context, *store.Tx, []int, []error) error { return nil }); g.Lanes() != 1 {
				t.Errorf("default Lanes() = %d, want 1", g.Lanes())
			}
			opts := storetest.Options(t)
			opts.GroupLanes = 3
			db := storetest.OpenURL(t, storetest.URL(t, e), opts)
			want := 3
			if e == store.SQLite {
				want = 1
			}
			started := make(chan int, 8)
			release := make(chan struct{})
			g := store.NewGroup(db, 1, func(ctx context.Context, tx *store.Tx, items []int, errs []error) error {
				started <- items[0]
				<-release
				return nil
			})
			if g.Lanes() != want {
				t.Fatalf("Lanes() = %d, want %d", g.Lanes(), want)
			}
			done := make(chan error, want+1)
			// One item at a time, each after the previous batch is inside its
			// transaction: every new caller finds the running batches busy.
			for i := range want {
				go func() { done <- g.Do(t.Context(), i) }()
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatalf("batch %d did not start while %d were in their transactions", i, i)
				}
			}
			// One more waits for a lane.
			go func() { done <- g.Do(t.Context(), want) }()
			select {
			case v := <-started:
				t.Fatalf("item %d started with %d batches in their transactions, the lanes are %d", v, want, want)
			case <-time.After(300 * time.Millisecond):
			}
			close(release)
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("the queued item never ran")
			}
			for range want + 1 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

package sandbox_test

import (
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Sandbox nodes started together on one database (docs/deployment.md) seed the same
// population at the same time: every node starts, and every citizen and organization
// is created once, with one event.
func TestSeedConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		pop := sandbox.Demo()
		const nodes = 3
		created := make([]int, nodes)
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i := range nodes {
			ids, err := identity.New(identity.Config{DB: db, Mobile: sandbox.NewMobileDB(pop), SMS: sandbox.NewSMS(nil),
				Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { created[i], errs[i] = sandbox.Seed(t.Context(), ids, pop) })
		}
		wg.Wait()
		total := 0
		for i := range nodes {
			if errs[i] != nil {
				t.Errorf("node %d: %v", i, errs[i])
			}
			total += created[i]
		}
		if want := len(pop.Citizens) + len(pop.Organizations); total != want {
			t.Errorf("the nodes created %d records together, want %d", total, want)
		}
		for typ, want := range map[string]int{"identity.citizen.created": len(pop.Citizens), "identity.organization.created": len(pop.Organizations)} {
			var n int
			if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = ?`, typ).Scan(&n); err != nil || n != want {
				t.Errorf("%d %s events (%v), want %d", n, typ, err, want)
			}
		}
	})
}

package pd

import (
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Sandbox nodes starting together on one database seed the directories at the same
// time: none fails, and each then sees the police's grounds — none serves a
// half-seeded directory (pd.protocol.not_permitted) for the cache's lifetime.
func TestSeedSandboxConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := sandboxCA(t)
		const nodes = 3
		svcs := make([]*Service, nodes)
		for i := range svcs {
			ids, err := identity.New(identity.Config{DB: db, Mobile: fakeMobile{}, SMS: &fakeSMS{}, Now: storetest.Options(t).Now})
			if err != nil {
				t.Fatal(err)
			}
			v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates()})
			if err != nil {
				t.Fatal(err)
			}
			if svcs[i], err = New(t.Context(), Config{DB: db, Citizens: ids, Validator: v, Issuer: "https://senim.test", Now: storetest.Options(t).Now}); err != nil {
				t.Fatal(err)
			}
		}
		// The first node got as far as the register and a ground when the others start.
		if _, err := svcs[0].PutDataOwner(t.Context(), "system", DataOwner{BIN: SandboxRegisterBIN(), Name: "Population Register (demo state body)",
			DataSets: []DataSet{{Code: "identity", Title: "Identity card"}}}); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i, s := range svcs {
			wg.Go(func() { errs[i] = s.SeedSandbox(t.Context()) })
		}
		wg.Wait()
		for i, s := range svcs {
			if errs[i] != nil {
				t.Errorf("node %d: %v", i, errs[i])
				continue
			}
			d, err := s.directory(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, police := range sandboxBINs()["law_enforcement"] {
				if !d.protocol[police][SandboxGround] || !d.protocol[police][SandboxGroundSecret] {
					t.Errorf("node %d: the police %s may not use the sandbox grounds: %v", i, police, d.protocol[police])
				}
			}
		}
		// A node started afterwards finds the seeding done and adds no event.
		var before, after int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&before)
		svcs[0].invalidate()
		if err := svcs[0].SeedSandbox(t.Context()); err != nil {
			t.Fatal(err)
		}
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&after)
		if after != before {
			t.Errorf("a restart after the seeding added %d events", after-before)
		}
	})
}

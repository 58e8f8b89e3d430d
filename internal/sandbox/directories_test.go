package sandbox

import (
	"slices"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Sandbox nodes starting together on one database seed the directories at the same
// time: none fails, and afterwards the police may use both sandbox grounds; a node
// started after the seeding adds no event.
func TestSeedDirectoriesConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		now := storetest.Options(t).Now
		const nodes = 3
		svcs := make([]*pd.Service, nodes)
		for i := range svcs {
			ids, err := identity.New(identity.Config{DB: db, Mobile: NewMobileDB(Demo()), SMS: NewSMS(now), Now: now})
			if err != nil {
				t.Fatal(err)
			}
			v, err := pki.New(pki.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if svcs[i], err = pd.New(t.Context(), pd.Config{DB: db, Citizens: ids, Validator: v, Issuer: "https://senim.test", Now: now}); err != nil {
				t.Fatal(err)
			}
		}
		// The first node got as far as the register when the others start.
		if _, err := svcs[0].PutDataOwner(t.Context(), actor.System.String(), pd.DataOwner{BIN: RegisterBIN(), Name: "Population Register (demo state body)",
			DataSets: []pd.DataSet{{Code: "identity", Title: "Identity card"}}}); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		for i, s := range svcs {
			wg.Go(func() { errs[i] = SeedDirectories(t.Context(), s, now()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d: %v", i, err)
			}
		}
		perms, err := svcs[1].ProtocolPermissions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, police := range demoBINs()["law_enforcement"] {
			if !slices.Contains(perms[police], pd.SandboxGround) || !slices.Contains(perms[police], pd.SandboxGroundSecret) {
				t.Errorf("the police %s may not use the sandbox grounds: %v", police, perms[police])
			}
		}
		var before, after int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&before)
		if err := SeedDirectories(t.Context(), svcs[0], now()); err != nil {
			t.Fatal(err)
		}
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&after)
		if after != before {
			t.Errorf("a restart after the seeding added %d events", after-before)
		}
	})
}

package notify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Two nodes on one PostgreSQL database: a citizen's live inbox on node B wakes when
// node A delivers her a notice, through the store signal Run listens to, and only
// through it (with A's relay off, B stays asleep). Issue 9 (live unread count) on the
// several-node deployment of issue 18.
func TestSubscribeAcrossNodes(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: wake-ups cross nodes on PostgreSQL only")
	}
	url := storetest.URL(t, store.Postgres)
	dbA := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := dbA.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	dbB := storetest.OpenURL(t, url, storetest.Options(t))
	a, b := newFixture(t, dbA), newFixture(t, dbB)
	if a.svc.hub.signal == nil || b.svc.hub.signal == nil {
		t.Fatal("no relay on PostgreSQL")
	}

	ch, stop := b.svc.Subscribe(alice)
	defer stop()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { b.svc.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	select { // the listener's first connection wakes every live view ("look again")
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("node B's signal listener did not connect")
	}

	// Without A's relay, nothing reaches B.
	relay := a.svc.hub.signal
	a.svc.hub.signal = nil
	if _, err := a.svc.Send(t.Context(), message(alice, false)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("node B woke without a signal")
	case <-time.After(1500 * time.Millisecond):
	}

	// With it: another citizen's notice does not wake her, hers does.
	a.svc.hub.signal = relay
	if _, err := a.svc.Send(t.Context(), message(bob, false)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("woken by another citizen's notice")
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := a.svc.Send(t.Context(), message(alice, false)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("node B's live inbox did not wake when node A delivered")
	}
}

// On SQLite (one process) there is no relay: publish wakes this process only.
func TestHubNoRelayOnSQLite(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	if f.svc.hub.signal != nil {
		t.Fatal("a relay on SQLite")
	}
}

package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

func TestStore(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := t.Context()
			url := storetest.URL(t, engine)
			first := storetest.OpenURL(t, url, storetest.Options(t))
			if _, err := first.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			kek := newKEK(t)
			if _, ok, err := (&Store{DB: first, KEK: kek}).Get(ctx, "p", "n"); ok || err != nil {
				t.Fatalf("Get of nothing = %v, %v", ok, err)
			}
			// Nodes race to store one name; every one gets the winner's value.
			const nodes = 5
			got := make([][]byte, nodes)
			errs := make([]error, nodes)
			stores := make([]*Store, nodes)
			for i := range stores {
				stores[i] = &Store{DB: storetest.OpenURL(t, url, storetest.Options(t)), KEK: kek}
			}
			var wg sync.WaitGroup
			for i := range nodes {
				wg.Go(func() { got[i], errs[i] = stores[i].PutOrGet(ctx, "p", "n", []byte(fmt.Sprint("value of node ", i))) })
			}
			wg.Wait()
			for i := range nodes {
				if errs[i] != nil || !bytes.Equal(got[i], got[0]) || !bytes.HasPrefix(got[0], []byte("value of node ")) {
					t.Fatalf("node %d: %q, %v; node 0: %q", i, got[i], errs[i], got[0])
				}
			}
			if _, _, err := (&Store{DB: first, KEK: newKEK(t)}).Get(ctx, "p", "n"); !errors.Is(err, ErrWrongKEK) {
				t.Fatalf("Get with another KEK: %v", err)
			}
			// A row's sealed value copied into another row does not open.
			s := stores[0]
			if _, err := s.PutOrGet(ctx, "p", "m", []byte("other")); err != nil {
				t.Fatal(err)
			}
			if _, err := first.ExecContext(ctx, "UPDATE keyring_blobs SET sealed = (SELECT sealed FROM keyring_blobs b WHERE b.name = 'n') WHERE name = 'm'"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Get(ctx, "p", "m"); !errors.Is(err, ErrTampered) {
				t.Fatalf("Get of a swapped row: %v", err)
			}
			if _, err := (&Store{DB: first}).PutOrGet(ctx, "p", "x", nil); !errors.Is(err, ErrNoKEK) {
				t.Fatalf("PutOrGet without a KEK: %v", err)
			}
		})
	}
}

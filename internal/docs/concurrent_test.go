package docs_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DD-2: one verifier per share holds under concurrency — many verifiers racing
// for one share through the shared commits of batch.go: exactly one sees it, the
// others get docs.share.used; and shares opened at once all get distinct codes.
func TestConcurrentRedeem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		op := f.open(t, f.owner, docs.KindIdentityCard)
		const n = 24
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				iin, _ := kzid.Complete(fmt.Sprintf("8001010%04d", 100+i))
				_, errs[i] = f.svc.Redeem(t.Context(), docs.Verifier{Subject: fmt.Sprintf("citizen:%d", 100+i), Kind: docs.VerifierCitizen, IIN: iin}, docs.Secret{Token: op.Token})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch code(err) {
			case "<nil>":
				ok++
			case "docs.share.used":
			default:
				t.Errorf("unexpected %s", code(err))
			}
		}
		if ok != 1 {
			t.Fatalf("%d verifiers saw the share, want 1", ok)
		}
		codes := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := f.svc.Open(t.Context(), f.owner, docs.KindBirthCertificate)
				if err != nil {
					t.Error(err)
					return
				}
				codes[i] = o.Code
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, c := range codes {
			if seen[c] {
				t.Fatalf("code %s given twice", c)
			}
			seen[c] = true
		}
	})
}

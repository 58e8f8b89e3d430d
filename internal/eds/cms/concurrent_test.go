package cms_test

import (
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/eds/cms"
)

// TestConcurrentVerify exercises the certificate and key caches from many goroutines
// (run with -race).
func TestConcurrentVerify(t *testing.T) {
	p := newECDSAPKI(t)
	der, err := cms.Sign(t.Context(), []byte("x"), []cms.SignerSpec{p.spec}, cms.SignOptions{Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				res, err := cms.Verify(t.Context(), der, nil, cms.VerifyOptions{Validator: p.v, Now: ncaClock})
				if err != nil || !res.Valid {
					t.Errorf("verify: %v", err)
					return
				}
				res.Signers[0].CertInfo.Subject.CommonName = "changed by a caller"
			}
		})
	}
	wg.Wait()
}

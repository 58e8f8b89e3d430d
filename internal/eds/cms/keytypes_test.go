package cms_test

import (
	"crypto/x509"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// TestKeyTypes signs and verifies with every key type package eds generates, each under
// a CA of the same type, with the chain checked.
func TestKeyTypes(t *testing.T) {
	for _, tc := range []struct {
		kt  eds.KeyType
		alg string
	}{
		{eds.KeyGOST2015_512, "ECGOST3410-2015-512"},
		{eds.KeyGOST2015_256, "ECGOST3410-2015-256"},
		{eds.KeyECDSA, "SHA256withECDSA"},
		{eds.KeyRSA, "SHA256withRSA"},
		{eds.KeyEd25519, "Ed25519"},
	} {
		t.Run(tc.kt.String(), func(t *testing.T) {
			root, err := tsptest.NewRoot(tc.kt, "Root", date(2025, 1, 1), date(2030, 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			cert, key, err := root.Leaf(tc.kt, "Signer", date(2026, 1, 1), date(2027, 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, Clock: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			for _, detached := range []bool{false, true} {
				der, err := cms.Sign(t.Context(), []byte("data"), []cms.SignerSpec{{Signer: key, Cert: cert}},
					cms.SignOptions{Now: ncaClock, Detached: detached})
				if err != nil {
					t.Fatal(err)
				}
				res, err := cms.Verify(t.Context(), der, []byte("data"), cms.VerifyOptions{Validator: v, Now: ncaClock})
				if err != nil {
					t.Fatal(err)
				}
				s := res.Signers[0]
				if !res.Valid || s.SignatureAlgorithm != tc.alg {
					t.Errorf("detached %v: valid %v alg %q codes %v", detached, res.Valid, s.SignatureAlgorithm, s.Codes())
				}
			}
		})
	}
}

package jws

import (
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// NCANode's GG2015/GG2004 names and the standard ones: a signature made by
// SignRaw verifies with VerifyRaw for the key's algorithm, and fails over other
// input; an alg the key cannot make, an unknown one, none, HMAC and EdDSA are
// refused with their codes.
func TestSignVerifyRaw(t *testing.T) {
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		kt  eds.KeyType
		alg string
		bad []string // algs this key cannot make
	}{
		{eds.KeyGOST2015_512, "GG2015", []string{"GG2004", "ES256", "RS256"}},
		{eds.KeyGOST2015_256, "GG2015", []string{"GG2004"}},
		{eds.KeyGOST2015_512, "GOST3410-2015-512", nil},
		{eds.KeyRSA, "RS384", []string{"ES256", "GG2015"}},
		{eds.KeyECDSA, "ES256", []string{"ES384", "ES512", "RS256"}},
	}
	for _, c := range cases {
		t.Run(c.kt.String()+"/"+c.alg, func(t *testing.T) {
			ca, err := tsptest.NewRoot(c.kt, "jws", from, to)
			if err != nil {
				t.Fatal(err)
			}
			input := []byte("eyJhbGciOiJ4In0.eyJhIjoxfQ")
			sig, err := SignRaw(ca.Key, c.alg, input)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyRaw(ca.Cert, c.alg, input, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if err := VerifyRaw(ca.Cert, c.alg, append(input, 'x'), sig); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("other input: %v", err)
			}
			for _, b := range c.bad {
				if _, err := SignRaw(ca.Key, b, input); !errors.Is(err, ErrAlgKeyMismatch) {
					t.Errorf("sign %s: %v", b, err)
				}
				if err := VerifyRaw(ca.Cert, b, input, sig); !errors.Is(err, ErrAlgKeyMismatch) {
					t.Errorf("verify %s: %v", b, err)
				}
			}
			for _, b := range []string{"none", "HS256", "EdDSA", "gg2015", ""} {
				if _, err := SignRaw(ca.Key, b, input); !errors.Is(err, ErrUnsupportedAlg) {
					t.Errorf("sign %q: %v", b, err)
				}
				if err := VerifyRaw(ca.Cert, b, input, sig); !errors.Is(err, ErrUnsupportedAlg) {
					t.Errorf("verify %q: %v", b, err)
				}
			}
		})
	}
}

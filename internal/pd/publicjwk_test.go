package pd

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

// rule DC-2: a key that signed long-lived evidence (a read receipt) leaves the JWK set
// MaxTokenLifetime after its retirement — the defect this guards against: verified
// against the set alone, a genuine receipt a year old was invalid — yet PublicJWK still
// gives its public half, the JWK whose thumbprint is the kid and under which the
// signature verifies; a kid Senim never had is ErrUnknownKey.
func TestPublicJWKOutlivesTheJWKS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) { testPublicJWKOutlivesTheJWKS(t, db) })
}

func testPublicJWKOutlivesTheJWKS(t *testing.T, db *store.DB) {
	f := newFixture(t, db)
	jws, err := f.svc.SignJWS(t.Context(), "senim-read-receipt+jwt", []byte(`{"jti":"r_test"}`))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jws, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h struct{ Kid string }
	json.Unmarshal(hb, &h)
	if err := f.svc.RotateKey(t.Context(), actorAdmin); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(2*365*24*time.Hour + time.Hour)
	if err := f.svc.keys.load(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	keys, _ := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
	if keys[h.Kid] != nil {
		t.Fatal("the retired key is still published: the test does not show the defect")
	}
	b, err := f.svc.PublicJWK(t.Context(), h.Kid)
	if err != nil {
		t.Fatal(err)
	}
	var jwk JWK
	json.Unmarshal(b, &jwk)
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + jwk.X + `","y":"` + jwk.Y + `"}`))
	if jwk.Kid != h.Kid || base64.RawURLEncoding.EncodeToString(sum[:]) != h.Kid {
		t.Fatalf("the JWK is not the key %s: %s", h.Kid, b)
	}
	one, err := verifier.ParseJWKS([]byte(`{"keys":[` + string(b) + `]}`))
	if err != nil || one[h.Kid] == nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ecdsa.Verify(one[h.Kid], d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("the signature does not verify under the key PublicJWK gives")
	}
	if _, err := f.svc.PublicJWK(t.Context(), "no-such-kid"); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("unknown kid: %v", err)
	}
}

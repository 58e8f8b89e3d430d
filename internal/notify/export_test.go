package notify

import (
	"encoding/json"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// ReceiptForTest acknowledges a legally significant notice to alice and returns what
// the citizen downloads (the bundle and the bare JWS), the key set that verifies it,
// another key set, and alice's and bob's IINs: the fixtures of the external test of
// `senim notify verify` (internal/verifycmd).
func ReceiptForTest(t *testing.T) (bundle, jws, jwks, otherJWKS []byte, iinA, iinB string) {
	f := newFixture(t, storetest.Open(t))
	n, _ := f.svc.Send(t.Context(), message(alice, true))
	o, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ = json.Marshal(o.Receipt)
	return bundle, []byte(o.Receipt.JWS + "\n"), f.key.jwks(), newSigner(t).jwks(), iinAlice, iinBob
}

// Package jwskey checks the compact ES256 JWS that Senim signs with its security-token
// key under a typ of their own — read receipts (internal/notify), confirmation evidence
// (internal/confirm), digital information records (internal/docs) — against the
// published JWK set, or, for evidence kept longer than a retired key stays published,
// under the public key the evidence carries; a caller accepts the latter only with an
// audit-log proof that Senim issued that very JWS (docs/notify.md, "Receipts outlive
// their key").
package jwskey

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/senimkz/senim/verifier"
)

// KeyID returns the kid of a compact JWS's header, without verifying anything.
func KeyID(compact string) (string, error) {
	h, _, _ := strings.Cut(strings.TrimSpace(compact), ".")
	hb, err := base64.RawURLEncoding.DecodeString(h)
	var hd struct{ Kid string }
	if err != nil || json.Unmarshal(hb, &hd) != nil || hd.Kid == "" {
		return "", errors.New("not a compact JWS with a kid")
	}
	return hd.Kid, nil
}

// ErrNotInSet: the JWS names a key the given JWK set does not hold — a key retired
// long enough ago to have left /.well-known/jwks.json, another Senim's, or no key of
// Senim's at all.
var ErrNotInSet = errors.New("the key is not in the JWK set")

// keyNotInSet is ErrNotInSet with the kid and the reason in its text.
type keyNotInSet string

func (e keyNotInSet) Error() string        { return string(e) }
func (e keyNotInSet) Is(target error) bool { return target == ErrNotInSet }

// Verify checks a compact ES256 JWS of type typ offline and returns its payload. When
// the kid is in jwks, the signature is checked under that key (fromKey false). When it is not and key is a
// public P-256 JWK whose RFC 7638 thumbprint is the kid (Senim's kids are), the
// signature is checked under key and fromKey is true. The JWK carried with the
// evidence proves nothing by itself — anyone can make a key and its thumbprint — so a
// caller that gets fromKey must accept the JWS only with an audit-log proof that Senim
// issued this very JWS (its SHA-256 in the logged event): the log, not the key, then
// vouches for it (docs/notify.md, "Receipts outlive their key").
func Verify(compact, typ string, jwks, key []byte) (payload []byte, fromKey bool, err error) {
	keys, err := verifier.ParseJWKS(jwks)
	if err != nil {
		return nil, false, fmt.Errorf("the JWK set is unreadable: %w", err)
	}
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) != 3 {
		return nil, false, errors.New("not a compact JWS")
	}
	enc := base64.RawURLEncoding
	hb, err1 := enc.DecodeString(parts[0])
	pb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(sig) != 64 {
		return nil, false, errors.New("not base64url, or not an ES256 signature")
	}
	var h struct{ Alg, Kid, Typ string }
	if err := json.Unmarshal(hb, &h); err != nil || h.Alg != "ES256" || h.Typ != typ || h.Kid == "" {
		return nil, false, errors.New("the header must say alg ES256, typ " + typ + " and a kid")
	}
	pub := keys[h.Kid]
	if pub == nil {
		if len(key) == 0 {
			return nil, false, keyNotInSet("the key " + h.Kid + " is not in the JWK set")
		}
		if pub, err = thumbprintKey(key, h.Kid); err != nil {
			return nil, false, keyNotInSet("the key " + h.Kid + " is not in the JWK set, and the key carried with it is not it: " + err.Error())
		}
		fromKey = true
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, false, errors.New("the signature does not verify")
	}
	return pb, fromKey, nil
}

// Thumbprint is the RFC 7638 thumbprint of a P-256 public key, base64url: SHA-256 of
// its required members in lexicographic order. It is the kid of Senim's keys.
func Thumbprint(pub *ecdsa.PublicKey) string {
	b, err := pub.Bytes() // uncompressed point 0x04 || X || Y
	if err != nil || len(b) != 65 {
		return ""
	}
	enc := base64.RawURLEncoding
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + enc.EncodeToString(b[1:33]) + `","y":"` + enc.EncodeToString(b[33:65]) + `"}`))
	return enc.EncodeToString(sum[:])
}

// thumbprintKey parses a public P-256 JWK and checks that its RFC 7638 thumbprint —
// computed from the parsed point, whatever the JWK's own kid member says — is kid.
func thumbprintKey(jwk []byte, kid string) (*ecdsa.PublicKey, error) {
	set, err := json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{[]json.RawMessage{jwk}}) // one JSON value, or an error: never spliced as text
	if err != nil {
		return nil, errors.New("not a P-256 JWK")
	}
	keys, err := verifier.ParseJWKS(set)
	if err != nil || len(keys) != 1 {
		return nil, errors.New("not a P-256 JWK")
	}
	var pub *ecdsa.PublicKey
	for _, k := range keys {
		pub = k
	}
	if t := Thumbprint(pub); t == "" || t != kid {
		return nil, errors.New("its thumbprint is not the kid")
	}
	return pub, nil
}

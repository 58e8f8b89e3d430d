package verifier

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkRawES256Verify is the floor: one P-256 ECDSA verification, nothing else.
func BenchmarkRawES256Verify(b *testing.B) {
	s := newSigner(b)
	sum := sha256.Sum256([]byte("x"))
	sig, _ := ecdsa.SignASN1(rand.Reader, s.priv, sum[:])
	for b.Loop() {
		if !ecdsa.VerifyASN1(&s.priv.PublicKey, sum[:], sig) {
			b.Fatal("bad")
		}
	}
}

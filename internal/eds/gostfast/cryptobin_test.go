package gostfast

import (
	"math/big"
	"testing"

	cbgost "github.com/deatil/go-cryptobin/pubkey/gost"
)

// cryptobinCurve maps our curves to go-cryptobin's.
func cryptobinCurve(t testing.TB, c *Curve) *cbgost.Curve {
	t.Helper()
	switch c {
	case Tc26512A:
		return cbgost.CurveIdtc26gost341012512paramSetA()
	case Tc26256A:
		return cbgost.CurveIdtc26gost341012256paramSetA()
	case CryptoProA:
		return cbgost.CurveIdGostR34102001CryptoProAParamSet()
	}
	t.Fatalf("no go-cryptobin curve for %s", c.name)
	return nil
}

// cryptobinVerifyKZ verifies Kazakh encodings with go-cryptobin. Its
// conventions (read in pubkey/gost/gost.go and marshal.go): the public key is
// x LE ‖ y LE, the digest is read as little-endian, and the signature is
// s BE ‖ r BE — the byte reversal of r LE ‖ s LE.
func cryptobinVerifyKZ(t testing.TB, c *Curve, pub, digest, sig []byte) bool {
	t.Helper()
	pk, err := cbgost.NewPublicKey(cryptobinCurve(t, c), pub)
	if err != nil {
		return false
	}
	ok, err := cbgost.Verify(pk, digest, cbgost.Reverse(sig))
	return err == nil && ok
}

// cryptobinVerifyInt verifies at the integer level with go-cryptobin. The
// caller guarantees that (x, y) is on the curve (go-cryptobin panics
// otherwise).
func cryptobinVerifyInt(t testing.TB, cb *cbgost.Curve, x, y, e, r, s *big.Int) bool {
	t.Helper()
	pk := &cbgost.PublicKey{Curve: cb, X: x, Y: y}
	// VerifyWithRS reverses the digest and reads it big-endian, i.e. it reads
	// the digest as little-endian: hand it e in little-endian bytes.
	ok, err := cbgost.VerifyWithRS(pk, cbgost.Reverse(e.Bytes()), r, s)
	return err == nil && ok
}

// TestCurveParamsMatchCryptobin checks our curve constants against
// go-cryptobin's.
func TestCurveParamsMatchCryptobin(t *testing.T) {
	for _, c := range []*Curve{Tc26512A, Tc26256A, CryptoProA} {
		cb := cryptobinCurve(t, c)
		for _, f := range []struct {
			name      string
			ours, lib *big.Int
		}{
			{"p", c.p, cb.P}, {"q", c.q, cb.Q}, {"a", c.a, cb.A}, {"b", c.b, cb.B},
			{"gx", c.gx, cb.X}, {"gy", c.gy, cb.Y},
		} {
			if f.ours.Cmp(f.lib) != 0 {
				t.Errorf("%s: %s differs: ours %x, go-cryptobin %x", c.name, f.name, f.ours, f.lib)
			}
		}
		if c.Name() == "" {
			t.Error("empty name")
		}
		if gx, gy := c.Base(); gx.Cmp(cb.X) != 0 || gy.Cmp(cb.Y) != 0 || c.Order().Cmp(cb.Q) != 0 || c.Prime().Cmp(cb.P) != 0 {
			t.Errorf("%s: accessors disagree with go-cryptobin", c.name)
		}
		if c.Size() != cb.PointSize() {
			t.Errorf("%s: size %d, go-cryptobin %d", c.name, c.Size(), cb.PointSize())
		}
		if !c.IsOnCurve(c.gx, c.gy) {
			t.Errorf("%s: base point not on curve", c.name)
		}
	}
}

func TestTc26512APrime(t *testing.T) {
	want := new(big.Int).Lsh(one, 512)
	want.Sub(want, big.NewInt(569))
	if Tc26512A.p.Cmp(want) != 0 {
		t.Fatalf("p = %x, want 2^512 - 569", Tc26512A.p)
	}
	if a := new(big.Int).Sub(Tc26512A.p, big.NewInt(3)); a.Cmp(Tc26512A.a) != 0 {
		t.Fatalf("a = %x, want p - 3", Tc26512A.a)
	}
}

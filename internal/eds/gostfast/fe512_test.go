package gostfast

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

var p512 = Tc26512A.p

// feSamples returns edge values below 2^512 (including the non-canonical
// ones in [p, 2^512)) and random ones.
func feSamples(rng *rand.Rand, n int) []*big.Int {
	two512 := new(big.Int).Lsh(one, 512)
	out := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(568), big.NewInt(569), big.NewInt(570),
		new(big.Int).Sub(p512, one), new(big.Int).Set(p512), new(big.Int).Add(p512, one),
		new(big.Int).Sub(two512, one), new(big.Int).Sub(two512, big.NewInt(2)),
		new(big.Int).Lsh(one, 511), new(big.Int).Lsh(one, 256), new(big.Int).Sub(new(big.Int).Lsh(one, 448), one),
	}
	for range n {
		var b [64]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		switch rng.IntN(4) {
		case 0: // mostly ones: stresses the carry chains
			for i := range b[:60] {
				b[i] = 0xff
			}
		case 1: // sparse
			for i := range b {
				if rng.IntN(8) != 0 {
					b[i] = 0
				}
			}
		}
		out = append(out, new(big.Int).SetBytes(b[:]))
	}
	return out
}

func TestFieldOpsMatchBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := feSamples(rng, 300)
	ys := feSamples(rng, 300)
	mod := func(v *big.Int) *big.Int { return v.Mod(v, p512) }
	for i, xb := range xs {
		for j, yb := range ys {
			if (i+j)%7 != 0 && i > 14 && j > 14 {
				continue // all edge pairs, a sample of the rest
			}
			var x, y, z fe
			feFromBig(&x, xb)
			feFromBig(&y, yb)
			check := func(op string, got *fe, want *big.Int) {
				t.Helper()
				if g := feToBig(got); g.Cmp(mod(want)) != 0 {
					t.Fatalf("%s(%x, %x) = %x, want %x", op, xb, yb, g, want)
				}
			}
			feMul(&z, &x, &y)
			check("mul", &z, new(big.Int).Mul(xb, yb))
			feAdd(&z, &x, &y)
			check("add", &z, new(big.Int).Add(xb, yb))
			feSub(&z, &x, &y)
			check("sub", &z, new(big.Int).Sub(xb, yb))
			feSqr(&z, &x)
			check("sqr", &z, new(big.Int).Mul(xb, xb))
			if feEqual(&x, &y) != (mod(new(big.Int).Set(xb)).Cmp(mod(new(big.Int).Set(yb))) == 0) {
				t.Fatalf("feEqual(%x, %x) wrong", xb, yb)
			}
		}
	}
}

// TestFieldChain runs a long chain of dependent operations and checks that
// the limb representation stays congruent to the math/big value.
func TestFieldChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xb := new(big.Int).Sub(p512, big.NewInt(5))
	yb := new(big.Int).Sub(new(big.Int).Lsh(one, 512), one)
	var x, y fe
	feFromBig(&x, xb)
	feFromBig(&y, yb)
	for i := range 20000 {
		switch rng.IntN(4) {
		case 0:
			feMul(&x, &x, &y)
			xb.Mul(xb, yb)
		case 1:
			feSqr(&y, &y)
			yb.Mul(yb, yb)
		case 2:
			feSub(&x, &y, &x)
			xb.Sub(yb, xb)
		case 3:
			feAdd(&y, &x, &y)
			yb.Add(xb, yb)
		}
		xb.Mod(xb, p512)
		yb.Mod(yb, p512)
		if feToBig(&x).Cmp(xb) != 0 || feToBig(&y).Cmp(yb) != 0 {
			t.Fatalf("step %d: diverged from math/big", i)
		}
	}
}

package gostfast

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"testing"

	cbgost "github.com/deatil/go-cryptobin/pubkey/gost"
)

// longRun reports whether the long-running mode is on: SENIM_LONG=1 runs the
// 100,000-case differential test.
func longRun() bool { return os.Getenv("SENIM_LONG") == "1" }

// rngReader adapts a math/rand/v2 source to io.Reader for go-cryptobin's key
// and nonce generation, so that every failure is reproducible from the seed.
type rngReader struct{ r *rand.Rand }

func (r rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rngReader{rng}.Read(b)
	return b
}

func leBytes(v *big.Int, n int) []byte {
	b := make([]byte, n)
	v.FillBytes(b)
	return cbgost.Reverse(b)
}

// corrupt applies one of several corruptions to a valid (pub, digest, sig)
// and names it. Kinds 0 and 1 leave the signature valid.
func corrupt(rng *rand.Rand, c *Curve, kind int, pub, digest, sig []byte, other []byte) (p, d, s []byte, name string) {
	n := c.size
	p, d, s = bytes.Clone(pub), bytes.Clone(digest), bytes.Clone(sig)
	switch kind {
	case 0, 1:
		return p, d, s, "valid"
	case 2:
		i := rng.IntN(2 * n)
		s[i] ^= 1 << rng.IntN(8)
		return p, d, s, "sig bit flip"
	case 3:
		d[rng.IntN(n)] ^= 1 << rng.IntN(8)
		return p, d, s, "digest bit flip"
	case 4:
		return other, d, s, "other key"
	case 5: // r or s out of range or zero
		var v *big.Int
		switch rng.IntN(4) {
		case 0:
			v = new(big.Int)
		case 1:
			v = new(big.Int).Set(c.q)
		case 2:
			v = new(big.Int).Add(c.q, big.NewInt(int64(rng.IntN(1000))))
		default:
			v = new(big.Int).Sub(new(big.Int).Lsh(one, uint(8*n)), one)
		}
		if rng.IntN(2) == 0 {
			copy(s[:n], leBytes(v, n))
			return p, d, s, "r out of range"
		}
		copy(s[n:], leBytes(v, n))
		return p, d, s, "s out of range"
	case 6: // swap r and s
		copy(s[:n], sig[n:])
		copy(s[n:], sig[:n])
		return p, d, s, "r and s swapped"
	default: // point not on the curve: change y
		p[n+rng.IntN(n)] ^= 1 << rng.IntN(8)
		return p, d, s, "key off the curve"
	}
}

// runDifferential signs random digests with go-cryptobin under random keys,
// corrupts some, and checks that VerifyKZ, the generic math/big path and
// go-cryptobin agree (the generic path on every fourth case, to save time).
func runDifferential(t *testing.T, c *Curve, cases int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5e4147))
	rd := rngReader{rng}
	cb := cryptobinCurve(t, c)
	n := c.size
	var keys []*cbgost.PrivateKey
	for range 6 {
		k, err := cbgost.GenerateKey(rd, cb)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	// Precomputed keys (512-bit curve only), by encoding.
	pre := map[string]*PublicKey512{}
	accepted := 0
	for i := 0; i < cases; {
		key := keys[rng.IntN(len(keys))]
		other := cbgost.PublicKeyTo(&keys[rng.IntN(len(keys))].PublicKey)
		pub := cbgost.PublicKeyTo(&key.PublicKey)
		digest := randBytes(rng, n)
		switch rng.IntN(16) {
		case 0:
			clear(digest) // e = 0, replaced by 1
		case 1:
			copy(digest, leBytes(c.q, n)) // e = q ≡ 0
		case 2:
			for j := range digest {
				digest[j] = 0xff // e ≥ q
			}
		}
		lib, err := cbgost.Sign(rd, key, digest) // s BE ‖ r BE
		if err != nil {
			t.Fatal(err)
		}
		sig := cbgost.Reverse(lib) // r LE ‖ s LE
		// One signature serves several cases to spend less time signing.
		for range 4 {
			kind := rng.IntN(8)
			p, d, s, name := corrupt(rng, c, kind, pub, digest, sig, other)
			ours := VerifyKZ(c, p, d, s)
			ref := cryptobinVerifyKZ(t, c, p, d, s)
			if ours != ref {
				t.Fatalf("case %d (%s, seed %d): VerifyKZ = %v, go-cryptobin = %v\npub %x\ndigest %x\nsig %x", i, name, seed, ours, ref, p, d, s)
			}
			if c == Tc26512A {
				k, ok := pre[string(p)]
				if !ok {
					var err error
					k, err = NewPublicKey512KZ(p)
					if err != nil && !errors.Is(err, ErrInvalidPublicKey) {
						t.Fatal(err)
					}
					pre[string(p)] = k
				}
				if k == nil && ours {
					t.Fatalf("case %d (%s, seed %d): key refused by NewPublicKey512KZ but accepted by VerifyKZ", i, name, seed)
				}
				if k != nil && k.VerifyKZ(d, s) != ours {
					t.Fatalf("case %d (%s, seed %d): PublicKey512.VerifyKZ = %v, VerifyKZ = %v", i, name, seed, !ours, ours)
				}
			}
			if kind <= 1 && !ours {
				t.Fatalf("case %d (seed %d): a fresh go-cryptobin signature is rejected", i, seed)
			}
			if i%4 == 0 && verifyGenericKZ(c, p, d, s) != ours {
				t.Fatalf("case %d (%s, seed %d): generic path = %v, fast = %v", i, name, seed, !ours, ours)
			}
			if ours {
				accepted++
			}
			i++
			if i%10000 == 0 {
				t.Logf("%s: %d cases so far, %d valid", c.name, i, accepted)
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no case was accepted: the test cannot tell a broken verifier")
	}
	t.Logf("%s: %d cases, %d valid", c.name, cases, accepted)
}

// verifyGenericKZ is VerifyKZ forced through the math/big path.
func verifyGenericKZ(c *Curve, pub, digest, sig []byte) bool {
	n := c.size
	if len(pub) != 2*n || len(digest) != n || len(sig) != 2*n {
		return false
	}
	x, y := leInt(pub[:n]), leInt(pub[n:])
	e, r, s := leInt(digest), leInt(sig[:n]), leInt(sig[n:])
	if r.Sign() <= 0 || r.Cmp(c.q) >= 0 || s.Sign() <= 0 || s.Cmp(c.q) >= 0 || !c.IsOnCurve(x, y) {
		return false
	}
	u1, u2 := scalars(c, e, r, s)
	return verifyGeneric(c, x, y, u1, u2, r)
}

// TestDifferential512 compares the fast path with go-cryptobin and the
// generic path: 2,000 cases normally, 200 with -short or -race, 100,000 with
// SENIM_LONG=1.
func TestDifferential512(t *testing.T) {
	t.Parallel()
	cases := 2000
	switch {
	case longRun():
		cases = 100000
	case testing.Short(), raceEnabled:
		cases = 200
	}
	runDifferential(t, Tc26512A, cases, 1)
}

// TestDifferential256 does the same for the two 256-bit curves (generic
// path): 500 cases each normally, 20,000 with SENIM_LONG=1.
func TestDifferential256(t *testing.T) {
	t.Parallel()
	cases := 500
	switch {
	case longRun():
		cases = 20000
	case testing.Short(), raceEnabled:
		cases = 100
	}
	for _, c := range []*Curve{Tc26256A, CryptoProA} {
		runDifferential(t, c, cases, 2)
	}
}

// TestDoubleScalarMatchesGeneric compares the fast double-scalar
// multiplication with the math/big one as points, for random and edge
// scalars (0, 1, small, q ± 1, powers of two, all-ones windows; scalars up
// to 2^512 are allowed here) and keys, including G and −G so that the
// doubling and infinity branches of both additions run.
func TestDoubleScalarMatchesGeneric(t *testing.T) {
	c := Tc26512A
	rng := rand.New(rand.NewPCG(7, 8))
	qm1 := new(big.Int).Sub(c.q, one)
	edge := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(127), big.NewInt(128),
		big.NewInt(255), qm1, new(big.Int).Add(c.q, one), new(big.Int).Sub(c.q, big.NewInt(2)), new(big.Int).Rsh(c.q, 1),
		new(big.Int).Lsh(one, 511), new(big.Int).Sub(new(big.Int).Lsh(one, 511), one),
		new(big.Int).Sub(new(big.Int).Lsh(one, 256), one), mustHex("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	}
	// Keys: G itself, −G, and random multiples of G.
	type key struct{ x, y *big.Int }
	keys := []key{{c.gx, c.gy}, {c.gx, new(big.Int).Sub(c.p, c.gy)}}
	for range 3 {
		x, y, _ := c.affine(doubleScalarGeneric(c, c.gx, c.gy, randScalar(rng, c.q), big.NewInt(0)))
		keys = append(keys, key{x, y})
	}
	var pre []*PublicKey512
	for _, k := range keys {
		pk, err := NewPublicKey512(k.x, k.y)
		if err != nil {
			t.Fatal(err)
		}
		pre = append(pre, pk)
	}
	scal := func(i int) *big.Int {
		if i < len(edge) {
			return edge[i]
		}
		return randScalar(rng, c.q)
	}
	count := 0
	for ki, k := range keys {
		for i := range len(edge) + 6 {
			for j := range len(edge) + 6 {
				// Every pair with a small scalar (where u1·G and u2·Q
				// meet as equal or opposite points when Q = ±G), and a
				// quarter of the others.
				if (i+j+ki)%4 != 0 && i >= 4 && j >= 4 || testing.Short() && ki > 2 {
					continue
				}
				u1, u2 := scal(i), scal(j)
				gen := doubleScalarGeneric(c, k.x, k.y, u1, u2)
				gx, gy, gok := c.affine(gen)
				fast := doubleScalar512(c, k.x, k.y, u1, u2)
				split := pre[ki].doubleScalar(u1, u2)
				for name, pt := range map[string]*jac512{"interleaved": &fast, "precomputed key": &split} {
					fx, fy, fok := c.affine(jacPoint{feToBig(&pt.x), feToBig(&pt.y), feToBig(&pt.z)})
					if fok != gok || (fok && (fx.Cmp(gx) != 0 || fy.Cmp(gy) != 0)) {
						t.Fatalf("%s, key %d, u1 = %x, u2 = %x: fast (%x, %x, %v), generic (%x, %v)", name, ki, u1, u2, fx, fy, fok, gx, gok)
					}
				}
				count++
			}
		}
	}
	t.Logf("%d double-scalar products compared", count)
}

// randScalar returns a random integer in [0, max).
func randScalar(rng *rand.Rand, max *big.Int) *big.Int {
	v := new(big.Int).SetBytes(randBytes(rng, (max.BitLen()+7)/8+8))
	return v.Mod(v, max)
}

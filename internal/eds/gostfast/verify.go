package gostfast

import (
	"math/big"
)

var one = big.NewInt(1)

// Verify reports whether (r, s) is a valid GOST R 34.10-2012 signature of the
// digest integer e under the public key (pubX, pubY) on curve c.
//
// e is the digest already converted to an integer as GOST prescribes (for the
// Kazakh encodings the raw hash output read as a little-endian number; see
// VerifyKZ). It is reduced modulo q here, and e ≡ 0 is replaced by 1 as the
// standard requires. Verify returns false, and never panics, for: a nil
// argument; negative e; r or s outside [1, q−1]; a public key that is not an
// affine point of c with coordinates in [0, p) (the point at infinity has no
// affine coordinates and so is rejected too); and a signature whose check
// point u1·G + u2·Q is the point at infinity.
//
// Verification handles public values only and is variable-time.
func Verify(c *Curve, pubX, pubY *big.Int, e *big.Int, r, s *big.Int) bool {
	if c == nil || c.q == nil || e == nil || r == nil || s == nil || e.Sign() < 0 {
		return false // nil or zero-value Curve, or missing values
	}
	if r.Sign() <= 0 || r.Cmp(c.q) >= 0 || s.Sign() <= 0 || s.Cmp(c.q) >= 0 {
		return false
	}
	if !c.IsOnCurve(pubX, pubY) {
		return false
	}
	u1, u2 := scalars(c, e, r, s)
	if c.fast {
		return verify512(c, pubX, pubY, u1, u2, r)
	}
	return verifyGeneric(c, pubX, pubY, u1, u2, r)
}

// scalars returns u1 = s·v mod q and u2 = −r·v mod q with v = e⁻¹ mod q
// (e ≡ 0 replaced by 1). r and s are in [1, q−1], so u1 and u2 are non-zero.
func scalars(c *Curve, e, r, s *big.Int) (u1, u2 *big.Int) {
	ee := new(big.Int).Mod(e, c.q)
	if ee.Sign() == 0 {
		ee.SetInt64(1)
	}
	v := ee.ModInverse(ee, c.q) // q is prime and ee ≠ 0, so the inverse exists
	u1 = new(big.Int).Mul(s, v)
	u1.Mod(u1, c.q)
	u2 = new(big.Int).Mul(r, v)
	u2.Mod(u2, c.q)
	u2.Sub(c.q, u2)
	return u1, u2
}

// VerifyKZ verifies a signature in the Kazakh (NCA) encodings: pub is
// x little-endian ‖ y little-endian, digest is the raw hash output (read as a
// little-endian integer), sig is r little-endian ‖ s little-endian. Each of
// x, y, r, s and the digest must be exactly c.Size() bytes; any other length
// makes VerifyKZ return false.
func VerifyKZ(c *Curve, pub, digest, sig []byte) bool {
	if c == nil || c.size == 0 {
		return false
	}
	n := c.size
	if len(pub) != 2*n || len(digest) != n || len(sig) != 2*n {
		return false
	}
	x := leInt(pub[:n])
	y := leInt(pub[n:])
	e := leInt(digest)
	r := leInt(sig[:n])
	s := leInt(sig[n:])
	return Verify(c, x, y, e, r, s)
}

// leInt reads b as a little-endian unsigned integer.
func leInt(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, v := range b {
		be[len(b)-1-i] = v
	}
	return new(big.Int).SetBytes(be)
}

// verifyGeneric computes u1·G + u2·Q with math/big in Jacobian coordinates
// (Shamir's simultaneous double-and-add) and compares its x mod q with r. It
// serves every curve and is the reference the fast path is tested against.
func verifyGeneric(c *Curve, qx, qy, u1, u2, r *big.Int) bool {
	x, ok := c.affineX(doubleScalarGeneric(c, qx, qy, u1, u2))
	if !ok {
		return false
	}
	return x.Mod(x, c.q).Cmp(r) == 0
}

// doubleScalarGeneric returns u1·G + u2·Q for non-negative u1, u2.
func doubleScalarGeneric(c *Curve, qx, qy, u1, u2 *big.Int) jacPoint {
	g := jacFromAffine(c.gx, c.gy)
	q := jacFromAffine(qx, qy)
	gq := c.jacAdd(g, q)
	acc := jacPoint{x: new(big.Int), y: new(big.Int), z: new(big.Int)} // infinity
	n := max(u1.BitLen(), u2.BitLen())
	for i := n - 1; i >= 0; i-- {
		acc = c.jacDouble(acc)
		switch {
		case u1.Bit(i) == 1 && u2.Bit(i) == 1:
			acc = c.jacAdd(acc, gq)
		case u1.Bit(i) == 1:
			acc = c.jacAdd(acc, g)
		case u2.Bit(i) == 1:
			acc = c.jacAdd(acc, q)
		}
	}
	return acc
}

// jacPoint is a point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point
// at infinity.
type jacPoint struct{ x, y, z *big.Int }

func jacFromAffine(x, y *big.Int) jacPoint {
	return jacPoint{x: new(big.Int).Set(x), y: new(big.Int).Set(y), z: big.NewInt(1)}
}

func (c *Curve) mod(v *big.Int) *big.Int { return v.Mod(v, c.p) }

func (c *Curve) mul(a, b *big.Int) *big.Int { return c.mod(new(big.Int).Mul(a, b)) }

func (c *Curve) sub(a, b *big.Int) *big.Int { return c.mod(new(big.Int).Sub(a, b)) }

// jacDouble returns 2·P for any a: S = 4XY², M = 3X² + aZ⁴,
// X' = M² − 2S, Y' = M(S − X') − 8Y⁴, Z' = 2YZ.
func (c *Curve) jacDouble(pt jacPoint) jacPoint {
	if pt.z.Sign() == 0 || pt.y.Sign() == 0 {
		return jacPoint{x: new(big.Int), y: new(big.Int), z: new(big.Int)}
	}
	yy := c.mul(pt.y, pt.y)
	s := c.mul(pt.x, yy)
	s.Lsh(s, 2)
	c.mod(s)
	zz := c.mul(pt.z, pt.z)
	m := c.mul(pt.x, pt.x)
	m.Mul(m, big.NewInt(3))
	m.Add(m, c.mul(c.a, c.mul(zz, zz)))
	c.mod(m)
	x3 := c.sub(c.mul(m, m), new(big.Int).Lsh(s, 1))
	y4 := c.mul(yy, yy)
	y3 := c.sub(c.mul(m, c.sub(s, x3)), y4.Lsh(y4, 3))
	z3 := c.mul(pt.y, pt.z)
	z3.Lsh(z3, 1)
	c.mod(z3)
	return jacPoint{x: x3, y: y3, z: z3}
}

// jacAdd returns P1 + P2 with every special case handled.
func (c *Curve) jacAdd(p1, p2 jacPoint) jacPoint {
	if p1.z.Sign() == 0 {
		return p2
	}
	if p2.z.Sign() == 0 {
		return p1
	}
	z1z1 := c.mul(p1.z, p1.z)
	z2z2 := c.mul(p2.z, p2.z)
	u1 := c.mul(p1.x, z2z2)
	u2 := c.mul(p2.x, z1z1)
	s1 := c.mul(p1.y, c.mul(p2.z, z2z2))
	s2 := c.mul(p2.y, c.mul(p1.z, z1z1))
	h := c.sub(u2, u1)
	rr := c.sub(s2, s1)
	if h.Sign() == 0 {
		if rr.Sign() == 0 {
			return c.jacDouble(p1)
		}
		return jacPoint{x: new(big.Int), y: new(big.Int), z: new(big.Int)}
	}
	hh := c.mul(h, h)
	hhh := c.mul(hh, h)
	v := c.mul(u1, hh)
	x3 := c.sub(c.sub(c.mul(rr, rr), hhh), new(big.Int).Lsh(v, 1))
	y3 := c.sub(c.mul(rr, c.sub(v, x3)), c.mul(s1, hhh))
	z3 := c.mul(c.mul(p1.z, p2.z), h)
	return jacPoint{x: x3, y: y3, z: z3}
}

// affine returns (X/Z², Y/Z³) mod p, or false for the point at infinity.
func (c *Curve) affine(pt jacPoint) (x, y *big.Int, ok bool) {
	if pt.z.Sign() == 0 {
		return nil, nil, false
	}
	zinv := new(big.Int).ModInverse(pt.z, c.p)
	zinv2 := c.mul(zinv, zinv)
	return c.mul(pt.x, zinv2), c.mul(pt.y, c.mul(zinv2, zinv)), true
}

// affineX returns X/Z² mod p, or false for the point at infinity.
func (c *Curve) affineX(pt jacPoint) (*big.Int, bool) {
	if pt.z.Sign() == 0 {
		return nil, false
	}
	zinv := new(big.Int).ModInverse(pt.z, c.p)
	zinv2 := c.mul(zinv, zinv)
	return c.mul(pt.x, zinv2), true
}

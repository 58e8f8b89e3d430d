package gostfast

import (
	"fmt"
	"math/big"
)

// wK is the wNAF width for a precomputed key: 2^(wK−2) affine odd multiples
// of Q and of 2^256·Q.
const wK = 6

// baseTable512Hi holds the odd multiples of 2^256·G, for keys with
// precomputed tables (see PublicKey512).
var baseTable512Hi [1 << (wG - 2)]aff512

// PublicKey512 is a Tc26512A public key with precomputed tables, for keys
// that verify many signatures (the NCA's CA keys sign every certificate, CRL
// and OCSP response). Precomputing costs a few verifications' worth of time
// once; each verification then needs 256 doublings instead of 512, because
// u1 and u2 are split into 256-bit halves over tables of G, 2^256·G, Q and
// 2^256·Q. A PublicKey512 is immutable and safe for concurrent use.
type PublicKey512 struct {
	x, y   *big.Int
	lo, hi [1 << (wK - 2)]aff512 // odd multiples of Q and of 2^256·Q
}

// NewPublicKey512 precomputes the tables for the Tc26512A public key (x, y).
// It returns an error wrapping ErrInvalidPublicKey if (x, y) is not an affine
// point of the curve with coordinates in [0, p).
func NewPublicKey512(x, y *big.Int) (*PublicKey512, error) {
	c := Tc26512A
	if !c.IsOnCurve(x, y) {
		return nil, fmt.Errorf("%w (tc26 512 paramSetA)", ErrInvalidPublicKey)
	}
	k := &PublicKey512{x: new(big.Int).Set(x), y: new(big.Int).Set(y)}
	var q jac512
	feFromBig(&q.x, x)
	feFromBig(&q.y, y)
	q.z = feOne
	oddMultiples(k.lo[:], &q)
	for range 256 {
		p512Double(&q, &q)
	}
	oddMultiples(k.hi[:], &q)
	return k, nil
}

// NewPublicKey512KZ is NewPublicKey512 for the Kazakh encoding x LE ‖ y LE
// (128 bytes).
func NewPublicKey512KZ(pub []byte) (*PublicKey512, error) {
	if len(pub) != 128 {
		return nil, fmt.Errorf("%w: %d bytes, want 128", ErrInvalidPublicKey, len(pub))
	}
	return NewPublicKey512(leInt(pub[:64]), leInt(pub[64:]))
}

// oddMultiples fills t with P, 3P, 5P, … in affine coordinates. P is a
// finite point of prime order q > 2·len(t), so no multiple is infinity.
func oddMultiples(t []aff512, p *jac512) {
	var p2, cur jac512
	p512Double(&p2, p)
	cur = *p
	for i := range t {
		t[i] = toAffine512(&cur)
		p512Add(&cur, &cur, &p2)
	}
}

// Verify is Verify(Tc26512A, x, y, e, r, s) for this key, with the same
// checks and results.
func (k *PublicKey512) Verify(e, r, s *big.Int) bool {
	c := Tc26512A
	if e == nil || r == nil || s == nil || e.Sign() < 0 {
		return false
	}
	if r.Sign() <= 0 || r.Cmp(c.q) >= 0 || s.Sign() <= 0 || s.Cmp(c.q) >= 0 {
		return false
	}
	u1, u2 := scalars(c, e, r, s)
	acc := k.doubleScalar(u1, u2)
	return checkX512(c, &acc, r)
}

// VerifyKZ is VerifyKZ(Tc26512A, pub, digest, sig) for this key: digest is
// 64 bytes read as little-endian, sig is r LE ‖ s LE (128 bytes).
func (k *PublicKey512) VerifyKZ(digest, sig []byte) bool {
	if len(digest) != 64 || len(sig) != 128 {
		return false
	}
	return k.Verify(leInt(digest), leInt(sig[:64]), leInt(sig[64:]))
}

// doubleScalar returns u1·G + u2·Q for u1, u2 in [0, 2^512), with each
// scalar split as lo + 2^256·hi and four interleaved wNAF streams.
func (k *PublicKey512) doubleScalar(u1, u2 *big.Int) jac512 {
	c := Tc26512A
	c.baseOnce.Do(func() { initBaseTable512(c) })
	var a, b fe
	feFromBig(&a, u1)
	feFromBig(&b, u2)
	aLo, aHi := fe{a[0], a[1], a[2], a[3]}, fe{a[4], a[5], a[6], a[7]}
	bLo, bHi := fe{b[0], b[1], b[2], b[3]}, fe{b[4], b[5], b[6], b[7]}
	n1, n2 := wnaf(&aLo, wG), wnaf(&aHi, wG)
	n3, n4 := wnaf(&bLo, wK), wnaf(&bHi, wK)
	top := 257 // a 256-bit scalar has at most 257 wNAF digits
	for top >= 0 && n1[top] == 0 && n2[top] == 0 && n3[top] == 0 && n4[top] == 0 {
		top--
	}
	var acc jac512
	add := func(t []aff512, d int8) {
		if d > 0 {
			p512AddMixed(&acc, &acc, &t[d/2], false)
		} else if d < 0 {
			p512AddMixed(&acc, &acc, &t[-d/2], true)
		}
	}
	for i := top; i >= 0; i-- {
		p512Double(&acc, &acc)
		add(baseTable512[:], n1[i])
		add(baseTable512Hi[:], n2[i])
		add(k.lo[:], n3[i])
		add(k.hi[:], n4[i])
	}
	return acc
}

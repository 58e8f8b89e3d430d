package gostfast

import (
	"math/big"
)

// This file is the fast path for Tc26512A (p = 2^512 − 569, a = −3,
// cofactor 1): Jacobian coordinates over the fixed-size field of fe512.go,
// and u1·G + u2·Q by interleaved wNAF (Straus) with a precomputed affine
// table of odd multiples of G and a per-call Jacobian table for Q.

const (
	// wG is the wNAF width for the fixed base point: a table of
	// 2^(wG−2) affine odd multiples, computed once.
	wG = 8
	// wQ is the wNAF width for the public key: 2^(wQ−2) Jacobian odd
	// multiples, computed for each verification.
	wQ = 5
)

// jac512 is a point (X/Z², Y/Z³) in Jacobian coordinates; Z ≡ 0 is the
// point at infinity.
type jac512 struct{ x, y, z fe }

// aff512 is an affine point (never the point at infinity).
type aff512 struct{ x, y fe }

var feOne = fe{1}

// baseTable512 holds G, 3G, 5G, …, (2^(wG−1) − 1)G in affine coordinates.
var baseTable512 [1 << (wG - 2)]aff512

func initBaseTable512(c *Curve) {
	var g jac512
	feFromBig(&g.x, c.gx)
	feFromBig(&g.y, c.gy)
	g.z = feOne
	oddMultiples(baseTable512[:], &g)
	for range 256 {
		p512Double(&g, &g)
	}
	oddMultiples(baseTable512Hi[:], &g)
}

// toAffine512 converts a finite point with math/big's inversion; used only
// for the one-time base table.
func toAffine512(pt *jac512) aff512 {
	p := Tc26512A.p
	zinv := new(big.Int).ModInverse(feToBig(&pt.z), p)
	zinv2 := new(big.Int).Mul(zinv, zinv)
	zinv2.Mod(zinv2, p)
	zinv3 := new(big.Int).Mul(zinv2, zinv)
	zinv3.Mod(zinv3, p)
	x := new(big.Int).Mul(feToBig(&pt.x), zinv2)
	y := new(big.Int).Mul(feToBig(&pt.y), zinv3)
	var a aff512
	feFromBig(&a.x, x.Mod(x, p))
	feFromBig(&a.y, y.Mod(y, p))
	return a
}

// p512Double sets r = 2·pt (dbl-2001-b, a = −3: 3M + 5S).
func p512Double(r, pt *jac512) {
	var delta, gamma, beta, alpha, t1, t2 fe
	feSqr(&delta, &pt.z)
	feSqr(&gamma, &pt.y)
	feMul(&beta, &pt.x, &gamma)
	feSub(&t1, &pt.x, &delta)
	feAdd(&t2, &pt.x, &delta)
	feMul(&alpha, &t1, &t2)
	feAdd(&t1, &alpha, &alpha)
	feAdd(&alpha, &alpha, &t1) // alpha = 3(X − δ)(X + δ)
	// Z3 = (Y + Z)² − γ − δ
	feAdd(&t1, &pt.y, &pt.z)
	feSqr(&t1, &t1)
	feSub(&t1, &t1, &gamma)
	feSub(&r.z, &t1, &delta)
	// X3 = α² − 8β
	feAdd(&beta, &beta, &beta)
	feAdd(&beta, &beta, &beta) // 4β
	feSqr(&t1, &alpha)
	feAdd(&t2, &beta, &beta)
	feSub(&r.x, &t1, &t2)
	// Y3 = α(4β − X3) − 8γ²
	feSub(&t1, &beta, &r.x)
	feMul(&t1, &alpha, &t1)
	feSqr(&gamma, &gamma)
	feAdd(&gamma, &gamma, &gamma)
	feAdd(&gamma, &gamma, &gamma)
	feAdd(&gamma, &gamma, &gamma)
	feSub(&r.y, &t1, &gamma)
}

// p512AddMixed sets r = p1 + (q2 or −q2 if neg) for an affine q2
// (madd-2007-bl: 7M + 4S), with every special case handled. r may alias p1.
func p512AddMixed(r, p1 *jac512, q2 *aff512, neg bool) {
	var y2 fe
	if neg {
		feSub(&y2, &fe{}, &q2.y)
	} else {
		y2 = q2.y
	}
	if feIsZero(&p1.z) {
		r.x, r.y, r.z = q2.x, y2, feOne
		return
	}
	var z1z1, u2, s2, h, hh, i, j, rr, v, t fe
	feSqr(&z1z1, &p1.z)
	feMul(&u2, &q2.x, &z1z1)
	feMul(&s2, &p1.z, &z1z1)
	feMul(&s2, &y2, &s2)
	feSub(&h, &u2, &p1.x)
	feSub(&rr, &s2, &p1.y)
	if feIsZero(&h) {
		if feIsZero(&rr) {
			p512Double(r, p1)
			return
		}
		*r = jac512{} // P + (−P)
		return
	}
	feAdd(&rr, &rr, &rr)
	feSqr(&hh, &h)
	feAdd(&i, &hh, &hh)
	feAdd(&i, &i, &i) // I = 4·HH
	feMul(&j, &h, &i)
	feMul(&v, &p1.x, &i)
	// Z3 = (Z1 + H)² − Z1Z1 − HH
	feAdd(&t, &p1.z, &h)
	feSqr(&t, &t)
	feSub(&t, &t, &z1z1)
	feSub(&r.z, &t, &hh)
	// X3 = r² − J − 2V
	var x3 fe
	feSqr(&x3, &rr)
	feSub(&x3, &x3, &j)
	feSub(&x3, &x3, &v)
	feSub(&x3, &x3, &v)
	// Y3 = r(V − X3) − 2·Y1·J
	feSub(&t, &v, &x3)
	feMul(&t, &rr, &t)
	feMul(&j, &p1.y, &j)
	feAdd(&j, &j, &j)
	feSub(&r.y, &t, &j)
	r.x = x3
}

// p512Add sets r = p1 + p2 (add-2007-bl: 11M + 5S), with every special case
// handled. r may alias p1 or p2.
func p512Add(r, p1, p2 *jac512) {
	if feIsZero(&p1.z) {
		*r = *p2
		return
	}
	if feIsZero(&p2.z) {
		*r = *p1
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t fe
	feSqr(&z1z1, &p1.z)
	feSqr(&z2z2, &p2.z)
	feMul(&u1, &p1.x, &z2z2)
	feMul(&u2, &p2.x, &z1z1)
	feMul(&s1, &p2.z, &z2z2)
	feMul(&s1, &p1.y, &s1)
	feMul(&s2, &p1.z, &z1z1)
	feMul(&s2, &p2.y, &s2)
	feSub(&h, &u2, &u1)
	feSub(&rr, &s2, &s1)
	if feIsZero(&h) {
		if feIsZero(&rr) {
			p512Double(r, p1)
			return
		}
		*r = jac512{}
		return
	}
	feAdd(&rr, &rr, &rr)
	feAdd(&i, &h, &h)
	feSqr(&i, &i) // I = (2H)²
	feMul(&j, &h, &i)
	feMul(&v, &u1, &i)
	// Z3 = ((Z1 + Z2)² − Z1Z1 − Z2Z2)·H
	feAdd(&t, &p1.z, &p2.z)
	feSqr(&t, &t)
	feSub(&t, &t, &z1z1)
	feSub(&t, &t, &z2z2)
	feMul(&r.z, &t, &h)
	// X3 = r² − J − 2V
	var x3 fe
	feSqr(&x3, &rr)
	feSub(&x3, &x3, &j)
	feSub(&x3, &x3, &v)
	feSub(&x3, &x3, &v)
	// Y3 = r(V − X3) − 2·S1·J
	feSub(&t, &v, &x3)
	feMul(&t, &rr, &t)
	feMul(&j, &s1, &j)
	feAdd(&j, &j, &j)
	feSub(&r.y, &t, &j)
	r.x = x3
}

// p512Neg sets r = −pt.
func p512Neg(r, pt *jac512) {
	r.x, r.z = pt.x, pt.z
	feSub(&r.y, &fe{}, &pt.y)
}

// wnaf returns the width-w non-adjacent form of the scalar k < 2^512: every
// non-zero digit is odd with |digit| < 2^(w−1), and any w consecutive digits
// hold at most one non-zero. The result has 513 digits, least significant
// first.
func wnaf(k *fe, w uint) (naf [513]int8) {
	var limbs [10]uint64
	copy(limbs[:], k[:])
	width := uint64(1) << w
	mask := width - 1
	carry := uint64(0)
	for pos := 0; pos < len(naf); {
		idx, bit := pos/64, uint(pos%64)
		buf := limbs[idx] >> bit
		if bit != 0 {
			buf |= limbs[idx+1] << (64 - bit)
		}
		if buf&1 == carry {
			pos++
			continue
		}
		window := carry + buf&mask
		if window < width/2 {
			carry = 0
			naf[pos] = int8(window)
		} else {
			carry = 1
			naf[pos] = int8(int64(window) - int64(width))
		}
		pos += int(w)
	}
	return naf
}

// verify512 computes u1·G + u2·Q for the public key (qx, qy), already known
// to be on the curve, and checks x mod q = r without an inversion:
// x = X/Z² and x < p < 2q, so x mod q = r exactly when X ≡ r·Z² or, if
// r + q < p, X ≡ (r + q)·Z².
func verify512(c *Curve, qx, qy, u1, u2, r *big.Int) bool {
	acc := doubleScalar512(c, qx, qy, u1, u2)
	return checkX512(c, &acc, r)
}

// checkX512 reports whether acc is finite with x(acc) mod q = r.
func checkX512(c *Curve, acc *jac512, r *big.Int) bool {
	if feIsZero(&acc.z) {
		return false
	}
	var zz, t, rf fe
	feSqr(&zz, &acc.z)
	feFromBig(&rf, r)
	feMul(&t, &rf, &zz)
	if feEqual(&t, &acc.x) {
		return true
	}
	rq := new(big.Int).Add(r, c.q)
	if rq.Cmp(c.p) >= 0 {
		return false
	}
	feFromBig(&rf, rq)
	feMul(&t, &rf, &zz)
	return feEqual(&t, &acc.x)
}

// doubleScalar512 returns u1·G + u2·Q for u1, u2 in [0, 2^512) and Q on the
// curve.
func doubleScalar512(c *Curve, qx, qy, u1, u2 *big.Int) jac512 {
	c.baseOnce.Do(func() { initBaseTable512(c) })

	var k1, k2 fe
	feFromBig(&k1, u1)
	feFromBig(&k2, u2)
	naf1 := wnaf(&k1, wG)
	naf2 := wnaf(&k2, wQ)

	// Odd multiples Q, 3Q, …, (2^(wQ−1) − 1)Q.
	var tq [1 << (wQ - 2)]jac512
	feFromBig(&tq[0].x, qx)
	feFromBig(&tq[0].y, qy)
	tq[0].z = feOne
	var q2 jac512
	p512Double(&q2, &tq[0])
	for i := 1; i < len(tq); i++ {
		p512Add(&tq[i], &tq[i-1], &q2)
	}

	top := len(naf1) - 1
	for top >= 0 && naf1[top] == 0 && naf2[top] == 0 {
		top--
	}
	var acc jac512 // infinity
	for i := top; i >= 0; i-- {
		p512Double(&acc, &acc)
		if d := naf1[i]; d > 0 {
			p512AddMixed(&acc, &acc, &baseTable512[d/2], false)
		} else if d < 0 {
			p512AddMixed(&acc, &acc, &baseTable512[-d/2], true)
		}
		if d := naf2[i]; d > 0 {
			p512Add(&acc, &acc, &tq[d/2])
		} else if d < 0 {
			var n jac512
			p512Neg(&n, &tq[-d/2])
			p512Add(&acc, &acc, &n)
		}
	}
	return acc
}

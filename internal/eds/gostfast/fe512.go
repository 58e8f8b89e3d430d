package gostfast

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// fe is an element of GF(p), p = 2^512 − 569, as eight 64-bit limbs, least
// significant first. Values are kept below 2^512 but not necessarily below p
// (there are 569 non-canonical representations); feCanon gives the unique
// one. Every operation here is variable-time in the rare carry cases and is
// only ever applied to public values (see doc.go).
//
// feMul and feSqr (fe512_mul.go) are unrolled schoolbook products built row
// by row with math/bits carry chains, followed by the pseudo-Mersenne fold
// 2^512 ≡ 569.
type fe [8]uint64

const feC = 569 // 2^512 mod p

// feAdd sets z = x + y mod p.
func feAdd(z, x, y *fe) {
	var c uint64
	z[0], c = bits.Add64(x[0], y[0], 0)
	z[1], c = bits.Add64(x[1], y[1], c)
	z[2], c = bits.Add64(x[2], y[2], c)
	z[3], c = bits.Add64(x[3], y[3], c)
	z[4], c = bits.Add64(x[4], y[4], c)
	z[5], c = bits.Add64(x[5], y[5], c)
	z[6], c = bits.Add64(x[6], y[6], c)
	z[7], c = bits.Add64(x[7], y[7], c)
	for c != 0 {
		// 2^512 was dropped: add 2^512 mod p.
		z[0], c = bits.Add64(z[0], feC, 0)
		z[1], c = bits.Add64(z[1], 0, c)
		z[2], c = bits.Add64(z[2], 0, c)
		z[3], c = bits.Add64(z[3], 0, c)
		z[4], c = bits.Add64(z[4], 0, c)
		z[5], c = bits.Add64(z[5], 0, c)
		z[6], c = bits.Add64(z[6], 0, c)
		z[7], c = bits.Add64(z[7], 0, c)
	}
}

// feSub sets z = x − y mod p.
func feSub(z, x, y *fe) {
	var b uint64
	z[0], b = bits.Sub64(x[0], y[0], 0)
	z[1], b = bits.Sub64(x[1], y[1], b)
	z[2], b = bits.Sub64(x[2], y[2], b)
	z[3], b = bits.Sub64(x[3], y[3], b)
	z[4], b = bits.Sub64(x[4], y[4], b)
	z[5], b = bits.Sub64(x[5], y[5], b)
	z[6], b = bits.Sub64(x[6], y[6], b)
	z[7], b = bits.Sub64(x[7], y[7], b)
	for b != 0 {
		// 2^512 was added by the wrap-around: subtract 2^512 mod p.
		z[0], b = bits.Sub64(z[0], feC, 0)
		z[1], b = bits.Sub64(z[1], 0, b)
		z[2], b = bits.Sub64(z[2], 0, b)
		z[3], b = bits.Sub64(z[3], 0, b)
		z[4], b = bits.Sub64(z[4], 0, b)
		z[5], b = bits.Sub64(z[5], 0, b)
		z[6], b = bits.Sub64(z[6], 0, b)
		z[7], b = bits.Sub64(z[7], 0, b)
	}
}

// feCanon sets z to the canonical representative of x, in [0, p).
func feCanon(z, x *fe) {
	// x ≥ p exactly when x + 569 carries out of 2^512; then x − p = x + 569 − 2^512.
	var t fe
	var c uint64
	t[0], c = bits.Add64(x[0], feC, 0)
	for i := 1; i < 8; i++ {
		t[i], c = bits.Add64(x[i], 0, c)
	}
	if c != 0 {
		*z = t
	} else {
		*z = *x
	}
}

// feIsZero reports whether x ≡ 0 (mod p).
func feIsZero(x *fe) bool {
	var t fe
	feCanon(&t, x)
	return t == fe{}
}

// feEqual reports whether x ≡ y (mod p).
func feEqual(x, y *fe) bool {
	var a, b fe
	feCanon(&a, x)
	feCanon(&b, y)
	return a == b
}

// feFromBig sets z to v, which must be in [0, 2^512).
func feFromBig(z *fe, v *big.Int) {
	var b [64]byte
	v.FillBytes(b[:])
	for i := range z {
		z[i] = binary.BigEndian.Uint64(b[56-8*i:])
	}
}

// feToBig returns the canonical value of x.
func feToBig(x *fe) *big.Int {
	var t fe
	feCanon(&t, x)
	var b [64]byte
	for i := range t {
		binary.BigEndian.PutUint64(b[56-8*i:], t[i])
	}
	return new(big.Int).SetBytes(b[:])
}

package gostfast

import (
	"math/big"
	"sync"
)

// Curve holds the parameters of a short Weierstrass curve y² = x³ + ax + b
// over GF(p) with a base point G of prime order q, as used by GOST R
// 34.10-2012. Its fields are unexported so that callers cannot change the
// parameters of a shared curve value.
type Curve struct {
	name   string
	p, q   *big.Int
	a, b   *big.Int
	gx, gy *big.Int
	size   int // bytes of a coordinate, a scalar and a digest: 32 or 64

	// fast is true for tc26-gost-3410-12-512-paramSetA, which has the
	// dedicated fixed-size implementation in p512.go.
	fast bool
	// baseOnce guards the precomputed table of odd multiples of G used by
	// the fast path.
	baseOnce sync.Once
}

// Name returns the curve's tc26/CryptoPro name.
func (c *Curve) Name() string { return c.name }

// Size returns the length in bytes of a coordinate, of r or s, and of the
// digest this curve expects: 64 for the 512-bit curve, 32 for the others.
func (c *Curve) Size() int { return c.size }

// Order returns a copy of the order q of the base point.
func (c *Curve) Order() *big.Int { return new(big.Int).Set(c.q) }

// Prime returns a copy of the field prime p.
func (c *Curve) Prime() *big.Int { return new(big.Int).Set(c.p) }

// Base returns copies of the coordinates of the base point G.
func (c *Curve) Base() (x, y *big.Int) { return new(big.Int).Set(c.gx), new(big.Int).Set(c.gy) }

// IsOnCurve reports whether (x, y) is an affine point of the curve with both
// coordinates in [0, p). The point at infinity has no affine coordinates and
// is never on the curve in this sense.
func (c *Curve) IsOnCurve(x, y *big.Int) bool {
	if c == nil || c.p == nil || x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(c.p) >= 0 || y.Cmp(c.p) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, c.p)
	rhs := new(big.Int).Mul(x, x)
	rhs.Add(rhs, c.a)
	rhs.Mul(rhs, x)
	rhs.Add(rhs, c.b)
	rhs.Mod(rhs, c.p)
	return lhs.Cmp(rhs) == 0
}

func mustHex(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("gostfast: bad curve constant " + s)
	}
	return v
}

// Tc26512A is id-tc26-gost-3410-12-512-paramSetA (RFC 7836, OID
// 1.2.840.7.1.2.1.2.1), the curve of every NCA key issued since April 2024
// (Kazakh OID 1.2.398.3.10.1.1.2.2.1). p = 2^512 − 569, a = −3, cofactor 1.
// Verification on this curve uses the fast fixed-size path.
var Tc26512A = &Curve{
	name: "id-tc26-gost-3410-12-512-paramSetA",
	p:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"),
	q:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"),
	a:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4"),
	b:    mustHex("E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760"),
	gx:   big.NewInt(3),
	gy:   mustHex("7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4"),
	size: 64,
	fast: true,
}

// Tc26256A is id-tc26-gost-3410-2012-256-paramSetA (RFC 7836), a twisted
// Edwards-equivalent curve with cofactor 4. Verification on it uses the
// generic (math/big) path.
var Tc26256A = &Curve{
	name: "id-tc26-gost-3410-2012-256-paramSetA",
	p:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
	q:    mustHex("400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67"),
	a:    mustHex("C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335"),
	b:    mustHex("295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513"),
	gx:   mustHex("91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28"),
	gy:   mustHex("32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C"),
	size: 32,
}

// CryptoProA is id-GostR3410-2001-CryptoPro-A-ParamSet (RFC 4357), the curve
// of the NCA's legacy GOST 34.310-2004 keys (Kazakh OID
// 1.2.398.3.10.1.1.1.1.1). p = 2^256 − 617, a = −3, cofactor 1. Verification
// on it uses the generic (math/big) path.
var CryptoProA = &Curve{
	name: "id-GostR3410-2001-CryptoPro-A-ParamSet",
	p:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
	q:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893"),
	a:    mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94"),
	b:    big.NewInt(0xa6),
	gx:   big.NewInt(1),
	gy:   mustHex("8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14"),
	size: 32,
}

package eds

import (
	"crypto/cipher"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"
	"sync"
	"sync/atomic"

	gostcipher "github.com/deatil/go-cryptobin/cipher/gost"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
	"github.com/deatil/go-cryptobin/hash/gost/gost341194"
	"github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/senimkz/senim/internal/eds/streebog"
)

// GOSTCurve is an elliptic curve of GOST R 34.10 in Weierstrass form
// y² = x³ + a·x + b over GF(p), with base point (X, Y) of prime order Q.
// The values are shared: never modify them.
type GOSTCurve struct {
	Name string                // e.g. "tc26-gost-3410-12-512-paramSetA"
	OID  asn1.ObjectIdentifier // the Kazakh parameter-set OID
	P, Q *big.Int
	A, B *big.Int
	X, Y *big.Int
	Size int // bytes of a coordinate, a scalar and half a signature

	c *gost.Curve
	// jac is the curve as crypto/elliptic's generic CurveParams, whose Jacobian
	// formulas assume a = −3: set if A = P − 3 (tc26-512 paramSetA, CryptoPro A),
	// nil otherwise (tc26-256 paramSetA). See GOSTCurve.mulBase.
	jac *elliptic.CurveParams
}

// IsOnCurve reports whether (x, y) is a point of the curve with coordinates in [0, p).
func (c *GOSTCurve) IsOnCurve(x, y *big.Int) bool {
	if x.Sign() < 0 || y.Sign() < 0 || x.Cmp(c.P) >= 0 || y.Cmp(c.P) >= 0 {
		return false
	}
	return c.c.IsOnCurve(x, y)
}

func newGOSTCurve(name string, oid asn1.ObjectIdentifier, c *gost.Curve) *GOSTCurve {
	g := &GOSTCurve{
		Name: name, OID: oid,
		P: c.P, Q: c.Q, A: c.A, B: c.B, X: c.X, Y: c.Y,
		Size: c.PointSize(),
		c:    c,
	}
	if new(big.Int).Sub(c.P, c.A).Cmp(big.NewInt(3)) == 0 {
		// A fresh CurveParams is never one of the standard library's named curves
		// (they are matched by pointer), so its methods are the generic ones.
		g.jac = &elliptic.CurveParams{P: c.P, N: c.Q, B: c.B, Gx: c.X, Gy: c.Y, BitSize: c.P.BitLen(), Name: name}
	}
	return g
}

// mulBase returns kP, P the base point, for k in [1, q−1] — the nonce's multiple in
// signing, the public key from the private scalar. The scalar multiplied is
// k' = fixedLengthNonce(k, q) (the same point; bitlen(q)+1 bits for every k).
//
// If a = −3 the multiplication is crypto/elliptic's generic CurveParams.ScalarBaseMult,
// given k' as a big-endian byte string of fixed length ⌈(bitlen(q)+1)/8⌉: math/big
// double-and-add in Jacobian coordinates, 8 turns per byte (a doubling each, a branch
// on the bit and an addition per one-bit), one inversion at the end. The loop turns
// the same number of times for every k; the point at infinity of the leading zero
// bits is z = 0, which its doubling keeps and its addition replaces by the base
// point. Otherwise it is go-cryptobin's Exp (affine coordinates, an inversion per
// point operation). Neither is constant-time (see gostSignWithK).
func (c *GOSTCurve) mulBase(k *big.Int) (x, y *big.Int, err error) {
	kp := fixedLengthNonce(k, c.Q)
	if c.jac == nil {
		return c.c.Exp(kp, c.c.X, c.c.Y)
	}
	buf := fixedLengthBytes(kp, c.Q)
	//lint:ignore SA1019 the generic CurveParams arithmetic is deprecated as "not guaranteed to provide any security property"; it replaces go-cryptobin's affine Exp, which is variable-time in the same way and slower (docs/security.md, "GOST signing and timing").
	x, y = c.jac.ScalarBaseMult(buf)
	return x, y, nil
}

// fixedLengthBytes returns k' = fixedLengthNonce(k, q) big-endian in
// ⌈(bitlen(q)+1)/8⌉ bytes: the same length for every nonce, so that a loop over the
// bytes (crypto/elliptic's generic ScalarMult) turns as often for every k.
func fixedLengthBytes(kp, q *big.Int) []byte {
	return kp.FillBytes(make([]byte, (q.BitLen()+1+7)/8))
}

// The curves of the Kazakh PKI.
var (
	// CurveGOST512A: GOST 2015 512-bit parameter set A (1.2.398.3.10.1.1.2.2.1),
	// identical to id-tc26-gost-3410-12-512-paramSetA (RFC 7836).
	CurveGOST512A = newGOSTCurve("tc26-gost-3410-12-512-paramSetA", oidParam2015_512A, gost.CurveIdtc26gost34102012512paramSetA())
	// CurveGOST256A: GOST 2015 256-bit parameter set A (1.2.398.3.10.1.1.2.1.1),
	// identical to id-tc26-gost-3410-12-256-paramSetA (RFC 7836).
	CurveGOST256A = newGOSTCurve("tc26-gost-3410-12-256-paramSetA", oidParam2015_256A, gost.CurveIdtc26gost34102012256paramSetA())
	// CurveGOST2004A: GOST 34.310-2004 parameter set A (1.2.398.3.10.1.1.1.1.1),
	// identical to id-GostR3410-2001-CryptoPro-A-ParamSet (RFC 4357).
	CurveGOST2004A = newGOSTCurve("GostR3410-2001-CryptoPro-A-ParamSet", oidParam2004A, gost.CurveIdGostR34102001CryptoProAParamSet())
)

// gostCurveByOID maps a parameter-set OID of a SubjectPublicKeyInfo to a curve.
func gostCurveByOID(oid asn1.ObjectIdentifier) *GOSTCurve {
	for _, c := range []*GOSTCurve{CurveGOST512A, CurveGOST256A, CurveGOST2004A} {
		if c.OID.Equal(oid) {
			return c
		}
	}
	return nil
}

// newStreebog512, newStreebog256 and newGOST34311 are the digest constructors
// of the GOST algorithms. Their output is the raw hash byte string (the order
// of OpenSSL, gogost and Kalkan; RFC 6986 and RFC 5831 print the same values
// as numbers, i.e. reversed).
//
// Streebog is package streebog's unless SetStreebogReference(true) switched
// back to go-cryptobin's (the same digests, hundreds of times slower).
func newStreebog512() hash.Hash {
	if streebogReference.Load() {
		return gost34112012512.New()
	}
	return streebog.New512()
}

func newStreebog256() hash.Hash {
	if streebogReference.Load() {
		return gost34112012256.New()
	}
	return streebog.New256()
}

var streebogReference atomic.Bool

// SetStreebogReference makes every Streebog digest in Senim (CMS digests and
// signed attributes, certificates, CRLs, OCSP, time-stamps, verification tokens,
// signing) come from go-cryptobin's implementation if ref is true, or from
// package streebog (the default) if false. It returns a function that restores
// the previous choice (for tests). Choose at start-up, before serving requests:
// a hash already created keeps its implementation.
func SetStreebogReference(ref bool) (restore func()) {
	prev := streebogReference.Swap(ref)
	return func() { streebogReference.Store(prev) }
}

// newGOST34311 returns GOST 34.311-95, i.e. GOST R 34.11-94 with the test
// S-box of RFC 5831 (id-GostR3411-94-TestParamSet).
func newGOST34311() hash.Hash {
	return gost341194.New(func(key []byte) cipher.Block {
		c, err := gostcipher.NewCipher(key, gostcipher.SboxIdGostR341194TestParamSet)
		if err != nil { // key is always 32 bytes inside the hash
			panic(fmt.Sprintf("eds: GOST 28147 cipher: %v", err))
		}
		return c
	})
}

// GOSTVerifyFunc reports whether (r, s) is a valid GOST R 34.10 signature of
// the digest integer e under the public key (x, y) on curve.
//
// Callers guarantee: (x, y) is on curve; 0 < r < q; 0 < s < q; 0 < e < q
// (e is the digest read in Kazakh order, reduced mod q, 0 replaced by 1).
// The function must not modify its arguments and must be safe for
// concurrent use.
type GOSTVerifyFunc func(curve *GOSTCurve, x, y, e, r, s *big.Int) bool

// VerifyGOSTReference is the default GOSTVerifyFunc, built on go-cryptobin.
// It is exported so that faster verifiers can be differential-tested against it.
func VerifyGOSTReference(curve *GOSTCurve, x, y, e, r, s *big.Int) bool {
	pub := &gost.PublicKey{Curve: curve.c, X: x, Y: y}
	// go-cryptobin reads the digest bytes as a little-endian integer.
	ok, err := gost.VerifyWithRS(pub, leBytes(e, curve.Size), r, s)
	return err == nil && ok
}

var gostVerifiers = struct {
	sync.RWMutex
	m map[string]GOSTVerifyFunc
}{m: map[string]GOSTVerifyFunc{}}

// SetGOSTVerifier makes f verify the GOST signature algorithm sigAlg (e.g.
// OIDSignGOST2015_512) from now on; a nil f restores VerifyGOSTReference. It
// returns a function that restores the previous verifier (for tests). It fails
// with ErrUnknownAlgorithm if sigAlg is not a GOST signature algorithm.
//
// Wire a faster verifier at start-up, before serving requests:
//
//	eds.SetGOSTVerifier(eds.OIDSignGOST2015_512, func(c *eds.GOSTCurve, x, y, e, r, s *big.Int) bool {
//		if c != eds.CurveGOST512A {
//			return eds.VerifyGOSTReference(c, x, y, e, r, s)
//		}
//		return gostfast.Verify(gostfast.Curve512A, x, y, e, r, s)
//	})
func SetGOSTVerifier(sigAlg asn1.ObjectIdentifier, f GOSTVerifyFunc) (restore func(), err error) {
	alg, ok := LookupSignatureAlgorithm(sigAlg)
	if !ok || !alg.KeyType.IsGOST() {
		return nil, fmt.Errorf("%w: %s is not a GOST signature algorithm", ErrUnknownAlgorithm, sigAlg)
	}
	key := alg.OID.String()
	gostVerifiers.Lock()
	defer gostVerifiers.Unlock()
	prev, had := gostVerifiers.m[key]
	if f == nil {
		delete(gostVerifiers.m, key)
	} else {
		gostVerifiers.m[key] = f
	}
	return func() {
		gostVerifiers.Lock()
		defer gostVerifiers.Unlock()
		if had {
			gostVerifiers.m[key] = prev
		} else {
			delete(gostVerifiers.m, key)
		}
	}, nil
}

func gostVerifierFor(alg *Algorithm) GOSTVerifyFunc {
	gostVerifiers.RLock()
	f := gostVerifiers.m[alg.OID.String()]
	gostVerifiers.RUnlock()
	if f == nil {
		return VerifyGOSTReference
	}
	return f
}

// gostE turns a digest into the GOST integer e: read in Kazakh order, mod q,
// 0 replaced by 1 (GOST R 34.10, step 2 of verification).
func gostE(curve *GOSTCurve, digest []byte) *big.Int {
	e := kzDigestToInt(digest)
	e.Mod(e, curve.Q)
	if e.Sign() == 0 {
		e.SetInt64(1)
	}
	return e
}

// verifyGOST checks a Kazakh-encoded GOST signature of digest.
func verifyGOST(alg *Algorithm, pub *GOSTPublicKey, digest, sig []byte) error {
	r, s, err := kzSignatureToRS(sig, pub.Curve.Size)
	if err != nil {
		return fmt.Errorf("%w: %d-byte GOST signature, want %d", ErrSignatureInvalid, len(sig), 2*pub.Curve.Size)
	}
	q := pub.Curve.Q
	if r.Sign() <= 0 || r.Cmp(q) >= 0 || s.Sign() <= 0 || s.Cmp(q) >= 0 {
		return fmt.Errorf("%w: r or s out of range", ErrSignatureInvalid)
	}
	if !gostVerifierFor(alg)(pub.Curve, pub.X, pub.Y, gostE(pub.Curve, digest), r, s) {
		return ErrSignatureInvalid
	}
	return nil
}

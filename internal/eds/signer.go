package eds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Signer makes signatures with one key and one algorithm. For GOST the
// signature is in the Kazakh encoding (r LE || s LE); for RSA PKCS#1 v1.5 or
// RSASSA-PSS;
// for ECDSA ASN.1 DER; for Ed25519 the 64 raw bytes.
type Signer interface {
	Algorithm() *Algorithm
	Public() *PublicKey
	// Sign hashes message with the algorithm's digest and signs it.
	Sign(rand io.Reader, message []byte) (sig []byte, err error)
}

// PrivateKey is a private key of any supported family with the algorithm it
// signs with. It implements Signer. A nil rand means crypto/rand.
type PrivateKey struct {
	alg  *Algorithm
	pub  *PublicKey
	gost *gostPrivateKey // GOST keys
	std  crypto.Signer   // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey
}

type gostPrivateKey struct {
	curve *GOSTCurve
	d     *big.Int
}

var _ Signer = (*PrivateKey)(nil)

// Algorithm returns the signature algorithm.
func (k *PrivateKey) Algorithm() *Algorithm { return k.alg }

// Public returns the public key; its Raw is the DER SubjectPublicKeyInfo.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// Type returns the key type.
func (k *PrivateKey) Type() KeyType { return k.pub.Type }

// Crypto returns the standard-library key (*rsa.PrivateKey, *ecdsa.PrivateKey,
// ed25519.PrivateKey), e.g. for crypto/x509; nil for GOST keys.
func (k *PrivateKey) Crypto() crypto.Signer { return k.std }

// Sign hashes message and signs it.
func (k *PrivateKey) Sign(rand io.Reader, message []byte) ([]byte, error) {
	if k.alg.KeyType == KeyEd25519 {
		return ed25519.Sign(k.std.(ed25519.PrivateKey), message), nil
	}
	h := k.alg.Hash()
	h.Write(message)
	return k.SignDigest(rand, h.Sum(nil))
}

// SignDigest signs a precomputed digest (the raw hash output). Ed25519 keys
// refuse with ErrUnknownAlgorithm.
func (k *PrivateKey) SignDigest(rand io.Reader, digest []byte) ([]byte, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	if k.alg.Hash == nil {
		return nil, fmt.Errorf("%w: %s cannot sign a precomputed digest", ErrUnknownAlgorithm, k.alg.Name)
	}
	if n := k.alg.Hash().Size(); len(digest) != n {
		return nil, fmt.Errorf("eds: %d-byte digest for %s, want %d", len(digest), k.alg.Name, n)
	}
	switch {
	case k.gost != nil:
		return k.gost.sign(rand, digest)
	case k.alg.pss:
		return rsa.SignPSS(rand, k.std.(*rsa.PrivateKey), k.alg.cryptoHash, digest, pssOptions)
	case k.alg.KeyType == KeyRSA:
		return rsa.SignPKCS1v15(rand, k.std.(*rsa.PrivateKey), k.alg.cryptoHash, digest)
	case k.alg.KeyType == KeyECDSA:
		return ecdsa.SignASN1(rand, k.std.(*ecdsa.PrivateKey), digest)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownAlgorithm, k.alg.Name)
}

// WithAlgorithm returns the same key signing with another algorithm of its
// key type (e.g. SHA1withRSA instead of SHA256withRSA).
func (k *PrivateKey) WithAlgorithm(sigAlg asn1.ObjectIdentifier) (*PrivateKey, error) {
	alg, ok := LookupSignatureAlgorithm(sigAlg)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownAlgorithm, sigAlg)
	}
	if alg.KeyType != k.pub.Type {
		return nil, fmt.Errorf("%w: %s key cannot sign %s", ErrBadPrivateKey, k.pub.Type, alg.Name)
	}
	c := *k
	c.alg = alg
	return &c, nil
}

// randScalar returns a uniformly distributed integer in [1, q-1], reading 16
// bytes more than q needs so that the reduction bias is negligible.
func randScalar(rand io.Reader, q *big.Int) (*big.Int, error) {
	b := make([]byte, (q.BitLen()+7)/8+16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("eds: random: %w", err)
	}
	k := new(big.Int).SetBytes(b)
	k.Mod(k, new(big.Int).Sub(q, big.NewInt(1)))
	return k.Add(k, big.NewInt(1)), nil
}

func (g *gostPrivateKey) sign(rand io.Reader, digest []byte) ([]byte, error) {
	e := gostE(g.curve, digest)
	for range 100 {
		k, err := randScalar(rand, g.curve.Q)
		if err != nil {
			return nil, err
		}
		if r, s, ok := gostSignWithK(g.curve, g.d, e, k); ok {
			return kzSignatureFromRS(r, s, g.curve.Size), nil
		}
	}
	return nil, errors.New("eds: GOST signing failed repeatedly")
}

// gostSignWithK is GOST R 34.10 signing with a given nonce k (steps 3-5):
// r = x(kP) mod q, s = (r·d + k·e) mod q; ok is false if r or s is zero.
//
// Timing: kP is computed as k'P with k' = fixedLengthNonce(k, q), whose length is
// always bitlen(q)+1 (GOSTCurve.mulBase). Given k itself a double-and-add would take
// time in proportion to k's bit length, and nonces with known short lengths give the
// key away to lattice reduction after some thousands of signatures (the attack class
// of CVE-2019-15809, "Minerva"); with k' the loop turns as often for every k.
//
// On the curves with a = −3 (tc26-512 paramSetA, CryptoPro A) the multiplication is
// crypto/elliptic's generic CurveParams.ScalarBaseMult over k' as a byte string of
// fixed length: math/big in Jacobian coordinates, one inversion at the end, ≈ 1.2
// times faster than go-cryptobin's affine Exp with an inversion per point operation,
// which the other curves (tc26-256 paramSetA) keep. Both are variable-time in the
// same way: a branch on each bit and an addition per one-bit of k', math/big
// arithmetic whose time depends on the values. As the curves' q lie close to a power
// of two, k' = k + q keeps k's leading zeros in its high bits, so a short k still
// makes fewer additions (BenchmarkGOSTNonceTime). fixedLengthNonce narrows the leak
// and does not close it: GOST signing here is not constant-time, and neither the
// standard library nor go-cryptobin offers a GOST multiplication that is
// (docs/security.md, "GOST signing and timing").
func gostSignWithK(c *GOSTCurve, d, e, k *big.Int) (r, s *big.Int, ok bool) {
	x, _, err := c.mulBase(k)
	if err != nil {
		return nil, nil, false
	}
	r = new(big.Int).Mod(x, c.Q)
	if r.Sign() == 0 {
		return nil, nil, false
	}
	s = new(big.Int).Mul(r, d)
	s.Add(s, new(big.Int).Mul(k, e))
	s.Mod(s, c.Q)
	if s.Sign() == 0 {
		return nil, nil, false
	}
	return r, s, true
}

// fixedLengthNonce returns k + q or k + 2q, whichever has bitlen(q)+1 bits, for k in
// [1, q−1]: the same multiple of a point of order q, by a scalar whose length does
// not depend on k. (k + q has bitlen(q) or bitlen(q)+1 bits; when it has bitlen(q),
// k + 2q is below 2^bitlen(q) + q < 2^(bitlen(q)+1) and above 2q ≥ 2^bitlen(q).)
func fixedLengthNonce(k, q *big.Int) *big.Int {
	kp := new(big.Int).Add(k, q)
	if kp.BitLen() <= q.BitLen() {
		kp.Add(kp, q)
	}
	return kp
}

// defaultAlgorithm returns the algorithm a key of this type signs with by default.
func defaultAlgorithm(kt KeyType, std crypto.Signer) *Algorithm {
	oid := map[KeyType]asn1.ObjectIdentifier{
		KeyGOST2015_512: OIDSignGOST2015_512,
		KeyGOST2015_256: OIDSignGOST2015_256,
		KeyGOST2004:     OIDSignGOST2004,
		KeyRSA:          OIDSignSHA256WithRSA,
		KeyECDSA:        OIDSignECDSAWithSHA256,
		KeyEd25519:      OIDSignEd25519,
	}[kt]
	if k, ok := std.(*ecdsa.PrivateKey); ok {
		switch k.Curve {
		case elliptic.P384():
			oid = OIDSignECDSAWithSHA384
		case elliptic.P521():
			oid = OIDSignECDSAWithSHA512
		}
	}
	alg, _ := LookupSignatureAlgorithm(oid)
	return alg
}

func newGOSTPrivateKey(kt KeyType, curve *GOSTCurve, d *big.Int) (*PrivateKey, error) {
	if d.Sign() <= 0 || d.Cmp(curve.Q) >= 0 {
		return nil, fmt.Errorf("%w: GOST private scalar out of range", ErrBadPrivateKey)
	}
	x, y, err := curve.mulBase(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPrivateKey, err)
	}
	gpub := &GOSTPublicKey{Curve: curve, X: x, Y: y}
	raw, err := MarshalGOSTPublicKey(kt, gpub)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{
		alg:  defaultAlgorithm(kt, nil),
		pub:  &PublicKey{Type: kt, Key: gpub, Raw: raw},
		gost: &gostPrivateKey{curve: curve, d: d},
	}, nil
}

// NewSigner wraps a standard-library private key (*rsa.PrivateKey,
// *ecdsa.PrivateKey on P-256/P-384/P-521, ed25519.PrivateKey). A nil sigAlg
// selects the default algorithm (SHA256withRSA, ECDSA with the curve's SHA-2,
// Ed25519).
func NewSigner(key crypto.Signer, sigAlg asn1.ObjectIdentifier) (*PrivateKey, error) {
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPrivateKey, err)
	}
	pub, err := ParsePublicKey(spki)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPrivateKey, err)
	}
	if edk, ok := key.(*ed25519.PrivateKey); ok {
		key = *edk
	}
	k := &PrivateKey{alg: defaultAlgorithm(pub.Type, key), pub: pub, std: key}
	if sigAlg != nil {
		return k.WithAlgorithm(sigAlg)
	}
	return k, nil
}

// GenerateKey makes a new key of the given type: KeyGOST2015_512 (paramSetA),
// KeyGOST2015_256 (paramSetA), KeyECDSA (P-256), KeyEd25519 or KeyRSA (2048
// bits). A nil rand means crypto/rand.
func GenerateKey(rand io.Reader, kt KeyType) (*PrivateKey, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	switch kt {
	case KeyGOST2015_512, KeyGOST2015_256:
		curve := CurveGOST512A
		if kt == KeyGOST2015_256 {
			curve = CurveGOST256A
		}
		d, err := randScalar(rand, curve.Q)
		if err != nil {
			return nil, err
		}
		return newGOSTPrivateKey(kt, curve, d)
	case KeyECDSA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand)
		if err != nil {
			return nil, err
		}
		return NewSigner(k, nil)
	case KeyEd25519:
		_, k, err := ed25519.GenerateKey(rand)
		if err != nil {
			return nil, err
		}
		return NewSigner(k, nil)
	case KeyRSA:
		k, err := rsa.GenerateKey(rand, 2048)
		if err != nil {
			return nil, err
		}
		return NewSigner(k, nil)
	}
	return nil, fmt.Errorf("%w: cannot generate %s keys", ErrUnknownAlgorithm, kt)
}

type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
}

// ParsePKCS8PrivateKey parses a DER PKCS#8 PrivateKeyInfo: the Kazakh GOST
// forms found in NCA key files (2015: OCTET STRING of a little-endian scalar;
// 2004: INTEGER) and RSA, ECDSA, Ed25519. Errors wrap ErrBadPrivateKey (and
// ErrUnknownAlgorithm for unsupported algorithms).
func ParsePKCS8PrivateKey(der []byte) (*PrivateKey, error) {
	var p pkcs8
	rest, err := asn1.Unmarshal(der, &p)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: PKCS#8: %v", ErrBadPrivateKey, err)
	}
	kt, def := gostKeyTypeByOID(p.Algo.Algorithm)
	if kt == KeyUnknown {
		key, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %w: %v", ErrBadPrivateKey, ErrUnknownAlgorithm, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %w: %T", ErrBadPrivateKey, ErrUnknownAlgorithm, key)
		}
		return NewSigner(s, nil)
	}
	curve, err := gostParamsCurve(kt, def, p.Algo.Parameters)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPrivateKey, err)
	}
	var inner asn1.RawValue
	if rest, err := asn1.Unmarshal(p.PrivateKey, &inner); err != nil || len(rest) != 0 || inner.Class != asn1.ClassUniversal {
		return nil, fmt.Errorf("%w: GOST private key content", ErrBadPrivateKey)
	}
	var d *big.Int
	switch inner.Tag {
	case asn1.TagOctetString: // 2015 form: little-endian scalar
		if len(inner.Bytes) != curve.Size {
			return nil, fmt.Errorf("%w: %d-byte GOST private key, want %d", ErrBadPrivateKey, len(inner.Bytes), curve.Size)
		}
		d = kzPrivateScalar2015(inner.Bytes)
	case asn1.TagInteger: // 2004 form
		if _, err := asn1.Unmarshal(inner.FullBytes, &d); err != nil {
			return nil, fmt.Errorf("%w: GOST private key INTEGER: %v", ErrBadPrivateKey, err)
		}
	default:
		return nil, fmt.Errorf("%w: GOST private key of tag %d", ErrBadPrivateKey, inner.Tag)
	}
	return newGOSTPrivateKey(kt, curve, d)
}

// MarshalPKCS8 encodes the key as a DER PKCS#8 PrivateKeyInfo; GOST keys in
// the form of NCA key files.
func (k *PrivateKey) MarshalPKCS8() ([]byte, error) {
	if k.gost == nil {
		return x509.MarshalPKCS8PrivateKey(k.std)
	}
	alg, err := gostAlgorithmIdentifier(k.pub.Type, k.gost.curve)
	if err != nil {
		return nil, err
	}
	var inner []byte
	if k.pub.Type == KeyGOST2004 {
		inner, err = asn1.Marshal(k.gost.d)
	} else {
		inner, err = asn1.Marshal(kzPrivateBytes2015(k.gost.d, k.gost.curve.Size))
	}
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8{Algo: alg, PrivateKey: inner})
}

package eds

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"

	"github.com/senimkz/senim/internal/eds/gostfast"
)

// The curves on which GOSTCurve.mulBase uses crypto/elliptic's generic Jacobian
// arithmetic are exactly those with a = p − 3 (the a its formulas assume):
// tc26-512 paramSetA and CryptoPro A; tc26-256 paramSetA and the RFC test curves
// (a = 7) stay on go-cryptobin.
func TestGOSTCurvesJacobianChoice(t *testing.T) {
	for _, tc := range []struct {
		c    *GOSTCurve
		want bool
	}{
		{CurveGOST512A, true},
		{CurveGOST2004A, true},
		{CurveGOST256A, false},
		{rfcExamples(t)[0].curve, false},
		{rfcExamples(t)[1].curve, false},
	} {
		aIsMinus3 := new(big.Int).Sub(tc.c.P, tc.c.A).Cmp(big.NewInt(3)) == 0
		if aIsMinus3 != tc.want || (tc.c.jac != nil) != tc.want {
			t.Errorf("%s: a = p − 3 is %v, Jacobian path %v; want both %v", tc.c.Name, aIsMinus3, tc.c.jac != nil, tc.want)
		}
	}
}

// gostJacobianKs returns the nonces of the differential tests: the edges (1, 2, 3,
// q−1, q−2, small ones, around 2^bitlen(q) − q where k + q changes length, around
// powers of two, many leading zero bits) and n random ones.
func gostJacobianKs(t *testing.T, q *big.Int, n int) []*big.Int {
	one := big.NewInt(1)
	top := new(big.Int).Lsh(one, uint(q.BitLen()))
	wrap := new(big.Int).Sub(top, q)
	ks := []*big.Int{
		big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(255), big.NewInt(256), big.NewInt(65537),
		new(big.Int).Sub(q, one), new(big.Int).Sub(q, big.NewInt(2)), new(big.Int).Rsh(q, 1),
		wrap, new(big.Int).Sub(wrap, one), new(big.Int).Add(wrap, one),
		new(big.Int).Lsh(one, 17), new(big.Int).Lsh(one, uint(q.BitLen()-1)),
		new(big.Int).Sub(new(big.Int).Lsh(one, uint(q.BitLen()-1)), one),
		new(big.Int).Rsh(q, 8), new(big.Int).Rsh(q, 100), new(big.Int).Rsh(q, uint(q.BitLen()/2)),
	}
	for range n {
		k, err := randScalar(rand.Reader, q)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k, new(big.Int).Rsh(k, uint(k.Bit(0)*64+k.Bit(1)*128+8)))
	}
	var in []*big.Int
	for _, k := range ks {
		if k.Sign() > 0 && k.Cmp(q) < 0 {
			in = append(in, k)
		}
	}
	return in
}

// TestGOSTMulBaseMatchesCryptobin: kP from mulBase (crypto/elliptic's Jacobian
// arithmetic on fixedLengthNonce(k) where a = −3) equals go-cryptobin's Exp given k
// itself, x and y, on every GOST curve Senim signs with.
func TestGOSTMulBaseMatchesCryptobin(t *testing.T) {
	for _, c := range []*GOSTCurve{CurveGOST512A, CurveGOST2004A, CurveGOST256A} {
		t.Run(c.Name, func(t *testing.T) {
			n := 60
			if testing.Short() {
				n = 10
			}
			for _, k := range gostJacobianKs(t, c.Q, n) {
				kp := fixedLengthNonce(k, c.Q)
				if b := fixedLengthBytes(kp, c.Q); len(b) != (c.Q.BitLen()+8)/8 || new(big.Int).SetBytes(b).Cmp(kp) != 0 {
					t.Fatalf("k = %X: %d bytes %X, want %X in %d", k, len(b), b, kp, (c.Q.BitLen()+8)/8)
				}
				x1, y1, err := c.mulBase(k)
				if err != nil {
					t.Fatal(err)
				}
				x2, y2, err := c.c.Exp(k, c.c.X, c.c.Y)
				if err != nil {
					t.Fatal(err)
				}
				if x1.Cmp(x2) != 0 || y1.Cmp(y2) != 0 {
					t.Fatalf("k = %X: mulBase gives (%X, %X), go-cryptobin (%X, %X)", k, x1, y1, x2, y2)
				}
			}
		})
	}
}

// keyReader feeds go-cryptobin's SignToRS the nonce k: it reads PointSize bytes
// big-endian and reduces them mod q.
type keyReader struct{ b []byte }

func (r *keyReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestGOSTSignMatchesCryptobinSign: with the same key, digest and nonce k, our
// signing (gostSignWithK, over mulBase) gives the r and s that go-cryptobin's own
// SignToRS gives — on the a = −3 curves a library-made vector for every edge and
// random k; the RFC examples (TestGOSTSignRFCExamples) have a = 7.
func TestGOSTSignMatchesCryptobinSign(t *testing.T) {
	for _, c := range []*GOSTCurve{CurveGOST512A, CurveGOST2004A, CurveGOST256A} {
		t.Run(c.Name, func(t *testing.T) {
			d, err := randScalar(rand.Reader, c.Q)
			if err != nil {
				t.Fatal(err)
			}
			x, y := c.c.ScalarBaseMult(d.Bytes())
			priv := &gost.PrivateKey{PublicKey: gost.PublicKey{Curve: c.c, X: x, Y: y}, D: d}
			digest := make([]byte, c.Size)
			for _, k := range gostJacobianKs(t, c.Q, 10) {
				rand.Read(digest)
				r1, s1, ok := gostSignWithK(c, d, gostE(c, digest), k)
				if !ok {
					continue // r or s zero: go-cryptobin would draw another k
				}
				r2, s2, err := gost.SignToRS(&keyReader{k.FillBytes(make([]byte, c.Size))}, priv, digest)
				if err != nil {
					t.Fatal(err)
				}
				if r1.Cmp(r2) != 0 || s1.Cmp(s2) != 0 {
					t.Fatalf("k = %X: (r, s) = (%X, %X), go-cryptobin (%X, %X)", k, r1, s1, r2, s2)
				}
			}
		})
	}
}

// TestGOSTJacobianSignaturesVerify: keys made and signatures made through mulBase
// verify with go-cryptobin's gost.Verify, with gostfast and with Senim's own
// VerifyDigest, and none of them accepts the signature with one bit flipped.
func TestGOSTJacobianSignaturesVerify(t *testing.T) {
	for _, tc := range []struct {
		kt KeyType
		c  *GOSTCurve
		fc *gostfast.Curve
	}{
		{KeyGOST2015_512, CurveGOST512A, gostfast.Tc26512A},
		{KeyGOST2004, CurveGOST2004A, gostfast.CryptoProA},
		{KeyGOST2015_256, CurveGOST256A, gostfast.Tc26256A},
	} {
		t.Run(tc.c.Name, func(t *testing.T) {
			c := tc.c
			d, err := randScalar(rand.Reader, c.Q)
			if err != nil {
				t.Fatal(err)
			}
			key, err := newGOSTPrivateKey(tc.kt, c, d)
			if err != nil {
				t.Fatal(err)
			}
			gpub := key.Public().Key.(*GOSTPublicKey)
			if x, y := c.c.ScalarBaseMult(d.Bytes()); x.Cmp(gpub.X) != 0 || y.Cmp(gpub.Y) != 0 {
				t.Fatal("public key differs from go-cryptobin's dP")
			}
			cbPub := &gost.PublicKey{Curve: c.c, X: gpub.X, Y: gpub.Y}
			alg := key.Algorithm().OID
			digest := make([]byte, key.Algorithm().Hash().Size())
			for i := range 8 {
				rand.Read(digest)
				sig, err := key.SignDigest(nil, digest)
				if err != nil {
					t.Fatal(err)
				}
				bad := bytes.Clone(sig)
				bad[i*len(sig)/8] ^= 1 << (i % 8)
				for _, tt := range []struct {
					sig  []byte
					want bool
				}{{sig, true}, {bad, false}} {
					r, s, err := kzSignatureToRS(tt.sig, c.Size)
					if err != nil {
						t.Fatal(err)
					}
					// go-cryptobin's byte form is s || r big-endian: the Kazakh r LE || s LE reversed.
					cb, err := gost.Verify(cbPub, digest, reversed(tt.sig))
					if err != nil {
						t.Fatal(err)
					}
					fast := gostfast.Verify(tc.fc, gpub.X, gpub.Y, gostE(c, digest), r, s)
					own := VerifyDigest(key.Public(), alg, digest, tt.sig) == nil
					if cb != tt.want || fast != tt.want || own != tt.want {
						t.Fatalf("signature %d (valid %v): go-cryptobin %v, gostfast %v, VerifyDigest %v", i, tt.want, cb, fast, own)
					}
				}
			}
		})
	}
}

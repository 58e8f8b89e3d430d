package eds

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
)

// TestGOSTSignRFCExamples signs the RFC 7091 / RFC 5832 examples with their
// nonce k and expects their r and s.
func TestGOSTSignRFCExamples(t *testing.T) {
	for _, ex := range rfcExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			r, s, ok := gostSignWithK(ex.curve, hexInt(t, ex.d), hexInt(t, ex.e), hexInt(t, ex.k))
			if !ok || r.Cmp(hexInt(t, ex.r)) != 0 || s.Cmp(hexInt(t, ex.s)) != 0 {
				t.Fatalf("got r=%X s=%X", r, s)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	gen := func(kt KeyType) func(t *testing.T) *PrivateKey {
		return func(t *testing.T) *PrivateKey {
			k, err := GenerateKey(nil, kt)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	std := func(s func() (*PrivateKey, error)) func(t *testing.T) *PrivateKey {
		return func(t *testing.T) *PrivateKey {
			k, err := s()
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	tests := []struct {
		name string
		key  func(t *testing.T) *PrivateKey
		alg  asn1.ObjectIdentifier
	}{
		{"GOST 2015-512", gen(KeyGOST2015_512), OIDSignGOST2015_512},
		{"GOST 2015-256", gen(KeyGOST2015_256), OIDSignGOST2015_256},
		{"GOST 2004", std(func() (*PrivateKey, error) {
			d, err := randScalar(rand.Reader, CurveGOST2004A.Q)
			if err != nil {
				return nil, err
			}
			return newGOSTPrivateKey(KeyGOST2004, CurveGOST2004A, d)
		}), OIDSignGOST2004},
		{"ECDSA P-256", gen(KeyECDSA), OIDSignECDSAWithSHA256},
		{"ECDSA P-384", std(func() (*PrivateKey, error) { return NewSigner(p384, nil) }), OIDSignECDSAWithSHA384},
		{"Ed25519", gen(KeyEd25519), OIDSignEd25519},
		{"SHA256withRSA", std(func() (*PrivateKey, error) { return NewSigner(rsaKey, nil) }), OIDSignSHA256WithRSA},
		{"SHA1withRSA", std(func() (*PrivateKey, error) { return NewSigner(rsaKey, OIDSignSHA1WithRSA) }), OIDSignSHA1WithRSA},
	}
	msg := []byte("round trip")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.key(t)
			if !k.Algorithm().OID.Equal(tt.alg) {
				t.Fatalf("algorithm %s, want %s", k.Algorithm().OID, tt.alg)
			}
			sig, err := k.Sign(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			// Verify through a public key parsed back from its DER.
			pub, err := ParsePublicKey(k.Public().Raw)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(k.Public()) {
				t.Fatal("public key does not survive DER")
			}
			if err := VerifySignature(pub, tt.alg, msg, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if err := VerifySignature(pub, tt.alg, []byte("other"), sig); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("other message: %v", err)
			}
			// PKCS#8 round trip gives the same key.
			der, err := k.MarshalPKCS8()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := ParsePKCS8PrivateKey(der)
			if err != nil {
				t.Fatal(err)
			}
			if !k2.Public().Equal(k.Public()) {
				t.Fatal("PKCS#8 round trip changed the key")
			}
			der2, _ := k2.MarshalPKCS8()
			if !bytes.Equal(der, der2) {
				t.Fatal("PKCS#8 encoding not stable")
			}
		})
	}
}

// TestGOSTSignatureEncoding checks a fresh GOST signature is r LE || s LE with
// both halves in range, and that two signatures differ (random nonce).
func TestGOSTSignatureEncoding(t *testing.T) {
	k, err := GenerateKey(nil, KeyGOST2015_512)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := k.Sign(nil, []byte("x"))
	s2, _ := k.Sign(nil, []byte("x"))
	if len(s1) != 128 || bytes.Equal(s1, s2) {
		t.Fatalf("signatures: len %d, equal %v", len(s1), bytes.Equal(s1, s2))
	}
	r, s, _ := kzSignatureToRS(s1, 64)
	for _, v := range []*big.Int{r, s} {
		if v.Sign() <= 0 || v.Cmp(CurveGOST512A.Q) >= 0 {
			t.Fatal("r or s out of range")
		}
	}
}

func TestParsePKCS8Refusals(t *testing.T) {
	k, _ := GenerateKey(nil, KeyGOST2015_512)
	good, _ := k.MarshalPKCS8()
	zero, _ := asn1.Marshal(pkcs8{Algo: mustAlgID(t), PrivateKey: mustMarshal(t, make([]byte, 64))})
	short, _ := asn1.Marshal(pkcs8{Algo: mustAlgID(t), PrivateKey: mustMarshal(t, make([]byte, 32))})
	for name, der := range map[string][]byte{
		"empty": nil, "truncated": good[:len(good)-2], "zero scalar": zero, "short scalar": short,
	} {
		if _, err := ParsePKCS8PrivateKey(der); !errors.Is(err, ErrBadPrivateKey) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func mustAlgID(t *testing.T) pkix.AlgorithmIdentifier {
	id, err := gostAlgorithmIdentifier(KeyGOST2015_512, CurveGOST512A)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParsePKCS8PrivateKey(f *testing.F) {
	for _, kt := range []KeyType{KeyGOST2015_512, KeyGOST2015_256, KeyECDSA, KeyEd25519} {
		k, err := GenerateKey(nil, kt)
		if err != nil {
			f.Fatal(err)
		}
		der, _ := k.MarshalPKCS8()
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := ParsePKCS8PrivateKey(der)
		if err != nil {
			if !errors.Is(err, ErrBadPrivateKey) {
				t.Fatalf("error %v does not wrap ErrBadPrivateKey", err)
			}
			return
		}
		if _, err := k.MarshalPKCS8(); err != nil {
			t.Fatal(err)
		}
	})
}

// GOST signing multiplies the base point by a nonce of one length whatever the
// nonce (k + q or k + 2q, bitlen(q)+1 bits), so that the time the multiplication's
// double-and-add takes does not tell the nonce's length; the point is kP all the
// same. Checked on every GOST curve Senim signs with, for nonces at the edges (1,
// q−1, just below and above a power of two, 2^bitlen(q) − q) and random ones.
func TestGOSTNonceOfFixedLength(t *testing.T) {
	for _, c := range []*GOSTCurve{CurveGOST512A, CurveGOST256A, CurveGOST2004A} {
		t.Run(c.Name, func(t *testing.T) {
			q := c.Q
			top := new(big.Int).Lsh(big.NewInt(1), uint(q.BitLen()))
			ks := []*big.Int{big.NewInt(1), big.NewInt(2), new(big.Int).Sub(q, big.NewInt(1)),
				new(big.Int).Sub(top, q), new(big.Int).Sub(new(big.Int).Sub(top, q), big.NewInt(1)), new(big.Int).Add(new(big.Int).Sub(top, q), big.NewInt(1)),
				new(big.Int).Rsh(q, 1), new(big.Int).Lsh(big.NewInt(1), 17)}
			for range 40 {
				k, err := randScalar(rand.Reader, q)
				if err != nil {
					t.Fatal(err)
				}
				ks = append(ks, k)
			}
			lengths := map[int]bool{}
			for _, k := range ks {
				if k.Sign() <= 0 || k.Cmp(q) >= 0 {
					continue
				}
				kp := fixedLengthNonce(k, q)
				lengths[kp.BitLen()] = true
				if new(big.Int).Mod(kp, q).Cmp(k) != 0 {
					t.Fatalf("k' = %X is not k = %X mod q", kp, k)
				}
				x1, y1, err := c.c.Exp(kp, c.c.X, c.c.Y)
				if err != nil {
					t.Fatal(err)
				}
				x2, y2 := c.c.ScalarBaseMult(k.Bytes())
				if x1.Cmp(x2) != 0 || y1.Cmp(y2) != 0 {
					t.Fatalf("k'P differs from kP for k = %X", k)
				}
			}
			if len(lengths) != 1 || !lengths[q.BitLen()+1] {
				t.Errorf("nonce lengths %v, want only %d", lengths, q.BitLen()+1)
			}
		})
	}
}

// BenchmarkGOSTNonceTime is the base-point multiplication of GOST signing on the 512-bit
// curve for a full-length nonce and a 256-bit one: "direct" is go-cryptobin given k
// itself (as before 2026-12-04), whose time follows k's length; "fixed" is what signing
// does now (mulBase: fixedLengthNonce(k), since 2026-12-06 with crypto/elliptic's
// generic Jacobian arithmetic, before that with go-cryptobin's Exp).
func BenchmarkGOSTNonceTime(b *testing.B) {
	c := CurveGOST512A
	full := new(big.Int).Sub(c.Q, big.NewInt(12345))
	short := new(big.Int).Rsh(full, 256)
	for _, k := range []struct {
		name string
		k    *big.Int
	}{{"full", full}, {"short", short}} {
		b.Run("k="+k.name+"/direct", func(b *testing.B) {
			for b.Loop() {
				c.c.ScalarBaseMult(k.k.Bytes())
			}
		})
		b.Run("k="+k.name+"/fixed", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := c.mulBase(k.k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

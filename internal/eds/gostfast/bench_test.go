package gostfast

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	_ "crypto/sha512"
	"math/big"
	"math/rand/v2"
	"testing"

	cbgost "github.com/deatil/go-cryptobin/pubkey/gost"
)

func benchFE() (x, y fe) {
	feFromBig(&x, new(big.Int).Sub(p512, big.NewInt(12345)))
	feFromBig(&y, Tc26512A.gy)
	return
}

// BenchmarkFieldMul512 measures one multiplication mod 2^512 − 569 with the
// fold.
func BenchmarkFieldMul512(b *testing.B) {
	x, y := benchFE()
	for b.Loop() {
		feMul(&x, &x, &y)
	}
}

// BenchmarkFieldSqr512 measures one squaring mod 2^512 − 569 with the fold.
func BenchmarkFieldSqr512(b *testing.B) {
	x, _ := benchFE()
	for b.Loop() {
		feSqr(&x, &x)
	}
}

// benchSig512 returns a genuine NCA signature (the intermediate CA
// certificate, signed by the root) in both encodings.
func benchSig512(b *testing.B) (pub, digest, sig []byte) {
	b.Helper()
	s := ncaSignatures(b)[1]
	return s.issuer, streebog512(s.tbs), s.sig
}

// BenchmarkVerify512 is our verification of one GOST 2015-512 signature
// (Kazakh encodings, digest already computed).
func BenchmarkVerify512(b *testing.B) {
	pub, d, sig := benchSig512(b)
	if !VerifyKZ(Tc26512A, pub, d, sig) {
		b.Fatal("signature does not verify")
	}
	for b.Loop() {
		VerifyKZ(Tc26512A, pub, d, sig)
	}
}

// BenchmarkVerify512Precomputed verifies with a PublicKey512 (tables of the
// key computed once, outside the loop).
func BenchmarkVerify512Precomputed(b *testing.B) {
	pub, d, sig := benchSig512(b)
	k, err := NewPublicKey512KZ(pub)
	if err != nil {
		b.Fatal(err)
	}
	if !k.VerifyKZ(d, sig) {
		b.Fatal("signature does not verify")
	}
	for b.Loop() {
		k.VerifyKZ(d, sig)
	}
}

// BenchmarkPrecompute512 is the one-time cost of NewPublicKey512KZ.
func BenchmarkPrecompute512(b *testing.B) {
	pub, _, _ := benchSig512(b)
	for b.Loop() {
		if _, err := NewPublicKey512KZ(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify512Int is Verify at the integer level (no byte decoding).
func BenchmarkVerify512Int(b *testing.B) {
	pub, d, sig := benchSig512(b)
	x, y, e := leInt(pub[:64]), leInt(pub[64:]), leInt(d)
	r, s := leInt(sig[:64]), leInt(sig[64:])
	for b.Loop() {
		Verify(Tc26512A, x, y, e, r, s)
	}
}

// BenchmarkVerify512Cryptobin is go-cryptobin's verification of the same
// signature.
func BenchmarkVerify512Cryptobin(b *testing.B) {
	pub, d, sig := benchSig512(b)
	pk, err := cbgost.NewPublicKey(cbgost.CurveIdtc26gost341012512paramSetA(), pub)
	if err != nil {
		b.Fatal(err)
	}
	lib := cbgost.Reverse(sig)
	if ok, _ := cbgost.Verify(pk, d, lib); !ok {
		b.Fatal("go-cryptobin rejects the signature")
	}
	for b.Loop() {
		cbgost.Verify(pk, d, lib)
	}
}

// sig256 makes a tc26 256 set A key and signature with go-cryptobin.
func sig256(b *testing.B) (k *cbgost.PrivateKey, pub, d, sig []byte) {
	b.Helper()
	rd := rngReader{rand.New(rand.NewPCG(1, 1))}
	k, err := cbgost.GenerateKey(rd, cbgost.CurveIdtc26gost341012256paramSetA())
	if err != nil {
		b.Fatal(err)
	}
	d = make([]byte, 32)
	rd.Read(d)
	lib, err := cbgost.Sign(rd, k, d)
	if err != nil {
		b.Fatal(err)
	}
	return k, cbgost.PublicKeyTo(&k.PublicKey), d, cbgost.Reverse(lib)
}

// BenchmarkVerify256Cryptobin is go-cryptobin on tc26 256 set A.
func BenchmarkVerify256Cryptobin(b *testing.B) {
	k, _, d, sig := sig256(b)
	lib := cbgost.Reverse(sig)
	for b.Loop() {
		if ok, _ := cbgost.Verify(&k.PublicKey, d, lib); !ok {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkVerify256Generic is our generic math/big path on tc26 256 set A.
func BenchmarkVerify256Generic(b *testing.B) {
	_, pub, d, sig := sig256(b)
	if !VerifyKZ(Tc26256A, pub, d, sig) {
		b.Fatal("signature does not verify")
	}
	for b.Loop() {
		VerifyKZ(Tc26256A, pub, d, sig)
	}
}

func benchECDSA(b *testing.B, c elliptic.Curve, h crypto.Hash) {
	k, err := ecdsa.GenerateKey(c, crand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	hh := h.New()
	hh.Write([]byte("senim"))
	d := hh.Sum(nil)
	sig, err := ecdsa.SignASN1(crand.Reader, k, d)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !ecdsa.VerifyASN1(&k.PublicKey, d, sig) {
			b.Fatal("ecdsa verify failed")
		}
	}
}

// BenchmarkECDSAP384Verify is Go's crypto/ecdsa P-384 verification, for
// comparison in the same run.
func BenchmarkECDSAP384Verify(b *testing.B) { benchECDSA(b, elliptic.P384(), crypto.SHA384) }

// BenchmarkECDSAP521Verify is Go's crypto/ecdsa P-521 verification.
func BenchmarkECDSAP521Verify(b *testing.B) { benchECDSA(b, elliptic.P521(), crypto.SHA512) }

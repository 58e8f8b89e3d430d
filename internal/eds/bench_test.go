package eds

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"path/filepath"
	"testing"
)

// The benchmarks measure one verification of a precomputed digest on one
// goroutine (per core): go test -bench Verify -count 3 ./internal/eds

func benchVerify(b *testing.B, pub *PublicKey, alg asn1.ObjectIdentifier, digest, sig []byte) {
	b.Helper()
	if err := VerifyDigest(pub, alg, digest, sig); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyDigest(pub, alg, digest, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyGOST2015_512 verifies the real signature of an NCA leaf
// certificate with the intermediate's key (the default verifier).
func BenchmarkVerifyGOST2015_512(b *testing.B) {
	inter := readCert(b, filepath.Join(ncaDir, "nca_gost2022_test.cer"))
	leaf := readCert(b, filepath.Join(ncaDir, "leaf", "individual_valid.cer"))
	pub, err := ParsePublicKey(inter.RawSubjectPublicKeyInfo)
	if err != nil {
		b.Fatal(err)
	}
	h := newStreebog512()
	h.Write(leaf.RawTBSCertificate)
	benchVerify(b, pub, OIDSignGOST2015_512, h.Sum(nil), leaf.Signature)
}

func BenchmarkVerifyRSA2048(b *testing.B) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	s, _ := NewSigner(k, nil)
	d := sha256.Sum256([]byte("bench"))
	sig, err := s.SignDigest(nil, d[:])
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, s.Public(), OIDSignSHA256WithRSA, d[:], sig)
}

func BenchmarkVerifyECDSAP256(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := NewSigner(k, nil)
	d := sha256.Sum256([]byte("bench"))
	sig, err := s.SignDigest(nil, d[:])
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, s.Public(), OIDSignECDSAWithSHA256, d[:], sig)
}

func BenchmarkSignGOST2015_512(b *testing.B) {
	k, err := GenerateKey(nil, KeyGOST2015_512)
	if err != nil {
		b.Fatal(err)
	}
	d := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.SignDigest(nil, d); err != nil {
			b.Fatal(err)
		}
	}
}

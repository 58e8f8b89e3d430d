package pkcs12

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeNCA opens one NCA key file (MAC, 3DES, RC2, key parsing).
func BenchmarkDecodeNCA(b *testing.B) {
	data := readFile(b, filepath.Join(ncaDir, "individual", "valid", "individual_valid.p12"))
	for b.Loop() {
		if _, err := Decode(data, testPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOpenSSLPBES2 opens an OpenSSL 3 default file (SHA-256 MAC,
// two PBKDF2-HMAC-SHA-256 derivations of 2048 iterations, AES-256-CBC, ECDSA).
func BenchmarkDecodeOpenSSLPBES2(b *testing.B) {
	data := readFile(b, filepath.Join("testdata", "openssl-ec-aes256.p12"))
	for b.Loop() {
		if _, err := Decode(data, "Senim2026"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPBKDF2Limit is one PBKDF2-HMAC-SHA-256 derivation at the largest
// iteration count Decode accepts (maxPBKDF2Iterations).
func BenchmarkPBKDF2Limit(b *testing.B) {
	for b.Loop() {
		if _, err := pbkdf2.Key(sha256.New, "Senim2026", []byte("saltsalt"), maxPBKDF2Iterations, 32); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMACLimit is the check of a SHA-512 MAC at the largest iteration
// count Decode accepts (maxIterations): the most a mutated file costs before
// its MAC fails.
func BenchmarkMACLimit(b *testing.B) {
	for b.Loop() {
		pkcs12MAC(sha512.New, []byte{0, 'a', 0, 0}, []byte("saltsalt"), maxIterations, []byte("data"))
	}
}

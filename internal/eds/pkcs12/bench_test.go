package pkcs12

import (
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

package pkcs12

import (
	"encoding/hex"
	"testing"

	"github.com/deatil/go-cryptobin/cipher/rc2"
)

// TestRC2RFC2268 checks the RC2 implementation against RFC 2268, section 5.
func TestRC2RFC2268(t *testing.T) {
	tests := []struct {
		key       string
		effective int
		plain     string
		cipher    string
	}{
		{"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
		{"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
		{"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
		{"88", 64, "0000000000000000", "61a8a244adacccf0"},
		{"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
		{"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
		{"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
		{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000", "5b78d3a43dfff1f1"},
	}
	for _, tt := range tests {
		key, _ := hex.DecodeString(tt.key)
		plain, _ := hex.DecodeString(tt.plain)
		c, err := rc2.NewCipher(key, tt.effective)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 8)
		c.Encrypt(out, plain)
		if got := hex.EncodeToString(out); got != tt.cipher {
			t.Errorf("key %s/%d: got %s, want %s", tt.key, tt.effective, got, tt.cipher)
		}
		back := make([]byte, 8)
		c.Decrypt(back, out)
		if hex.EncodeToString(back) != tt.plain {
			t.Errorf("key %s/%d: decrypt gives %x", tt.key, tt.effective, back)
		}
	}
}

// TestPKCS12KDF checks the RFC 7292 appendix B derivation against the values
// golang.org/x/crypto/pkcs12 tests with, including its leading-zero case.
func TestPKCS12KDF(t *testing.T) {
	sesame, _ := bmpPassword("sesame")
	empty, _ := bmpPassword("")
	tests := []struct {
		name     string
		pw       []byte
		salt     string
		id, size int
		want     string
	}{
		{"long key", sesame, "ffffffffffffffff", kdfKey, 24, "7cd9fd3e2b3be7691a44e3bef0f9ea0fb9b897d4e325d9d1"},
		{"leading zeros", empty, "f37e05b518324b4b", kdfKey, 24, "00f759ff47d14dd03665d5943cb3c4a39a2555c02aed66e1"},
	}
	for _, tt := range tests {
		salt, _ := hex.DecodeString(tt.salt)
		if got := hex.EncodeToString(pkcs12KDF(tt.pw, salt, 2048, tt.id, tt.size)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

package edslogin

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"testing"
)

// A DER CMS whose last byte is one that TrimSpace cuts (a signature's last byte is
// random) comes back whole, as DER, PEM or base64.
func TestDecodeCMSKeepsTrailingBytes(t *testing.T) {
	for _, last := range []byte{' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xa0, 'x'} {
		der := []byte{0x30, 0x03, 0x02, 0x01, last}
		for name, in := range map[string][]byte{
			"DER":    der,
			"PEM":    pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: der}),
			"base64": []byte(base64.StdEncoding.EncodeToString(der) + "\n"),
		} {
			got, err := DecodeCMS(in)
			if err != nil || !bytes.Equal(got, der) {
				t.Errorf("%s ending in %#x: %x %v", name, last, got, err)
			}
		}
	}
	if _, err := DecodeCMS([]byte("  \n")); err == nil {
		t.Error("blank accepted")
	}
	if _, err := DecodeCMS([]byte("not base64!")); err == nil {
		t.Error("garbage accepted")
	}
}

func FuzzDecodeCMS(f *testing.F) {
	f.Add([]byte("-----BEGIN CMS-----\nMAA=\n-----END CMS-----\n"))
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte("MAA"))
	f.Fuzz(func(t *testing.T, b []byte) {
		der, err := DecodeCMS(b)
		if err == nil && len(der) == 0 {
			t.Fatal("empty result without error")
		}
	})
}

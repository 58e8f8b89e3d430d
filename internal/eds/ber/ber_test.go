package ber

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestToDER(t *testing.T) {
	tests := []struct{ name, ber, der string }{
		{"indefinite SEQUENCE", "3080020101" + "0000", "3003020101"},
		{"nested indefinite", "30803080050000000000", "30043002" + "0500"},
		{"constructed OCTET STRING", "2480040161040262630000", "0403616263"},
		{"long-form length kept minimal", "04810161", "040161"},
		{"context tag kept", "a080040100" + "0000", "a003040100"},
	}
	for _, tt := range tests {
		in, _ := hex.DecodeString(tt.ber)
		got, err := ToDER(in)
		if err != nil || hex.EncodeToString(got) != tt.der {
			t.Errorf("%s: got %x, %v; want %s", tt.name, got, err, tt.der)
		}
	}
	for _, bad := range []string{"", "30", "3080", "308002010100", "0480", "3081", "30850000000001", "04050102"} {
		in, _ := hex.DecodeString(bad)
		if _, err := ToDER(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzToDER(f *testing.F) {
	p12, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "nca-gost2022", "individual", "valid", "individual_valid.p12"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p12) // a real NCA key file: BER with indefinite lengths
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00})
	f.Add([]byte{0x24, 0x80, 0x04, 0x01, 0x61, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, ber []byte) {
		der, err := ToDER(ber)
		if err != nil {
			return
		}
		// The output is a fixed point: normalising DER changes nothing.
		again, err := ToDER(der)
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("not idempotent: %x -> %x (%v)", der, again, err)
		}
	})
}

package streebog

import (
	"bytes"
	"encoding/hex"
	"hash"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, v := range b {
		r[len(b)-1-i] = v
	}
	return r
}

// TestRFC6986 checks the examples of RFC 6986, section 10 (= GOST R 34.11-2012,
// appendix A). The RFC prints messages and hash codes as numbers, most
// significant byte first; the byte strings are their reverse.
func TestRFC6986(t *testing.T) {
	const m1 = "323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130"
	const m2 = "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
	tests := []struct {
		name   string
		newH   func() hash.Hash
		msg    string
		digest string
	}{
		{"M1/512", New512, m1, "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"},
		{"M1/256", New256, m1, "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"},
		{"M2/512", New512, m2, "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f037613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"},
		{"M2/256", New256, m2, "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.newH()
			h.Write(reversed(unhex(t, tt.msg)))
			if got := hex.EncodeToString(reversed(h.Sum(nil))); got != tt.digest {
				t.Errorf("got %s, want %s", got, tt.digest)
			}
		})
	}
}

// repeat returns s repeated n times.
func repeat(s string, n int) []byte { return []byte(strings.Repeat(s, n)) }

// TestVectors checks published byte-string vectors: the RFC examples in OpenSSL
// order, the empty message, the all-zero and all-one blocks, the carry vector
// (whose checksum Σ carries across 64-bit words) and the long messages of
// gost-engine's test/01-digest.t (1 KB ASCII and binary, 539 bytes, 128 KB).
func TestVectors(t *testing.T) {
	carry := append(bytes.Repeat([]byte{0xee}, 64), 0x16)
	carry = append(carry, bytes.Repeat([]byte{0x11}, 62)...)
	carry = append(carry, 0x16)
	big := append(repeat(strings.Repeat("121345678", 7)+"1234567\n", 4096), "12345\n"...)
	tests := []struct {
		name     string
		msg      []byte
		d512     string
		d256     string // "" if not published
		splitted bool
	}{
		{"M1", []byte("012345678901234567890123456789012345678901234567890123456789012"),
			"1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48",
			"9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500", false},
		{"empty", nil,
			"8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a",
			"3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb", false},
		{"64 zero bytes", make([]byte, 64),
			"b0fd29ac1b0df441769ff3fdb8dc564df67721d6ac06fb28ceffb7bbaa7948c6c014ac999235b58cb26fb60fb112a145d7b4ade9ae566bf2611402c552d20db7",
			"df1fda9ce83191390537358031db2ecaa6aa54cd0eda241dc107105e13636b95", false},
		{"128 0xff bytes", bytes.Repeat([]byte{0xff}, 128),
			"90a161d12ad309498d3fe5d48202d8a4e9c406d6a264aeab258ac5ecc37a7962aaf9587a5abb09b6bb81ec4b3752a3ff5a838ef175be5772056bc5fe54fcfc7e",
			"", false},
		{"carry", carry,
			"8b06f41e59907d9636e892caf5942fcdfb71fa31169a5e70f0edb873664df41c2cce6e06dc6755d15a61cdeb92bd607cc4aaca6732bf3568a23a210dd520fd41",
			"81bb632fa31fcc38b4c379a662dbc58b9bed83f50d3a1b2ce7271ab02d25babb", false},
		{"1K ascii", repeat("12345670", 128),
			"283587e434864d0d4bea97c0fb10e2dd421572fc859304bdf6a94673d652c59049212bad7802b4fcf5eecc1f8fab569d60f2c20dbd789a7fe4efbd79d8137ee7",
			"1906512b86a1283c68cec8419e57113efc562a1d0e95d8f4809542900c416fe4", true},
		{"1K binary", repeat("\x00\x01\x02\x15\x84\x67\x45\x31", 128),
			"55656e5bcf795b499031a7833cd7dc18fe10d4a47e15be545c6ab3f304a4fe411c4c39de5b1fc6844880111441e0b92bf1ec2fb7840453fe39a2b70ced461968",
			"2eb1306be3e490f18ff0e2571a077b3831c815c46c7d4fdf9e0e26de4032b3f3", true},
		{"539 bytes", repeat("12345670", 128)[:539],
			"d5ad93fbc9ed7abc1cf28d00827a052b40bea74b04c4fd753102c1bcf9f9dad5142887f8a4cceaa0d64a0a8291592413d6adb956b99138a0023e127ff37bdf08",
			"c98a17f9fadff78d08521e4179a7b2e6275f3b1da88339a3cb961a3514e5332e", true},
		{"128K", big,
			"1d93645ebfbb477660f98b7d1598e37fbf3bfc8234ead26e2246e1b979e590ac46138158a692f9a0c9ac2550758b4d0d4c9fb8af5e595a16d3760c6516443f82",
			"50e935d725d9359e5991b6b7eba8b3539fca03584d26adf4c827c982ffd49367", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s512 := Sum512(tt.msg)
			if got := hex.EncodeToString(s512[:]); got != tt.d512 {
				t.Errorf("Sum512 = %s, want %s", got, tt.d512)
			}
			if tt.d256 != "" {
				s256 := Sum256(tt.msg)
				if got := hex.EncodeToString(s256[:]); got != tt.d256 {
					t.Errorf("Sum256 = %s, want %s", got, tt.d256)
				}
			}
			// Streamed in pieces of 1, 7 and 9 bytes (the gost-engine long
			// tests are written in 8- and 9-byte pieces).
			for _, piece := range []int{1, 7, 9} {
				h := New512()
				for p := tt.msg; len(p) > 0; {
					n := min(piece, len(p))
					h.Write(p[:n])
					p = p[n:]
				}
				if got := hex.EncodeToString(h.Sum(nil)); got != tt.d512 {
					t.Errorf("in %d-byte pieces: %s", piece, got)
				}
			}
		})
	}
}

// A wrong digest must not pass: one flipped message bit changes every vector.
func TestVectorsNegative(t *testing.T) {
	m := []byte("012345678901234567890123456789012345678901234567890123456789012")
	want := Sum512(m)
	for i := range len(m) * 8 {
		b := bytes.Clone(m)
		b[i/8] ^= 1 << (i % 8)
		if Sum512(b) == want {
			t.Fatalf("bit %d flipped, same digest", i)
		}
	}
	if Sum256(m) == [32]byte(want[32:]) {
		// Streebog-256 uses another IV, so it is not the second half of Streebog-512.
		t.Error("Streebog-256 equals the second half of Streebog-512")
	}
}

// The hash.Hash contract: Sum does not change the state, Reset starts over,
// sizes are right, and Sum appends.
func TestHashInterface(t *testing.T) {
	for _, c := range []struct {
		newH func() hash.Hash
		size int
	}{{New512, Size512}, {New256, Size256}} {
		h := c.newH()
		if h.Size() != c.size || h.BlockSize() != BlockSize {
			t.Fatalf("Size %d BlockSize %d", h.Size(), h.BlockSize())
		}
		h.Write([]byte("abc"))
		s1 := h.Sum([]byte("prefix"))
		s2 := h.Sum(nil)
		if !bytes.Equal(s1[:6], []byte("prefix")) || !bytes.Equal(s1[6:], s2) || len(s2) != c.size {
			t.Fatal("Sum changed the state or did not append")
		}
		h.Write([]byte("def"))
		if bytes.Equal(h.Sum(nil), s2) {
			t.Fatal("Write after Sum had no effect")
		}
		h.Reset()
		h.Write([]byte("abc"))
		if !bytes.Equal(h.Sum(nil), s2) {
			t.Fatal("Reset did not start over")
		}
	}
}

package pkcs12

import (
	"crypto/sha1"
	"errors"
	"hash"
	"unicode/utf16"
)

// Diversifier IDs of the PKCS#12 key derivation (RFC 7292, appendix B.3).
const (
	kdfKey = 1
	kdfIV  = 2
	kdfMAC = 3
)

// bmpPassword encodes a password as RFC 7292 wants it: big-endian UTF-16
// (BMPString) with a two-byte zero terminator.
func bmpPassword(password string) ([]byte, error) {
	var out []byte
	for _, r := range password {
		if r > 0xffff {
			// Characters outside the BMP have no BMPString form.
			if utf16.IsSurrogate(r) || r > 0x10ffff {
				return nil, errors.New("invalid character")
			}
			r1, r2 := utf16.EncodeRune(r)
			out = append(out, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
			continue
		}
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0), nil
}

// pkcs12KDF derives size bytes with SHA-1 as RFC 7292, appendix B.2 defines
// (u = 20, v = 64).
func pkcs12KDF(password, salt []byte, iterations, id, size int) []byte {
	return pkcs12KDFHash(sha1.New, password, salt, iterations, id, size)
}

// pkcs12KDFHash is the RFC 7292 (appendix B.2) derivation with another hash:
// u is its output size and v its block size (64 for SHA-256, 128 for
// SHA-384 and SHA-512), as OpenSSL computes the key of a SHA-2 MAC.
func pkcs12KDFHash(newHash func() hash.Hash, password, salt []byte, iterations, id, size int) []byte {
	u, v := newHash().Size(), newHash().BlockSize()
	fill := func(src []byte) []byte {
		if len(src) == 0 {
			return nil
		}
		n := v * ((len(src) + v - 1) / v)
		out := make([]byte, n)
		for i := range out {
			out[i] = src[i%len(src)]
		}
		return out
	}
	D := make([]byte, v)
	for i := range D {
		D[i] = byte(id)
	}
	I := append(fill(salt), fill(password)...)
	out := make([]byte, 0, size+u)
	B := make([]byte, v)
	h := newHash()
	for len(out) < size {
		h.Reset()
		h.Write(D)
		h.Write(I)
		A := h.Sum(nil)
		for j := 1; j < iterations; j++ {
			h.Reset()
			h.Write(A)
			A = h.Sum(A[:0])
		}
		out = append(out, A...)
		if len(out) >= size {
			break
		}
		for j := range B {
			B[j] = A[j%u]
		}
		// I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I.
		for j := 0; j < len(I); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				x := int(I[j+k]) + int(B[k]) + carry
				I[j+k] = byte(x)
				carry = x >> 8
			}
		}
	}
	return out[:size]
}

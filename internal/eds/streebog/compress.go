package streebog

import "math/bits"

// The state of the hash is kept as eight little-endian 64-bit words: word j
// holds bytes 8j…8j+7 of the vector (RFC 6986 numbers a_63‖…‖a_0; word j is
// a_{8j+7}‖…‖a_{8j}).

// lpsx sets *out to LPS(*a ⊕ *b) (RFC 6986, section 7). out may alias a or b.
//
// Byte i of input word j lands, after S and P, in byte j of output word i;
// lps[j] already holds l applied to π of that byte in that place, so output
// word i is the XOR over j of lps[j][byte i of input word j].
func lpsx(out, a, b *[8]uint64) {
	// One input word at a time, its bytes taken from the bottom by shifting it,
	// XORed into eight accumulators: three instructions a look-up, no spills.
	t := &lps
	x := a[0] ^ b[0]
	o0 := t[0][byte(x)]
	x >>= 8
	o1 := t[0][byte(x)]
	x >>= 8
	o2 := t[0][byte(x)]
	x >>= 8
	o3 := t[0][byte(x)]
	x >>= 8
	o4 := t[0][byte(x)]
	x >>= 8
	o5 := t[0][byte(x)]
	x >>= 8
	o6 := t[0][byte(x)]
	x >>= 8
	o7 := t[0][byte(x)]
	x = a[1] ^ b[1]
	o0 ^= t[1][byte(x)]
	x >>= 8
	o1 ^= t[1][byte(x)]
	x >>= 8
	o2 ^= t[1][byte(x)]
	x >>= 8
	o3 ^= t[1][byte(x)]
	x >>= 8
	o4 ^= t[1][byte(x)]
	x >>= 8
	o5 ^= t[1][byte(x)]
	x >>= 8
	o6 ^= t[1][byte(x)]
	x >>= 8
	o7 ^= t[1][byte(x)]
	x = a[2] ^ b[2]
	o0 ^= t[2][byte(x)]
	x >>= 8
	o1 ^= t[2][byte(x)]
	x >>= 8
	o2 ^= t[2][byte(x)]
	x >>= 8
	o3 ^= t[2][byte(x)]
	x >>= 8
	o4 ^= t[2][byte(x)]
	x >>= 8
	o5 ^= t[2][byte(x)]
	x >>= 8
	o6 ^= t[2][byte(x)]
	x >>= 8
	o7 ^= t[2][byte(x)]
	x = a[3] ^ b[3]
	o0 ^= t[3][byte(x)]
	x >>= 8
	o1 ^= t[3][byte(x)]
	x >>= 8
	o2 ^= t[3][byte(x)]
	x >>= 8
	o3 ^= t[3][byte(x)]
	x >>= 8
	o4 ^= t[3][byte(x)]
	x >>= 8
	o5 ^= t[3][byte(x)]
	x >>= 8
	o6 ^= t[3][byte(x)]
	x >>= 8
	o7 ^= t[3][byte(x)]
	x = a[4] ^ b[4]
	o0 ^= t[4][byte(x)]
	x >>= 8
	o1 ^= t[4][byte(x)]
	x >>= 8
	o2 ^= t[4][byte(x)]
	x >>= 8
	o3 ^= t[4][byte(x)]
	x >>= 8
	o4 ^= t[4][byte(x)]
	x >>= 8
	o5 ^= t[4][byte(x)]
	x >>= 8
	o6 ^= t[4][byte(x)]
	x >>= 8
	o7 ^= t[4][byte(x)]
	x = a[5] ^ b[5]
	o0 ^= t[5][byte(x)]
	x >>= 8
	o1 ^= t[5][byte(x)]
	x >>= 8
	o2 ^= t[5][byte(x)]
	x >>= 8
	o3 ^= t[5][byte(x)]
	x >>= 8
	o4 ^= t[5][byte(x)]
	x >>= 8
	o5 ^= t[5][byte(x)]
	x >>= 8
	o6 ^= t[5][byte(x)]
	x >>= 8
	o7 ^= t[5][byte(x)]
	x = a[6] ^ b[6]
	o0 ^= t[6][byte(x)]
	x >>= 8
	o1 ^= t[6][byte(x)]
	x >>= 8
	o2 ^= t[6][byte(x)]
	x >>= 8
	o3 ^= t[6][byte(x)]
	x >>= 8
	o4 ^= t[6][byte(x)]
	x >>= 8
	o5 ^= t[6][byte(x)]
	x >>= 8
	o6 ^= t[6][byte(x)]
	x >>= 8
	o7 ^= t[6][byte(x)]
	x = a[7] ^ b[7]
	o0 ^= t[7][byte(x)]
	x >>= 8
	o1 ^= t[7][byte(x)]
	x >>= 8
	o2 ^= t[7][byte(x)]
	x >>= 8
	o3 ^= t[7][byte(x)]
	x >>= 8
	o4 ^= t[7][byte(x)]
	x >>= 8
	o5 ^= t[7][byte(x)]
	x >>= 8
	o6 ^= t[7][byte(x)]
	x >>= 8
	o7 ^= t[7][byte(x)]
	out[0], out[1], out[2], out[3] = o0, o1, o2, o3
	out[4], out[5], out[6], out[7] = o4, o5, o6, o7
}

var zero [8]uint64

// g is the compression function g_N(h, m) of section 8: h ← E(LPS(h ⊕ N), m) ⊕ h ⊕ m,
// where E(K, m) = X[K13]·LPSX[K12]·…·LPSX[K1](m) and K_{i+1} = LPS(K_i ⊕ C_i).
func g(h, n, m *[8]uint64) {
	var k, s [8]uint64
	lpsx(&k, h, n) // K1
	lpsx(&s, &k, m)
	for i := 0; i < 11; i++ {
		lpsx(&k, &k, &rc[i]) // K_{i+2}
		lpsx(&s, &s, &k)
	}
	lpsx(&k, &k, &rc[11]) // K13
	for i := range h {
		h[i] ^= s[i] ^ k[i] ^ m[i]
	}
}

// add512 sets *x = *x + *y mod 2^512.
func add512(x, y *[8]uint64) {
	var c uint64
	for i := range x {
		x[i], c = bits.Add64(x[i], y[i], c)
	}
}

// addBits sets *x = *x + v mod 2^512.
func addBits(x *[8]uint64, v uint64) {
	var c uint64
	x[0], c = bits.Add64(x[0], v, 0)
	for i := 1; i < len(x) && c != 0; i++ {
		x[i], c = bits.Add64(x[i], 0, c)
	}
}

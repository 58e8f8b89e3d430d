//go:build ignore

// gen_tables.go writes tables.go: the LPS lookup tables and the iteration
// constants of GOST R 34.11-2012 (Streebog), computed from the constants of the
// standard as RFC 6986, section 6, prints them.
//
//	go run gen_tables.go > tables.go
//
// TestTablesAreCurrent runs this program and fails if tables.go differs.
//
// Byte order. RFC 6986 writes a 512-bit vector as a number a_63‖…‖a_0, most
// significant byte first. The hash keeps it as eight 64-bit words w_0…w_7 with
// w_j = a_{8j+7}‖…‖a_{8j} (so the bytes of the message, of the state and of the
// digest are a_0, a_1, … in memory order, little-endian words).
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"math/big"
	"math/bits"
	"os"
)

// pi is the substitution π of section 6.1: π(i) = pi[i].
var pi = [256]byte{
	252, 238, 221, 17, 207, 110, 49, 22, 251, 196, 250, 218, 35, 197, 4, 77,
	233, 119, 240, 219, 147, 46, 153, 186, 23, 54, 241, 187, 20, 205, 95, 193,
	249, 24, 101, 90, 226, 92, 239, 33, 129, 28, 60, 66, 139, 1, 142, 79,
	5, 132, 2, 174, 227, 106, 143, 160, 6, 11, 237, 152, 127, 212, 211, 31,
	235, 52, 44, 81, 234, 200, 72, 171, 242, 42, 104, 162, 253, 58, 206, 204,
	181, 112, 14, 86, 8, 12, 118, 18, 191, 114, 19, 71, 156, 183, 93, 135,
	21, 161, 150, 41, 16, 123, 154, 199, 243, 145, 120, 111, 157, 158, 178, 177,
	50, 117, 25, 61, 255, 53, 138, 126, 109, 84, 198, 128, 195, 189, 13, 87,
	223, 245, 36, 169, 62, 168, 67, 201, 215, 121, 214, 246, 124, 34, 185, 3,
	224, 15, 236, 222, 122, 148, 176, 188, 220, 232, 40, 80, 78, 51, 10, 74,
	167, 151, 96, 115, 30, 0, 98, 68, 26, 184, 56, 130, 100, 159, 38, 65,
	173, 69, 70, 146, 39, 94, 85, 47, 140, 163, 165, 125, 105, 213, 149, 59,
	7, 88, 179, 64, 134, 172, 29, 247, 48, 55, 107, 228, 136, 217, 231, 137,
	225, 27, 131, 73, 76, 63, 248, 254, 141, 83, 170, 144, 202, 216, 133, 97,
	32, 113, 103, 164, 45, 43, 9, 91, 203, 155, 37, 208, 190, 229, 108, 82,
	89, 166, 116, 210, 230, 244, 180, 192, 209, 102, 175, 194, 57, 75, 99, 182,
}

// tau is the byte permutation τ of section 6.2.
var tau = [64]int{
	0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57,
	2, 10, 18, 26, 34, 42, 50, 58, 3, 11, 19, 27, 35, 43, 51, 59,
	4, 12, 20, 28, 36, 44, 52, 60, 5, 13, 21, 29, 37, 45, 53, 61,
	6, 14, 22, 30, 38, 46, 54, 62, 7, 15, 23, 31, 39, 47, 55, 63,
}

// matrixA holds the rows of the matrix A of section 6.3: l(b_63‖…‖b_0) is the
// XOR of matrixA[i] over the i with b_{63-i} = 1.
var matrixA = [64]uint64{
	0x8e20faa72ba0b470, 0x47107ddd9b505a38, 0xad08b0e0c3282d1c, 0xd8045870ef14980e,
	0x6c022c38f90a4c07, 0x3601161cf205268d, 0x1b8e0b0e798c13c8, 0x83478b07b2468764,
	0xa011d380818e8f40, 0x5086e740ce47c920, 0x2843fd2067adea10, 0x14aff010bdd87508,
	0x0ad97808d06cb404, 0x05e23c0468365a02, 0x8c711e02341b2d01, 0x46b60f011a83988e,
	0x90dab52a387ae76f, 0x486dd4151c3dfdb9, 0x24b86a840e90f0d2, 0x125c354207487869,
	0x092e94218d243cba, 0x8a174a9ec8121e5d, 0x4585254f64090fa0, 0xaccc9ca9328a8950,
	0x9d4df05d5f661451, 0xc0a878a0a1330aa6, 0x60543c50de970553, 0x302a1e286fc58ca7,
	0x18150f14b9ec46dd, 0x0c84890ad27623e0, 0x0642ca05693b9f70, 0x0321658cba93c138,
	0x86275df09ce8aaa8, 0x439da0784e745554, 0xafc0503c273aa42a, 0xd960281e9d1d5215,
	0xe230140fc0802984, 0x71180a8960409a42, 0xb60c05ca30204d21, 0x5b068c651810a89e,
	0x456c34887a3805b9, 0xac361a443d1c8cd2, 0x561b0d22900e4669, 0x2b838811480723ba,
	0x9bcf4486248d9f5d, 0xc3e9224312c8c1a0, 0xeffa11af0964ee50, 0xf97d86d98a327728,
	0xe4fa2054a80b329c, 0x727d102a548b194e, 0x39b008152acb8227, 0x9258048415eb419d,
	0x492c024284fbaec0, 0xaa16012142f35760, 0x550b8e9e21f7a530, 0xa48b474f9ef5dc18,
	0x70a6a56e2440598e, 0x3853dc371220a247, 0x1ca76e95091051ad, 0x0edd37c48a08a6d8,
	0x07e095624504536c, 0x8d70c431ac02a736, 0xc83862965601dd1b, 0x641c314b2b8ee083,
}

// iterC holds the iteration constants C_1…C_12 of section 6.5, as numbers.
var iterC = [12]string{
	"b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507",
	"6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b501319ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7",
	"f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7bd3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2",
	"ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353fa9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e",
	"4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbdbfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57",
	"ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e",
	"f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c90992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493",
	"9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49af4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e",
	"378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb",
	"abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b3361039fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced",
	"7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab076120018021148466798a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b",
	"378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720",
}

// vector is a 512-bit vector as its bytes a_0…a_63.
type vector [64]byte

func s(a vector) (r vector) {
	for i := range a {
		r[i] = pi[a[i]]
	}
	return r
}

// p: P(a_63‖…‖a_0) = a_τ(63)‖…‖a_τ(0), i.e. byte k of the result is a_τ(k).
func p(a vector) (r vector) {
	for k := range r {
		r[k] = a[tau[k]]
	}
	return r
}

// l applies the linear map of section 6.3 to one 64-bit word.
func l(b uint64) (r uint64) {
	for i := 0; i < 64; i++ {
		if b>>(63-i)&1 == 1 {
			r ^= matrixA[i]
		}
	}
	return r
}

// lpsWords computes L(P(S(a))) as eight little-endian words, straight from the
// definitions (L splits the vector into the words w_7‖…‖w_0 and applies l to each).
func lpsWords(a vector) (w [8]uint64) {
	v := p(s(a))
	for j := range w {
		var x uint64
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(v[8*j+i])
		}
		w[j] = l(x)
	}
	return w
}

func main() {
	// S acts bytewise and L∘P is linear, so LPS(a) is the XOR over the bytes of a of
	// L(P(π(byte) in its place, zero elsewhere)). P moves byte i of word j to byte j
	// of word i, so input word j contributes to output word i only through its
	// byte i, and the contribution is l(π(x) << 8j) whatever i is: table[j][x].
	var table [8][256]uint64
	for j := 0; j < 8; j++ {
		for x := 0; x < 256; x++ {
			table[j][x] = l(uint64(pi[x]) << (8 * j))
		}
	}
	// Cross-check every entry against the literal definitions: a vector with
	// byte x at position 8j+i (and bytes whose image under π is zero elsewhere)
	// must give table[j][x] in word i.
	var zeroPre byte // π(zeroPre) = 0
	for i, v := range pi {
		if v == 0 {
			zeroPre = byte(i)
		}
	}
	for j := 0; j < 8; j++ {
		for i := 0; i < 8; i++ {
			for x := 0; x < 256; x++ {
				var a vector
				for k := range a {
					a[k] = zeroPre
				}
				a[8*j+i] = byte(x)
				w := lpsWords(a)
				for o := range w {
					want := uint64(0)
					if o == i {
						want = table[j][x]
					}
					if w[o] != want {
						fmt.Fprintf(os.Stderr, "gen_tables: table[%d][%d] disagrees with L(P(S(·)))\n", j, x)
						os.Exit(1)
					}
				}
			}
		}
	}

	var c [12][8]uint64
	for r, h := range iterC {
		n, ok := new(big.Int).SetString(h, 16)
		if !ok || len(h) != 128 {
			fmt.Fprintf(os.Stderr, "gen_tables: bad C_%d\n", r+1)
			os.Exit(1)
		}
		mask := new(big.Int).SetUint64(^uint64(0))
		for j := range c[r] {
			c[r][j] = new(big.Int).And(new(big.Int).Rsh(n, uint(64*j)), mask).Uint64()
		}
	}

	// The AVX-512 compression (compress_amd64.s) computes LPS on the whole
	// state in one register: S with VPERMI2B from pi, then L∘P with GF2P8AFFINEQB.
	// After S, lane j of the register holds byte j of each word of P(S(x)); byte
	// o of l(w) is the XOR over k of an 8×8 bit matrix A(o, k) applied to byte k
	// of w, so output lane o is the XOR over d of A(o, o+d mod 8) applied to lane
	// o+d mod 8: the register rotated by d lanes, then affine[d] (lane o holding
	// A(o, o+d mod 8)). The code keeps values transposed (rotIdx below), so the
	// result of this is already the transposed LPS(x).
	var affine [8][8]uint64
	for d := range affine {
		for o := range affine[d] {
			affine[d][o] = affineBlock(o, (o+d)%8)
		}
	}
	// Cross-check: L(P(S(·))) of random-looking words from the bytes of the
	// affine model equals the tables.
	for trial := uint64(1); trial < 200; trial++ {
		var in [8]uint64
		for j := range in {
			in[j] = (trial*0x9e3779b97f4a7c15 + uint64(j)*0xbf58476d1ce4e5b9) ^ (trial << (j * 7))
		}
		var want [8]uint64
		for i := range want {
			for j := range in {
				want[i] ^= table[j][byte(in[j]>>(8*i))]
			}
		}
		// lane[j] after S: byte i = π(byte j of word i)... in the register, lane j
		// byte i is π(byte i of word j): the words of S(x) as they are.
		var lane [8]uint64
		for j := range lane {
			for i := 0; i < 8; i++ {
				lane[j] |= uint64(pi[byte(in[j]>>(8*i))]) << (8 * i)
			}
		}
		var acc [8]uint64
		for d := range affine {
			for o := range acc {
				acc[o] ^= gf2p8affine(lane[(o+d)%8], affine[d][o])
			}
		}
		var got [8]uint64 // transpose: word i byte o = acc lane o byte i
		for i := range got {
			for o := 0; o < 8; o++ {
				got[i] |= (acc[o] >> (8 * i) & 0xff) << (8 * o)
			}
		}
		if got != want {
			fmt.Fprintf(os.Stderr, "gen_tables: the affine model of LPS disagrees with the tables\n")
			os.Exit(1)
		}
	}

	var b bytes.Buffer
	b.WriteString("// Code generated by gen_tables.go from the constants of GOST R 34.11-2012 (RFC 6986, section 6); DO NOT EDIT.\n\n")
	b.WriteString("package streebog\n\n")
	b.WriteString("// lps[j][x] is the contribution of byte x, found in byte i of word j of the\n")
	b.WriteString("// input, to word i of L(P(S(input))): l(π(x) << 8j) (the same for every i).\n")
	b.WriteString("var lps = [8][256]uint64{\n")
	for j := range table {
		b.WriteString("\t{\n")
		for x := 0; x < 256; x += 4 {
			fmt.Fprintf(&b, "\t\t0x%016x, 0x%016x, 0x%016x, 0x%016x,\n", table[j][x], table[j][x+1], table[j][x+2], table[j][x+3])
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// rc[r] is the iteration constant C_{r+1} as little-endian 64-bit words.\n")
	b.WriteString("var rc = [12][8]uint64{\n")
	for r := range c {
		fmt.Fprintf(&b, "\t{0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x},\n",
			c[r][0], c[r][1], c[r][2], c[r][3], c[r][4], c[r][5], c[r][6], c[r][7])
	}
	b.WriteString("}\n\n")
	b.WriteString("// piTab is π (section 6.1), the four 64-byte VPERMI2B tables of the AVX-512 code.\n")
	b.WriteString("var piTab = [256]byte{\n")
	for x := 0; x < 256; x += 16 {
		b.WriteString("\t")
		for i := x; i < x+16; i++ {
			fmt.Fprintf(&b, "%d, ", pi[i])
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// affine[d][o] is the GF2P8AFFINEQB matrix of the 8×8 block of l that maps\n")
	b.WriteString("// byte (o+d) mod 8 of a word to byte o of its image.\n")
	b.WriteString("var affine = [8][8]uint64{\n")
	for d := range affine {
		a := affine[d]
		fmt.Fprintf(&b, "\t{0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x},\n",
			a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
	}
	b.WriteString("}\n\n")
	b.WriteString("// The AVX-512 code keeps 512-bit values transposed, as 8×8 byte matrices: lane\n")
	b.WriteString("// j byte i is byte j of word i. rotIdx[d] is the VPERMB index that takes T(S(x))\n")
	b.WriteString("// to the words of S(x) rotated by d lanes; rotIdx[0] is the transposition.\n")
	b.WriteString("var rotIdx = [8][64]byte{\n")
	for d := 0; d < 8; d++ {
		b.WriteString("\t{")
		for o := 0; o < 8; o++ {
			for i := 0; i < 8; i++ {
				fmt.Fprintf(&b, "%d, ", 8*i+(o+d)%8)
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// rcT[r] is C_{r+1} transposed.\n")
	b.WriteString("var rcT = [12][8]uint64{\n")
	for r := range c {
		var t [8]uint64
		for j := 0; j < 8; j++ {
			for i := 0; i < 8; i++ {
				t[j] |= (c[r][i] >> (8 * j) & 0xff) << (8 * i)
			}
		}
		fmt.Fprintf(&b, "\t{0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x, 0x%016x},\n",
			t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7])
	}
	b.WriteString("}\n")

	out, err := format.Source(b.Bytes())
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen_tables: %v\n", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

// affineBlock is the GF2P8AFFINEQB matrix of the block of l from byte k of the
// input word to byte o of the output: bit t of byte 7-i is the coefficient of
// input bit t in output bit i.
func affineBlock(o, k int) (m uint64) {
	for t := 0; t < 8; t++ {
		col := l(1<<(8*k+t)) >> (8 * o) & 0xff
		for i := 0; i < 8; i++ {
			if col>>i&1 == 1 {
				m |= 1 << (8*(7-i) + t)
			}
		}
	}
	return m
}

// gf2p8affine is GF2P8AFFINEQB (immediate 0) on one 64-bit lane, as the Intel
// SDM defines it: bit i of result byte b is the parity of matrix byte 7-i AND
// byte b of x.
func gf2p8affine(x, matrix uint64) (r uint64) {
	for b := 0; b < 8; b++ {
		xb := byte(x >> (8 * b))
		for i := 0; i < 8; i++ {
			row := byte(matrix >> (8 * (7 - i)))
			if bits.OnesCount8(row&xb)&1 == 1 {
				r |= 1 << (8*b + i)
			}
		}
	}
	return r
}

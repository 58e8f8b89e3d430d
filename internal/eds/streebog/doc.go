// Package streebog implements the hash function GOST R 34.11-2012 "Streebog"
// (RFC 6986) with 512-bit and 256-bit outputs, table-driven: the LPS
// transformation of a 512-bit state is 64 look-ups in eight tables of 256
// 64-bit words, generated from the constants of the standard by gen_tables.go.
// On amd64 the compression function is generated assembly (gen_asm.go): where
// the CPU has AVX-512 with VBMI and GFNI it works on the whole 512-bit state in
// one register (π by VPERMI2B, L∘P by eight VPERMB and GF2P8AFFINEQB), with the
// key schedule and the state as two interleaved chains and the blocks of one
// Write in one loop; elsewhere it runs the table look-ups on general-purpose
// registers. The build tag purego selects the Go code.
//
// The hashes are hash.Hash values that also implement hash.Cloner,
// encoding.BinaryMarshaler, encoding.BinaryAppender and
// encoding.BinaryUnmarshaler, like the standard library's. Digests are byte
// strings in the order of OpenSSL, gogost, go-cryptobin and Kalkan: RFC 6986
// prints messages and hash codes as numbers, i.e. reversed.
//
// The package is checked against the RFC 6986 and gost-engine test vectors and,
// differentially, against go-cryptobin's implementation, which Senim used before
// and still can use (package edsfast, SENIM_STREEBOG=reference).
package streebog

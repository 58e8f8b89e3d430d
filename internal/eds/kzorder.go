package eds

import (
	"errors"
	"math/big"
)

// This file is the only place that knows the Kazakh (KNCA / Kalkan) byte order
// of GOST values. It is the same in certificates, CRLs, CMS and XML signatures:
//
//   - signature  = r little-endian || s little-endian, each half the size of q;
//   - digest     = the raw hash output, read as a little-endian integer;
//   - public key = x little-endian || y little-endian, inside an OCTET STRING
//     inside the SubjectPublicKeyInfo BIT STRING;
//   - private key (2015) = OCTET STRING holding a little-endian scalar;
//     private key (2004) = INTEGER (ordinary big-endian DER).
//
// Everything outside this file works with *big.Int.

// leInt reads b as an unsigned little-endian integer.
func leInt(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, v := range b {
		be[len(b)-1-i] = v
	}
	return new(big.Int).SetBytes(be)
}

// leBytes writes x as an unsigned little-endian integer of exactly size bytes.
// x must be non-negative and fit.
func leBytes(x *big.Int, size int) []byte {
	b := x.FillBytes(make([]byte, size))
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

var errKZLength = errors.New("wrong length")

// kzSignatureToRS splits a Kazakh GOST signature into r and s.
func kzSignatureToRS(sig []byte, size int) (r, s *big.Int, err error) {
	if len(sig) != 2*size {
		return nil, nil, errKZLength
	}
	return leInt(sig[:size]), leInt(sig[size:]), nil
}

// kzSignatureFromRS encodes r and s as a Kazakh GOST signature.
func kzSignatureFromRS(r, s *big.Int, size int) []byte {
	return append(leBytes(r, size), leBytes(s, size)...)
}

// kzDigestToInt reads a hash output as the GOST integer alpha.
func kzDigestToInt(digest []byte) *big.Int { return leInt(digest) }

// kzPublicKeyToXY splits the content of the public key OCTET STRING.
func kzPublicKeyToXY(raw []byte, size int) (x, y *big.Int, err error) {
	if len(raw) != 2*size {
		return nil, nil, errKZLength
	}
	return leInt(raw[:size]), leInt(raw[size:]), nil
}

// kzPublicKeyFromXY encodes a point as the content of the public key OCTET STRING.
func kzPublicKeyFromXY(x, y *big.Int, size int) []byte {
	return append(leBytes(x, size), leBytes(y, size)...)
}

// kzPrivateScalar2015 reads the content of a GOST 2015 private key OCTET STRING.
func kzPrivateScalar2015(raw []byte) *big.Int { return leInt(raw) }

// kzPrivateBytes2015 encodes a GOST 2015 private scalar as the content of its
// OCTET STRING.
func kzPrivateBytes2015(d *big.Int, size int) []byte { return leBytes(d, size) }

// Package gostfast verifies GOST R 34.10-2012 (GOST R 34.10-2015 in
// Kazakhstan) signatures fast enough for a service that checks every
// incoming Kazakh signature. On the NCA's 512-bit curve one verification took
// 0.28–0.29 ms on the project's 2-core AMD EPYC machine (about 3,500 per
// second per core), against 12–14 ms for go-cryptobin and 0.51–0.56 ms for
// Go's own crypto/ecdsa P-384 in the same run (go test -bench . -count 5; the
// benchmarks are in bench_test.go).
//
// # What is implemented
//
// Verification only, for three curves:
//
//   - Tc26512A, id-tc26-gost-3410-12-512-paramSetA (RFC 7836), the curve of
//     every NCA key issued since April 2024 (Kazakh OIDs 1.2.398.3.10.1.1.2.2
//     and .2.2.1). This is the fast path: a fixed-size field for
//     p = 2^512 − 569 (eight 64-bit limbs, math/bits carry chains, unrolled
//     schoolbook multiplication and squaring with the pseudo-Mersenne fold
//     2^512 ≡ 569; see fe512.go and gen_fe512.py), Jacobian coordinates with
//     the a = −3 doubling, and u1·G + u2·Q by interleaved wNAF (width 8 over
//     a precomputed affine table of 64 odd multiples of G, width 5 over a
//     per-call table of Q). There is no inversion mod p (the only one is
//     e⁻¹ mod q, with math/big): x(C) mod q = r is checked as X ≡ r·Z² or
//     X ≡ (r + q)·Z² (mod p).
//   - PublicKey512 (NewPublicKey512, NewPublicKey512KZ): the same check with
//     tables precomputed once for a key that verifies many signatures, such
//     as the NCA's CA keys. Both scalars are split into 256-bit halves over
//     tables of G, 2^256·G, Q and 2^256·Q (width 6 for the key), so a
//     verification needs 256 doublings instead of 512: 0.16 ms instead of
//     0.28 ms, for a one-time cost of about 0.4 ms. The package keeps no
//     cache of its own: the caller decides which keys to keep.
//   - Tc26256A (id-tc26-gost-3410-2012-256-paramSetA) and CryptoProA
//     (id-GostR3410-2001-CryptoPro-A-ParamSet, the curve of the NCA's legacy
//     GOST 34.310-2004 keys) through a generic math/big Jacobian path with
//     the same API and checks. It is no faster than go-cryptobin (about
//     2.8 ms against 3.1 ms): these curves were not the target.
//
// Verify works on integers, so byte order is the caller's business; VerifyKZ
// takes the Kazakh encodings (public key x LE ‖ y LE, digest read as a
// little-endian integer, signature r LE ‖ s LE). Hashing is not part of this
// package: the caller passes the Streebog (or GOST 34.311-95) digest.
//
// Verify rejects, and never panics on: r or s outside [1, q−1]; a key that is
// not an affine point of the curve with coordinates in [0, p) (which includes
// the usual (0, 0) encoding of the point at infinity); a check point at
// infinity; wrong lengths in VerifyKZ. NewPublicKey512 reports a bad key as
// an error wrapping ErrInvalidPublicKey (code "eds.gost.invalid_public_key").
// A digest e ≡ 0 (mod q) is replaced by
// 1, as the standard says. Public keys are not checked for membership in the
// prime-order subgroup: on Tc26512A and CryptoProA (cofactor 1) every curve
// point is in it; on Tc26256A (cofactor 4) this matches go-cryptobin and the
// standard's verification procedure, and key validation belongs to the
// certificate layer.
//
// # The constant-time boundary
//
// Everything here is variable-time: table look-ups indexed by scalar digits,
// branches on carries and on special points. That is safe only because
// verification handles public values alone — the public key, the digest and
// the signature. This package has no signing code and must never get any.
// Signing, key generation and anything else that touches a private key or a
// nonce go through package eds over library arithmetic: crypto/elliptic's
// generic CurveParams on the curves with a = −3 (tc26-512 paramSetA, CryptoPro
// A), go-cryptobin's (github.com/deatil/go-cryptobin/pubkey/gost) on the others.
// That is not constant-time either — math/big double-and-add, a branch per
// scalar bit. eds gives it every
// nonce at one fixed length, so the loop turns as often for every nonce, but the
// number of additions still follows the nonce (eds.gostSignWithK,
// docs/security.md); a constant-time GOST signer is not in the project.
//
// # How it was checked
//
// All the checks below run the fast path, PublicKey512 and the generic path
// side by side where they apply:
//
//   - The two examples of GOST R 34.10-2012 appendix A (RFC 7091 section 7),
//     on their test curves, through the generic path.
//   - Every signature in the NCA test PKI (testdata/nca-gost2022): the
//     self-signed root, the intermediate, every leaf certificate and the
//     CRL, with Streebog-512 over the TBS bytes, plus bit flips of each.
//   - Differential tests against go-cryptobin and the math/big path on random
//     keys, digests and signatures, valid and corrupted (bit flips, other
//     key, r or s zero or ≥ q, r and s swapped, keys off the curve): 2,000
//     cases on the 512-bit curve and 500 on each 256-bit curve in a normal
//     run, 100,000 and 20,000 with SENIM_LONG=1 (the 100,000-case 512-bit
//     run passed: 27,177 of the cases were valid signatures).
//   - Field arithmetic against math/big on edge and random values, and the
//     double-scalar multiplication against math/big as points for edge
//     scalars (0, 1, q ± 1, powers of two) and keys ±G, which drives the
//     doubling and infinity branches.
//   - Crafted signatures for the branches random data never reaches:
//     u1·G = u2·Q (go-cryptobin's final affine addition divides by zero
//     there and rejects a valid signature; this package accepts it), a check
//     point at infinity, and a check point with x ≥ q.
//   - FuzzVerifyDifferential, a native fuzz test comparing VerifyKZ with
//     go-cryptobin and the math/big path on arbitrary inputs, including
//     signatures the harness makes from fuzzed keys and nonces.
package gostfast

// Package eds verifies and makes the electronic digital signatures (EDS) used in
// Kazakhstan's public-key infrastructure: GOST R 34.10-2015 (512- and 256-bit),
// the legacy GOST 34.310-2004, and the international RSA, ECDSA and Ed25519.
//
// Every algorithm is found by the OID of its signature AlgorithmIdentifier
// (LookupSignatureAlgorithm), public keys are parsed from a DER
// SubjectPublicKeyInfo (ParsePublicKey), and one pair of functions verifies
// them all (VerifySignature over a message, VerifyDigest over a precomputed
// digest). The Kazakh byte order of GOST keys, digests and signatures is
// converted in a single file, kzorder.go.
//
// GOST verification goes through a registry keyed by signature OID
// (SetGOSTVerifier), so a faster verifier can replace the default one, built on
// github.com/deatil/go-cryptobin, without changing callers.
//
// Errors carry a stable dotted code (see Error and Code) for the API layer.
package eds

// Package pki reads Kazakh (NCA) certificates and decides whether they can be trusted at
// a given moment.
//
// It has four parts, each usable alone:
//
//   - Info extracts what a certificate says about its holder in the Kazakh profile (IIN,
//     BIN, names, roles from extended key usages, policies, NCANode-style key usage).
//   - ParseCRL is a tolerant CRL parser: crypto/x509.ParseRevocationList rejects the NCA's
//     CRLs because their inner and outer signature AlgorithmIdentifiers differ in a NULL
//     parameter. It handles full and delta CRLs.
//   - Validator builds a chain from a leaf to a configured trust anchor by issuer name and
//     key identifiers (never crypto/x509.Certificate.Verify, which cannot check GOST
//     signatures), checks every signature through package eds, the validity period of every
//     certificate at the requested time, and revocation by CRL and OCSP. Each check is
//     reported separately in a Result. Revocation at a past time is judged from evidence
//     that speaks for that time and was issued while the certificate was valid (a CA
//     drops expired certificates from its CRLs); without such evidence the status is
//     unknown, never good, and the check names the evidence that decided or was set aside.
//   - OCSPChecker asks an OCSP responder with a SHA-256 CertID and the NCA's double-wrapped
//     8-byte nonce, checks the answer's signature, nonce echo and freshness, and caches it.
//
// Only configured trust anchors are trusted. The NCA test keys are public; trusting them
// outside a sandbox would let anyone sign as anyone.
//
// Every error that can reach a client wraps one of the sentinel *Error values, whose Code
// is a stable dotted string (eds.cert.revoked, eds.crl.stale, ...); see Code.
package pki

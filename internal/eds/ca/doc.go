// Package ca is the sandbox certification authority: it issues certificates in the
// profile of Kazakhstan's National Certification Authority (NCA) to demo citizens,
// organizations and information systems, and publishes CRLs and OCSP answers for them.
// It runs inside `senim serve --sandbox` and as `senim ca ...` (see Command) for a
// private test PKI. Nothing it issues may ever be trusted in production.
//
// # Hierarchies
//
// Two independent hierarchies, each a self-signed root and one issuing intermediate,
// as the NCA has them:
//
//	gost2015-root  SANDBOX ROOT CA (GOST 2015) - NOT FOR PRODUCTION
//	gost2015-ca    SANDBOX ISSUING CA (GOST 2015) - NOT FOR PRODUCTION
//	p256-root      SANDBOX ROOT CA (ECDSA P-256) - NOT FOR PRODUCTION
//	p256-ca        SANDBOX ISSUING CA (ECDSA P-256) - NOT FOR PRODUCTION
//
// GOST R 34.10-2015 512-bit with Streebog-512 (what the NCA issues since 2024) is the
// default; ECDSA P-256 serves clients without GOST. Mixed chains would make every
// validation of a P-256 leaf pay for a GOST verification, so the two stay apart.
// GOST certificates, CRLs and OCSP responses cannot be made by crypto/x509, so this
// package encodes every TBS structure with encoding/asn1 and signs it through package
// eds (Kazakh byte order); the same code path serves P-256.
//
// # Certificate profile
//
// Compared with the NCA test leaves (testdata/nca-gost2022/leaf): subject
// CN=SURNAME NAME, SURNAME, SERIALNUMBER=IIN…, C=KZ, [O=…, OU=BIN…], GIVENNAME=patronymic;
// information systems add DC=ROLE02 and businessCategory (the system name here). EKUs
// emailProtection plus 1.2.398.3.3.4.1.1 (individual), 1.2.398.3.3.4.1.2 and the role
// (4.1.2.1 CEO … 4.1.2.5 employee) for organizations, 1.2.398.3.3.4.1.2 and
// 1.2.398.3.3.4.1.2.6 for information systems (see pki.RoleInformationSystem); policy 1.2.398.3.3.2; key usage
// digitalSignature, nonRepudiation, keyAgreement (critical); SKI, AKI, CRL distribution
// point, AIA (OCSP and caIssuers) and the NCA's key-store-type extension 1.2.398.3.3.5.
// Leaves live 365 days. Serial numbers are a persistent counter in the upper bits and
// 64 random bits below.
//
// # URLs
//
// Handler and Register serve, under Prefix (/sandbox/ca), where <ca> is one of the
// names above:
//
//	GET  /sandbox/ca/                 JSON index of the authorities and their URLs
//	GET  /sandbox/ca/cert/<ca>.cer    CA certificate, DER (application/pkix-cert; immutable)
//	GET  /sandbox/ca/crl/<ca>.crl     full CRL, DER (application/pkix-crl; no-cache),
//	                                  nextUpdate = thisUpdate + 24 h, remade every 12 h
//	                                  and after each revocation
//	POST /sandbox/ca/ocsp             OCSP, body application/ocsp-request (RFC 6960)
//	GET  /sandbox/ca/ocsp/<base64>    OCSP, request in the path (RFC 6960, appendix A.1)
//
// One OCSP URL serves every authority: the CertID (SHA-1 or SHA-256) selects the issuer,
// which signs the answer itself (responder ID by name). The nonce extension
// (1.3.6.1.5.5.7.48.1.2) is echoed as received, so the NCA's double-wrapped 8-byte nonce
// comes back unchanged. Answers are good, revoked (with time and reason) or unknown
// (never issued here); thisUpdate is now and nextUpdate an hour later.
//
//	POST /sandbox/ca/tsa              RFC 3161 time-stamping (package tsp's Handler),
//	                                  application/timestamp-query, by the first
//	                                  hierarchy's TSA (GOST 2015 by default)
//	POST /sandbox/ca/tsa/<alg>        the same by the TSA of hierarchy gost2015 or p256
//
// Each hierarchy has a TSA certificate (<alg>-tsa, 5 years, issued by the intermediate,
// critical timeStamping EKU). It grants the NCA policies 1.2.398.3.3.2.6.4 (default),
// .6.1 and .6.2 alike; the policy OID is only a label here. TSA gives the same TSA as a
// tsp.TSAConfig for in-process use (tsp.Local).
//
// # Storage
//
// Open keeps everything in one directory (mode 0700; files 0600, refused if others can
// read them): each authority's and TSA's certificate (<name>.cer, DER) and key
// (<name>.key, PEM PKCS#8), and state.json with the serial counter, CRL numbers and one record per issued
// certificate (serial, issuer, kind, expiry, revocation — no names or IINs). Keys of
// issued certificates are not kept: they are returned once, in Issued.
package ca

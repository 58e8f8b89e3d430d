// Package cms makes and verifies the CMS (PKCS#7) signatures of Kazakh electronic
// documents: CAdES-BES (signed attributes contentType, messageDigest, signingTime and
// signing-certificate-v2) and CAdES-T (an RFC 3161 signature time-stamp), attached or
// detached, with any number of signers, GOST 2015 in the Kazakh byte order as well as
// RSA and ECDSA.
//
// Sign makes a CMS; AddSigner adds a signer to an existing one and keeps every earlier
// signer byte-for-byte, time-stamps included; Verify checks every signer (signature,
// message digest, signing certificate, chain, revocation, time-stamp); Extract returns
// the signed content.
//
// Verification happens at the time the signature is proven to have existed: the genTime
// of a valid signature time-stamp, else now. A signature time-stamped while its
// certificate was valid therefore stays valid after the certificate expires or is
// revoked later — what NCANode's users have long asked for.
//
// Input in BER (NCALayer and KalkanCrypt write indefinite lengths and chunked OCTET
// STRINGs) is read; output is DER. For a BER input, AddSigner keeps the earlier
// signers in their DER form (the same values, and the same signed bytes).
//
// The signing-certificate-v2 attribute uses SHA-256 (the RFC 5035 default) for every
// key type. Whether the NCA's own tools put Streebog there was not confirmed; Verify
// accepts any digest package eds knows, and the v1 attribute (SHA-1) too.
//
// For NCANode's /cms/verify: each SignerResult is one element of "signers";
// "certificates" is CertInfo (and the CertInfo of each certificate of Chain.Chain),
// its "valid" is Valid and its "revocations" come from Chain.CRL and Chain.OCSP; "tsp"
// is TimeStampInfo (serialNumber = SerialNumber, genTime = GenTime, policy = Policy,
// tsa = TSA, tspHashAlgorithm = HashAlgorithm, hash = Hash).
//
// Errors carry stable codes (eds.cms.*, eds.tsp.*, eds.cert.*), see eds.Code.
package cms

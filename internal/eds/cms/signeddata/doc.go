// Package signeddata reads and writes CMS SignedData (RFC 5652) at the level of its
// ASN.1 structures: a BER-tolerant parser, a DER writer, signer infos with signed and
// unsigned attributes, and the checks of one signer's message digest and signature
// through package eds (GOST in the Kazakh byte order, RSA, ECDSA, Ed25519).
//
// It is the shared core of package cms (CAdES signatures) and package tsp (RFC 3161
// time-stamp tokens, which are SignedData too); applications use those two packages.
package signeddata

import "github.com/senimkz/senim/internal/eds"

// Errors with stable codes (see eds.Code). They are returned wrapped; test them with
// errors.Is. Package cms re-exports them.
var (
	// ErrMalformed: the input is not a well-formed CMS structure (truncated, garbage,
	// wrong types).
	ErrMalformed = eds.NewError("eds.cms.malformed", "cms: malformed CMS")
	// ErrUnsupported: a well-formed CMS that uses something this package does not
	// handle (a content type other than SignedData, an unknown algorithm OID).
	ErrUnsupported = eds.NewError("eds.cms.unsupported", "cms: unsupported CMS feature or algorithm")
	// ErrDigestMismatch: the messageDigest attribute is not the digest of the content.
	ErrDigestMismatch = eds.NewError("eds.cms.digest_mismatch", "cms: content does not match the signed digest")
	// ErrSignatureInvalid: the signer's signature does not verify.
	ErrSignatureInvalid = eds.NewError("eds.cms.signature_invalid", "cms: signature is invalid")
	// ErrNoSigners: the SignedData has no signer.
	ErrNoSigners = eds.NewError("eds.cms.no_signers", "cms: no signers")
	// ErrSignerCertMissing: the signer's certificate is not in the CMS.
	ErrSignerCertMissing = eds.NewError("eds.cms.signer_certificate_missing", "cms: the signer's certificate is not in the CMS")
	// ErrSigningCertMismatch: the signing-certificate(-v2) attribute names another certificate.
	ErrSigningCertMismatch = eds.NewError("eds.cms.signing_certificate_mismatch", "cms: signing-certificate attribute does not match the signer's certificate")
	// ErrBadAttributes: signed attributes are missing or inconsistent (contentType,
	// messageDigest).
	ErrBadAttributes = eds.NewError("eds.cms.bad_attributes", "cms: signed attributes are missing or inconsistent")
)

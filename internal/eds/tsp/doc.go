// Package tsp is RFC 3161 time-stamping for Kazakh signatures: requests with a
// Streebog-512 (NCA policy 1.2.398.3.3.2.6.4) or SHA-2 message imprint, the server core
// of a time-stamping authority (Respond, Handler), a client (Client) and the parsing and
// verification of time-stamp tokens (ParseToken, VerifyToken).
//
// A token is a CMS SignedData whose content is a TSTInfo; it is read and written
// through package cms/signeddata, so GOST 2015 TSA keys work like RSA and ECDSA ones.
//
// Errors carry stable codes (eds.tsp.*), see eds.Code.
package tsp

import (
	"encoding/asn1"

	"github.com/senimkz/senim/internal/eds"
)

// NCA time-stamping policies (NCANode's tsaPolicy names in brackets).
var (
	OIDPolicyGOST     = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 6, 1} // TSA_GOST_POLICY
	OIDPolicyGOSTGT   = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 6, 2} // TSA_GOSTGT_POLICY
	OIDPolicyGOST2015 = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 6, 4} // TSA_GOST2015_POLICY, the default
)

// OIDExtKeyUsageTimeStamping is id-kp-timeStamping; a TSA certificate must carry it, alone
// and critical (RFC 3161, section 2.3).
var OIDExtKeyUsageTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

// PolicyByName maps NCANode's tsaPolicy names to OIDs.
var PolicyByName = map[string]asn1.ObjectIdentifier{
	"TSA_GOST_POLICY":     OIDPolicyGOST,
	"TSA_GOSTGT_POLICY":   OIDPolicyGOSTGT,
	"TSA_GOST2015_POLICY": OIDPolicyGOST2015,
}

// Errors with stable codes. They are returned wrapped; test them with errors.Is.
var (
	// ErrMalformed: a request, response or token that does not parse.
	ErrMalformed = eds.NewError("eds.tsp.malformed", "tsp: malformed time-stamp data")
	// ErrInvalid: the token does not verify (signature, digest, signing certificate,
	// content type).
	ErrInvalid = eds.NewError("eds.tsp.invalid", "tsp: time-stamp token is invalid")
	// ErrImprintMismatch: the token time-stamps other data.
	ErrImprintMismatch = eds.NewError("eds.tsp.imprint_mismatch", "tsp: time-stamp is not over this data")
	// ErrNonceMismatch: the response does not echo the request's nonce.
	ErrNonceMismatch = eds.NewError("eds.tsp.nonce_mismatch", "tsp: time-stamp nonce does not match the request")
	// ErrPolicyMismatch: the token's policy is not the requested one.
	ErrPolicyMismatch = eds.NewError("eds.tsp.policy_mismatch", "tsp: time-stamp policy is not the requested one")
	// ErrRejected: the TSA answered with a status other than granted.
	ErrRejected = eds.NewError("eds.tsp.rejected", "tsp: the time-stamping authority rejected the request")
	// ErrTSACertificate: the TSA certificate is missing or lacks the critical
	// timeStamping extended key usage.
	ErrTSACertificate = eds.NewError("eds.tsp.bad_tsa_certificate", "tsp: the TSA certificate is not a time-stamping certificate")
	// ErrUntrusted: the TSA certificate does not validate (chain, validity, revocation).
	ErrUntrusted = eds.NewError("eds.tsp.untrusted", "tsp: the TSA certificate is not trusted")
	// ErrUnavailable: the TSA could not be reached or answered badly over HTTP.
	ErrUnavailable = eds.NewError("eds.tsp.unavailable", "tsp: time-stamping authority unavailable")
	// ErrUnsupported: an unknown hash algorithm or policy.
	ErrUnsupported = eds.NewError("eds.tsp.unsupported", "tsp: unsupported algorithm or policy")
)

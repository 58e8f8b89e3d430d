package pki

import "github.com/senimkz/senim/internal/eds"

// Code returns the stable code of the first coded error in err's chain (e.g.
// "eds.cert.revoked"), or "" if there is none. The sentinels below are *eds.Error values,
// so one errors.As finds the code of any EDS error.
func Code(err error) string { return eds.Code(err) }

// Sentinel errors. Their codes never change.
var (
	// Certificates and chains.
	ErrUntrusted        = eds.NewError("eds.cert.untrusted", "certificate does not chain to a configured trust anchor")
	ErrCertSignature    = eds.NewError("eds.cert.signature_invalid", "certificate signature is invalid")
	ErrNotCA            = eds.NewError("eds.cert.not_ca", "issuer is not allowed to issue certificates")
	ErrExpired          = eds.NewError("eds.cert.expired", "certificate has expired")
	ErrNotYetValid      = eds.NewError("eds.cert.not_yet_valid", "certificate is not yet valid")
	ErrRevoked          = eds.NewError("eds.cert.revoked", "certificate is revoked")
	ErrMalformedCert    = eds.NewError("eds.cert.malformed", "certificate is malformed")
	ErrUnknownAlgorithm = eds.NewError("eds.cert.unknown_algorithm", "signature algorithm is not supported")

	// CRLs.
	ErrMalformedCRL    = eds.NewError("eds.crl.malformed", "CRL is malformed")
	ErrCRLMissing      = eds.NewError("eds.crl.missing", "no CRL is configured for the issuer")
	ErrCRLStale        = eds.NewError("eds.crl.stale", "CRL is not current for the requested time")
	ErrCRLSignature    = eds.NewError("eds.crl.signature_invalid", "CRL signature is invalid")
	ErrCRLDeltaMissing = eds.NewError("eds.crl.delta_base_mismatch", "delta CRL does not apply to the base CRL")
	// ErrCRLNotCovered: CRLs speak for the requested time, but none was issued while the
	// certificate was valid (nor keeps expired certificates), so none can tell its status:
	// an expired certificate leaves the CRL. Supply a CRL issued before it expired.
	ErrCRLNotCovered = eds.NewError("eds.crl.not_covered", "no CRL that speaks for the requested time covers the certificate")

	// OCSP.
	ErrOCSPUnavailable = eds.NewError("eds.ocsp.unavailable", "OCSP responder is unavailable")
	ErrOCSPMalformed   = eds.NewError("eds.ocsp.malformed", "OCSP response is malformed")
	ErrOCSPSignature   = eds.NewError("eds.ocsp.signature_invalid", "OCSP response signature is invalid")
	ErrOCSPResponder   = eds.NewError("eds.ocsp.unauthorized_responder", "OCSP responder is not authorized by the issuer")
	ErrOCSPNonce       = eds.NewError("eds.ocsp.nonce_mismatch", "OCSP response does not echo the request nonce")
	ErrOCSPStale       = eds.NewError("eds.ocsp.stale", "OCSP response is not fresh")
	ErrOCSPStatus      = eds.NewError("eds.ocsp.error_status", "OCSP responder returned an error status")
	ErrOCSPUnknownCert = eds.NewError("eds.ocsp.unknown_cert", "OCSP responder does not know the certificate")
	ErrOCSPNoURL       = eds.NewError("eds.ocsp.no_url", "no OCSP URL in the certificate or the configuration")
	// ErrOCSPNotCovered: a good answer produced after the certificate expired, from a
	// responder that keeps no archive reaching back to the expiry (archive cutoff).
	ErrOCSPNotCovered = eds.NewError("eds.ocsp.not_covered", "OCSP answer does not cover the expired certificate")
	// ErrOCSPNotIssued: RFC 6960's marker (revoked at 1970-01-01, certificateHold) for a
	// serial number the CA never issued.
	ErrOCSPNotIssued = eds.NewError("eds.ocsp.not_issued", "OCSP responder says the certificate was never issued")
)

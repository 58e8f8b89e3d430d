package pki

import "errors"

// Error is a sentinel error with a stable, dotted code that the API layer renders in
// problem+json. Errors returned by this package wrap one of the values below; find it with
// errors.Is or errors.As, or read the code with Code.
type Error struct {
	code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// Code returns the stable code, e.g. "eds.cert.revoked".
func (e *Error) Code() string { return e.code }

// Code returns the stable code of the first *Error wrapped in err, or "" if there is none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}

// Sentinel errors. Their codes never change.
var (
	// Certificates and chains.
	ErrUntrusted         = &Error{"eds.cert.untrusted", "certificate does not chain to a configured trust anchor"}
	ErrCertSignature     = &Error{"eds.cert.signature_invalid", "certificate signature is invalid"}
	ErrNotCA             = &Error{"eds.cert.not_ca", "issuer is not allowed to issue certificates"}
	ErrExpired           = &Error{"eds.cert.expired", "certificate has expired"}
	ErrNotYetValid       = &Error{"eds.cert.not_yet_valid", "certificate is not yet valid"}
	ErrRevoked           = &Error{"eds.cert.revoked", "certificate is revoked"}
	ErrMalformedCert     = &Error{"eds.cert.malformed", "certificate is malformed"}
	ErrUnknownAlgorithm  = &Error{"eds.cert.unknown_algorithm", "signature algorithm is not supported"}
	ErrRevocationUnknown = &Error{"eds.revocation.unknown", "revocation status could not be established"}

	// CRLs.
	ErrMalformedCRL    = &Error{"eds.crl.malformed", "CRL is malformed"}
	ErrCRLMissing      = &Error{"eds.crl.missing", "no CRL is configured for the issuer"}
	ErrCRLStale        = &Error{"eds.crl.stale", "CRL is not current for the requested time"}
	ErrCRLSignature    = &Error{"eds.crl.signature_invalid", "CRL signature is invalid"}
	ErrCRLDeltaMissing = &Error{"eds.crl.delta_base_mismatch", "delta CRL does not apply to the base CRL"}

	// OCSP.
	ErrOCSPUnavailable = &Error{"eds.ocsp.unavailable", "OCSP responder is unavailable"}
	ErrOCSPMalformed   = &Error{"eds.ocsp.malformed", "OCSP response is malformed"}
	ErrOCSPSignature   = &Error{"eds.ocsp.signature_invalid", "OCSP response signature is invalid"}
	ErrOCSPResponder   = &Error{"eds.ocsp.unauthorized_responder", "OCSP responder is not authorized by the issuer"}
	ErrOCSPNonce       = &Error{"eds.ocsp.nonce_mismatch", "OCSP response does not echo the request nonce"}
	ErrOCSPStale       = &Error{"eds.ocsp.stale", "OCSP response is not fresh"}
	ErrOCSPStatus      = &Error{"eds.ocsp.error_status", "OCSP responder returned an error status"}
	ErrOCSPUnknownCert = &Error{"eds.ocsp.unknown_cert", "OCSP responder does not know the certificate"}
	ErrOCSPNoURL       = &Error{"eds.ocsp.no_url", "no OCSP URL in the certificate or the configuration"}
)

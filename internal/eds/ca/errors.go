package ca

import "github.com/senimkz/senim/internal/eds"

// Errors of this package, with stable codes (read them with eds.Code). They are
// returned wrapped; test them with errors.Is.
var (
	// ErrInvalidRequest: an issuing or revocation request is incomplete or malformed
	// (e.g. an IIN that is not 12 digits, a weak PKCS#12 password). HTTP 400.
	ErrInvalidRequest = eds.NewError("eds.ca.invalid_request", "ca: invalid request")
	// ErrAlgorithm: the algorithm is unknown or not enabled in this CA. HTTP 400.
	ErrAlgorithm = eds.NewError("eds.ca.algorithm_unavailable", "ca: algorithm not available")
	// ErrUnknownSerial: no certificate with this serial number was issued here. HTTP 404.
	ErrUnknownSerial = eds.NewError("eds.ca.unknown_serial", "ca: unknown certificate serial number")
	// ErrAlreadyRevoked: the certificate is already revoked. HTTP 409.
	ErrAlreadyRevoked = eds.NewError("eds.ca.already_revoked", "ca: certificate already revoked")
	// ErrUnknownAuthority: no CA of this name (see Authorities). HTTP 404.
	ErrUnknownAuthority = eds.NewError("eds.ca.unknown_authority", "ca: unknown authority")
	// ErrStore: the CA directory is unreadable, corrupt or has unsafe permissions.
	// HTTP 500; the operator must look at the directory.
	ErrStore = eds.NewError("eds.ca.store", "ca: CA directory unusable")
)

package ncanode

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// Errors of this package, with stable codes (eds.Code). The request.* codes are the
// same as those of package problem on the main API.
var (
	// ErrMalformedJSON: the body is not JSON of the endpoint's shape.
	ErrMalformedJSON = eds.NewError("request.malformed_json", "The request body is not valid JSON for this endpoint")
	// ErrInvalidField: a field is missing or has a value outside its domain.
	ErrInvalidField = eds.NewError("request.invalid_field", "A field of the request is missing or invalid")
	// ErrTooLarge: the body exceeds Config.MaxBody.
	ErrTooLarge = eds.NewError("request.too_large", "The request body is too large")
	// ErrUnsupportedMedia: the body is not application/json.
	ErrUnsupportedMedia = eds.NewError("request.unsupported_media_type", "The request body must be application/json")
	// ErrBase64: a field that must be Base64 is not.
	ErrBase64 = eds.NewError("request.invalid_base64", "A field is not valid Base64")
	// ErrAliasNotFound: the key file has no key with the requested keyAlias.
	ErrAliasNotFound = eds.NewError("eds.pkcs12.alias_not_found", "Key reading error: the key file has no key with this alias")
	// ErrNoKey: the key file holds no private key with its certificate.
	ErrNoKey = eds.NewError("eds.pkcs12.no_key", "Key reading error: Cannot extract private key.")
	// ErrTSANotConfigured: withTsp was asked for but no time-stamping authority is
	// configured.
	ErrTSANotConfigured = cms.ErrNoTimeStamper
	// ErrInternal: an unexpected failure; its details are logged, never returned.
	ErrInternal = eds.NewError("internal", "Internal error")
)

// apiError is an error with its HTTP status and a message that is safe to return.
type apiError struct {
	status  int
	code    string
	title   string // the sentinel's constant text
	message string
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.message + ": " + e.cause.Error()
	}
	return e.code + ": " + e.message
}

func (e *apiError) Unwrap() error { return e.cause }

// Code returns the stable code.
func (e *apiError) Code() string { return e.code }

// fail makes an apiError from a coded sentinel, with an optional message that
// replaces the sentinel's (it must hold no personal data).
func fail(status int, sentinel *eds.Error, message string, cause error) *apiError {
	if message == "" {
		message = sentinel.Error()
	}
	if cause == nil {
		cause = sentinel
	} else if !errors.Is(cause, sentinel) {
		cause = fmt.Errorf("%w: %w", sentinel, cause)
	}
	return &apiError{status: status, code: sentinel.Code(), title: sentinel.Error(), message: message, cause: cause}
}

func invalidField(field, detail string) *apiError {
	return fail(http.StatusBadRequest, ErrInvalidField, field+": "+detail, nil)
}

// NCANode's own messages for key-reading failures, kept so that integrations that
// match on them keep working.
const (
	msgKeyBase64   = "Key reading error: Invalid Base64 format. Key must be in valid Base64 format."
	msgKeyFormat   = "Key reading error: Invalid format."
	msgKeyPassword = "Key reading error: Password incorrect."
	msgKeyAlias    = "Key reading error: Key does not have '%s' alias"
	msgNoContent   = "CMS doesn't have signed content"
)

// classify turns any error into an apiError: coded EDS errors become 400 (or 502
// for a time-stamping authority that failed), everything else 500.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	switch {
	case errors.Is(err, pkcs12.ErrBadPassword):
		return fail(http.StatusBadRequest, pkcs12.ErrBadPassword, msgKeyPassword, err)
	case errors.Is(err, pkcs12.ErrIterationLimit):
		return fail(http.StatusBadRequest, pkcs12.ErrIterationLimit, msgKeyFormat, err)
	case errors.Is(err, pkcs12.ErrMalformed):
		return fail(http.StatusBadRequest, pkcs12.ErrMalformed, msgKeyFormat, err)
	case errors.Is(err, pkcs12.ErrUnsupported):
		return fail(http.StatusBadRequest, pkcs12.ErrUnsupported, msgKeyFormat, err)
	case errors.Is(err, cms.ErrNoContent):
		return fail(http.StatusBadRequest, cms.ErrNoContent, msgNoContent, err)
	case errors.Is(err, tsp.ErrUnavailable), errors.Is(err, tsp.ErrRejected),
		errors.Is(err, tsp.ErrMalformed), errors.Is(err, tsp.ErrInvalid),
		errors.Is(err, tsp.ErrImprintMismatch), errors.Is(err, tsp.ErrNonceMismatch),
		errors.Is(err, tsp.ErrPolicyMismatch), errors.Is(err, tsp.ErrTSACertificate):
		// The time-stamping authority failed us, not the client.
		var e *eds.Error
		errors.As(err, &e)
		return fail(http.StatusBadGateway, e, "", err)
	}
	var e *eds.Error
	if errors.As(err, &e) {
		return fail(http.StatusBadRequest, e, "", err)
	}
	return fail(http.StatusInternalServerError, ErrInternal, "", err)
}

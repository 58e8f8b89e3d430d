package eds

import (
	"errors"
	"sync"
)

// Error is a sentinel error with a stable dotted code that the API layer can
// render (e.g. as the "code" of an RFC 9457 problem). Compare with errors.Is;
// read the code with Code.
type Error struct {
	code string
	msg  string
}

// NewError returns a coded sentinel error. Other EDS packages (pkcs12, pki)
// use it so that one errors.As finds the code of any EDS error.
func NewError(code, msg string) *Error {
	codesMu.Lock()
	codes = append(codes, Error{code: code, msg: msg})
	codesMu.Unlock()
	return &Error{code: code, msg: msg}
}

var (
	codesMu sync.Mutex
	codes   []Error
)

// Codes returns every coded error defined so far (for the error catalogue).
func Codes() []*Error {
	codesMu.Lock()
	defer codesMu.Unlock()
	out := make([]*Error, len(codes))
	for i := range codes {
		out[i] = &codes[i]
	}
	return out
}

func (e *Error) Error() string { return e.msg }

// Code returns the stable dotted code, e.g. "eds.signature.invalid".
func (e *Error) Code() string { return e.code }

// The sentinel errors of this package. They are returned wrapped with %w and
// detail; test them with errors.Is.
var (
	// ErrUnknownAlgorithm: the signature or key algorithm (OID) is not supported.
	ErrUnknownAlgorithm = NewError("eds.algorithm.unknown", "eds: unknown or unsupported algorithm")
	// ErrSignatureInvalid: the signature does not verify (or is malformed).
	ErrSignatureInvalid = NewError("eds.signature.invalid", "eds: signature is invalid")
	// ErrBadPublicKey: the public key is malformed, unsupported, or does not
	// fit the signature algorithm.
	ErrBadPublicKey = NewError("eds.key.invalid", "eds: invalid public key")
	// ErrBadPrivateKey: the private key is malformed or unsupported.
	ErrBadPrivateKey = NewError("eds.key.private_invalid", "eds: invalid private key")
)

// Code returns the code of the first coded error in err's chain (any error
// with a Code() string method), or "" if there is none.
func Code(err error) string {
	var c interface{ Code() string }
	if errors.As(err, &c) {
		return c.Code()
	}
	return ""
}

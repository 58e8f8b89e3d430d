package pkcs12

import "github.com/senimkz/senim/internal/eds"

// Errors of this package, with stable codes (see eds.Code). They are returned
// wrapped; test them with errors.Is.
var (
	// ErrBadPassword: the password does not open the file (MAC mismatch).
	ErrBadPassword = eds.NewError("eds.pkcs12.bad_password", "pkcs12: wrong password")
	// ErrMalformed: the file is not a well-formed PKCS#12 file.
	ErrMalformed = eds.NewError("eds.pkcs12.malformed", "pkcs12: malformed file")
	// ErrUnsupported: the file uses an algorithm this reader does not know.
	ErrUnsupported = eds.NewError("eds.pkcs12.unsupported", "pkcs12: unsupported algorithm")
	// ErrIterationLimit: the file demands more key-derivation iterations than
	// this reader spends on one file (see maxPBKDF2Iterations, maxWork).
	ErrIterationLimit = eds.NewError("eds.pkcs12.iteration_limit", "pkcs12: too many key-derivation iterations")
)

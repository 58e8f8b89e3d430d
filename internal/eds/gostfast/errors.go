package gostfast

// Error is a sentinel error of this package with a stable dotted code that
// the API layer renders in problem+json.
type Error struct {
	code, msg string
}

func (e *Error) Error() string { return e.msg }

// Code returns the stable machine-readable code, e.g.
// "eds.gost.invalid_public_key".
func (e *Error) Code() string { return e.code }

// ErrInvalidPublicKey means the bytes or coordinates given as a public key
// are not an affine point of the curve with coordinates in [0, p).
var ErrInvalidPublicKey = &Error{code: "eds.gost.invalid_public_key", msg: "gostfast: public key is not a point of the curve"}

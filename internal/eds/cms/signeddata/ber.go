package signeddata

import (
	"fmt"

	"github.com/senimkz/senim/internal/eds/ber"
)

// ToDER normalises one BER element that fills all of b (see package ber). DER input
// comes back byte-for-byte equal. Errors wrap ErrMalformed.
func ToDER(b []byte) ([]byte, error) {
	der, err := ber.ToDER(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return der, nil
}

package ca

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/senimkz/senim/internal/eds/pkcs12"
)

// PKCS12 writes is as a PKCS#12 key file in the NCA layout (package pkcs12), with the
// chain, protected by password, which must follow the NCA policy (6 to 32 characters
// with an upper-case letter, a lower-case letter and a digit).
func PKCS12(is *Issued, password string) ([]byte, error) {
	if is == nil || is.Key == nil || is.Certificate == nil {
		return nil, fmt.Errorf("%w: no key or certificate", ErrInvalidRequest)
	}
	if err := pkcs12.CheckPassword(password); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return pkcs12.Encode(is.Key, is.Certificate, is.Chain, password, "")
}

// NewPassword returns a random 12-character password that follows the NCA policy, for
// handing a sandbox key file to its holder.
func NewPassword() (string, error) {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnpqrstuvwxyz"
		digits = "23456789"
		all    = upper + lower + digits
	)
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, err
		}
		return set[n.Int64()], nil
	}
	pw := make([]byte, 12)
	for i := range pw {
		set := all
		switch i {
		case 0:
			set = upper
		case 1:
			set = lower
		case 2:
			set = digits
		}
		b, err := pick(set)
		if err != nil {
			return "", err
		}
		pw[i] = b
	}
	// Shuffle so the classes are not always in front.
	for i := len(pw) - 1; i > 0; i-- {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		j := n.Int64()
		pw[i], pw[j] = pw[j], pw[i]
	}
	return string(pw), nil
}

package pkcs12

import (
	"fmt"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/eds"
)

// ErrWeakPassword: the password breaks the NCA policy (CheckPassword).
var ErrWeakPassword = eds.NewError("eds.pkcs12.weak_password",
	"pkcs12: the password must have 6 to 32 characters with an upper-case letter, a lower-case letter and a digit")

// CheckPassword applies the NCA key-file password policy: 6 to 32 characters,
// at least one Latin upper-case letter, one Latin lower-case letter and one
// digit (NCALayer's ^(?=.*?[A-Z])(?=.*?[a-z])(?=.*?[0-9]).{6,32}$). Line
// breaks are refused, as "." does not match them.
func CheckPassword(password string) error {
	n := utf8.RuneCountInString(password)
	if !utf8.ValidString(password) || n < 6 || n > 32 {
		return fmt.Errorf("%w: %d characters", ErrWeakPassword, n)
	}
	var upper, lower, digit bool
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("%w: line break", ErrWeakPassword)
		}
	}
	if !upper || !lower || !digit {
		return ErrWeakPassword
	}
	return nil
}

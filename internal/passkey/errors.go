package passkey

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Errors, each with its stable problem code (rule DD-5: the owner authenticates
// with biometrics — a passkey — among other methods).
var (
	ErrCeremony     = problem.New(http.StatusBadRequest, "passkey.ceremony_expired", "The passkey request has expired or was already used; start again").WithRule("DD-5")
	ErrResponse     = problem.New(http.StatusBadRequest, "passkey.response_invalid", "The authenticator's answer is malformed").WithRule("DD-5")
	ErrVerification = problem.New(http.StatusUnauthorized, "passkey.not_verified", "The passkey could not be verified").WithRule("DD-5")
	ErrUnknown      = problem.New(http.StatusUnauthorized, "passkey.unknown", "This passkey is not registered with Senim, or was removed").WithRule("DD-5")
	ErrCloned       = problem.New(http.StatusUnauthorized, "passkey.cloned", "The passkey's counter went backwards: it may have been copied; log in another way and remove it").WithRule("DD-5")
	ErrTooMany      = problem.New(http.StatusConflict, "passkey.too_many", "You have the most passkeys allowed; remove one first").WithRule("DD-5")
	ErrDuplicate    = problem.New(http.StatusConflict, "passkey.duplicate", "This passkey is already registered").WithRule("DD-5")
	ErrName         = problem.New(http.StatusUnprocessableEntity, "passkey.name_invalid", "Give the passkey a name of 1 to 60 characters").With("field", "name")
	ErrNotFound     = problem.New(http.StatusNotFound, "passkey.not_found", "No such passkey of yours")
)

package notify

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Errors of the package, each a *problem.Problem with a stable code; test with
// errors.Is. A refused call changes nothing.
var (
	// ErrNotFound: no such notice of this addressee. Another citizen's notice is
	// "not found" too, so its existence does not leak.
	ErrNotFound = problem.New(http.StatusNotFound, "notify.notice.not_found", "No such notice")
	// ErrNotSignificant: only a legally significant notice is acknowledged with a receipt.
	ErrNotSignificant = problem.New(http.StatusConflict, "notify.notice.not_significant", "This notice is not legally significant; it has no acknowledgement").WithRule("DC-2")
	// ErrNotAcknowledged: a receipt exists only after the acknowledgement.
	ErrNotAcknowledged = problem.New(http.StatusConflict, "notify.receipt.not_acknowledged", "The notice has not been acknowledged yet").WithRule("DC-2")
	// ErrReader: reading is confirmed only from an authenticated session of the addressee.
	ErrReader = problem.New(http.StatusUnauthorized, "notify.reader.unauthenticated", "Reading is confirmed only from the addressee's authenticated session").WithRule("DC-2")
	// ErrMessageInvalid: a message sent through the domain API lacks a required part.
	ErrMessageInvalid = problem.New(http.StatusBadRequest, "notify.message.invalid", "The message is invalid")
	// ErrReceiptInvalid: a receipt does not verify or is not well-formed.
	ErrReceiptInvalid = problem.New(http.StatusUnprocessableEntity, "notify.receipt.invalid", "The read receipt does not verify").WithRule("DC-2")
)

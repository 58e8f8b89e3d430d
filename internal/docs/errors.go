package docs

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Problems of the documents domain: a stable code each, the rule it enforces, and a
// message safe for the API and the cabinet (which renders the code's catalog text).
var (
	ErrUnknownKind      = problem.New(http.StatusNotFound, "docs.type.unknown", "No such document type")
	ErrNoSuchDocument   = problem.New(http.StatusNotFound, "docs.document.not_found", "The reference source holds no such document for you")
	ErrSourceDown       = problem.New(http.StatusServiceUnavailable, "docs.source.unavailable", "The reference source does not answer; try again later")
	ErrShareNotFound    = problem.New(http.StatusNotFound, "docs.share.not_found", "No share has this code or token").WithRule("DD-2")
	ErrShareExpired     = problem.New(http.StatusGone, "docs.share.expired", "The owner's access has expired").WithRule("DD-2")
	ErrShareCancelled   = problem.New(http.StatusGone, "docs.share.cancelled", "The owner cancelled this access").WithRule("DD-2")
	ErrShareUsed        = problem.New(http.StatusConflict, "docs.share.used", "Another verifier has already used this access; one verifier per access").WithRule("DD-2")
	ErrOwnShare         = problem.New(http.StatusConflict, "docs.share.own", "The owner cannot verify their own document").WithRule("DD-3")
	ErrShareClosed      = problem.New(http.StatusConflict, "docs.share.closed", "This access is no longer open").WithRule("DD-2")
	ErrNotYours         = problem.New(http.StatusNotFound, "docs.not_found", "No such share or view of yours")
	ErrBadSecret        = problem.New(http.StatusBadRequest, "docs.secret.invalid", "Give either a short code or a QR token, well-formed")
	ErrVerifierLocked   = problem.New(http.StatusTooManyRequests, "docs.verifier.locked", "Too many wrong codes; try again later")
	ErrGuessingBusy     = problem.New(http.StatusTooManyRequests, "docs.guessing.limited", "Too many wrong codes are being tried; try again in a minute")
	ErrNotLogged        = problem.New(http.StatusConflict, "docs.view.not_logged", "The view is not in the audit log yet; try again in a moment")
	ErrVerifierRequired = problem.New(http.StatusForbidden, "docs.verifier.invalid", "An authenticated verifier is required").WithRule("DD-3")
	ErrOwnerRequired    = problem.New(http.StatusForbidden, "docs.owner.invalid", "Only the authenticated owner opens access to a document").WithRule("DD-5")
	ErrRecordInvalid    = problem.New(http.StatusBadRequest, "docs.record.invalid", "The digital information record does not verify").WithRule("DC-8")
)

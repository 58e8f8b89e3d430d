package confirm

import (
	"errors"
	"net/http"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Errors of the package, each a *problem.Problem with a stable code; test with
// errors.Is. A refused call changes nothing. The policy's own refusals (a malformed
// transaction, an unknown kind, category or currency) are policy.ErrTransaction,
// ErrKind, ErrCategory and ErrCurrency.
var (
	// ErrRequestInvalid: a confirmation request lacks a required part or has one out of range.
	ErrRequestInvalid = problem.New(http.StatusBadRequest, "confirm.request.invalid", "The confirmation request is invalid")
	// ErrEDSRequired: a push was asked for, or answered, where the policy requires an EDS.
	ErrEDSRequired = problem.New(http.StatusConflict, "confirm.push.eds_required", "This transaction needs an EDS signature; a push confirmation is not allowed").WithRule("DC-3")
	// ErrNotFound: no such request of this caller. Another party's or citizen's request
	// is "not found" too, so its existence does not leak.
	ErrNotFound = problem.New(http.StatusNotFound, "confirm.request.not_found", "No such confirmation request")
	// ErrExpired: the deadline has passed; the request can no longer be answered.
	ErrExpired = problem.New(http.StatusGone, "confirm.request.expired", "The deadline of this confirmation request has passed")
	// ErrAnswered: the request was already answered.
	ErrAnswered = problem.New(http.StatusConflict, "confirm.request.answered", "This confirmation request has already been answered")
	// ErrTextChanged: what the citizen was shown is not the request's text.
	ErrTextChanged = problem.New(http.StatusConflict, "confirm.text.changed", "The text answered is not the text of the request").WithRule("DC-5")
	// ErrUnidentified: legally significant answers come only from an identified,
	// authenticated person (an IIN bound to the session).
	ErrUnidentified = problem.New(http.StatusUnauthorized, "confirm.answer.unidentified", "Only the identified, authenticated addressee may answer").WithRule("DC-1")
	// ErrDecision: the answer is neither confirm nor decline.
	ErrDecision = problem.New(http.StatusBadRequest, "confirm.answer.invalid", "The answer must be confirm or decline")
	// ErrSignature: the CMS does not verify, does not sign exactly the text, was made by
	// someone else, or lacks a valid time-stamp.
	ErrSignature = problem.New(http.StatusUnprocessableEntity, "confirm.eds.signature_invalid", "The EDS signature does not verify for this text and this person").WithRule("DC-3")
	// ErrNotLogged: the answer's event is not in the audit log's checkpoint yet.
	ErrNotLogged = problem.RetryAfter(problem.New(http.StatusConflict, "confirm.evidence.not_logged", "The evidence is not in the audit log yet; try again in a moment"), 2)
	// ErrNoEvidence: the request has not been answered.
	ErrNoEvidence = problem.New(http.StatusConflict, "confirm.evidence.none", "The request has no answer yet, so no evidence")
	// ErrIdempotencyConflict: the Idempotency-Key was used with another request body.
	ErrIdempotencyConflict = problem.New(http.StatusConflict, "confirm.idempotency.conflict", "This Idempotency-Key was used with a different confirmation request")
	// ErrIdempotencyInProgress: a request with this key is being recorded; retry later.
	ErrIdempotencyInProgress = problem.New(http.StatusConflict, "idempotency.in_progress", "A request with this Idempotency-Key is in progress; retry later")
	// ErrIdempotencyKey: the Idempotency-Key is empty or too long.
	ErrIdempotencyKey = problem.New(http.StatusBadRequest, "idempotency.key_invalid", "The Idempotency-Key is empty or too long")
	// ErrEvidenceInvalid: an evidence package does not verify or is not well-formed.
	ErrEvidenceInvalid = problem.New(http.StatusUnprocessableEntity, "confirm.evidence.invalid", "The confirmation evidence does not verify").WithRule("DC-5")
)

// idemProblem gives the store's idempotency errors their API problems.
func idemProblem(err error) error {
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		return ErrIdempotencyConflict
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return ErrIdempotencyInProgress
	case errors.Is(err, store.ErrInvalidIdempotencyKey):
		return ErrIdempotencyKey
	}
	return err
}

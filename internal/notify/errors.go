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
	// ErrLanguageMissing: Kazakh and Russian content are both required.
	ErrLanguageMissing = problem.New(http.StatusUnprocessableEntity, "notify.content.language_missing", "Content in Kazakh (kk) and Russian (ru) is required")
	// ErrLanguageUnknown: content languages are kk, ru and en.
	ErrLanguageUnknown = problem.New(http.StatusUnprocessableEntity, "notify.content.language_unknown", "Content languages are kk, ru and en")
	// ErrContentEmpty: every language needs a title and a body.
	ErrContentEmpty = problem.New(http.StatusUnprocessableEntity, "notify.content.empty", "Each language needs a title and a body")
	// ErrContentTooLarge: a title is at most 200 bytes, a body at most 20000.
	ErrContentTooLarge = problem.New(http.StatusUnprocessableEntity, "notify.content.too_large", "A title is at most 200 bytes and a body at most 20000")
	// ErrContentCharacter: a title or body holds a control character (other than tab
	// and line breaks) or a bidirectional embedding, override or isolate, which would
	// show the citizen a text other than the one the receipt covers.
	ErrContentCharacter = problem.New(http.StatusUnprocessableEntity, "notify.content.invalid_character", "A title or body holds a control or bidirectional-override character")
	// ErrSubjectInvalid: the subject's IIN is not a valid IIN.
	ErrSubjectInvalid = problem.New(http.StatusUnprocessableEntity, "notify.subject.invalid", "The subject is not a valid IIN")
	// ErrSubjectUnknown: no citizen with this IIN is known to Senim.
	ErrSubjectUnknown = problem.New(http.StatusUnprocessableEntity, "notify.subject.unknown", "No citizen with this IIN is known")
	// ErrCategoryUnknown: the category is not in the policy in force.
	ErrCategoryUnknown = problem.New(http.StatusUnprocessableEntity, "notify.category.unknown", "Unknown category of notice")
	// ErrReadByInvalid: the read-by deadline is in the past or more than a year away.
	ErrReadByInvalid = problem.New(http.StatusUnprocessableEntity, "notify.read_by.invalid", "The read-by deadline must be in the future and within a year")
	// ErrSenderNotPermitted: the organisation holds no sender permission.
	ErrSenderNotPermitted = problem.New(http.StatusForbidden, "notify.sender.not_permitted", "This organisation may not send notices").WithRule("DC-2")
	// ErrCategoryNotPermitted: the sender permission does not cover the category.
	ErrCategoryNotPermitted = problem.New(http.StatusForbidden, "notify.sender.category_not_permitted", "This organisation may not send notices of this category").WithRule("DC-2")
	// ErrIdempotencyRequired: POST /v1/notices needs an Idempotency-Key.
	ErrIdempotencyRequired = problem.New(http.StatusBadRequest, "notify.idempotency.key_required", "An Idempotency-Key header (1 to 255 printable ASCII bytes) is required")
	// ErrIdempotencyConflict: the key was used before with another body.
	ErrIdempotencyConflict = problem.New(http.StatusConflict, "notify.idempotency.conflict", "This Idempotency-Key was used with a different request")
	// ErrIdempotencyInProgress: the first request with the key has not finished.
	ErrIdempotencyInProgress = problem.New(http.StatusConflict, "notify.idempotency.in_progress", "A request with this Idempotency-Key is in progress; retry later")
	// ErrSenderDirectory: a sender permission entry is invalid.
	ErrSenderDirectory = problem.New(http.StatusUnprocessableEntity, "notify.sender.invalid", "Invalid sender permission")
	// ErrPreference: a channel preference is invalid.
	ErrPreference = problem.New(http.StatusUnprocessableEntity, "notify.preference.invalid", "Invalid channel preference")
	// ErrSubscription: a Web Push subscription is invalid.
	ErrSubscription = problem.New(http.StatusUnprocessableEntity, "notify.push.subscription_invalid", "Invalid Web Push subscription")
	// ErrDeliveryNotFound: no such dead letter.
	ErrDeliveryNotFound = problem.New(http.StatusNotFound, "notify.delivery.not_found", "No such delivery")
	// ErrReceiptInvalid: a receipt does not verify or is not well-formed.
	ErrReceiptInvalid = problem.New(http.StatusUnprocessableEntity, "notify.receipt.invalid", "The read receipt does not verify").WithRule("DC-2")
)

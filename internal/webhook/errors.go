package webhook

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Problems of the webhook API. Each names what the caller should change.
var (
	ErrURLInvalid = problem.New(http.StatusUnprocessableEntity, "webhook.url_invalid",
		"The endpoint is not an absolute https URL without credentials or fragment")
	ErrAddressForbidden = problem.New(http.StatusUnprocessableEntity, "webhook.address_forbidden",
		"The endpoint's host is, or resolves to, an internal address")
	ErrUnresolvable = problem.New(http.StatusUnprocessableEntity, "webhook.host_unresolvable",
		"The endpoint's host name does not resolve")
	ErrEventUnknown = problem.New(http.StatusUnprocessableEntity, "webhook.event_unknown",
		"An event type in the subscription is not one Senim sends")
	ErrEventsEmpty = problem.New(http.StatusUnprocessableEntity, "webhook.events_empty",
		"The subscription's list of event types is empty")
	ErrTooMany = problem.New(http.StatusConflict, "webhook.too_many_subscriptions",
		"The organisation has the most subscriptions allowed; delete one first")
	ErrNotFound = problem.New(http.StatusNotFound, "webhook.not_found",
		"No such subscription of this organisation")
)

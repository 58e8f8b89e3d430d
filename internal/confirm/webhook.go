package confirm

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/webhook"
)

// Webhook event types a relying party may subscribe to: one per change of the
// confirmation requests it created (POST /v1/confirmations).
const (
	EventConfirmationCreated   = "confirmation.created"
	EventConfirmationConfirmed = "confirmation.confirmed"
	EventConfirmationDeclined  = "confirmation.declined"
	EventConfirmationExpired   = "confirmation.expired"
)

// WebhookEvents are the event types WebhookRoute makes.
var WebhookEvents = []string{EventConfirmationCreated, EventConfirmationConfirmed, EventConfirmationDeclined, EventConfirmationExpired}

// ConfirmationEvent is the data of a confirmation.* webhook: references and the state
// only — never the citizen's IIN or the text, which the relying party already holds.
type ConfirmationEvent struct {
	Confirmation string    `json:"confirmation"`
	State        string    `json:"state"`            // pending, confirmed, declined or expired
	Method       string    `json:"method,omitempty"` // eds or push
	At           time.Time `json:"at"`
	StatusURL    string    `json:"status_url"`
	// EvidenceURL: for a confirmed or declined request, where its evidence (the push
	// evidence package or the signed agreement) is downloaded.
	EvidenceURL string `json:"evidence_url,omitempty"`
}

// WebhookRoute turns the confirmation events into webhooks to the relying party that
// created the request (the status API's `GET /v1/confirmations/{id}` says the same).
// The party of an answer is read from the request's row, which never changes, so a
// replayed event makes the same message with the same id.
func (s *Service) WebhookRoute(ctx context.Context, e store.Event) ([]webhook.Message, error) {
	var p struct {
		ID       string `json:"id"`      // created, expired
		Org      string `json:"org"`     // created, expired
		Request  string `json:"request"` // answers
		Decision string `json:"decision"`
		Method   string `json:"method"`
	}
	switch e.Type {
	case EvRequestCreated, EvExpired, EvPushAnswered, EvEDSSigned:
	default:
		return nil, nil
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, err
	}
	ev := ConfirmationEvent{Confirmation: p.ID, Method: p.Method, At: e.CreatedAt.UTC()}
	typ := ""
	switch e.Type {
	case EvRequestCreated:
		typ, ev.State = EventConfirmationCreated, StatePending
	case EvExpired:
		typ, ev.State = EventConfirmationExpired, StateExpired
	default:
		ev.Confirmation = p.Request
		typ, ev.State = EventConfirmationConfirmed, StateConfirmed
		if p.Decision == Decline {
			typ, ev.State = EventConfirmationDeclined, StateDeclined
		}
		if err := s.db.QueryRowContext(ctx, `SELECT org_bin FROM confirm_requests WHERE id = ?`, p.Request).Scan(&p.Org); err != nil {
			return nil, err
		}
		ev.EvidenceURL = "/v1/confirmations/" + p.Request + "/evidence"
	}
	if p.Org == "" || ev.Confirmation == "" {
		return nil, nil
	}
	ev.StatusURL = "/v1/confirmations/" + ev.Confirmation
	return []webhook.Message{{Org: p.Org, Type: typ, ID: "evt_" + strconv.FormatInt(e.ID, 10), Data: ev}}, nil
}

package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/webhook"
)

// Webhook event types a sender may subscribe to: one per status change of the notices
// it sent through POST /v1/notices.
const (
	EventNoticeAccepted   = "notice.accepted"
	EventNoticeDispatched = "notice.dispatched"
	EventNoticeDelivered  = "notice.delivered"
	EventNoticeFailed     = "notice.failed"
	EventNoticeRead       = "notice.read"
	EventNoticeDeemed     = "notice.deemed_delivered"
)

// WebhookEvents are the event types WebhookRoute makes.
var WebhookEvents = []string{EventNoticeAccepted, EventNoticeDispatched, EventNoticeDelivered, EventNoticeFailed,
	EventNoticeRead, EventNoticeDeemed}

var webhookTypes = map[string]string{
	StateAccepted: EventNoticeAccepted, StateDispatched: EventNoticeDispatched, StateDelivered: EventNoticeDelivered,
	"failed": EventNoticeFailed, StateRead: EventNoticeRead, StateDeemed: EventNoticeDeemed,
}

// NoticeEvent is the data of a notice.* webhook: references and the status only —
// never the addressee's IIN or the content, which the sender already holds.
type NoticeEvent struct {
	Notice    string    `json:"notice"`
	State     string    `json:"state"`
	Channel   string    `json:"channel,omitempty"`  // delivered, failed: the channel
	Purpose   string    `json:"purpose,omitempty"`  // delivered, failed: notice, reminder or fallback
	Channels  []string  `json:"channels,omitempty"` // dispatched: the channels it went to
	At        time.Time `json:"at"`
	StatusURL string    `json:"status_url"`
}

// WebhookRoute turns notify.notice.status events into webhooks to the organisation
// that sent the notice. Automatic notices (no sender) route nowhere. It reads only the
// event, so a replayed event makes the same message with the same id.
func (s *Service) WebhookRoute(_ context.Context, e store.Event) ([]webhook.Message, error) {
	if e.Type != EvNoticeStatus {
		return nil, nil
	}
	var p struct {
		Notice   string   `json:"notice"`
		State    string   `json:"state"`
		Sender   string   `json:"sender"`
		Channel  string   `json:"channel"`
		Purpose  string   `json:"purpose"`
		Channels []string `json:"channels"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, err
	}
	typ, ok := webhookTypes[p.State]
	if p.Sender == "" || !ok {
		return nil, nil
	}
	return []webhook.Message{{Org: p.Sender, Type: typ, ID: "evt_" + strconv.FormatInt(e.ID, 10), Data: NoticeEvent{
		Notice: p.Notice, State: p.State, Channel: p.Channel, Purpose: p.Purpose, Channels: p.Channels,
		At: e.CreatedAt.UTC(), StatusURL: "/v1/notices/" + p.Notice}}}, nil
}

package notify

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// WebhookRoute sends every status change of a sent notice to its sender, and nothing
// for an automatic notice or another event type; the message id is the event's, so a
// replayed event makes no second delivery. rule DC-2.
func TestWebhookRouteNoticeStatus(t *testing.T) {
	s := &Service{}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	ev := func(id int64, typ string, p map[string]any) store.Event {
		b, _ := json.Marshal(p)
		return store.Event{ID: id, Type: typ, Payload: b, CreatedAt: at}
	}
	for state, want := range map[string]string{StateAccepted: EventNoticeAccepted, StateDispatched: EventNoticeDispatched,
		StateDelivered: EventNoticeDelivered, "failed": EventNoticeFailed, StateRead: EventNoticeRead, StateDeemed: EventNoticeDeemed} {
		e := ev(7, EvNoticeStatus, map[string]any{"notice": "n_x", "state": state, "sender": "050490000015", "channel": "sms"})
		m, err := s.WebhookRoute(t.Context(), e)
		if err != nil || len(m) != 1 || m[0].Org != "050490000015" || m[0].Type != want || m[0].ID != "evt_7" {
			t.Fatalf("%s: %+v, %v", state, m, err)
		}
		d := m[0].Data.(NoticeEvent)
		if d.Notice != "n_x" || d.State != state || d.Channel != "sms" || !d.At.Equal(at) || d.StatusURL != "/v1/notices/n_x" {
			t.Errorf("%s: data %+v", state, d)
		}
		again, _ := s.WebhookRoute(t.Context(), e)
		if again[0].ID != m[0].ID {
			t.Errorf("a replayed event got another id")
		}
	}
	for name, e := range map[string]store.Event{
		"automatic notice": ev(8, EvNoticeStatus, map[string]any{"notice": "n_x", "state": StateDelivered}),
		"unknown state":    ev(9, EvNoticeStatus, map[string]any{"notice": "n_x", "state": "lost", "sender": "050490000015"}),
		"other event":      ev(10, EvReceiptIssued, map[string]any{"notice": "n_x", "sender": "050490000015"}),
	} {
		if m, err := s.WebhookRoute(t.Context(), e); err != nil || len(m) != 0 {
			t.Errorf("%s: %+v, %v", name, m, err)
		}
	}
	if _, err := s.WebhookRoute(t.Context(), store.Event{ID: 11, Type: EvNoticeStatus, Payload: []byte(`{`)}); err == nil {
		t.Error("a broken payload routed")
	}
}

// The sender-permission directory keeps every change with who made it: grants,
// changes and withdrawals, oldest first; a refused change (bad BIN, unknown category)
// leaves no history. rule DC-2.
func TestSenderHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		ctx := t.Context()
		if err := a.svc.SetSender(ctx, "admin:7@"+binRegulator, binTax, []string{"tax"}); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.SetSender(ctx, "admin:7@"+binRegulator, binTax, nil); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.SetSender(ctx, "admin:7@"+binRegulator, binTax, []string{"lottery"}); err == nil {
			t.Error("an unknown category was granted")
		}
		if err := a.svc.SetSender(ctx, "admin:7@"+binRegulator, "12345", []string{"tax"}); err == nil {
			t.Error("a bad BIN was granted")
		}
		h, err := a.svc.SenderHistory(ctx, binTax)
		if err != nil || len(h) != 3 {
			t.Fatalf("history: %+v, %v", h, err)
		}
		if h[0].Actor != "admin:test" || len(h[0].Categories) != 2 || h[1].Categories[0] != "tax" || h[1].Actor != "admin:7@"+binRegulator || len(h[2].Categories) != 0 {
			t.Errorf("history: %+v", h)
		}
		if h, _ := a.svc.SenderHistory(ctx, "12345"); h == nil || len(h) != 0 {
			t.Errorf("a refused change is in the history: %+v", h)
		}
		// Every organisation's history at once (the console's page) is the same, by BIN.
		all, err := a.svc.SenderHistories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		court, _ := a.svc.SenderHistory(ctx, binCourt)
		if d := cmp.Diff(map[string][]SenderChange{binTax: h, binCourt: court}, all); d != "" || len(court) != 1 {
			t.Errorf("SenderHistories (-want +got):\n%s", d)
		}
		if dir, _ := a.svc.Senders(ctx); dir[binTax] != nil {
			t.Errorf("withdrawn, still listed: %v", dir)
		}
		if cs := a.svc.Categories(); !slices.Contains(cs, "court") || !slices.IsSorted(cs) {
			t.Errorf("categories %v", cs)
		}
	})
}

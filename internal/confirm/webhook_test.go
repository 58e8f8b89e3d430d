package confirm

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// Every change of a request becomes one webhook to the party that created it, with
// references and the state only; other events make none; a broken payload is an error.
func TestWebhookRoute(t *testing.T) {
	s, db, now, cs := newService(t)
	ctx := t.Context()
	last := func(typ string) store.Event {
		t.Helper()
		var e store.Event
		var payload []byte
		var at int64
		if err := db.QueryRowContext(ctx, `SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE type = ? ORDER BY id DESC LIMIT 1`, typ).
			Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at); err != nil {
			t.Fatal(err)
		}
		e.Payload, e.CreatedAt = payload, store.FromMicros(at)
		return e
	}
	route := func(e store.Event) ConfirmationEvent {
		t.Helper()
		msgs, err := s.WebhookRoute(ctx, e)
		if err != nil || len(msgs) != 1 || msgs[0].Org != bank || msgs[0].ID == "" {
			t.Fatalf("%s: %+v, %v", e.Type, msgs, err)
		}
		b, _ := json.Marshal(msgs[0].Data)
		if strings.Contains(string(b), iinAlice) || strings.Contains(string(b), "Согласна") {
			t.Fatalf("%s carries the IIN or the text: %s", e.Type, b)
		}
		return msgs[0].Data.(ConfirmationEvent)
	}
	c, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if ev := route(last(EvRequestCreated)); ev.Confirmation != c.ID || ev.State != StatePending || ev.Method != "push" {
		t.Errorf("created: %+v", ev)
	}
	alice := Answerer{Subject: cs[iinAlice], IIN: iinAlice, Method: "password+sms", Session: "0123456789abcdef0123"}
	if _, err := s.Respond(ctx, alice, c.ID, Answer{Decision: Decline, Lang: "ru", TextSHA256: Hash("Согласна.")}); err != nil {
		t.Fatal(err)
	}
	if ev := route(last(EvPushAnswered)); ev.Confirmation != c.ID || ev.State != StateDeclined || ev.EvidenceURL == "" {
		t.Errorf("declined: %+v", ev)
	}
	c2, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	*now = t0.Add(2 * time.Hour)
	if _, err := s.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := route(last(EvExpired)); ev.Confirmation != c2.ID || ev.State != StateExpired {
		t.Errorf("expired: %+v", ev)
	}
	if msgs, err := s.WebhookRoute(ctx, store.Event{ID: 1, Type: "pd.token.issued", Payload: []byte(`{}`)}); err != nil || msgs != nil {
		t.Errorf("another event: %+v, %v", msgs, err)
	}
	if _, err := s.WebhookRoute(ctx, store.Event{ID: 1, Type: EvRequestCreated, Payload: []byte(`{`)}); err == nil {
		t.Error("a broken payload routed")
	}
}

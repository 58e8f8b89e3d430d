package app

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// A relying party subscribes to its confirmation requests' changes and gets a signed
// webhook when it creates one and when the citizen answers (issue 15: a status API and
// signed webhooks as in the notification point). The webhooks verify with the published
// JWKS, name the request and its state, never the citizen or the text; another bank
// gets nothing.
// rule DC-4: a one-time consent to share data is confirmed by push.
func TestConfirmWebhooks(t *testing.T) {
	received := make(chan []byte, 8)
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	roots := x509.NewCertPool()
	roots.AddCert(hook.Certificate())
	cfg := sandboxConfig(t, "")
	cfg.WebhookRoots = roots
	a, srv := startSandbox(t, cfg)
	ctx := t.Context()
	alice := a.Pop.Citizens[0]
	bank, bankBIN := confirmBank(t, a, srv.URL)
	if _, err := bank.Subscribe(ctx, hook.URL+"/senim", confirm.WebhookEvents); err != nil {
		t.Fatal(err)
	}
	text := map[string]string{"kk": "Мен банкке жеке куәлік деректерін бір рет беруге келісемін.", "ru": "Я согласна на однократную передачу банку данных удостоверения личности."}
	share, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: alice.IIN, Deadline: testNow.Add(72 * time.Hour), Text: text,
		Transaction: client.Transaction{Kind: "data_sharing_consent", OneTime: true, Obligations: []string{"data_disclosure"}, Consequences: []string{"personal_data_processing"}}})
	if err != nil || share.Method != "push" {
		t.Fatalf("create: %+v %v", share, err)
	}
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	_, page := ba.get("/confirm/" + share.ID + "?lang=en")
	csrf, sha := csrfOf(t, page), textSHARE.FindStringSubmatch(page)[1]
	if st, _ := ba.post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"csrf": {csrf}, "decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {sha}}); st != http.StatusOK {
		t.Fatalf("answer: %d", st)
	}
	if n, err := a.Webhooks.Sync(ctx); err != nil || n != 2 {
		t.Fatalf("delivery pass: %d, %v", n, err)
	}
	jwks, err := bank.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verifier.ParseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	opts := verifier.WebhookOptions{Issuer: "http://" + a.Config.Addr, Audience: bankBIN, Now: func() time.Time { return testNow }}
	got := map[string]confirm.ConfirmationEvent{}
	for range 2 {
		var body []byte
		select {
		case body = <-received:
		case <-time.After(5 * time.Second):
			t.Fatal("a webhook did not arrive")
		}
		if strings.Contains(string(body), alice.IIN) {
			t.Error("a webhook carries the citizen's IIN")
		}
		ev, err := verifier.VerifyWebhook(ctx, body, verifier.StaticKeys(keys), opts)
		if err != nil {
			t.Fatalf("a webhook does not verify with the published JWKS: %v", err)
		}
		var d confirm.ConfirmationEvent
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		got[ev.Type] = d
	}
	if c := got[confirm.EventConfirmationCreated]; c.Confirmation != share.ID || c.State != confirm.StatePending || c.Method != "push" {
		t.Errorf("created: %+v", c)
	}
	if c := got[confirm.EventConfirmationConfirmed]; c.Confirmation != share.ID || c.State != confirm.StateConfirmed ||
		c.EvidenceURL != "/v1/confirmations/"+share.ID+"/evidence" {
		t.Errorf("confirmed: %+v", c)
	}
	// Nothing for another organisation: the route names only the creating party.
	msgs, err := a.Confirm.WebhookRoute(ctx, lastEvent(t, a, confirm.EvPushAnswered))
	if err != nil || len(msgs) != 1 || msgs[0].Org != bankBIN {
		t.Fatalf("route: %+v, %v", msgs, err)
	}
}

// lastEvent is the newest outbox event of type typ.
func lastEvent(t *testing.T, a *App, typ string) store.Event {
	t.Helper()
	var e store.Event
	var payload []byte
	var at int64
	if err := a.DB.QueryRowContext(t.Context(), `SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE type = ? ORDER BY id DESC LIMIT 1`, typ).
		Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at); err != nil {
		t.Fatal(err)
	}
	e.Payload, e.CreatedAt = payload, store.FromMicros(at)
	return e
}

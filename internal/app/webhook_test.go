package app

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/verifier"
)

// End to end in the sandbox: a bank subscribes an HTTPS endpoint, records a consent,
// lists it; the citizen revokes it in the cabinet; the bank receives a webhook whose
// JWS verifies with the JWKS Senim publishes, naming the consent and the subject.
// rule PD-3.3: the revocation reaches the initiator. rule PD-3.5: the bank lists
// what it holds.
func TestBankGetsSignedWebhookWhenCitizenRevokes(t *testing.T) {
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
	alice := a.Pop.Citizens[0]
	var bankBIN, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bankBIN = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	p12, err := a.Keys.P12("org", bankBIN, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	sub, err := bank.Subscribe(ctx, hook.URL+"/senim", []string{"consent.revoked"})
	if err != nil {
		t.Fatal(err)
	}
	// Outside the sandbox's loopback allowance an internal address is refused.
	if _, err := bank.Subscribe(ctx, "https://169.254.169.254/", nil); err == nil {
		t.Fatal("an internal address was accepted")
	}
	cons, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: alice.IIN, Owner: register, DataSets: []string{"identity"},
		Purpose: "loan application", ValidUntil: testNow.Add(24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	page, err := bank.ListConsents(ctx, client.ConsentQuery{Subject: alice.IIN, Status: "active"})
	if err != nil || len(page.Consents) != 1 || page.Consents[0].ID != cons.ID || page.Consents[0].Subject != alice.IIN {
		t.Fatalf("list: %+v, %v", page, err)
	}

	b := newBrowser(t, srv.URL)
	home := b.login(alice)
	csrf := csrfOf(t, home)
	if st, _ := b.post("/consents/"+cons.ID+"/revoke?lang=en", url.Values{"csrf": {csrf}, "confirmed": {"yes"}}); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if n, err := a.Webhooks.Sync(ctx); err != nil || n != 1 {
		t.Fatalf("delivery pass: %d, %v", n, err)
	}
	var body []byte
	select {
	case body = <-received:
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook arrived")
	}
	issuer := "http://" + a.Config.Addr // what the app signs as without --public-url
	jwks, err := bank.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verifier.ParseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := verifier.VerifyWebhook(ctx, body, verifier.StaticKeys(keys), verifier.WebhookOptions{Issuer: issuer, Audience: bankBIN,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("the webhook does not verify with the published JWKS: %v", err)
	}
	var data struct {
		ConsentID string `json:"consent_id"`
		Subject   string `json:"subject"`
	}
	json.Unmarshal(ev.Data, &data)
	if ev.Type != "consent.revoked" || data.ConsentID != cons.ID || data.Subject != alice.IIN {
		t.Fatalf("event %+v", ev)
	}
	// Tampered, it no longer verifies.
	bad := append([]byte(nil), body...)
	bad[len(bad)/2] ^= 1
	if _, err := verifier.VerifyWebhook(ctx, bad, verifier.StaticKeys(keys), verifier.WebhookOptions{Issuer: issuer, Audience: bankBIN,
		Now: func() time.Time { return testNow }}); err == nil {
		t.Fatal("a tampered webhook verified")
	}
	if page, _ := bank.ListConsents(ctx, client.ConsentQuery{Status: "revoked"}); len(page.Consents) != 1 || page.Consents[0].RevokedAt.IsZero() {
		t.Fatalf("revoked list: %+v", page)
	}
	if err := bank.Unsubscribe(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
}

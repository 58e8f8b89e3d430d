package app

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/verifycmd"
	"github.com/senimkz/senim/verifier"
)

// End to end in the sandbox (issue 9, item 2): the population register subscribes its
// TLS endpoint to the notice.* events, sends a legally significant notice, the engine
// delivers it by SMS and the citizen acknowledges it in the cabinet. The register's
// endpoint receives a signed webhook for every status change — accepted, dispatched,
// delivered to the inbox, delivered by SMS, read — each verifying with the published
// JWKS for Senim's issuer and the register's BIN, none carrying the IIN or the
// content; a tampered one does not verify. The police, subscribed to the same events,
// receive nothing about the register's notice. Then the receipt both sides download
// carries its audit-log inclusion proof. rule DC-2.
func TestSenderGetsSignedWebhooksOnNoticeStatus(t *testing.T) {
	type hit struct {
		path string
		body []byte
	}
	var mu sync.Mutex
	var hits []hit
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{r.URL.Path, b})
		mu.Unlock()
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
	var register, police sandbox.Organization
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "state_body":
			register = o
		case "law_enforcement":
			police = o
		}
	}
	clientOf := func(o sandbox.Organization) *client.Client {
		p12, err := a.Keys.P12("org", o.BIN, ca.P256)
		if err != nil {
			t.Fatal(err)
		}
		key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	reg, pol := clientOf(register), clientOf(police)
	if _, err := reg.Subscribe(ctx, hook.URL+"/register", notify.WebhookEvents); err != nil {
		t.Fatal(err)
	}
	if _, err := pol.Subscribe(ctx, hook.URL+"/police", notify.WebhookEvents); err != nil {
		t.Fatal(err)
	}

	readBy := testNow.Add(5 * 24 * time.Hour)
	acc, err := reg.SendNotice(ctx, client.Notice{SubjectIIN: alice.IIN, Category: "court", LegallySignificant: true, ReadBy: &readBy,
		Content: map[string]client.NoticeText{"kk": {Title: "Сот шақыруы", Body: "Сізді 10 наурызда сотқа шақырамыз."},
			"ru": {Title: "Повестка", Body: "Вас вызывают в суд 10 марта."}}}, "wh-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Notify.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv.URL)
	b.login(alice)
	_, page := b.get("/inbox/" + acc.ID + "?lang=en")
	form := regexp.MustCompile(`action="(/inbox/[^"]+/acknowledge)"`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no acknowledgement form:\n%s", page)
	}
	if st, _ := b.post(form[1], url.Values{"csrf": {csrfOf(t, page)}}); st != 200 && st != 303 {
		t.Fatalf("acknowledge: %d", st)
	}
	if _, err := a.Webhooks.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	jwks, err := reg.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verifier.ParseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	opts := verifier.WebhookOptions{Issuer: "http://" + a.Config.Addr, Audience: register.BIN, Now: func() time.Time { return testNow }}
	mu.Lock()
	got := slices.Clone(hits)
	mu.Unlock()
	var seen []string
	var first []byte
	for _, h := range got {
		if h.path != "/register" {
			t.Errorf("the police's endpoint received an event of the register's notice: %s", h.body)
			continue
		}
		ev, err := verifier.VerifyWebhook(ctx, h.body, verifier.StaticKeys(keys), opts)
		if err != nil {
			t.Fatalf("a notice webhook does not verify with the published JWKS: %v", err)
		}
		var d notify.NoticeEvent
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.Notice != acc.ID || ev.Type != "notice."+d.State {
			t.Fatalf("event %s: %+v, %v", ev.Type, d, err)
		}
		for _, secret := range []string{alice.IIN, "10 марта", "Повестка"} {
			if regexp.MustCompile(regexp.QuoteMeta(secret)).Match(ev.Data) {
				t.Errorf("the webhook carries %q: %s", secret, ev.Data)
			}
		}
		s := d.State
		if d.Channel != "" {
			s += "/" + d.Channel
		}
		seen = append(seen, s)
		if first == nil {
			first = h.body
		}
	}
	for _, want := range []string{"accepted", "dispatched", "delivered/inbox", "delivered/sms", "read"} {
		if !slices.Contains(seen, want) {
			t.Errorf("no %s webhook; got %v", want, seen)
		}
	}
	if first == nil {
		t.Fatal("no webhook arrived")
	}
	bad := append([]byte(nil), first...)
	bad[len(bad)/2] ^= 1
	if _, err := verifier.VerifyWebhook(ctx, bad, verifier.StaticKeys(keys), opts); err == nil {
		t.Error("a tampered notice webhook verified")
	}
	// For another organisation's BIN the same webhook is refused.
	other := opts
	other.Audience = police.BIN
	if _, err := verifier.VerifyWebhook(ctx, first, verifier.StaticKeys(keys), other); err == nil {
		t.Error("the register's webhook verified for the police")
	}

	// The read receipt, downloaded by the sender and by the citizen once the audit log
	// covers it, carries the inclusion proof of its notify.receipt.issued event, which
	// `senim notify verify --log-key` checks; the police get no receipt.
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	logKey, err := auditlog.NewVerifier(a.Log.Key())
	if err != nil {
		t.Fatal(err)
	}
	senderCopy, err := reg.NoticeReceipt(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, citizenCopy := b.get("/inbox/" + acc.ID + "/receipt.json")
	if st != 200 {
		t.Fatalf("the citizen's receipt download: %d", st)
	}
	for who, raw := range map[string][]byte{"sender": senderCopy, "citizen": []byte(citizenCopy)} {
		var rc notify.Receipt
		if err := json.Unmarshal(raw, &rc); err != nil || len(rc.Log) == 0 {
			t.Fatalf("%s's receipt has no log proof: %s", who, raw)
		}
		c, err := notify.VerifyReceipt(rc.JWS, jwks)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := notify.VerifyReceiptLog(&rc, c, logKey); err != nil {
			t.Errorf("%s's receipt: the log proof does not verify: %v", who, err)
		}
		dir := t.TempDir()
		rcFile, jwksFile := filepath.Join(dir, "rc.json"), filepath.Join(dir, "jwks.json")
		os.WriteFile(rcFile, raw, 0o600)
		os.WriteFile(jwksFile, jwks, 0o600)
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(ctx, []string{rcFile, "--jwks", jwksFile, "--log-key", a.Log.Key(), "--iin", alice.IIN}, &out, &errb); code != 0 {
			t.Errorf("%s's receipt: senim notify verify exit %d: %s%s", who, code, out.String(), errb.String())
		}
	}
	if _, err := pol.NoticeReceipt(ctx, acc.ID); err == nil {
		t.Error("the police downloaded the register's receipt")
	}
}

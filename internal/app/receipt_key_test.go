package app

import (
	"testing"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/notify"
)

// rule DC-2: end to end, with the real key ring (internal/pd) and the real log: a
// receipt downloaded today verifies ten years after its key was rotated out in an
// emergency and left /.well-known/jwks.json — under the key the bundle carries, bound
// by the log's proof — where the JWK set alone calls it invalid; without the log's key
// it is invalid.
func TestReceiptVerifiesYearsAfterKeyRotation(t *testing.T) {
	now := testNow
	cfg := sandboxConfig(t, "")
	cfg.Now = func() time.Time { return now }
	a, _ := startSandbox(t, cfg)
	ctx := t.Context()
	c := a.Pop.Citizens[0]
	cit, err := a.Identity.CitizenByIIN(ctx, c.IIN)
	if err != nil {
		t.Fatal(err)
	}
	n, err := a.Notify.Send(ctx, notify.Message{Subject: cit.Ref(), Sender: "Ministry of Justice", Significant: true,
		Content: map[string]notify.Text{"kk": {Title: "Сот шақыруы", Body: "Сотқа шақыру."}, "ru": {Title: "Повестка", Body: "Вызов в суд."}}})
	if err != nil {
		t.Fatal(err)
	}
	rd := notify.Reader{Subject: cit.Ref(), IIN: c.IIN, Lang: "ru", Method: "password", Session: "0123456789abcdef0123"}
	if _, err := a.Notify.Acknowledge(ctx, rd, n.Ref); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	rc, err := a.Notify.Receipt(ctx, cit.Ref(), n.Ref)
	if err != nil || len(rc.Log) == 0 || len(rc.Key) == 0 {
		t.Fatalf("the bundle: %+v, %v", rc, err)
	}
	logKey, err := auditlog.NewVerifier(a.Log.Key())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := notify.VerifyReceiptBundle(rc, a.PD.JWKS(ctx), logKey); err != nil || v.FromBundleKey {
		t.Fatalf("today: %+v, %v", v, err)
	}
	if err := a.PD.RotateKey(ctx, "admin:test"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * 365 * 24 * time.Hour)
	jwks := a.PD.JWKS(ctx) // re-read at the new clock: the retired key has left it
	if _, err := notify.VerifyReceipt(rc.JWS, jwks); err == nil {
		t.Fatal("the retired key is still published: the test does not reach the defect")
	}
	v, err := notify.VerifyReceiptBundle(rc, jwks, logKey)
	if err != nil || !v.FromBundleKey || v.Claims.Notice != n.Ref {
		t.Fatalf("ten years on: %+v, %v", v, err)
	}
	if _, err := notify.VerifyReceiptBundle(rc, jwks, nil); err == nil {
		t.Error("verified without the log's key")
	}
}

package notify

import (
	"crypto/rand"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/store/storetest"
)

// newLog builds an audit log over f's database with a fresh key and returns it with
// its verifier key.
func newLog(t *testing.T, f *fixture) (*auditlog.Log, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "senim.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	l, err := auditlog.New(t.Context(), auditlog.Config{DB: f.db, Signer: signer, Verifier: verifier, Origin: "senim.test/log"})
	if err != nil {
		t.Fatal(err)
	}
	return l, vkey
}

// rule DC-2: a read receipt downloaded before the log covers its event comes without
// a proof, and with one afterwards, for the citizen and the sender alike.
func TestReceiptCarriesLogProofOnceLogged(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	l, vkey := newLog(t, f)
	f.svc.cfg.Log = l
	n, _ := f.svc.Send(t.Context(), message(alice, true))
	if _, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref); err != nil {
		t.Fatal(err)
	}
	rc, err := f.svc.Receipt(t.Context(), alice, n.Ref)
	if err != nil || len(rc.Log) != 0 {
		t.Fatalf("before the log covers it: %+v, %v", rc, err)
	}
	if _, err := l.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rc, err = f.svc.Receipt(t.Context(), alice, n.Ref); err != nil || len(rc.Log) == 0 {
		t.Fatalf("after: %+v, %v", rc, err)
	}
	c, err := VerifyReceipt(rc.JWS, f.key.jwks())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := note.NewVerifier(vkey)
	if _, err := VerifyReceiptLog(rc, c, key); err != nil {
		t.Fatalf("the proof does not verify: %v", err)
	}
	// Another citizen cannot download it, proof or not.
	if _, err := f.svc.Receipt(t.Context(), bob, n.Ref); err == nil {
		t.Error("bob downloaded alice's receipt")
	}
}

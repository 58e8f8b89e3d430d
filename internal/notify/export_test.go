package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store/storetest"
)

// ReceiptForTest acknowledges a legally significant notice to alice and returns what
// the citizen downloads (the bundle and the bare JWS), the key set that verifies it,
// another key set, and alice's and bob's IINs: the fixtures of the external test of
// `senim notify verify` (internal/verifycmd).
func ReceiptForTest(t *testing.T) (bundle, jws, jwks, otherJWKS []byte, iinA, iinB string) {
	f := newFixture(t, storetest.Open(t))
	n, _ := f.svc.Send(t.Context(), message(alice, true))
	o, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ = json.Marshal(o.Receipt)
	return bundle, []byte(o.Receipt.JWS + "\n"), f.key.jwks(), newSigner(t).jwks(), iinAlice, iinBob
}

// ReceiptWithLogForTest is ReceiptForTest with the audit log: it acknowledges two
// legally significant notices to alice, integrates the log and returns the first
// receipt's downloaded bundle (with its log proof), the second's, the key set, the
// log's verifier key and another log's key.
func ReceiptWithLogForTest(t *testing.T) (bundle, second, jwks []byte, logKey, otherLogKey string) {
	f := newFixture(t, storetest.Open(t))
	l, vkey := newLog(t, f)
	f.svc.cfg.Log = l
	var out [][]byte
	for range 2 {
		n, _ := f.svc.Send(t.Context(), message(alice, true))
		if _, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		rc, err := f.svc.Receipt(t.Context(), alice, n.Ref)
		if err != nil || len(rc.Log) == 0 {
			t.Fatalf("receipt without its log proof: %+v, %v", rc, err)
		}
		b, _ := json.Marshal(rc)
		out = append(out, b)
	}
	_, other := newLog(t, newFixture(t, storetest.Open(t)))
	return out[0], out[1], f.key.jwks(), vkey, other
}

// ReceiptInLangForTest acknowledges a legally significant notice (Kazakh and Russian
// only) to alice reading in lang and returns the bundle she downloads and the key set
// that verifies it: an English reader's receipt covers the Russian content it fell
// back to.
func ReceiptInLangForTest(t *testing.T, lang string) (bundle, jwks []byte, contentLang string) {
	f := newFixture(t, storetest.Open(t))
	n, _ := f.svc.Send(t.Context(), message(alice, true))
	rd := reader(alice, iinAlice)
	rd.Lang = lang
	o, err := f.svc.Acknowledge(t.Context(), rd, n.Ref)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ = json.Marshal(o.Receipt)
	return bundle, f.key.jwks(), o.Content.Lang
}

// ReceiptAfterKeyLeftForTest returns a genuine receipt bundle, the JWK set published
// ten years after its key was rotated out (it no longer lists the key) and the log's
// verifier key.
func ReceiptAfterKeyLeftForTest(t *testing.T) (bundle, jwks []byte, logKey string) {
	f := newLongLived(t)
	rc := f.receipt(t)
	f.ring.rotate(t)
	f.now = f.now.Add(10 * 365 * 24 * time.Hour)
	bundle, _ = json.Marshal(rc)
	return bundle, f.ring.jwks(), f.vkey
}

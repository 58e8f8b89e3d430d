package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/store/storetest"
)

// ringSigner models pd's key ring (internal/pd/keys.go) at the test's clock: one
// active key signs; a rotated key is retired and published until maxLife after its
// retirement, then leaves the JWK set; PublicJWK gives every key ever used.
type ringSigner struct {
	now     func() time.Time
	maxLife time.Duration
	active  *keySigner
	retired []retiredKey
}

type retiredKey struct {
	k     *keySigner
	until time.Time
}

func newRing(t testing.TB, now func() time.Time) *ringSigner {
	return &ringSigner{now: now, maxLife: 365*24*time.Hour + time.Hour, active: newSigner(t)}
}

// rotate retires the active key (a scheduled rotation and an emergency retire alike:
// pd keeps either published maxLife) and returns it.
func (r *ringSigner) rotate(t testing.TB) *keySigner {
	old := r.active
	r.retired = append(r.retired, retiredKey{old, r.now().Add(r.maxLife)})
	r.active = newSigner(t)
	return old
}

func (r *ringSigner) SignJWS(ctx context.Context, typ string, payload []byte) (string, error) {
	return r.active.SignJWS(ctx, typ, payload)
}

// jwks is /.well-known/jwks.json now.
func (r *ringSigner) jwks() []byte {
	keys := []string{string(r.active.jwk())}
	for _, k := range r.retired {
		if r.now().Before(k.until) {
			keys = append(keys, string(k.k.jwk()))
		}
	}
	return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`)
}

func (r *ringSigner) PublicJWK(_ context.Context, kid string) ([]byte, error) {
	for _, k := range append([]retiredKey{{k: r.active}}, r.retired...) {
		if k.k.kid == kid {
			return k.k.jwk(), nil
		}
	}
	return nil, errors.New("no such key")
}

// longLived is a fixture whose Signer is a key ring and whose receipts are logged.
type longLived struct {
	*fixture
	ring   *ringSigner
	logKey note.Verifier
	vkey   string // logKey as /log/key serves it
	sync   func()
}

func newLongLived(t *testing.T) *longLived {
	f := newFixture(t, storetest.Open(t))
	ring := newRing(t, func() time.Time { return f.now })
	f.svc.cfg.Signer = ring
	l, vkey := newLog(t, f)
	f.svc.cfg.Log = l
	key, _ := note.NewVerifier(vkey)
	return &longLived{fixture: f, ring: ring, logKey: key, vkey: vkey, sync: func() {
		if _, err := l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
	}}
}

// receipt acknowledges a new legally significant notice to alice and returns the
// bundle she downloads once the log covers it.
func (f *longLived) receipt(t *testing.T) *Receipt {
	t.Helper()
	n, err := f.svc.Send(t.Context(), message(alice, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Acknowledge(t.Context(), reader(alice, iinAlice), n.Ref); err != nil {
		t.Fatal(err)
	}
	f.sync()
	rc, err := f.svc.Receipt(t.Context(), alice, n.Ref)
	if err != nil || len(rc.Log) == 0 || len(rc.Key) == 0 {
		t.Fatalf("a receipt bundle without its proof or key: %+v, %v", rc, err)
	}
	return rc
}

// forge signs claims with k as Senim would, header and all.
func forge(t *testing.T, k *keySigner, c *ReceiptClaims) string {
	b, _ := json.Marshal(c)
	jws, err := k.SignJWS(t.Context(), ReceiptType, b)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// rule DC-2: a read receipt is verifiable for as long as it is kept, not only while its
// key is in /.well-known/jwks.json. Ten years after its key was rotated out — long past
// the year the retired key stays published — the genuine bundle verifies: under the key
// it carries, which the audit log's proof binds to this very JWS. Verified against the
// JWK set alone (what `senim notify verify` did before) it was INVALID: the defect.
// Whatever is changed — a byte of the JWS, the key, the proof, the log's key — or left
// out — the proof, the log's key — it is invalid.
func TestReceiptOutlivesItsKey(t *testing.T) {
	f := newLongLived(t)
	rc := f.receipt(t)
	other := f.receipt(t)
	f.now = f.now.Add(24 * time.Hour)
	f.ring.rotate(t)
	f.now = f.now.Add(10 * 365 * 24 * time.Hour)
	jwks := f.ring.jwks()
	kid, _ := KeyID(rc.JWS)
	if strings.Contains(string(jwks), kid) {
		t.Fatal("the key is still published: the test does not reach the defect")
	}

	// The defect: the JWK set alone no longer verifies the genuine receipt.
	if _, err := VerifyReceipt(rc.JWS, jwks); !errors.Is(err, ErrKeyNotInSet) {
		t.Fatalf("verified against the JWK set alone: %v", err)
	}
	v, err := VerifyReceiptBundle(rc, jwks, f.logKey)
	if err != nil {
		t.Fatalf("the genuine receipt, ten years on: %v", err)
	}
	if !v.FromBundleKey || v.Log == nil || v.Kid != kid || v.Claims.ID != rc.ID {
		t.Errorf("verified as %+v", v)
	}
	// Downloaded again now, it is the same.
	again, err := f.svc.Receipt(t.Context(), alice, rc.Notice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReceiptBundle(again, jwks, f.logKey); err != nil {
		t.Errorf("downloaded again: %v", err)
	}

	attacker := newSigner(t)
	otherLog := newLog
	_, otherVKey := otherLog(t, newFixture(t, storetest.Open(t)))
	otherKey, _ := note.NewVerifier(otherVKey)
	claims, _ := VerifyReceiptBundle(rc, jwks, f.logKey)
	for _, tc := range []struct {
		name   string
		change func(*Receipt)
		logKey note.Verifier
	}{
		{"without the log's key", func(*Receipt) {}, nil},
		{"one byte of the payload", func(r *Receipt) { r.JWS = flipPayloadByte(r.JWS) }, f.logKey},
		{"one byte of the signature", func(r *Receipt) {
			r.JWS = r.JWS[:len(r.JWS)-2] + map[bool]string{true: "A", false: "B"}[r.JWS[len(r.JWS)-2] != 'A'] + r.JWS[len(r.JWS)-1:]
		}, f.logKey},
		{"no proof", func(r *Receipt) { r.Log = nil }, f.logKey},
		{"no key (a bundle downloaded before keys were carried)", func(r *Receipt) { r.Key = nil }, f.logKey},
		{"another key in the bundle", func(r *Receipt) { r.Key = attacker.jwk() }, f.logKey},
		{"the proof of another receipt", func(r *Receipt) { r.Log = other.Log }, f.logKey},
		{"a proof under another log's key", func(*Receipt) {}, otherKey},
		{"a forged proof", func(r *Receipt) {
			var lg map[string]any
			json.Unmarshal(r.Log, &lg)
			ev := lg["event"].(map[string]any)
			ev["payload"] = strings.Replace(ev["payload"].(string), `"receipt_sha256":"`, `"receipt_sha256":"A`, 1)
			r.Log, _ = json.Marshal(lg)
		}, f.logKey},
		// Neither in the JWK set nor bound by the log: a receipt an attacker signs
		// with a key of their own, carried in the bundle, with the genuine proof.
		{"signed by a key neither published nor logged", func(r *Receipt) {
			r.JWS, r.Key = forge(t, attacker, claims.Claims), attacker.jwk()
		}, f.logKey},
	} {
		bad := *rc
		tc.change(&bad)
		if _, err := VerifyReceiptBundle(&bad, jwks, tc.logKey); !errors.Is(err, ErrReceiptInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

// flipPayloadByte changes one character of a compact JWS's payload.
func flipPayloadByte(jws string) string {
	parts := strings.Split(jws, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	b[len(b)/2] ^= 1
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// rule DC-2: a key rotated in an emergency (it leaked) does not let its holder mint
// receipts. The log, not the key, vouches for a receipt whose key is no longer
// published, and nothing signed with the leaked key after the rotation is in the log:
// such a receipt is invalid with the log's key both while the retired key is still
// published and after it left the set, whether it carries no proof or a genuine
// receipt's. The genuine receipts the key signed before it leaked stay valid, years
// on. (Without the log's key, while the leaked key is still published, the JWK set
// alone cannot tell a forgery: docs/notify.md says to verify with --log-key.)
func TestEmergencyRotatedKeyMintsNoReceipt(t *testing.T) {
	f := newLongLived(t)
	genuine := f.receipt(t)
	leaked := f.ring.rotate(t) // the emergency
	f.now = f.now.Add(time.Hour)
	c, err := VerifyReceiptBundle(genuine, f.ring.jwks(), f.logKey)
	if err != nil || c.FromBundleKey {
		t.Fatalf("the genuine receipt while its key is published: %+v, %v", c, err)
	}
	claims := *c.Claims
	claims.ID, claims.Notice = "r_"+strings.Repeat("F", 22), "n_"+strings.Repeat("F", 22)
	forged := &Receipt{JWS: forge(t, leaked, &claims), IINSalt: genuine.IINSalt, Key: leaked.jwk()}
	for _, at := range []struct {
		name  string
		after time.Duration
	}{{"while the leaked key is published", 0}, {"after it left the JWK set", 20 * 365 * 24 * time.Hour}} {
		f.now = f.now.Add(at.after)
		jwks := f.ring.jwks()
		for _, proof := range []struct {
			name string
			log  json.RawMessage
		}{{"no proof", nil}, {"a genuine receipt's proof", genuine.Log}} {
			bad := *forged
			bad.Log = proof.log
			if _, err := VerifyReceiptBundle(&bad, jwks, f.logKey); !errors.Is(err, ErrReceiptInvalid) {
				t.Errorf("%s, %s: a receipt minted with the leaked key verifies: %v", at.name, proof.name, err)
			}
		}
		if _, err := VerifyReceiptBundle(genuine, jwks, f.logKey); err != nil {
			t.Errorf("%s: the genuine receipt: %v", at.name, err)
		}
	}
}

package notify

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/pd"
)

// The example of RFC 8291 §5 (and Appendix A): its keys, salt and message.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcASPublic  = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func b64(t testing.TB, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8291: encrypting the example with its keys and salt gives its message byte for
// byte, and the user agent's key decrypts it; any change of a byte, the key or the
// auth secret fails.
func TestPushEncryptionRFC8291Vector(t *testing.T) {
	as, err := ecdh.P256().NewPrivateKey(b64(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(as.PublicKey().Bytes(), b64(t, rfcASPublic)) {
		t.Fatal("the example's application-server key pair does not match")
	}
	got, err := EncryptPush([]byte(rfcPlaintext), b64(t, rfcUAPublic), b64(t, rfcAuth), as, b64(t, rfcSalt))
	if err != nil {
		t.Fatal(err)
	}
	if enc := base64.RawURLEncoding.EncodeToString(got); enc != rfcBody {
		t.Fatalf("encrypted\n%s\nwant RFC 8291's\n%s", enc, rfcBody)
	}
	ua, _ := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	pt, err := DecryptPush(b64(t, rfcBody), ua, b64(t, rfcAuth))
	if err != nil || string(pt) != rfcPlaintext {
		t.Fatalf("decrypted %q, %v", pt, err)
	}
	tampered := b64(t, rfcBody)
	tampered[len(tampered)-1] ^= 1
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	wrongAuth := b64(t, rfcAuth)
	wrongAuth[0] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"tampered":   func() ([]byte, error) { return DecryptPush(tampered, ua, b64(t, rfcAuth)) },
		"other key":  func() ([]byte, error) { return DecryptPush(b64(t, rfcBody), other, b64(t, rfcAuth)) },
		"wrong auth": func() ([]byte, error) { return DecryptPush(b64(t, rfcBody), ua, wrongAuth) },
		"truncated":  func() ([]byte, error) { return DecryptPush(b64(t, rfcBody)[:90], ua, b64(t, rfcAuth)) },
	} {
		if _, err := try(); !errors.Is(err, ErrPushDecrypt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := EncryptPush(make([]byte, MaxPushPayload+1), b64(t, rfcUAPublic), b64(t, rfcAuth), as, b64(t, rfcSalt)); err == nil {
		t.Error("a payload over one record was encrypted")
	}
}

func FuzzDecryptPush(f *testing.F) {
	body, _ := base64.RawURLEncoding.DecodeString(rfcBody)
	f.Add(body)
	f.Add(body[:86])
	f.Add([]byte{})
	ua, _ := ecdh.P256().NewPrivateKey(mustB64(rfcUAPrivate))
	auth := mustB64(rfcAuth)
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := DecryptPush(b, ua, auth)
		if err == nil && bytes.Equal(b, body) && string(pt) != rfcPlaintext {
			t.Fatal("the RFC body decrypted to something else")
		}
	})
}

func mustB64(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// device is a browser with a push subscription at a local push service that checks
// VAPID and decrypts, as a real push service and service worker do between them.
type device struct {
	key  *ecdh.PrivateKey
	auth []byte
	srv  *httptest.Server
	sub  PushSubscription
	vkey *ecdsa.PublicKey // the application server key the browser subscribed with

	mu     sync.Mutex
	got    []pushPayload
	topics []string
	status int // answer with this status instead (0: 201)
}

func newDevice(t *testing.T, vapid *VAPID) *device {
	d := &device{auth: make([]byte, 16), vkey: &vapid.Key.PublicKey}
	d.key, _ = ecdh.P256().GenerateKey(rand.Reader)
	rand.Read(d.auth)
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	d.sub.Endpoint = d.srv.URL + "/push/" + base64.RawURLEncoding.EncodeToString(d.auth[:6])
	d.sub.Keys.P256DH = base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes())
	d.sub.Keys.Auth = base64.RawURLEncoding.EncodeToString(d.auth)
	return d
}

func (d *device) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.status != 0 {
		w.WriteHeader(d.status)
		return
	}
	if err := checkVAPID(r.Header.Get("Authorization"), d.vkey, d.srv.URL); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden) // RFC 8292 §4.2
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		http.Error(w, "headers", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	pt, err := DecryptPush(body, d.key, d.auth)
	if err != nil {
		http.Error(w, "decrypt", http.StatusBadRequest)
		return
	}
	var p pushPayload
	if err := json.Unmarshal(pt, &p); err != nil {
		http.Error(w, "json", http.StatusBadRequest)
		return
	}
	d.got = append(d.got, p)
	d.topics = append(d.topics, r.Header.Get("Topic"))
	w.WriteHeader(http.StatusCreated)
}

func (d *device) received() []pushPayload {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]pushPayload(nil), d.got...)
}

// checkVAPID is a push service's check of RFC 8292: "vapid t=JWT, k=KEY", the key the
// subscription was made with, an ES256 signature, aud the push service's origin, exp
// within 24 hours.
func checkVAPID(h string, want *ecdsa.PublicKey, origin string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return errors.New("not vapid")
	}
	var tok, k string
	for _, p := range strings.Split(rest, ",") {
		p = strings.TrimSpace(p)
		if v, ok := strings.CutPrefix(p, "t="); ok {
			tok = v
		}
		if v, ok := strings.CutPrefix(p, "k="); ok {
			k = v
		}
	}
	wb, _ := want.Bytes()
	if k != base64.RawURLEncoding.EncodeToString(wb) {
		return errors.New("another key")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	sig := mustB64(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(want, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("bad signature")
	}
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	json.Unmarshal(mustB64(parts[1]), &c)
	if c.Aud != origin || c.Sub == "" || c.Exp < time.Now().Unix() || c.Exp > time.Now().Add(24*time.Hour).Unix() {
		return errors.New("claims")
	}
	return nil
}

func newVAPID(t testing.TB) *VAPID {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &VAPID{Key: k, Subject: "mailto:ops@senim.test"}
}

// The push channel sends to a local push service that checks VAPID and decrypts:
// what arrives is the title, the text and the link, never the notice's content; a
// subscription the service says is gone is reported and the delivery has no address.
func TestPushChannel(t *testing.T) {
	v := newVAPID(t)
	d := newDevice(t, v)
	var gone []string
	ch := PushChannel{VAPID: v, Client: d.srv.Client(), Gone: func(_ context.Context, ep string) { gone = append(gone, ep) }}
	m := Outgoing{ID: "d1.n_x", Title: "Senim: a new notice", Text: "Senim: a new notice\nhttps://senim.test/inbox/n_x", URL: "https://senim.test/inbox/n_x",
		Push: []PushSubscription{d.sub}}
	if err := ch.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := d.received()
	if len(got) != 1 || got[0].Title != m.Title || got[0].URL != m.URL || got[0].ID != m.ID {
		t.Fatalf("received %+v", got)
	}
	// A VAPID key other than the one the browser subscribed with is refused for good.
	other := PushChannel{VAPID: newVAPID(t), Client: d.srv.Client()}
	if err := other.Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
		t.Errorf("a push signed with another key: %v", err)
	}
	d.mu.Lock()
	d.status = http.StatusGone
	d.mu.Unlock()
	if err := ch.Send(t.Context(), m); !errors.Is(err, ErrNoAddress) || len(gone) != 1 {
		t.Errorf("gone subscription: %v, %v", err, gone)
	}
	d.mu.Lock()
	d.status = http.StatusServiceUnavailable
	d.mu.Unlock()
	if err := ch.Send(t.Context(), m); err == nil || errors.Is(err, ErrPermanent) || errorCode(err) != "push_503" {
		t.Errorf("503: %v (%s)", err, errorCode(err))
	}
}

// The push client connects to public addresses only: a push endpoint on loopback (or
// any internal address) is refused at dial time unless the sandbox allows loopback.
func TestGuardedClient(t *testing.T) {
	v := newVAPID(t)
	d := newDevice(t, v)
	m := Outgoing{ID: "d1.n_x", Title: "t", Text: "t", URL: "https://senim.test/inbox/n_x", Push: []PushSubscription{d.sub}}
	if err := (PushChannel{VAPID: v, Client: GuardedClient(5*time.Second, false)}).Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
		t.Errorf("sent to loopback: %v", err)
	}
	if len(d.received()) != 0 {
		t.Fatal("the loopback endpoint was reached")
	}
	if err := (PushChannel{VAPID: v, Client: GuardedClient(5*time.Second, true)}).Send(t.Context(), m); err != nil || len(d.received()) != 1 {
		t.Errorf("sandbox loopback: %v", err)
	}
	for ip, public := range map[string]bool{"10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false,
		"0.0.0.0": false, "::1": false, "fe80::1": false, "fc00::1": false, "8.8.8.8": true, "2a00:1450::1": true} {
		if PublicIP(net.ParseIP(ip)) != public {
			t.Errorf("PublicIP(%s) = %v", ip, !public)
		}
	}
}

// FuzzPushSubscription: the subscription JSON a browser posts is untrusted; the check
// never panics, and what it accepts is an https (or, allowed, loopback http) URL with a
// P-256 key and a 16-byte secret.
func FuzzPushSubscription(f *testing.F) {
	f.Add(`{"endpoint":"https://push.example/x","keys":{"p256dh":"` + rfcUAPublic + `","auth":"` + rfcAuth + `"}}`)
	f.Add(`{"endpoint":"http://127.0.0.1:9/x","keys":{"p256dh":"` + rfcUAPublic + `","auth":"` + rfcAuth + `"}}`)
	f.Add(`{"endpoint":"https://10.0.0.1/x","keys":{"p256dh":"AAAA","auth":""}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var p PushSubscription
		if json.Unmarshal([]byte(raw), &p) != nil {
			return
		}
		for _, loop := range []bool{false, true} {
			if p.check(loop) != nil {
				continue
			}
			ep := strings.ToLower(p.Endpoint)
			if !strings.HasPrefix(ep, "https://") && !(loop && strings.HasPrefix(ep, "http://")) {
				t.Fatalf("accepted %q (loopback %v)", p.Endpoint, loop)
			}
			k, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Keys.P256DH, "="))
			if err != nil || len(k) != 65 {
				t.Fatalf("accepted key %q", p.Keys.P256DH)
			}
		}
	})
}

// A push notification says its title once. The notification shows the title, and its
// body was the rest of the SMS text with the title again on its first line: an
// ordinary notice said "Senim: a new notice from …" twice, a legally significant one
// the title and then it again above "Legally significant …". The body is now only what
// the title does not say, and the push says which language it is in.
func TestPushSaysItsTitleOnce(t *testing.T) {
	v := newVAPID(t)
	d := newDevice(t, v)
	ch := PushChannel{VAPID: v, Client: d.srv.Client()}
	s := &Service{cfg: Config{Issuer: "https://senim.test"}}
	names := pd.Titles{KK: "Мемлекеттік кірістер комитеті", RU: "Комитет государственных доходов", EN: "State Revenue Committee"}
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, significant := range []bool{true, false} {
			n := &Notice{Ref: "n_AAAAAAAAAAAAAAAAAAAAAA", Kind: KindMessage, Significant: significant, Facts: Facts{Sender: names.EN, SenderNames: names}}
			m := s.outgoing(n, claimed{id: 3, purpose: PurposeNotice}, lang)
			m.Push = []PushSubscription{d.sub}
			if err := ch.Send(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			got := d.received()
			p := got[len(got)-1]
			want := ""
			if significant {
				want = texts[lang]["out.significant"]
			}
			if p.Title != m.Title || p.Body != want || strings.Contains(p.Body, p.Title) || p.URL != m.URL || p.Lang != lang {
				t.Errorf("%s, legally significant %v: title %q, body %q (want %q), url %q, lang %q", lang, significant, p.Title, p.Body, want, p.URL, p.Lang)
			}
		}
	}
	// An automatic notice: its title names the event; nothing is left for the body.
	a := &Notice{Ref: "n_BAAAAAAAAAAAAAAAAAAAAA", Kind: KindAccess}
	m := s.outgoing(a, claimed{id: 4, purpose: PurposeNotice}, "kk")
	if b := PushBody(m); b != "" || m.Title != "Senim: "+texts["kk"]["title.access"] {
		t.Errorf("automatic notice: title %q, body %q", m.Title, b)
	}
}

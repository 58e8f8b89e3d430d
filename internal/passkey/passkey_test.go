package passkey

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

const origin = "https://senim.test"

var b64 = base64.RawURLEncoding

// sessions is identity as the service sees it: two citizens, and the sessions opened.
type sessions struct {
	mu     sync.Mutex
	opened []int64
}

func (s *sessions) CitizenByID(_ context.Context, id int64) (*identity.Citizen, error) {
	if id != 1 && id != 2 {
		return nil, identity.ErrNotFound
	}
	return &identity.Citizen{ID: id, Name: map[int64]string{1: "Aigerim", 2: "Bolat"}[id]}, nil
}

func (s *sessions) OpenSession(_ context.Context, id int64, m identity.Method) (string, *identity.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = append(s.opened, id)
	return "tok", &identity.Session{CitizenID: id, Method: m}, nil
}

// authenticator is a software passkey authenticator (a platform authenticator with
// user verification), enough to run both ceremonies as a browser would.
type authenticator struct {
	rpID    string
	origin  string
	creds   map[string]*credential // by credential id
	counter uint32
}

type credential struct {
	id     []byte
	key    *ecdsa.PrivateKey
	handle []byte
}

func newAuthenticator() *authenticator {
	return &authenticator{rpID: "senim.test", origin: origin, creds: map[string]*credential{}}
}

func (a *authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

func (a *authenticator) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(a.rpID))
	a.counter++
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	return append(out, attested...)
}

// create answers navigator.credentials.create with the ceremony's options.
func (a *authenticator) create(t *testing.T, c *Ceremony) []byte {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(c.Options, &opts); err != nil {
		t.Fatal(err)
	}
	handle, err := b64.DecodeString(opts.PublicKey.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cred := &credential{id: make([]byte, 16), key: key, handle: handle}
	rand.Read(cred.id)
	a.creds[string(cred.id)] = cred
	pub, _ := key.PublicKey.Bytes()
	cose, _ := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	attested := make([]byte, 16) // AAGUID
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(cred.id)))
	attested = append(append(attested, cred.id...), cose...)
	const up, uv, at = 0x01, 0x04, 0x40
	att, _ := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(up|uv|at, attested)})
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(cred.id), "rawId": b64.EncodeToString(cred.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(a.clientData("webauthn.create", opts.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{},
	})
	return resp
}

// get answers navigator.credentials.get with the passkey cred.
func (a *authenticator) get(t *testing.T, c *Ceremony, cred *credential) []byte {
	t.Helper()
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(c.Options, &opts); err != nil {
		t.Fatal(err)
	}
	cd := a.clientData("webauthn.get", opts.PublicKey.Challenge)
	ad := a.authData(0x01|0x04, nil)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(cred.id), "rawId": b64.EncodeToString(cred.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(cred.handle)},
		"clientExtensionResults": map[string]any{},
	})
	return resp
}

func (a *authenticator) only(t *testing.T) *credential {
	t.Helper()
	if len(a.creds) != 1 {
		t.Fatalf("%d credentials", len(a.creds))
	}
	for _, c := range a.creds {
		return c
	}
	return nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newService(t *testing.T) (*Service, *sessions, *clock, *store.DB) {
	t.Helper()
	db := storetest.Open(t)
	ss := &sessions{}
	clk := &clock{now: time.Now()}
	s, err := New(Config{DB: db, Sessions: ss, Origin: origin, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, ss, clk, db
}

func code(err error) string { return problem.From(err).Code }

// TestRegisterAndLogin: a citizen adds a passkey and logs in with it, without
// typing an IIN; the session says how (rule DD-5: the owner authenticates with
// biometrics — the authenticator's, never seen by Senim).
func TestRegisterAndLogin(t *testing.T) {
	// rule DD-5
	s, ss, _, db := newService(t)
	ctx := t.Context()
	auth := newAuthenticator()
	c, err := s.BeginRegistration(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := s.FinishRegistration(ctx, 1, c.Token, "My phone", auth.create(t, c))
	if err != nil {
		t.Fatal(err)
	}
	cred := auth.only(t)
	if pk.ID != b64.EncodeToString(cred.id) || pk.Name != "My phone" {
		t.Fatalf("passkey %+v", pk)
	}
	// The user handle is random, not the citizen's id or IIN.
	if len(cred.handle) != 32 || strings.Contains(string(cred.handle), "1") && len(cred.handle) < 4 {
		t.Fatalf("user handle %x", cred.handle)
	}
	l, err := s.BeginLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, sess, err := s.FinishLogin(ctx, l.Token, auth.get(t, l, cred))
	if err != nil {
		t.Fatal(err)
	}
	if tok == "" || sess.CitizenID != 1 || sess.Method != identity.MethodPasskey || len(ss.opened) != 1 {
		t.Fatalf("session %+v, opened %v", sess, ss.opened)
	}
	list, err := s.List(ctx, 1)
	if err != nil || len(list) != 1 || list[0].LastUsed.IsZero() {
		t.Fatalf("list %+v, %v", list, err)
	}
	// Added and removed are events about the citizen; the name stays out of them.
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE type = ? AND subject = 'citizen:1' AND payload NOT LIKE '%My phone%'`, EvAdded).Scan(&n)
	if n != 1 {
		t.Fatalf("%d added events", n)
	}
}

// TestRefusals: every check has its negative case, and a refused attempt changes
// nothing (no session, no credential).
func TestRefusals(t *testing.T) {
	// rule DD-5
	s, ss, clk, _ := newService(t)
	ctx := t.Context()
	auth := newAuthenticator()
	c, _ := s.BeginRegistration(ctx, 1)
	resp := auth.create(t, c)

	// Registration: a bad name, another citizen finishing it, a bad answer.
	for _, name := range []string{"", "  ", strings.Repeat("я", MaxName+1), "a\nb"} {
		if _, err := s.FinishRegistration(ctx, 1, c.Token, name, resp); code(err) != "passkey.name_invalid" {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if _, err := s.FinishRegistration(ctx, 2, c.Token, "Bolat's", resp); code(err) != "passkey.ceremony_expired" {
		t.Errorf("another citizen finished the ceremony: %v", err)
	}
	// That attempt used the ceremony up: single use, whoever tried.
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "My phone", resp); code(err) != "passkey.ceremony_expired" {
		t.Errorf("a used ceremony: %v", err)
	}
	c, _ = s.BeginRegistration(ctx, 1)
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "x", []byte(`{"id":1}`)); code(err) != "passkey.response_invalid" {
		t.Errorf("malformed answer: %v", err)
	}
	c, _ = s.BeginRegistration(ctx, 1)
	other := newAuthenticator()
	other.origin = "https://evil.test"
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "x", other.create(t, c)); code(err) != "passkey.not_verified" {
		t.Errorf("another origin: %v", err)
	}
	if list, _ := s.List(ctx, 1); len(list) != 0 {
		t.Fatalf("a refused registration stored %d passkeys", len(list))
	}
	// Expired: past the lifetime.
	c, _ = s.BeginRegistration(ctx, 1)
	resp = auth.create(t, c)
	clk.add(DefaultLifetime + time.Second)
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "late", resp); code(err) != "passkey.ceremony_expired" {
		t.Errorf("expired: %v", err)
	}
	clk.add(-DefaultLifetime - time.Second)
	c, _ = s.BeginRegistration(ctx, 1)
	auth.creds = map[string]*credential{}
	resp = auth.create(t, c)
	cred := auth.only(t)
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "My phone", resp); err != nil {
		t.Fatal(err)
	}

	// Login: a forged token, a used ceremony, a signature over another challenge, a
	// removed passkey, an unknown one.
	if _, _, err := s.FinishLogin(ctx, "forged", nil); code(err) != "passkey.ceremony_expired" {
		t.Errorf("forged token: %v", err)
	}
	l1, _ := s.BeginLogin(ctx)
	l2, _ := s.BeginLogin(ctx)
	if _, _, err := s.FinishLogin(ctx, l1.Token, auth.get(t, l2, cred)); code(err) != "passkey.not_verified" {
		t.Errorf("an answer to another challenge: %v", err)
	}
	if _, _, err := s.FinishLogin(ctx, l1.Token, auth.get(t, l1, cred)); code(err) != "passkey.ceremony_expired" {
		t.Errorf("a used login ceremony: %v", err)
	}
	stranger := newAuthenticator()
	c2, _ := s.BeginRegistration(ctx, 2)
	stranger.create(t, c2) // never finished: not registered
	l, _ := s.BeginLogin(ctx)
	if _, _, err := s.FinishLogin(ctx, l.Token, stranger.get(t, l, stranger.only(t))); code(err) != "passkey.unknown" {
		t.Errorf("an unregistered passkey: %v", err)
	}
	// Another citizen cannot remove the first one's passkey; she can.
	id := b64.EncodeToString(cred.id)
	if err := s.Remove(ctx, 2, id); code(err) != "passkey.not_found" {
		t.Errorf("another citizen removed it: %v", err)
	}
	if err := s.Remove(ctx, 1, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, 1, id); code(err) != "passkey.not_found" {
		t.Errorf("removed twice: %v", err)
	}
	l, _ = s.BeginLogin(ctx)
	if _, _, err := s.FinishLogin(ctx, l.Token, auth.get(t, l, cred)); code(err) != "passkey.unknown" {
		t.Errorf("a removed passkey: %v", err)
	}
	if len(ss.opened) != 0 {
		t.Fatalf("refused logins opened sessions: %v", ss.opened)
	}
}

// TestClonedKeyRefused: an answer whose counter does not move forward (a copy of
// the key replaying) opens no session.
func TestClonedKeyRefused(t *testing.T) {
	// rule DD-5
	s, ss, _, _ := newService(t)
	ctx := t.Context()
	auth := newAuthenticator()
	c, _ := s.BeginRegistration(ctx, 1)
	if _, err := s.FinishRegistration(ctx, 1, c.Token, "phone", auth.create(t, c)); err != nil {
		t.Fatal(err)
	}
	cred := auth.only(t)
	l, _ := s.BeginLogin(ctx)
	if _, _, err := s.FinishLogin(ctx, l.Token, auth.get(t, l, cred)); err != nil {
		t.Fatal(err)
	}
	auth.counter -= 2 // the copy is behind
	l, _ = s.BeginLogin(ctx)
	if _, _, err := s.FinishLogin(ctx, l.Token, auth.get(t, l, cred)); code(err) != "passkey.cloned" {
		t.Fatalf("cloned: %v", err)
	}
	if len(ss.opened) != 1 {
		t.Fatalf("sessions %v", ss.opened)
	}
}

func TestTooMany(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := t.Context()
	auth := newAuthenticator()
	for i := range MaxPerCitizen {
		c, err := s.BeginRegistration(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishRegistration(ctx, 1, c.Token, "k", auth.create(t, c)); err != nil {
			t.Fatalf("passkey %d: %v", i, err)
		}
	}
	if _, err := s.BeginRegistration(ctx, 1); !errors.Is(err, ErrTooMany) {
		t.Fatalf("the eleventh: %v", err)
	}
}

func TestNewRefusesIPOrigin(t *testing.T) {
	for _, o := range []string{"http://127.0.0.1:8080", "https://[::1]", "ftp://senim.kz", "senim.kz", "https://senim.kz/path"} {
		if _, err := New(Config{DB: &store.DB{}, Sessions: &sessions{}, Origin: o}); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
	if _, err := New(Config{DB: &store.DB{}, Sessions: &sessions{}, Origin: "http://localhost:8080"}); err != nil {
		t.Errorf("localhost: %v", err)
	}
}

// FuzzLoginAnswer: no answer a browser can post to the login makes the parsing or
// the verification panic or pass. The harness runs them on one ceremony's session
// data in memory (FinishLogin adds only the single-use lookup around them), with a
// handler that offers a registered citizen whatever the answer names.
func FuzzLoginAnswer(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}`))
	s, err := New(Config{DB: &store.DB{}, Sessions: &sessions{}, Origin: origin})
	if err != nil {
		f.Fatal(err)
	}
	_, sd, err := s.wa.BeginDiscoverableLogin()
	if err != nil {
		f.Fatal(err)
	}
	u := &user{id: 1, handle: []byte("AA"), name: "Aigerim"}
	handler := func(_, _ []byte) (webauthn.User, error) { return u, nil }
	f.Fuzz(func(t *testing.T, resp []byte) {
		parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
		if err != nil {
			return
		}
		if _, _, err := s.wa.ValidatePasskeyLogin(handler, *sd, parsed); err == nil {
			t.Fatal("a fuzzed answer verified")
		}
	})
}

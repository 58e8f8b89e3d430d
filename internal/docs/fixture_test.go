package docs_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
)

// keySigner signs like pd.Service.SignJWS, with a key of the test.
type keySigner struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newSigner(t testing.TB) *keySigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &keySigner{priv: k}
	s.kid = s.thumbprint()
	return s
}

// thumbprint is the key's RFC 7638 thumbprint, the kid Senim's keys have.
func (k *keySigner) thumbprint() string {
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + k.coord(1) + `","y":"` + k.coord(33) + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (k *keySigner) coord(at int) string {
	b, _ := k.priv.PublicKey.Bytes()
	return base64.RawURLEncoding.EncodeToString(b[at : at+32])
}

// PublicJWK gives the public JWK of the signer's key, as pd.Service does of any key it
// ever signed with (docs.KeyPublisher).
func (k *keySigner) PublicJWK(_ context.Context, kid string) ([]byte, error) {
	if kid != k.kid {
		return nil, errors.New("unknown kid")
	}
	return json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "kid": k.kid, "alg": "ES256", "use": "sig", "x": k.coord(1), "y": k.coord(33)})
}

func (k *keySigner) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"`+k.kid+`","typ":"`+typ+`"}`)) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + enc.EncodeToString(sig[:]), nil
}

func (k *keySigner) jwks() []byte {
	b, _ := k.priv.PublicKey.Bytes()
	enc := base64.RawURLEncoding
	j, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": k.kid, "alg": "ES256", "use": "sig",
		"x": enc.EncodeToString(b[1:33]), "y": enc.EncodeToString(b[33:])}}})
	return j
}

// syncBuffer is a log sink the test reads afterwards.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

type fixture struct {
	db     *store.DB
	svc    *docs.Service
	log    *auditlog.Log
	logKey note.Verifier
	vkey   string
	key    *keySigner
	src    *sandbox.Documents
	pop    sandbox.Population
	now    time.Time
	logs   *syncBuffer
	owner  docs.Owner
	other  docs.Owner // a second citizen with documents of her own
	alice  docs.Verifier
	clerk  docs.Verifier
	bank   docs.Verifier
}

func newFixture(t testing.TB, db *store.DB, mod ...func(*docs.Config)) *fixture {
	t.Helper()
	f := &fixture{db: db, key: newSigner(t), now: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC), logs: &syncBuffer{}, pop: sandbox.Demo()}
	clock := func() time.Time { return f.now }
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	skey, vkey, err := note.GenerateKey(rand.Reader, "senim.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	f.logKey, _ = note.NewVerifier(vkey)
	f.vkey = vkey
	if f.log, err = auditlog.New(context.Background(), auditlog.Config{DB: db, Signer: signer, Verifier: f.logKey, Origin: "senim.test/log", Now: clock, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	f.src = sandbox.NewDocuments(f.pop)
	f.src.Now = clock
	cfg := docs.Config{DB: db, Source: f.src, Signer: f.key, Log: f.log, Issuer: "https://senim.test",
		VerifyURL: "https://senim.test/documents/verify", Now: clock, Logger: logger}
	for _, m := range mod {
		m(&cfg)
	}
	if f.svc, err = docs.New(cfg); err != nil {
		t.Fatal(err)
	}
	c := f.pop.Citizens
	f.owner = docs.Owner{Ref: "citizen:1", IIN: c[0].IIN, Name: c[0].Name}
	f.other = docs.Owner{Ref: "citizen:3", IIN: c[2].IIN, Name: c[2].Name}
	f.alice = docs.Verifier{Subject: "citizen:2", Kind: docs.VerifierCitizen, IIN: c[1].IIN, Name: c[1].Name}
	bank := f.pop.Organizations[0]
	f.clerk = docs.Verifier{Subject: "citizen:4", Kind: docs.VerifierEmployee, IIN: c[3].IIN, BIN: bank.BIN, Name: bank.Name}
	f.bank = docs.Verifier{Subject: "org:" + bank.BIN, Kind: docs.VerifierSystem, BIN: bank.BIN, Name: bank.Name}
	return f
}

func (f *fixture) open(t testing.TB, o docs.Owner, kind string) *docs.Opened {
	t.Helper()
	op, err := f.svc.Open(context.Background(), o, kind)
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	return op
}

func (f *fixture) syncLog(t testing.TB) {
	t.Helper()
	if _, err := f.log.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func base64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

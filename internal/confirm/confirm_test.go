package confirm

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func mkID(first11 string) string {
	for s := first11; ; s = s[:10] + string(s[10]+1) {
		if d, ok := kzid.CheckDigit(s); ok {
			return s + string('0'+d)
		}
	}
}

var (
	iinAlice = mkID("90010130001")
	iinBob   = mkID("85050540001")
	bank     = mkID("05049000100")
	insurer  = mkID("06049000100")
)

type citizens map[string]string

func (c citizens) SubjectRefTx(_ context.Context, _ *store.Tx, iin string) (string, error) {
	if _, ok := c[iin]; !ok {
		c[iin] = "citizen:" + strconv.Itoa(len(c)+1)
	}
	return c[iin], nil
}

type keySigner struct{ priv *ecdsa.PrivateKey }

func (k keySigner) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"`+typ+`"}`)) + "." + enc.EncodeToString(payload)
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

// noLog has logged nothing yet.
type noLog struct{}

func (noLog) IndexOfEvent(context.Context, int64) (int64, error) { return 0, auditlog.ErrLeafNotFound }
func (noLog) Bundle(context.Context, string, int64) ([]byte, error) {
	return nil, auditlog.ErrNotYours
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newService(t *testing.T) (*Service, *store.DB, *time.Time, citizens) {
	t.Helper()
	return newServiceOn(t, storetest.Open(t))
}

// newServiceOn is newService on db (an engine of storetest.Engines).
func newServiceOn(t *testing.T, db *store.DB) (*Service, *store.DB, *time.Time, citizens) {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v, err := pki.New(pki.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	cs := citizens{}
	s, err := New(Config{DB: db, Citizens: cs, Signer: keySigner{priv}, Log: noLog{}, Validator: v, Issuer: "https://senim.test",
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, &now, cs
}

func consent(subject string, deadline time.Time) Request {
	return Request{SubjectIIN: subject, Deadline: deadline, Text: map[string]string{"kk": "Келісемін.", "ru": "Согласна."},
		Transaction: policy.Transaction{Kind: "data_sharing_consent", OneTime: true}}
}

func events(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type LIKE 'confirm.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rule DC-1: only the identified, authenticated addressee answers; another citizen's
// or organisation's request is "not found"; an expired request cannot be answered;
// every refusal changes nothing. rule DC-5: the text answered must be the request's.
func TestAnswerRefusals(t *testing.T) {
	s, db, now, cs := newService(t)
	ctx := t.Context()
	c, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(time.Hour)))
	if err != nil || c.Method != policy.Push || c.EventID == 0 {
		t.Fatalf("%+v %v", c, err)
	}
	cs.SubjectRefTx(ctx, nil, iinBob)
	alice := Answerer{Subject: cs[iinAlice], IIN: iinAlice, Method: "password+sms", Session: "0123456789abcdef0123"}
	bob := Answerer{Subject: cs[iinBob], IIN: iinBob, Method: "password+sms", Session: "fedcba98765432100123"}
	ok := Answer{Decision: Confirm, Lang: "ru", TextSHA256: Hash("Согласна.")}
	before := events(t, db)
	tests := []struct {
		name string
		a    Answerer
		ans  Answer
		want error
	}{
		{"anonymous", Answerer{}, ok, ErrUnidentified},
		{"no IIN bound to the session", Answerer{Subject: alice.Subject, Method: "password+sms", Session: alice.Session}, ok, ErrUnidentified},
		{"no authentication method", Answerer{Subject: alice.Subject, IIN: iinAlice, Session: alice.Session}, ok, ErrUnidentified},
		{"another citizen", bob, ok, ErrNotFound},
		{"changed text", alice, Answer{Decision: Confirm, Lang: "ru", TextSHA256: Hash("Согласна навсегда.")}, ErrTextChanged},
		{"unknown language", alice, Answer{Decision: Confirm, Lang: "en", TextSHA256: ok.TextSHA256}, ErrRequestInvalid},
		{"no decision", alice, Answer{Lang: "ru", TextSHA256: ok.TextSHA256}, ErrDecision},
	}
	for _, tt := range tests {
		if _, err := s.Respond(ctx, tt.a, c.ID, tt.ans); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := s.ForOrg(ctx, insurer, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organisation reads the request: %v", err)
	}
	*now = t0.Add(time.Hour)
	if _, err := s.Respond(ctx, alice, c.ID, ok); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	if got, _ := s.ForOrg(ctx, bank, c.ID); got.State != StateExpired {
		t.Errorf("state %q after the deadline", got.State)
	}
	if n := events(t, db); n != before {
		t.Errorf("refused answers emitted %d events", n-before)
	}
	*now = t0
	got, err := s.Respond(ctx, alice, c.ID, ok)
	if err != nil || got.State != StateConfirmed || got.AnswerEvent == 0 {
		t.Fatalf("answer: %+v %v", got, err)
	}
	if _, err := s.Evidence(ctx, got); !errors.Is(err, ErrNotLogged) {
		t.Errorf("evidence before the log: %v", err)
	}
}

// rule DC-3: an EDS request cannot be confirmed by push, only declined; the decline
// has evidence too.
func TestEDSRequestDeclineOnly(t *testing.T) {
	s, _, _, cs := newService(t)
	ctx := t.Context()
	r := consent(iinAlice, t0.Add(time.Hour))
	r.Transaction = policy.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Obligations: []string{"repayment"}}
	c, err := s.Create(ctx, bank, r)
	if err != nil || c.Method != policy.EDS {
		t.Fatalf("%+v %v", c, err)
	}
	alice := Answerer{Subject: cs[iinAlice], IIN: iinAlice, Method: "eds", Session: "0123456789abcdef0123"}
	if _, err := s.Respond(ctx, alice, c.ID, Answer{Decision: Confirm, Lang: "kk", TextSHA256: Hash("Келісемін.")}); !errors.Is(err, ErrEDSRequired) {
		t.Errorf("push answer to an EDS request: %v", err)
	}
	if _, err := s.Sign(ctx, alice, c.ID, "kk", Hash("Келісемін."), []byte("not a CMS")); !errors.Is(err, ErrSignature) {
		t.Errorf("garbage CMS: %v", err)
	}
	got, err := s.Respond(ctx, alice, c.ID, Answer{Decision: Decline, Lang: "kk", TextSHA256: Hash("Келісемін.")})
	if err != nil || got.State != StateDeclined || got.Lang != "kk" {
		t.Errorf("decline: %+v %v", got, err)
	}
	// The party may ask for an EDS where a push would do; never the reverse.
	r = consent(iinAlice, t0.Add(time.Hour))
	r.Method = policy.EDS
	if c, err := s.Create(ctx, bank, r); err != nil || c.Method != policy.EDS || c.Decision.Method != policy.Push {
		t.Errorf("eds asked for: %+v %v", c, err)
	}
}

// Bad requests: a stable code each and nothing recorded.
func TestCreateRefusals(t *testing.T) {
	s, db, _, _ := newService(t)
	ctx := t.Context()
	good := consent(iinAlice, t0.Add(time.Hour))
	edit := func(f func(r *Request)) Request {
		r := good
		r.Text = map[string]string{"kk": "a", "ru": "b"}
		f(&r)
		return r
	}
	tests := []struct {
		name string
		org  string
		r    Request
		want error
	}{
		{"no organisation", "", good, ErrUnidentified},
		{"bad IIN", bank, edit(func(r *Request) { r.SubjectIIN = "900101300000" }), ErrRequestInvalid},
		{"Russian missing", bank, edit(func(r *Request) { delete(r.Text, "ru") }), ErrRequestInvalid},
		{"English instead", bank, edit(func(r *Request) { delete(r.Text, "ru"); r.Text["en"] = "x" }), ErrRequestInvalid},
		{"blank text", bank, edit(func(r *Request) { r.Text["kk"] = "  " }), ErrRequestInvalid},
		{"NUL in text", bank, edit(func(r *Request) { r.Text["kk"] = "a\x00" }), ErrRequestInvalid},
		{"past deadline", bank, edit(func(r *Request) { r.Deadline = t0.Add(-time.Second) }), ErrRequestInvalid},
		{"far deadline", bank, edit(func(r *Request) { r.Deadline = t0.Add(31 * 24 * time.Hour) }), ErrRequestInvalid},
		{"unknown method", bank, edit(func(r *Request) { r.Method = "sms" }), ErrRequestInvalid},
		{"unknown kind", bank, edit(func(r *Request) { r.Transaction.Kind = "casino" }), policy.ErrKind},
		{"push where EDS is required", bank, edit(func(r *Request) {
			r.Method = policy.Push
			r.Transaction = policy.Transaction{Kind: "loan", TermMonths: 24}
		}), ErrEDSRequired},
	}
	for _, tt := range tests {
		if _, err := s.Create(ctx, tt.org, tt.r); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := events(t, db); n != 0 {
		t.Errorf("%d events for refused requests", n)
	}
}

// A forged or malformed evidence package is refused with a stable code (the valid
// path is in internal/app's TestConfirmEndToEnd, against the real log).
func TestVerifyEvidenceRefuses(t *testing.T) {
	key, _ := auditlog.NewVerifier("senim.kz/log+01234567+AX7zQ0LkzlsU3JALDKb3I6Lwpg3B4kKpCVDIcT79AeOm")
	for _, b := range []string{``, `{}`, `{"format":"senim.kz/confirm/evidence/v1"}`, `{"format":"senim.kz/confirm/evidence/v1","evidence":"a.b.c","text":"x","log":{}}`} {
		if _, err := VerifyEvidence([]byte(b), []byte(`{"keys":[]}`), key); !errors.Is(err, ErrEvidenceInvalid) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

// FuzzVerifyEvidence: whatever bytes arrive, VerifyEvidence refuses without a panic.
func FuzzVerifyEvidence(f *testing.F) {
	f.Add([]byte(`{"format":"senim.kz/confirm/evidence/v1","evidence":"a.b.c","iin_salt":"","text":"x","log":{}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := VerifyEvidence(b, []byte(`{"keys":[]}`), nil); err == nil {
			t.Fatal("verified without keys")
		}
	})
}

// BenchmarkCreate measures a request's decision with its row and its outbox event in
// one transaction (SQLite in the test's directory; PostgreSQL with SENIM_TEST_DATABASE_URL).
func BenchmarkCreate(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v, _ := pki.New(pki.Config{})
	s, err := New(Config{DB: storetest.Open(b), Citizens: citizens{}, Signer: keySigner{priv}, Log: noLog{}, Validator: v,
		Issuer: "https://senim.test", Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	r := consent(iinAlice, t0.Add(time.Hour))
	r.Transaction = policy.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Obligations: []string{"repayment"}}
	for b.Loop() {
		if _, err := s.Create(b.Context(), bank, r); err != nil {
			b.Fatal(err)
		}
	}
}

package confirm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem/problemtest"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// post sends POST /v1/confirmations as org (no caller when org is "") with an
// Idempotency-Key when key is not "".
func post(t *testing.T, s *Service, org, key string, body any) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	s.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	b, _ := json.Marshal(body)
	r := httptest.NewRequest("POST", "/v1/confirmations", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	if org != "" {
		r = r.WithContext(orgauth.WithCaller(r.Context(), &orgauth.Caller{BIN: org}))
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

func requests(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM confirm_requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rule DC-1: POST /v1/confirmations honours an Idempotency-Key as the PD API does:
// a retry gets the first answer (same id, Idempotent-Replayed) and records nothing more,
// even after its deadline came too close; the same key with another body is 409
// confirm.idempotency.conflict; the key is the relying party's own (another party's
// identical key is a new request); an anonymous caller is refused. Nothing is recorded
// by a refusal.
func TestCreateIdempotencyKey(t *testing.T) {
	for _, db := range storetest.Engines(t) {
		t.Run(string(db.Engine()), func(t *testing.T) { testCreateIdempotencyKey(t, db) })
	}
}

func testCreateIdempotencyKey(t *testing.T, db *store.DB) {
	s, db, now, cs := newServiceOn(t, db)
	req := consent(iinAlice, t0.Add(2*time.Minute))
	first := post(t, s, bank, "k-1", req)
	if first.Code != http.StatusCreated || first.Header().Get("Location") == "" {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	var c Confirmation
	json.Unmarshal(first.Body.Bytes(), &c)
	ev := events(t, db)
	// The retry a minute and a half later: its deadline is no longer a minute ahead,
	// yet it is a retry, so it gets the first answer.
	*now = t0.Add(90 * time.Second)
	again := post(t, s, bank, "k-1", req)
	if again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "true" || again.Body.String() != first.Body.String() ||
		again.Header().Get("Location") != "/v1/confirmations/"+c.ID {
		t.Fatalf("replay: %d %v %s", again.Code, again.Header(), again.Body)
	}
	problemtest.SameReplay(t, problemtest.Recorded(first), problemtest.Recorded(again))
	if requests(t, db) != 1 || events(t, db) != ev {
		t.Fatalf("the replay recorded something: %d requests, %d events", requests(t, db), events(t, db))
	}
	*now = t0
	other := consent(iinBob, t0.Add(time.Hour))
	for _, tc := range []struct {
		name, org, key string
		body           any
		status         int
		code           string
	}{
		{"same key, other body", bank, "k-1", other, http.StatusConflict, "confirm.idempotency.conflict"},
		{"key too long", bank, string(bytes.Repeat([]byte("k"), 300)), other, http.StatusBadRequest, "idempotency.key_invalid"},
		{"anonymous", "", "k-2", other, http.StatusUnauthorized, ""},
		{"invalid request with a key", bank, "k-3", Request{SubjectIIN: "1"}, http.StatusBadRequest, "confirm.request.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post(t, s, tc.org, tc.key, tc.body)
			var p struct{ Code string }
			json.Unmarshal(w.Body.Bytes(), &p)
			if w.Code != tc.status || (tc.code != "" && p.Code != tc.code) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if requests(t, db) != 1 || events(t, db) != ev {
				t.Fatalf("a refusal recorded something")
			}
		})
	}
	// Bad input changes nothing: no refusal made a citizen record for Bob, whom the
	// service had not seen.
	if _, ok := cs[iinBob]; ok {
		t.Fatal("a refused request made a citizen record")
	}
	// The key "k-3" was not spent by the refused request: the good body goes through.
	if w := post(t, s, bank, "k-3", other); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("k-3 after a refusal: %d %s", w.Code, w.Body)
	}
	// Another relying party's "k-1" is its own key: a new request.
	if w := post(t, s, insurer, "k-1", req); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "" || bytes.Contains(w.Body.Bytes(), []byte(c.ID)) {
		t.Fatalf("another party's key: %d %s", w.Code, w.Body)
	}
	if requests(t, db) != 3 {
		t.Fatalf("%d requests", requests(t, db))
	}
}

// rule DC-1: an expired request emits confirm.request.expired exactly once, by the
// sweep (two sweeps, as two instances would run, emit one event); it is then expired
// for the relying party and the citizen, cannot be answered, and a request answered in
// time or still within its deadline is not touched.
func TestSweepExpiredOnce(t *testing.T) {
	for _, db := range storetest.Engines(t) {
		t.Run(string(db.Engine()), func(t *testing.T) { testSweepExpiredOnce(t, db) })
	}
}

func testSweepExpiredOnce(t *testing.T, db *store.DB) {
	s, db, now, cs := newServiceOn(t, db)
	ctx := t.Context()
	late, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	answered, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	alive, err := s.Create(ctx, bank, consent(iinAlice, t0.Add(3*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	alice := Answerer{Subject: cs[iinAlice], IIN: iinAlice, Method: "password+sms", Session: "0123456789abcdef0123"}
	if _, err := s.Respond(ctx, alice, answered.ID, Answer{Decision: Confirm, Lang: "ru", TextSHA256: Hash("Согласна.")}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before any deadline: %d %v", n, err)
	}
	*now = t0.Add(2 * time.Hour)
	// Read before the sweep: already expired.
	if c, _ := s.ForOrg(ctx, bank, late.ID); c.State != StateExpired {
		t.Fatalf("before the sweep: %s", c.State)
	}
	for i, want := range []int{1, 0} {
		if n, err := s.SweepExpired(ctx); err != nil || n != want {
			t.Fatalf("sweep %d: %d %v", i, n, err)
		}
	}
	var n int
	var payload string
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(payload) FROM outbox_events WHERE type = ?`, EvExpired).Scan(&n, &payload); err != nil || n != 1 {
		t.Fatalf("expired events: %d %v", n, err)
	}
	var p map[string]string
	if json.Unmarshal([]byte(payload), &p); p["id"] != late.ID || p["org"] != bank {
		t.Fatalf("payload %s", payload)
	}
	for id, want := range map[string]string{late.ID: StateExpired, answered.ID: StateConfirmed, alive.ID: StatePending} {
		if c, err := s.ForOrg(ctx, bank, id); err != nil || c.State != want {
			t.Errorf("%s: %+v %v", id, c, err)
		}
	}
	if _, err := s.Respond(ctx, alice, late.ID, Answer{Decision: Decline, Lang: "ru", TextSHA256: Hash("Согласна.")}); !errors.Is(err, ErrExpired) {
		t.Errorf("answer after the sweep: %v", err)
	}
	if mine, _ := s.Mine(ctx, cs[iinAlice], true); len(mine) != 1 || mine[0].ID != alive.ID {
		t.Errorf("awaiting: %+v", mine)
	}
}

// Without an archive an agreement cannot be archived, and the consumer does nothing.
func TestArchiveNeedsArchive(t *testing.T) {
	s, _, _, _ := newService(t)
	if err := s.ArchiveAgreement(t.Context(), "c_AAAAAAAAAAAAAAAAAAAAAA"); err == nil {
		t.Fatal("archived without an archive")
	}
	if n, err := s.SyncArchive(t.Context()); n != 0 || err != nil {
		t.Fatalf("%d %v", n, err)
	}
}

// BenchmarkCreateIdempotent is BenchmarkCreate with a fresh Idempotency-Key each time:
// the stored-answer lookup, the claim and the stored answer on top of the row and event.
func BenchmarkCreateIdempotent(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v, _ := pki.New(pki.Config{})
	s, err := New(Config{DB: storetest.Open(b), Citizens: citizens{}, Signer: keySigner{priv}, Log: noLog{}, Validator: v,
		Issuer: "https://senim.test", Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	r := consent(iinAlice, t0.Add(time.Hour))
	r.Transaction = policy.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Obligations: []string{"repayment"}}
	i := 0
	for b.Loop() {
		i++
		idem := Idempotency{Key: store.IdempotencyKey{Scope: "org:" + bank + " POST /v1/confirmations", Key: strconv.Itoa(i), RequestHash: make([]byte, 32)},
			Encode: func(c *Confirmation) ([]byte, error) { return json.Marshal(c) }}
		if _, _, err := s.CreateIdempotent(b.Context(), bank, r, idem); err != nil {
			b.Fatal(err)
		}
	}
}

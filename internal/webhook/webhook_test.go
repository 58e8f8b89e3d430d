package webhook_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/webhook"
	"github.com/senimkz/senim/verifier"
)

const (
	bank  = "000140000005"
	other = "000240000008"
	iss   = "https://senim.test"
)

// es256 is a test signer with the same header as pd.Service.SignJWS.
type es256 struct {
	key *ecdsa.PrivateKey
	kid string
}

func newSigner(t testing.TB) *es256 {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &es256{key: k, kid: "test-1"}
}

func (s *es256) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"` + s.kid + `","typ":"` + typ + `"}`))
	in := h + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return in + "." + enc.EncodeToString(sig[:]), nil
}

func (s *es256) keys() verifier.StaticKeys {
	return verifier.StaticKeys{s.kid: &s.key.PublicKey}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeResolver answers every name with the same addresses.
type fakeResolver []string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if len(f) == 0 {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, s := range f {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// testRoute turns "test.consent" outbox events into one message for the org in the
// payload.
func testRoute(_ context.Context, e store.Event) ([]webhook.Message, error) {
	if e.Type != "test.consent" {
		return nil, nil
	}
	var p struct {
		Org string `json:"org"`
		N   int    `json:"n"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, err
	}
	return []webhook.Message{{Org: p.Org, Type: "consent.revoked", ID: fmt.Sprintf("evt_%d", e.ID), Data: p}}, nil
}

func emit(t *testing.T, db *store.DB, org string, n int) {
	t.Helper()
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Emit(t.Context(), store.Event{Type: "test.consent", Actor: "system",
			Payload: json.RawMessage(fmt.Sprintf(`{"org":%q,"n":%d}`, org, n))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	svc    *webhook.Service
	db     *store.DB
	clock  *clock
	signer *es256
}

func newFixture(t *testing.T, db *store.DB, client *http.Client, mut func(*webhook.Config)) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	sg := newSigner(t)
	cfg := webhook.Config{DB: db, Signer: sg, Issuer: iss, Events: []string{"consent.given", "consent.revoked"},
		Routes: []webhook.Route{testRoute}, Client: client, AllowLoopback: true, Now: c.Now,
		MaxAttempts: 3, BaseDelay: 10 * time.Second, MaxDelay: time.Minute, Jitter: func() float64 { return 0.5 }}
	if mut != nil {
		mut(&cfg)
	}
	svc, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, clock: c, signer: sg}
}

func tlsClient(srv *httptest.Server, allowLoopback bool) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return webhook.NewClient(pool, allowLoopback, 5*time.Second)
}

// A citizen's revocation reaches the bank as a JWS that verifies with Senim's keys;
// a failing endpoint is retried with backoff; an event consumed twice is sent once.
func TestDeliverySignedRetriedOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var calls atomic.Int32
		got := make(chan *http.Request, 10)
		bodies := make(chan []byte, 10)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := calls.Add(1)
			b, _ := io.ReadAll(r.Body)
			got <- r
			bodies <- b
			if n < 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		f := newFixture(t, db, tlsClient(srv, true), nil)
		ctx := t.Context()
		sub, err := f.svc.Subscribe(ctx, bank, srv.URL+"/hooks/senim", []string{"consent.revoked"})
		if err != nil {
			t.Fatal(err)
		}
		emit(t, db, bank, 1)
		emit(t, db, other, 2) // another organisation's event: not for this endpoint

		// Attempt 1: 503, retried after BaseDelay (jitter 0.5 → 3/4 of it).
		if n, err := f.svc.Sync(ctx); err != nil || n != 1 {
			t.Fatalf("first pass: %d, %v", n, err)
		}
		if n, _ := f.svc.Sync(ctx); n != 0 {
			t.Fatalf("a failed delivery was retried at once (%d)", n)
		}
		f.clock.Add(7500 * time.Millisecond)
		if n, _ := f.svc.Sync(ctx); n != 1 {
			t.Fatalf("second attempt not due after 7.5 s: %d", n)
		}
		// Attempt 3 after 2×BaseDelay×3/4 = 15 s; not before.
		f.clock.Add(14 * time.Second)
		if n, _ := f.svc.Sync(ctx); n != 0 {
			t.Fatalf("third attempt came early")
		}
		f.clock.Add(time.Second)
		if n, _ := f.svc.Sync(ctx); n != 1 {
			t.Fatalf("third attempt not made")
		}
		if calls.Load() != 3 {
			t.Fatalf("endpoint called %d times, want 3", calls.Load())
		}
		var ids []string
		for range 3 {
			r, b := <-got, <-bodies
			if r.Header.Get("Content-Type") != webhook.ContentType || r.URL.Path != "/hooks/senim" {
				t.Fatalf("request %s %q", r.Header.Get("Content-Type"), r.URL.Path)
			}
			ev, err := verifier.VerifyWebhook(ctx, b, f.signer.keys(), verifier.WebhookOptions{Issuer: iss, Audience: bank, Now: f.clock.Now})
			if err != nil {
				t.Fatalf("the body does not verify: %v", err)
			}
			if ev.Type != "consent.revoked" || r.Header.Get("Senim-Event-Id") != ev.ID || !strings.Contains(string(ev.Data), `"n":1`) {
				t.Fatalf("event %+v", ev)
			}
			ids = append(ids, ev.ID)
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("the event id changed between attempts: %v", ids)
		}
		ds, err := f.svc.Deliveries(ctx, bank, sub.ID, 0)
		if err != nil || len(ds) != 1 || ds[0].State != "delivered" || ds[0].Attempts != 3 || ds[0].LastStatus != 204 {
			t.Fatalf("deliveries %+v, %v", ds, err)
		}
		// The outbox consumed again (a crash before the cursor moved) makes no new delivery.
		if _, err := db.ExecContext(ctx, `UPDATE outbox_cursors SET position = 0 WHERE consumer = ?`, webhook.ConsumerName); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.Sync(ctx); err != nil || n != 0 {
			t.Fatalf("replayed outbox made %d deliveries, %v", n, err)
		}
	})
}

// A delivery that never succeeds stops after MaxAttempts and is marked failed; a
// redirect is not followed.
func TestDeliveryGivesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var calls atomic.Int32
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		}))
		defer srv.Close()
		f := newFixture(t, db, tlsClient(srv, true), nil)
		ctx := t.Context()
		sub, err := f.svc.Subscribe(ctx, bank, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		emit(t, db, bank, 1)
		for range 5 {
			f.svc.Sync(ctx)
			f.clock.Add(time.Hour)
		}
		if calls.Load() != 3 {
			t.Fatalf("endpoint called %d times, want MaxAttempts=3", calls.Load())
		}
		ds, _ := f.svc.Deliveries(ctx, bank, sub.ID, 0)
		if len(ds) != 1 || ds[0].State != "failed" || ds[0].LastStatus != http.StatusFound {
			t.Fatalf("deliveries %+v", ds)
		}
	})
}

// DNS rebinding: the name resolved to a public address when the bank subscribed, and
// resolves to loopback when Senim delivers. The dialer's Control refuses the address
// actually dialled.
func TestDialRefusesRebinding(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		var calls atomic.Int32
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
		defer srv.Close()
		f := newFixture(t, db, tlsClient(srv, false), func(c *webhook.Config) {
			c.AllowLoopback = false
			c.Resolver = fakeResolver{"93.184.215.14"} // what "DNS" said at subscription
		})
		ctx := t.Context()
		port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
		sub, err := f.svc.Subscribe(ctx, bank, "https://localhost:"+port+"/hook", nil)
		if err != nil {
			t.Fatal(err)
		}
		emit(t, db, bank, 1)
		if n, err := f.svc.Sync(ctx); err != nil || n != 1 {
			t.Fatalf("pass: %d, %v", n, err)
		}
		if calls.Load() != 0 {
			t.Fatal("the endpoint on loopback was reached")
		}
		ds, _ := f.svc.Deliveries(ctx, bank, sub.ID, 0)
		if len(ds) != 1 || ds[0].State != "pending" || !strings.Contains(ds[0].LastError, "internal address") {
			t.Fatalf("deliveries %+v", ds)
		}
	})
}

func TestCheckURL(t *testing.T) {
	ctx := t.Context()
	public := fakeResolver{"93.184.215.14"}
	for _, tc := range []struct {
		url      string
		res      fakeResolver
		loopback bool
		want     *problem.Problem
	}{
		{"https://hooks.bank.kz/senim", public, false, nil},
		{"https://93.184.215.14:8443/x?y=1", nil, false, nil},
		{"https://127.0.0.1:9000/", nil, true, nil},
		{"https://[::1]:9000/", nil, true, nil},
		{"http://hooks.bank.kz/", public, false, webhook.ErrURLInvalid},
		{"ftp://hooks.bank.kz/", public, false, webhook.ErrURLInvalid},
		{"hooks.bank.kz/senim", public, false, webhook.ErrURLInvalid},
		{"https://user:pw@hooks.bank.kz/", public, false, webhook.ErrURLInvalid},
		{"https://hooks.bank.kz/#frag", public, false, webhook.ErrURLInvalid},
		{"https:///nohost", public, false, webhook.ErrURLInvalid},
		{"https://hooks.bank.kz:0/", public, false, webhook.ErrURLInvalid},
		{"https://" + strings.Repeat("a", 2100) + ".kz/", public, false, webhook.ErrURLInvalid},
		{"https://127.0.0.1/", nil, false, webhook.ErrAddressForbidden},
		{"https://[::1]/", nil, false, webhook.ErrAddressForbidden},
		{"https://[::ffff:127.0.0.1]/", nil, false, webhook.ErrAddressForbidden},
		{"https://10.1.2.3/", nil, true, webhook.ErrAddressForbidden},
		{"https://172.16.0.1/", nil, true, webhook.ErrAddressForbidden},
		{"https://192.168.1.1/", nil, true, webhook.ErrAddressForbidden},
		{"https://169.254.169.254/latest/meta-data/", nil, true, webhook.ErrAddressForbidden},
		{"https://100.64.0.1/", nil, true, webhook.ErrAddressForbidden},
		{"https://0.0.0.0/", nil, true, webhook.ErrAddressForbidden},
		{"https://[fe80::1]/", nil, true, webhook.ErrAddressForbidden},
		{"https://[fd00::1]/", nil, true, webhook.ErrAddressForbidden},
		{"https://[64:ff9b::a9fe:a9fe]/", nil, true, webhook.ErrAddressForbidden},
		{"https://224.0.0.1/", nil, true, webhook.ErrAddressForbidden},
		{"https://255.255.255.255/", nil, true, webhook.ErrAddressForbidden},
		{"https://internal.bank.kz/", fakeResolver{"10.0.0.5"}, false, webhook.ErrAddressForbidden},
		{"https://mixed.bank.kz/", fakeResolver{"93.184.215.14", "192.168.0.9"}, false, webhook.ErrAddressForbidden},
		{"https://localhost.bank.kz/", fakeResolver{"127.0.0.1"}, false, webhook.ErrAddressForbidden},
		{"https://nowhere.invalid/", fakeResolver{}, false, webhook.ErrUnresolvable},
	} {
		_, err := webhook.CheckURL(ctx, tc.url, tc.res, tc.loopback)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%.60s: refused: %v", tc.url, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%.60s: got %v, want %s", tc.url, err, tc.want.Code)
		}
	}
}

func TestBackoff(t *testing.T) {
	db := storetest.Open(t)
	for _, j := range []float64{0, 0.999} {
		f := newFixture(t, db, nil, func(c *webhook.Config) { c.Jitter = func() float64 { return j } })
		prev := time.Duration(0)
		for n := 1; n <= 10; n++ {
			d := f.svc.Backoff(n)
			full := min(10*time.Second<<(n-1), time.Minute)
			if d < full/2 || d > full {
				t.Fatalf("jitter %v attempt %d: %v outside [%v, %v]", j, n, d, full/2, full)
			}
			if d < prev {
				t.Fatalf("backoff shrank at %d", n)
			}
			prev = d
		}
	}
}

// An organisation sees, lists and deletes only its own subscriptions; event types
// must be known; the count is bounded.
func TestSubscriptionsAreTheCallersOwn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, nil, func(c *webhook.Config) { c.MaxSubscriptions = 2 })
		mux := http.NewServeMux()
		f.svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
		call := func(org, method, path, body string) (int, map[string]any) {
			t.Helper()
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			if org != "" {
				r = r.WithContext(orgauth.WithCaller(r.Context(), &orgauth.Caller{BIN: org}))
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			var out map[string]any
			json.Unmarshal(w.Body.Bytes(), &out)
			return w.Code, out
		}
		code, out := call(bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1:9443/h","events":["consent.revoked"]}`)
		if code != 201 {
			t.Fatalf("subscribe: %d %v", code, out)
		}
		id := out["id"].(string)
		for _, tc := range []struct {
			org, method, path, body string
			status                  int
			code                    string
		}{
			{"", "GET", "/v1/webhooks", "", 401, "auth.unauthenticated"},
			{bank, "POST", "/v1/webhooks", `{"url":"http://127.0.0.1/h"}`, 422, "webhook.url_invalid"},
			{bank, "POST", "/v1/webhooks", `{"url":"https://10.0.0.1/h"}`, 422, "webhook.address_forbidden"},
			{bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1/h","events":["consent.eaten"]}`, 422, "webhook.event_unknown"},
			// An empty list would subscribe to nothing (or, before, silently to everything).
			{bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1/h","events":[]}`, 422, "webhook.events_empty"},
			{bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1/h","secret":"x"}`, 400, "request.unknown_field"},
			{bank, "POST", "/v1/webhooks", `{}`, 400, "request.invalid_field"},
			{other, "DELETE", "/v1/webhooks/" + id, "", 404, "webhook.not_found"},
			{other, "GET", "/v1/webhooks/" + id + "/deliveries", "", 404, "webhook.not_found"},
			{bank, "GET", "/v1/webhooks/" + id + "/deliveries?limit=0", "", 400, "request.invalid_field"},
		} {
			code, out := call(tc.org, tc.method, tc.path, tc.body)
			if code != tc.status || out["code"] != tc.code {
				t.Errorf("%s %s as %q: %d %v, want %d %s", tc.method, tc.path, tc.org, code, out["code"], tc.status, tc.code)
			}
		}
		if _, out := call(other, "GET", "/v1/webhooks", ""); len(out["subscriptions"].([]any)) != 0 {
			t.Fatalf("another organisation sees %v", out)
		}
		if code, _ := call(bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1:9443/h2"}`); code != 201 {
			t.Fatal("second subscription refused")
		}
		if code, out := call(bank, "POST", "/v1/webhooks", `{"url":"https://127.0.0.1:9443/h3"}`); code != 409 || out["code"] != "webhook.too_many_subscriptions" {
			t.Fatalf("third: %d %v", code, out)
		}
		if code, _ := call(bank, "DELETE", "/v1/webhooks/"+id, ""); code != 204 {
			t.Fatal("delete refused")
		}
		if _, out := call(bank, "GET", "/v1/webhooks", ""); len(out["subscriptions"].([]any)) != 1 {
			t.Fatalf("after delete: %v", out)
		}
	})
}

// The list of event types: left out, every type; a list, exactly its types; an empty
// list is refused with webhook.events_empty and stores nothing, since a subscription
// to no event would never fire.
func TestSubscribeEventList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, nil, nil)
		ctx := t.Context()
		const org = "050440900011"
		subs := func() int {
			t.Helper()
			l, err := f.svc.Subscriptions(ctx, org)
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}
		_, err := f.svc.Subscribe(ctx, org, "https://127.0.0.1:9443/empty", []string{})
		var p *problem.Problem
		if !errors.As(err, &p) || p.Code != "webhook.events_empty" || p.Status != http.StatusUnprocessableEntity || p.Extra["field"] != "events" {
			t.Fatalf("empty list: %v, want webhook.events_empty on field events", err)
		}
		if n := subs(); n != 0 {
			t.Fatalf("a refused subscription was stored: %d", n)
		}
		one, err := f.svc.Subscribe(ctx, org, "https://127.0.0.1:9443/one", []string{"consent.revoked", "consent.revoked"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one.Events, []string{"consent.revoked"}) {
			t.Errorf("listed: events %v, want [consent.revoked]", one.Events)
		}
		all, err := f.svc.Subscribe(ctx, org, "https://127.0.0.1:9443/all", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(all.Events, []string{"consent.given", "consent.revoked"}) {
			t.Errorf("left out: events %v, want every type", all.Events)
		}
		if n := subs(); n != 2 {
			t.Errorf("subscriptions: %d, want 2", n)
		}
	})
}

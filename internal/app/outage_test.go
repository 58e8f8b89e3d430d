package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// outageURL returns a fresh PostgreSQL schema's URL that goes through a proxy the test
// can cut and names its connections with a unique application_name.
func outageURL(t *testing.T) (dsn, app string, p *storetest.CutProxy) {
	t.Helper()
	u, err := url.Parse(storetest.URL(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	p = storetest.NewCutProxy(t, u.Host)
	u.Host = p.Addr()
	var b [6]byte
	rand.Read(b[:])
	app = "senim_app_outage_" + hex.EncodeToString(b[:])
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), app, p
}

func bankClient(t *testing.T, a *App, base string) (*client.Client, string, string) {
	t.Helper()
	var bankBIN, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bankBIN = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	p12, err := a.Keys.P12("org", bankBIN, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := client.New(client.Config{BaseURL: base, Key: key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return bank, bankBIN, register
}

func getStatus(t *testing.T, u string) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res, m
}

// Outages answered honestly (issue 18 item 3). The server ends every database
// session: the next requests succeed on fresh connections. The database becomes
// unreachable: the API answers 503 http.unavailable with Retry-After, /readyz 503,
// and the consent that could not be recorded is not there afterwards.
func TestOutage(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skipf("%s not set: the outage is a PostgreSQL one", storetest.EnvURL)
	}
	dsn, appName, proxy := outageURL(t)
	a, srv := newSandbox(t, dsn)
	bank, _, register := bankClient(t, a, srv.URL)
	ctx := t.Context()
	alice := a.Pop.Citizens[0]
	record := func(ref, key string) error {
		_, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: alice.IIN, Owner: register, DataSets: []string{"identity"},
			Purpose: "loan application", ValidUntil: testNow.Add(24 * time.Hour), Method: "biometric", Reference: ref}, key)
		return err
	}
	for i := range 3 { // warm the pool
		if err := record("warm-"+string(rune('a'+i)), ""); err != nil {
			t.Fatal(err)
		}
	}

	// The server ends every session of the pool.
	kill, err := pgx.Connect(ctx, storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer kill.Close(context.Background())
	var n int
	if err := kill.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE application_name = $1", appName).Scan(&n); err != nil || n == 0 {
		t.Fatalf("terminated %d sessions: %v", n, err)
	}
	if res, m := getStatus(t, srv.URL+"/v1/pd/grounds"); res.StatusCode != 200 {
		t.Errorf("read after the sessions ended: %d %v", res.StatusCode, m)
	}
	if err := record("after-terminate", ""); err != nil {
		t.Errorf("write after the sessions ended: %v", err)
	}

	// The database becomes unreachable.
	proxy.Cut()
	res, m := getStatus(t, srv.URL+"/v1/pd/grounds")
	if res.StatusCode != 503 || m["code"] != "http.unavailable" || res.Header.Get("Retry-After") == "" {
		t.Errorf("read while unreachable: %d %v Retry-After %q", res.StatusCode, m, res.Header.Get("Retry-After"))
	}
	err = record("lost", "outage-key-1")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 503 || ce.Code != "http.unavailable" {
		t.Errorf("write while unreachable: %v", err)
	}
	if res, m := getStatus(t, srv.URL+"/readyz"); res.StatusCode != 503 || m["code"] != "http.unavailable" {
		t.Errorf("readyz while unreachable: %d %v", res.StatusCode, m)
	}
	if res, _ := getStatus(t, srv.URL+"/healthz"); res.StatusCode != 200 {
		t.Errorf("healthz (liveness) while the database is unreachable: %d", res.StatusCode)
	}

	// Nothing half-written: the refused consent and its idempotency key are absent.
	direct, err := pgx.Connect(ctx, storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(context.Background())
	u, _ := url.Parse(dsn)
	schema := pgx.Identifier{u.Query().Get("search_path")}.Sanitize()
	var keys int
	if err := direct.QueryRow(ctx, "SELECT count(*) FROM "+schema+".idempotency_keys WHERE key = 'outage-key-1'").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != 0 {
		t.Errorf("%d idempotency keys left by the refused request", keys)
	}
}

// Package pdtest starts, for tests, what `senim serve --sandbox` serves for personal-data
// access: the PD API behind the orgauth middleware, the sandbox population, SMS outbox
// and organization keys, and the population register as a data owner, on one
// httptest server.
package pdtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/senimkz/senim/api/apitest"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/pd/popreg"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// Sandbox is a running test sandbox.
type Sandbox struct {
	URL     string
	Service *pd.Service
	SMS     *sandbox.SMS
	Pop     sandbox.Population
	CA      *ca.CA
	Server  *httptest.Server
}

// Issuer is the security tokens' "iss" in the test sandbox.
const Issuer = "http://senim.test"

// Start starts a sandbox on db with the clock now (the CA is created an hour before).
func Start(t testing.TB, db *store.DB, now func() time.Time) *Sandbox {
	t.Helper()
	dir, err := os.MkdirTemp("", "pdtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	start := now()
	c, err := ca.Open(filepath.Join(dir, "ca"), ca.Config{Now: func() time.Time { return start.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	pop := sandbox.Demo()
	mobile, sms := sandbox.NewMobileDB(pop), sandbox.NewSMS(now)
	ids, err := identity.New(identity.Config{DB: db, Mobile: mobile, SMS: sms, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sandbox.Seed(ctx, ids, pop); err != nil {
		t.Fatal(err)
	}
	var regulator, register string
	for _, o := range pop.Organizations {
		switch o.Role {
		case "regulator":
			regulator = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	svc, err := pd.New(ctx, pd.Config{DB: db, Citizens: ids, Organizations: ids, Validator: v, Issuer: Issuer, Mobile: mobile, SMS: sms,
		RegulatorBINs: []string{regulator}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := sandbox.SeedDirectories(ctx, svc, now()); err != nil {
		t.Fatal(err)
	}
	sms.OnReply(svc)
	auth, err := orgauth.New(orgauth.Config{Validator: v, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	wrap := func(p string, f func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil {
				problem.Write(w, r, err)
			}
		})
	}
	(&sandbox.Handler{Population: pop, SMS: sms}).Register(wrap)
	(&sandbox.Keys{CA: c, Dir: filepath.Join(dir, "keys"), Pop: pop}).Register(wrap)
	os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
	ver, err := verifier.New(verifier.Config{Keys: svc.KeySource(), Issuer: Issuer, Audience: register, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	registerCaller := &orgauth.Caller{BIN: register}
	reg := popreg.New(ver, pop, func(ctx context.Context, jti, iin string, sets []string) error {
		yes := true
		_, err := svc.ReportAction(ctx, registerCaller, pd.Report{TokenJTI: jti, Subject: iin, Action: "view", Automated: &yes, DataSets: sets})
		return err
	})
	mux.Handle(popreg.Path, reg.Handler())
	// Every exchange is checked against api/openapi.yaml.
	srv := httptest.NewServer(apitest.Middleware(t, auth.Middleware(mux), nil))
	t.Cleanup(srv.Close)
	return &Sandbox{URL: srv.URL, Service: svc, SMS: sms, Pop: pop, CA: c, Server: srv}
}

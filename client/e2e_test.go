package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/pd/popreg"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

type env struct {
	url   string
	svc   *pd.Service
	notes *notify.Service // the notification point's sending API
	sms   *sandbox.SMS
	pop   sandbox.Population
	keys  map[string]*client.Key // by role
	now   time.Time
	trust *pki.Validator
	ca    *ca.CA
}

func role(pop sandbox.Population, r string) sandbox.Organization {
	for _, o := range pop.Organizations {
		if o.Role == r {
			return o
		}
	}
	panic(r)
}

// newEnv starts Senim's PD API, the orgauth middleware and the population register on
// one test server, with keys for the demo organizations from a sandbox CA, loaded
// through PKCS#12 as an initiator would.
func newEnv(t *testing.T) *env {
	now := storetest.Now
	clock := func() time.Time { return now }
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := ca.Open(dir, ca.Config{Now: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t)
	pop := sandbox.Demo()
	mobile, sms := sandbox.NewMobileDB(pop), sandbox.NewSMS(clock)
	ids, err := identity.New(identity.Config{DB: db, Mobile: mobile, SMS: sms, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.Seed(t.Context(), ids, pop); err != nil {
		t.Fatal(err)
	}
	e := &env{pop: pop, sms: sms, keys: map[string]*client.Key{}, now: now, trust: v, ca: c}
	svc, err := pd.New(t.Context(), pd.Config{DB: db, Citizens: ids, Validator: v, Issuer: "http://senim.test", Mobile: mobile, SMS: sms,
		RegulatorBINs: []string{role(pop, "regulator").BIN}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := sandbox.SeedDirectories(t.Context(), svc, clock()); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.SeedDirectories(t.Context(), svc, clock()); err != nil { // idempotent
		t.Fatal(err)
	}
	sms.OnReply(svc)
	e.svc = svc
	auth, err := orgauth.New(orgauth.Config{Validator: v, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	keys, err := verifier.ParseJWKS(svc.JWKS(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	registerBIN := role(pop, "state_body").BIN
	ver, err := verifier.New(verifier.Config{Keys: verifier.StaticKeys(keys), Issuer: "http://senim.test", Audience: registerBIN, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	registerCaller := &orgauth.Caller{BIN: registerBIN}
	reg := popreg.New(ver, pop, func(ctx context.Context, jti, iin string, sets []string) error {
		yes := true
		_, err := svc.ReportAction(ctx, registerCaller, pd.Report{TokenJTI: jti, Subject: iin, Action: "view", Automated: &yes, DataSets: sets})
		return err
	})
	mux.Handle(popreg.Path, reg.Handler())
	notes, err := notify.New(notify.Config{DB: db, Directory: svc, Organizations: ids, Signer: svc, Issuer: "http://senim.test",
		Citizens: ids, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	notes.Register(func(p string, h http.Handler) { mux.Handle(p, h) }, svc.IsRegulator)
	if err := notes.SetSender(t.Context(), "admin:test", registerBIN, []string{"tax", "court"}); err != nil {
		t.Fatal(err)
	}
	e.notes = notes
	srv := httptest.NewServer(auth.Middleware(mux))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	for _, r := range []string{"bank", "law_enforcement", "mobile_operator", "state_body"} {
		o := role(pop, r)
		is, err := c.IssueInformationSystem(o.BIN, o.Name, "system", ca.GOST2015)
		if err != nil {
			t.Fatal(err)
		}
		p12, err := ca.PKCS12(is, "Sandbox-Key1")
		if err != nil {
			t.Fatal(err)
		}
		k, err := client.LoadPKCS12(p12, "Sandbox-Key1")
		if err != nil {
			t.Fatal(err)
		}
		e.keys[r] = k
	}
	return e
}

func (e *env) client(t *testing.T, r string) *client.Client {
	c, err := client.New(client.Config{BaseURL: e.url, Key: e.keys[r], Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var codeRe = regexp.MustCompile(`: ([0-9A-Z]{4,12})\.`)

// rule PD-3.1: the service carries the interaction of initiator, subject and data
// owner, consent included. The three flows end to end through the Go client, with GOST
// keys from PKCS#12:
// initiator -> Senim -> data owner (verifier package) -> answer -> report.
func TestThreeFlows(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	subject := e.pop.Citizens[0]
	registerBIN := role(e.pop, "state_body").BIN
	owner := e.url + "/sandbox/popreg/v1/persons/" + subject.IIN + "?data_sets=identity"

	// Flow 1.
	bank := e.client(t, "bank")
	cons, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: subject.IIN, Owner: registerBIN, DataSets: []string{"identity", "address"},
		Purpose: "loan", ValidUntil: e.now.Add(30 * 24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "idem-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: subject.IIN, Owner: registerBIN, DataSets: []string{"identity", "address"},
		Purpose: "loan", ValidUntil: e.now.Add(30 * 24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "idem-1")
	if err != nil || again.ID != cons.ID {
		t.Fatalf("idempotent consent: %+v %v", again, err)
	}
	vt, err := e.keys["bank"].ProactiveToken(subject.IIN, pd.SandboxServiceCode, registerBIN, []string{"identity"}, "biometric", cons.ID, e.now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := bank.Proactive(ctx, vt)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.TrustedSystem {
		t.Error("the demo bank's system is a trusted object")
	}
	var data map[string]any
	if err := bank.DataRequest(ctx, owner, tok.SecurityToken, &data); err != nil {
		t.Fatal(err)
	}
	if data["identity"] == nil {
		t.Fatalf("%v", data)
	}
	// The same token cannot fetch another subject or data set.
	err = bank.DataRequest(ctx, e.url+"/sandbox/popreg/v1/persons/"+e.pop.Citizens[1].IIN+"?data_sets=identity", tok.SecurityToken, nil)
	if ce := (*client.Error)(nil); !errors.As(err, &ce) || ce.Code != "verifier.request.subject_mismatch" {
		t.Errorf("other subject: %v", err)
	}
	// Another organization cannot use the bank's token (sender constraint).
	police := e.client(t, "law_enforcement")
	err = police.DataRequest(ctx, owner, tok.SecurityToken, nil)
	if ce := (*client.Error)(nil); !errors.As(err, &ce) || ce.Code != "verifier.request.initiator_mismatch" {
		t.Errorf("stolen token: %v", err)
	}
	// A replayed verification token is refused with its code.
	if _, err := bank.Proactive(ctx, vt); !errors.Is(err, client.ErrReplayed) {
		t.Errorf("replay: %v", err)
	}

	// Flow 2.
	pvt, err := e.keys["law_enforcement"].ProtocolToken(subject.IIN, pd.SandboxGround, registerBIN, []string{"identity", "address"}, "case 1", e.now)
	if err != nil {
		t.Fatal(err)
	}
	ptok, err := police.Protocol(ctx, pvt)
	if err != nil {
		t.Fatal(err)
	}
	if ptok.ExpiresAt.Sub(e.now) != 15*time.Minute {
		t.Errorf("protocol token lives %v", ptok.ExpiresAt.Sub(e.now))
	}
	if err := police.DataRequest(ctx, owner, ptok.SecurityToken, &data); err != nil {
		t.Fatal(err)
	}
	if _, err := bank.Protocol(ctx, func() string {
		s, _ := e.keys["bank"].ProtocolToken(subject.IIN, pd.SandboxGround, registerBIN, []string{"identity"}, "", e.now)
		return s
	}()); !errors.Is(err, client.ErrProtocolNotPermitted) {
		t.Errorf("bank in protocol mode: %v", err)
	}

	// Flow 3.
	op := e.client(t, "mobile_operator")
	st, err := op.RequestSMS(ctx, client.SMSRequest{Subject: subject.IIN, Owner: registerBIN, DataSets: []string{"identity"}, Purpose: "SIM card"})
	if err != nil || st.Status != "awaiting_subject_response" {
		t.Fatalf("%+v %v", st, err)
	}
	msgs := e.sms.Messages(subject.Phone)
	m := codeRe.FindStringSubmatch(msgs[0].Text)
	if m == nil {
		t.Fatalf("no code in %q", msgs[0].Text)
	}
	// A wrong code from the operator: the client says how many tries are left.
	wrong := "000000"
	if m[1] == wrong {
		wrong = "111111"
	}
	_, err = op.EnterSMSCode(ctx, st.RequestID, wrong)
	if ce := (*client.Error)(nil); !errors.As(err, &ce) || ce.Code != "pd.sms.code_invalid" || ce.AttemptsLeft == nil || *ce.AttemptsLeft < 1 {
		t.Fatalf("wrong code: %v", err)
	}
	if err := e.sms.Reply(ctx, subject.Phone, m[1]); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stok, err := op.WaitSMS(wctx, st.RequestID, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.DataRequest(ctx, owner, stok.SecurityToken, &data); err != nil {
		t.Fatal(err)
	}

	// The subject's history: three tokens and three reported views.
	h, err := e.svc.AccessHistory(ctx, subject.IIN)
	if err != nil || len(h) != 6 {
		t.Fatalf("history: %d %v", len(h), err)
	}
	// A subject without a phone (PD-6.3.4).
	var nophone sandbox.Citizen
	for _, c := range e.pop.Citizens {
		if c.Phone == "" {
			nophone = c
		}
	}
	if _, err := op.RequestSMS(ctx, client.SMSRequest{Subject: nophone.IIN, Owner: registerBIN, DataSets: []string{"identity"}}); !errors.Is(err, client.ErrSMSNotRegistered) {
		t.Errorf("no phone: %v", err)
	}
}

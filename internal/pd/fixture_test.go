package pd

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The sandbox CA is slow to create (GOST keys); one per test binary.
var (
	caOnce sync.Once
	testCA *ca.CA
	caErr  error
	orgs   = map[string]*org{}
	orgsMu sync.Mutex
)

func sandboxCA(t testing.TB) *ca.CA {
	caOnce.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			caErr = err
			return
		}
		testCA, caErr = ca.Open(dir, ca.Config{Now: func() time.Time { return storetest.Now.Add(-24 * time.Hour) }})
	})
	if caErr != nil {
		t.Fatal(caErr)
	}
	return testCA
}

type org struct {
	bin    string
	key    *eds.PrivateKey
	chain  []*x509.Certificate
	caller *orgauth.Caller
}

func mkBIN(reg string, serial int) string {
	for ; ; serial++ {
		if b, ok := kzid.Complete(fmt.Sprintf("%s90%05d", reg, serial)); ok {
			return b
		}
	}
}

func mkIIN(birth string, serial int) string {
	for ; ; serial++ {
		if b, ok := kzid.Complete(fmt.Sprintf("%s0%04d", birth, serial)); ok {
			return b
		}
	}
}

// orgOf issues (once) an information-system certificate for bin.
func orgOf(t testing.TB, bin string, alg ca.Algorithm) *org {
	orgsMu.Lock()
	defer orgsMu.Unlock()
	k := bin + string(alg)
	if o := orgs[k]; o != nil {
		return o
	}
	is, err := sandboxCA(t).IssueInformationSystem(bin, "Org "+bin, "system", alg)
	if err != nil {
		t.Fatal(err)
	}
	chain := append([]*x509.Certificate{is.Certificate}, is.Chain...)
	o := &org{bin: bin, key: is.Key, chain: chain, caller: &orgauth.Caller{BIN: bin, Certificate: is.Certificate, Chain: chain,
		Info: pki.Info(is.Certificate), Thumbprint: orgauth.Thumbprint(is.Certificate), Transport: "mtls"}}
	orgs[k] = o
	return o
}

var (
	binBank      = mkBIN("0504", 1)
	binPolice    = mkBIN("0601", 1)
	binRegister  = mkBIN("0702", 1)
	binRegulator = mkBIN("0803", 1)
	binOther     = mkBIN("0904", 1)
	iinAdult     = mkIIN("850314", 1)
	iinOther     = mkIIN("790921", 1)
	iinMinor     = mkIIN("051130", 1)
	iinParent    = mkIIN("750818", 1)
	iinNoPhone   = mkIIN("830506", 1)
)

type fakeMobile map[string]string

func (m fakeMobile) Phone(_ context.Context, iin string) (string, error) {
	if p, ok := m[iin]; ok {
		return p, nil
	}
	return "", mgov.ErrNotRegistered
}

type sentSMS struct{ phone, text string }

type fakeSMS struct {
	mu   sync.Mutex
	sent []sentSMS
	fail error
}

func (f *fakeSMS) Send(_ context.Context, phone, text string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	f.sent = append(f.sent, sentSMS{phone, text})
	return fmt.Sprint(len(f.sent)), nil
}

func (f *fakeSMS) last() sentSMS {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[len(f.sent)-1]
}

type fakeReps map[[2]string]bool

func (f fakeReps) IsRepresentative(_ context.Context, rep, minor string) (bool, error) {
	return f[[2]string{rep, minor}], nil
}

type fixture struct {
	t      testing.TB
	db     *store.DB
	svc    *Service
	ids    *identity.Service
	now    time.Time
	sms    *fakeSMS
	mobile fakeMobile
	cfg    Config
}

func (f *fixture) clock() time.Time { return f.now }

func newFixture(t testing.TB, db *store.DB, tweak ...func(*Config)) *fixture {
	t.Helper()
	c := sandboxCA(t)
	f := &fixture{t: t, db: db, now: storetest.Now, sms: &fakeSMS{},
		mobile: fakeMobile{iinAdult: "+77990000001", iinOther: "+77990000002", iinMinor: "+77990000003", iinParent: "+77990000004"}}
	ids, err := identity.New(identity.Config{DB: db, Mobile: f.mobile, SMS: f.sms, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.ids = ids
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = Config{DB: db, Citizens: ids, Validator: v, Issuer: "https://senim.test", RegulatorBINs: []string{binRegulator},
		Mobile: f.mobile, SMS: f.sms, Representatives: fakeReps{{iinParent, iinMinor}: true}, Now: f.clock, Logger: nil}
	for _, tw := range tweak {
		tw(&f.cfg)
	}
	f.svc, err = New(t.Context(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.seed()
	return f
}

const actorAdmin = "admin:test"

// seed fills the directories: the population register as data owner, a proactive
// service for the bank, a ground for the police (and one with a deferred notice).
func (f *fixture) seed() {
	t, ctx, s := f.t, context.Background(), f.svc
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutDataOwner(ctx, actorAdmin, DataOwner{BIN: binRegister, Name: "Population register",
		DataSets: []DataSet{{Code: "identity", Title: "Identity card"}, {Code: "address", Title: "Registered address"}, {Code: "family", Title: "Family"}}}))
	must(s.PutServiceCode(ctx, actorAdmin, ServiceCode{Code: "LOAN-KYC", Title: "Loan KYC", Owner: binRegister,
		DataSets: []string{"identity", "address"}, BINs: []string{binBank}, ConsentMethods: []string{"eds", "biometric", "paper"},
		AccessMethods: []string{"api"}, PeriodSeconds: 30 * 24 * 3600}))
	must(s.PutGround(ctx, actorAdmin, Ground{Code: "CPC-199", Titles: Titles{"ҚПК 199", "УПК 199", "CPC art. 199"}, LegalRef: "CPC RK art. 199"}))
	must(s.PutGround(ctx, actorAdmin, Ground{Code: "ORD-12", Titles: Titles{"ЖІҚ", "ОРД", "Covert investigation"}, LegalRef: "Law on ORD art. 12",
		Notify: NotifyPeriod, NotifyPeriodSeconds: 30 * 24 * 3600}))
	if err := s.SetProtocolPermissions(ctx, actorAdmin, binPolice, []string{"CPC-199", "ORD-12"}); err != nil {
		t.Fatal(err)
	}
}

// vt makes a verification token signed by o.
func (f *fixture) vt(o *org, mut func(*VerificationClaims)) string {
	f.t.Helper()
	c := VerificationClaims{Issuer: o.bin, Subject: iinAdult, IssuedAt: f.now.Unix(), ID: newJTI(), Mode: "proactive",
		ServiceCode: "LOAN-KYC", Consent: &ConsentClaim{Obtained: true, Method: "eds"}, AccessMethods: []string{"api"},
		Owner: binRegister, Scope: []string{"identity"}, Purpose: "loan application"}
	if mut != nil {
		mut(&c)
	}
	b, _ := json.Marshal(c)
	tok, err := jws.Sign(o.key, o.chain, VerificationTokenType, b)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func (f *fixture) protoVT(o *org, mut func(*VerificationClaims)) string {
	return f.vt(o, func(c *VerificationClaims) {
		c.Mode, c.ServiceCode, c.GroundCode, c.AccessMethods = "protocol", "", "CPC-199", nil
		c.Consent = &ConsentClaim{Obtained: false}
		if mut != nil {
			mut(c)
		}
	})
}

// wantCode fails unless err is the problem with code (and rule, when given).
func wantCode(t testing.TB, err error, code, rule string) {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %v, want problem %s", err, code)
	}
	if p.Code != code {
		t.Fatalf("code = %s (%v), want %s", p.Code, err, code)
	}
	if rule != "" && p.Rule != rule {
		t.Fatalf("rule = %q, want %q (code %s)", p.Rule, rule, code)
	}
}

// countEvents returns how many outbox events of type typ exist.
func countEvents(t testing.TB, db *store.DB, typ string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox_events WHERE type = ?`, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func jwsSign(o *org, typ string, payload []byte) (string, error) {
	return jws.Sign(o.key, o.chain, typ, payload)
}

// selfSigned makes a verification token signed by a certificate no trusted CA issued.
func selfSigned(t testing.TB, f *fixture, bin string) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "pd-rogue-"+newJTI())
	defer os.RemoveAll(dir)
	rogue, err := ca.Open(dir, ca.Config{Now: func() time.Time { return storetest.Now.Add(-time.Hour) }, Algorithms: []ca.Algorithm{ca.P256}})
	if err != nil {
		t.Fatal(err)
	}
	is, err := rogue.IssueInformationSystem(bin, "Rogue", "system", ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	o := &org{bin: bin, key: is.Key, chain: append([]*x509.Certificate{is.Certificate}, is.Chain...)}
	return f.vt(o, nil)
}

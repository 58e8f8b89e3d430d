package app

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web/webtest"
)

// A citizen sees the consent a bank recorded and the access it led to, revokes the
// consent in the cabinet, and another citizen can neither see nor revoke it.
func TestCabinetConsentsAndAccess(t *testing.T) {
	a, srv := newSandbox(t, "")
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
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
	bank, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cons, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: alice.IIN, Owner: register, DataSets: []string{"identity"},
		Purpose: "loan application", ValidUntil: testNow.Add(24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	vt, err := key.ProactiveToken(alice.IIN, "LOAN-KYC", register, []string{"identity"}, "biometric", cons.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bank.Proactive(ctx, vt); err != nil {
		t.Fatalf("flow 1: %v", err)
	}

	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	_, page := ba.get("/consents?lang=en")
	if !strings.Contains(page, `id="consent-`+cons.ID+`"`) || !strings.Contains(page, bankBIN) || !strings.Contains(page, `id="holders"`) {
		t.Fatalf("consents page lacks the bank's consent:\n%s", page)
	}
	_, access := ba.get("/access?lang=en")
	if !strings.Contains(access, "access granted") || !strings.Contains(access, bankBIN) {
		t.Errorf("access page lacks the token issued to the bank:\n%s", access)
	}
	// The access opens on its own page, with its proof in the log once the log has it.
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`href="(/access/\d+)"`).FindStringSubmatch(access); m == nil {
		t.Error("the access page does not link the access")
	} else if st, one := ba.get(m[1] + "?lang=en"); st != 200 || !strings.Contains(one, `id="access-evidence"`) || !strings.Contains(one, "✓ Verified") {
		t.Errorf("access detail: %d\n%s", st, one)
	}

	// Bob sees none of it and cannot revoke it.
	bb := newBrowser(t, srv.URL)
	home := bb.login(bob)
	if _, p := bb.get("/consents"); strings.Contains(p, cons.ID) {
		t.Error("Bob sees Alice's consent")
	}
	csrfB := csrfOf(t, home)
	if st, _ := bb.post("/consents/"+cons.ID+"/revoke", url.Values{"csrf": {csrfB}, "confirmed": {"yes"}}); st < 400 {
		t.Errorf("Bob revoked Alice's consent: %d", st)
	}
	if st, _ := bb.post("/consents/"+cons.ID+"/revoke", url.Values{"csrf": {csrfB}}); st < 400 {
		t.Errorf("Bob revoked Alice's consent: %d", st)
	}
	// Without the session's anti-forgery token Alice's own revocation is refused too.
	if st, _ := ba.post("/consents/"+cons.ID+"/revoke", url.Values{"csrf": {"forged"}, "confirmed": {"yes"}}); st != 403 {
		t.Errorf("revocation without csrf: %d", st)
	}
	csrfA := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	// One click asks for confirmation and changes nothing; confirming revokes.
	st, page := ba.post("/consents/"+cons.ID+"/revoke?lang=en", url.Values{"csrf": {csrfA}})
	if st != 200 || !strings.Contains(page, `id="revoke-confirm"`) {
		t.Fatalf("revocation without confirmation: %d\n%s", st, page)
	}
	if list, _ := a.PD.ListConsents(ctx, alice.IIN); len(list) == 0 || list[0].Status != "active" {
		t.Fatalf("a click without confirmation revoked: %+v", list)
	}
	st, page = ba.post("/consents/"+cons.ID+"/revoke?lang=en", url.Values{"csrf": {csrfA}, "confirmed": {"yes"}})
	if st != 200 || !strings.Contains(page, "The consent was revoked") || strings.Contains(page, `id="revoke-`+cons.ID+`"`) {
		t.Fatalf("revocation: %d\n%s", st, page)
	}
	// rule PD-3.3: a revoked consent stops new tokens at once.
	vt2, _ := key.ProactiveToken(alice.IIN, "LOAN-KYC", register, []string{"identity"}, "biometric", cons.ID, testNow)
	if _, err := bank.Proactive(ctx, vt2); err == nil {
		t.Error("a token was issued on a revoked consent")
	}
	// The real sandbox's pages, with a consent, its revocation, a token and the log,
	// read in every language with no raw key, code or English word (issue 10 item 2).
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_, access = ba.get("/access?lang=en")
	one := regexp.MustCompile(`href="(/access/\d+)"`).FindStringSubmatch(access)
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, p := range []string{"/", "/consents", "/consents/new", "/access", one[1], "/history", "/directories", "/no-such-page"} {
			_, page := ba.get(p + "?lang=" + lang)
			webtest.Readable(t, p, lang, page)
		}
	}
}

package app

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"github.com/senimkz/senim/internal/verifycmd"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/sandbox"
)

// confirmBank is the sandbox bank's API client, signing with its sandbox key.
func confirmBank(t *testing.T, a *App, base string) (*client.Client, string) {
	t.Helper()
	var bin string
	for _, o := range a.Pop.Organizations {
		if o.Role == "bank" {
			bin = o.BIN
		}
	}
	c := orgClient(t, a, base, bin)
	return c, bin
}

// signTimeStamped signs text with a citizen's sandbox key, time-stamped by the sandbox
// TSA (CAdES-T, as NCALayer makes).
func signTimeStamped(t *testing.T, a *App, iin, text string, withTSA bool) string {
	t.Helper()
	p12, err := a.Keys.P12("citizen", iin, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	opts := cms.SignOptions{Now: func() time.Time { return testNow }}
	if withTSA {
		tc, err := a.CA.TSA(ca.GOST2015)
		if err != nil {
			t.Fatal(err)
		}
		opts.TSA = &tsp.Local{Config: tc}
	}
	der, err := cms.Sign(t.Context(), []byte(text), []cms.SignerSpec{{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: der}))
}

var (
	textRE    = regexp.MustCompile(`(?s)<pre id="confirm-text"[^>]*>(.*?)</pre>`)
	textSHARE = regexp.MustCompile(`name="text_sha256" value="([^"]+)"`)
)

func loanText(lang string) string {
	if lang == "kk" {
		return "Қарыз шарты: 2 000 000 теңге, 24 ай, жылдық 18%."
	}
	return "Договор займа: 2 000 000 тенге, 24 месяца, 18% годовых."
}

// TestConfirmEndToEnd is the done-when scenario over HTTP: a bank asks for a
// 24-month loan of 2,000,000 KZT and gets eds (rule DC-3), a one-time consent to share
// data gets push (rule DC-4); a push is refused where an EDS is required; the citizen
// finds both in her inbox and in "awaiting my confirmation", confirms the push in her
// session and signs the loan with her EDS (time-stamped); the push's evidence verifies
// offline with `senim confirm verify` (rule DC-5), and another citizen can neither see
// nor answer either request.
func TestConfirmEndToEnd(t *testing.T) {
	// Served where its public URL says, so that the page's verification command can be
	// run as written.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandboxConfig(t, "")
	cfg.PublicURL = "http://" + ln.Addr().String()
	a, srv := startSandboxOn(t, cfg, ln)
	ctx := t.Context()
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	bank, bankBIN := confirmBank(t, a, srv.URL)
	deadline := testNow.Add(72 * time.Hour)

	loanTx := client.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Currency: "KZT", Obligations: []string{"repayment", "interest"}}
	// rule DC-3: asking for a push where an EDS is required is refused; nothing is recorded.
	_, err = bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: alice.IIN, Transaction: loanTx, Method: "push",
		Text: map[string]string{"kk": loanText("kk"), "ru": loanText("ru")}, Deadline: deadline})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "confirm.push.eds_required" || ce.Status != http.StatusConflict {
		t.Fatalf("push for a loan: %v", err)
	}
	loan, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: alice.IIN, Transaction: loanTx,
		Text: map[string]string{"kk": loanText("kk"), "ru": loanText("ru")}, Deadline: deadline})
	if err != nil || loan.Method != "eds" || loan.PolicyVersion != "2026-01-default" || !strings.Contains(string(loan.Decision), `"DC-3"`) {
		t.Fatalf("loan: %+v %v", loan, err)
	}
	consentText := map[string]string{"kk": "Мен банкке жеке куәлік деректерін бір рет беруге келісемін.", "ru": "Я согласна на однократную передачу банку данных удостоверения личности."}
	share, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: alice.IIN, Deadline: deadline, Text: consentText,
		Transaction: client.Transaction{Kind: "data_sharing_consent", OneTime: true, Obligations: []string{"data_disclosure"}, Consequences: []string{"personal_data_processing"}}})
	if err != nil || share.Method != "push" || !strings.Contains(string(share.Decision), `"one_time"`) {
		t.Fatalf("one-time consent: %+v %v", share, err)
	}
	// Bad input: a stable code each, nothing recorded.
	for _, bad := range []client.ConfirmationRequest{
		{SubjectIIN: alice.IIN, Transaction: client.Transaction{Kind: "casino"}, Text: consentText, Deadline: deadline},
		{SubjectIIN: alice.IIN, Transaction: client.Transaction{Kind: "loan", Amount: "-1", Obligations: []string{"repayment"}}, Text: consentText, Deadline: deadline},
		{SubjectIIN: alice.IIN, Transaction: client.Transaction{Kind: "loan", Amount: "100", Currency: "USD", Obligations: []string{"repayment"}}, Text: consentText, Deadline: deadline},
		{SubjectIIN: alice.IIN, Transaction: loanTx, Text: consentText, Deadline: testNow.Add(-time.Hour)},
		{SubjectIIN: alice.IIN, Transaction: loanTx, Text: map[string]string{"ru": "только по-русски"}, Deadline: deadline},
		{SubjectIIN: "123", Transaction: loanTx, Text: consentText, Deadline: deadline},
	} {
		if _, err := bank.CreateConfirmation(ctx, bad); !errors.As(err, &ce) || ce.Status < 400 || ce.Status >= 500 {
			t.Errorf("bad request %+v: %v", bad.Transaction, err)
		}
	}
	if mine, _ := a.Confirm.Mine(ctx, "citizen:1", false); len(mine) > 2 {
		t.Errorf("refused requests were recorded: %d", len(mine))
	}

	// The citizen is told in her inbox (notify's mapping of confirm.request.created).
	if _, err := a.Notify.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	if _, inbox := ba.get("/inbox?lang=en"); strings.Count(inbox, "An organisation asks you to confirm a transaction") != 2 {
		t.Errorf("the inbox does not tell of both requests:\n%s", inbox)
	}
	st, list := ba.get("/confirm?lang=en")
	if st != 200 || !strings.Contains(list, `id="request-`+loan.ID+`"`) || !strings.Contains(list, `id="request-`+share.ID+`"`) || !strings.Contains(list, `id="nav-confirm-count"`) {
		t.Fatalf("awaiting my confirmation: %d\n%s", st, list)
	}

	// Push: the page shows the reasons in plain words and the exact text.
	st, page := ba.get("/confirm/" + share.ID + "?lang=en")
	m := textRE.FindStringSubmatch(page)
	if st != 200 || m == nil || html.UnescapeString(m[1]) != consentText["ru"] || !strings.Contains(page, "It is a one-time consent at this moment.") {
		t.Fatalf("push request page: %d\n%s", st, page)
	}
	csrf, sha := csrfOf(t, page), textSHARE.FindStringSubmatch(page)[1]
	// A text other than the request's is refused (rule DC-5), as is a confirmation of
	// the EDS request without a signature (rule DC-3).
	if st, _ := ba.post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"csrf": {csrf}, "decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {confirm.Hash("другой текст")}}); st != http.StatusConflict {
		t.Errorf("changed text: %d", st)
	}
	_, lpage := ba.get("/confirm/" + loan.ID + "?lang=en")
	lsha := textSHARE.FindStringSubmatch(lpage)[1]
	if st, p := ba.post("/confirm/"+loan.ID+"/answer?lang=en", url.Values{"csrf": {csrf}, "decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {lsha}}); st != http.StatusConflict ||
		!strings.Contains(p, "cannot be confirmed in the session alone") {
		t.Errorf("push answer to the EDS request: %d\n%s", st, p)
	}
	// Bob can neither see nor answer Alice's requests.
	bb := newBrowser(t, srv.URL)
	bcsrf := csrfOf(t, bb.login(bob))
	if st, _ := bb.get("/confirm/" + share.ID); st != http.StatusNotFound {
		t.Errorf("Bob sees Alice's request: %d", st)
	}
	if st, _ := bb.post("/confirm/"+share.ID+"/answer", url.Values{"csrf": {bcsrf}, "decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {sha}}); st != http.StatusNotFound {
		t.Errorf("Bob answers Alice's request: %d", st)
	}
	st, page = ba.post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"csrf": {csrf}, "decision": {"confirm"}, "lang": {"ru"}, "text_sha256": {sha}})
	if st != 200 || !strings.Contains(page, `id="evidence"`) {
		t.Fatalf("push confirmation: %d\n%s", st, page)
	}
	if st, _ := ba.post("/confirm/"+share.ID+"/answer?lang=en", url.Values{"csrf": {csrf}, "decision": {"decline"}, "lang": {"ru"}, "text_sha256": {sha}}); st != http.StatusConflict {
		t.Errorf("answered twice: %d", st)
	}

	// EDS: an unstamped signature, or Bob's, is refused; Alice's time-stamped one is kept.
	lm := regexp.MustCompile(`(?s)<pre id="confirm-text" lang="ru">(.*?)</pre>`).FindStringSubmatch(lpage)
	if lm == nil || html.UnescapeString(lm[1]) != loanText("ru") || !strings.Contains(lpage, "The term, 24 months, is longer than 12 months") {
		t.Fatalf("EDS request page:\n%s", lpage)
	}
	sign := func(pemCMS string) (int, string) {
		return ba.post("/confirm/"+loan.ID+"/sign?lang=en", url.Values{"csrf": {csrf}, "lang": {"ru"}, "text_sha256": {lsha}, "cms": {pemCMS}})
	}
	if st, _ := sign(signTimeStamped(t, a, alice.IIN, loanText("ru"), false)); st != http.StatusUnprocessableEntity {
		t.Errorf("signature without a time-stamp: %d", st)
	}
	if st, _ := sign(signTimeStamped(t, a, bob.IIN, loanText("ru"), true)); st != http.StatusUnprocessableEntity {
		t.Errorf("Bob's signature: %d", st)
	}
	if st, _ := sign(signTimeStamped(t, a, alice.IIN, loanText("kk"), true)); st != http.StatusUnprocessableEntity {
		t.Errorf("a signature over the other text: %d", st)
	}
	if st, p := sign(signTimeStamped(t, a, alice.IIN, loanText("ru"), true)); st != 200 || !strings.Contains(p, `id="signed-cms"`) {
		t.Fatalf("Alice's EDS: %d\n%s", st, p)
	}
	if s, err := bank.ConfirmationStatus(ctx, loan.ID); err != nil || s.State != "confirmed" || s.Lang != "ru" {
		t.Errorf("loan status: %+v %v", s, err)
	}
	ag, err := bank.ConfirmationEvidence(ctx, loan.ID)
	if err != nil || !strings.Contains(string(ag), `"cms"`) {
		t.Errorf("the bank's signed agreement: %s %v", ag, err)
	}

	// The evidence: not before the log has the answer, then verifiable offline by both sides.
	if st, _ := ba.get("/confirm/" + share.ID + "/evidence.json"); st != http.StatusConflict {
		t.Errorf("evidence before the log: %d", st)
	}
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/confirm/"+share.ID+"/evidence.json", nil)
	res, err := ba.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("evidence: %d %s", res.StatusCode, buf.String())
	}
	theirs, err := bank.ConfirmationEvidence(ctx, share.ID)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := bank.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auditlog.NewVerifier(a.Log.Key())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range [][]byte{buf.Bytes(), theirs} {
		v, err := confirm.VerifyEvidence(ev, jwks, key)
		if err != nil {
			t.Fatal(err)
		}
		if v.Claims.Request != share.ID || v.Claims.Decision != "confirm" || v.Text != consentText["ru"] || v.Claims.Party != bankBIN ||
			v.Claims.AuthMethod != "password+sms" || !v.Claims.CheckCommit(mustSalt(t, ev), alice.IIN) || v.Claims.CheckCommit(mustSalt(t, ev), bob.IIN) {
			t.Errorf("evidence claims %+v", v.Claims)
		}
	}
	// Tampered text, or another log key: refused.
	var pkg confirm.Evidence
	json.Unmarshal(theirs, &pkg)
	pkg.Text = strings.Replace(pkg.Text, "однократную", "бессрочную", 1)
	forged, _ := json.Marshal(pkg)
	if _, err := confirm.VerifyEvidence(forged, jwks, key); !errors.Is(err, confirm.ErrEvidenceInvalid) {
		t.Errorf("changed text verified: %v", err)
	}
	// The command line, offline: files only.
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	evFile, jwksFile, keyFile := write("ev.json", buf.Bytes()), write("jwks.json", jwks), write("log.key", []byte(a.Log.Key()+"\n"))
	var out, errOut bytes.Buffer
	if code := verifycmd.Confirm(ctx, []string{evFile, "--jwks", jwksFile, "--log-key", keyFile, "--iin", alice.IIN}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "OK") {
		t.Errorf("senim confirm verify: %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := verifycmd.Confirm(ctx, []string{write("forged.json", forged), "--jwks", jwksFile, "--log-key", keyFile}, &out, &errOut); code != 1 {
		t.Errorf("forged evidence: exit %d", code)
	}
	if code := verifycmd.Confirm(ctx, []string{evFile, "--jwks", jwksFile, "--log-key", keyFile, "--iin", bob.IIN}, &out, &errOut); code != 1 {
		t.Errorf("another IIN: exit %d", code)
	}
	// The page's hint names the command that checks this evidence, with the file name
	// the download saves and this Senim's keys, and it works as written; the same
	// command over forged evidence refuses it.
	_, evPage := ba.get("/confirm/" + share.ID + "?lang=kk")
	hint := regexp.MustCompile(`<code id="evidence-verify"[^>]*>([^<]*)</code>`).FindStringSubmatch(evPage)
	if hint == nil {
		t.Fatalf("no verification command on the page:\n%s", evPage)
	}
	args := strings.Fields(html.UnescapeString(hint[1]))
	_, saved, _ := strings.Cut(res.Header.Get("Content-Disposition"), `filename="`)
	saved = strings.TrimSuffix(saved, `"`)
	if len(args) < 4 || strings.Join(args[:3], " ") != "senim confirm verify" || args[3] != saved {
		t.Fatalf("the hint's command %q, the download saves %q", args, saved)
	}
	write(saved, buf.Bytes())
	t.Chdir(dir)
	out.Reset()
	if code := verifycmd.Confirm(ctx, args[3:], &out, &errOut); code != 0 {
		t.Errorf("%q: exit %d\n%s%s", args, code, out.String(), errOut.String())
	}
	write(saved, forged)
	if code := verifycmd.Confirm(ctx, args[3:], &out, &errOut); code != 1 {
		t.Errorf("%q over forged evidence: exit %d", args, code)
	}

	// My confirmations: both answered, with their texts.
	if _, list := ba.get("/confirm?lang=en"); !strings.Contains(list, `id="mine"`) || !strings.Contains(list, `id="awaiting-empty"`) {
		t.Errorf("my confirmations:\n%s", list)
	}
}

func mustSalt(t *testing.T, ev []byte) string {
	t.Helper()
	s, err := confirm.IINSalt(ev)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

package app

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/confirm"
)

// TestBrowserConfirm drives headless Chromium through the done-when scenario: the bank
// asks for a 24-month loan of 2,000,000 KZT (eds, rule DC-3) and a one-time consent to
// share data (push, rule DC-4); the citizen logs in, confirms the push on its page and
// signs the loan by pasting her time-stamped CMS (the sandbox path of the "sign this
// text" component); the push's evidence then verifies offline (rule DC-5).
func TestBrowserConfirm(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[0]
	bank, _ := confirmBank(t, a, srv.URL)
	ctx := t.Context()
	deadline := testNow.Add(24 * time.Hour)
	loan, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: c.IIN, Deadline: deadline,
		Transaction: client.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Obligations: []string{"repayment"}},
		Text:        map[string]string{"kk": loanText("kk"), "ru": loanText("ru")}})
	if err != nil || loan.Method != "eds" {
		t.Fatalf("loan: %+v %v", loan, err)
	}
	share, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: c.IIN, Deadline: deadline,
		Transaction: client.Transaction{Kind: "data_sharing_consent", OneTime: true, Obligations: []string{"data_disclosure"}},
		Text:        map[string]string{"kk": "Деректерді бір рет беруге келісемін.", "ru": "Согласна на однократную передачу данных."}})
	if err != nil || share.Method != "push" {
		t.Fatalf("consent: %+v %v", share, err)
	}

	bctx := chromeContext(t, bin) // a Kazakh-speaking browser
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), c.IIN),
		chromedp.SendKeys(q(`#password`), c.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	err = chromedp.Do(bctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, c.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
		chromedp.Navigate(srv.URL+"/confirm"),
		chromedp.WaitVisible(q(`#request-`+share.ID)),
		chromedp.Click(q(`#request-`+share.ID)),
		chromedp.WaitVisible(q(`#confirm-push`)),
	)
	if err != nil {
		t.Fatalf("awaiting my confirmation: %v", err)
	}
	Axe(t, bctx, "a pending push confirmation")
	text, err := chromedp.Run(bctx, chromedp.Text(q(`#confirm-text`)))
	if err != nil || text != "Деректерді бір рет беруге келісемін." {
		t.Fatalf("the text shown in Kazakh: %q %v", text, err)
	}
	err = chromedp.Do(bctx,
		chromedp.Click(q(`#confirm-push`)),
		chromedp.WaitVisible(q(`#evidence`)),
	)
	if err != nil {
		t.Fatalf("push confirmation: %v", err)
	}
	// The EDS path: the loan's page, the CMS pasted into the component's field.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/confirm/"+loan.ID),
		chromedp.WaitVisible(q(`#cms`)),
	)
	if err != nil {
		t.Fatalf("the loan's page: %v", err)
	}
	Axe(t, bctx, "a pending EDS confirmation")
	err = chromedp.Do(bctx,
		chromedp.SetValue(q(`#cms`), signTimeStamped(t, a, c.IIN, loanText("kk"), true)),
		chromedp.Click(q(`#confirm-sign`)),
		chromedp.WaitVisible(q(`#signed-cms`)),
	)
	if err != nil {
		t.Fatalf("EDS confirmation: %v", err)
	}
	if s, err := bank.ConfirmationStatus(ctx, loan.ID); err != nil || s.State != "confirmed" || s.Lang != "kk" {
		t.Errorf("loan: %+v %v", s, err)
	}
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ev, err := bank.ConfirmationEvidence(ctx, share.ID)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := bank.JWKS(ctx)
	key, _ := auditlog.NewVerifier(a.Log.Key())
	v, err := confirm.VerifyEvidence(ev, jwks, key)
	if err != nil || v.Claims.Lang != "kk" || v.Claims.Decision != "confirm" || !strings.Contains(v.Text, "келісемін") {
		t.Fatalf("evidence: %+v %v", v, err)
	}
	// The citizen's download of the same evidence, from the page's link.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/confirm/"+share.ID), chromedp.WaitVisible(q(`#evidence`))); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("evidence").getAttribute("href")`))
	if err != nil || href != "/confirm/"+share.ID+"/evidence.json" {
		t.Errorf("evidence link %q %v", href, err)
	}
}

// TestBrowserConfirmNCALayer: the EDS confirmation signed through the browser signing
// component, not pasted. The bank asks for a 24-month loan of 2,000,000 KZT (eds, rule
// DC-3); the citizen, logged in with password and SMS (rule DC-1), opens it in Chromium,
// clicks "Sign with NCALayer": the page's script asks the sandbox NCALayer over
// WebSocket (TLS, pinned) for her own key and a signature time-stamp (tsaProfile); she
// confirms in the simulator's window; the signed CMS comes back into the form, which
// Senim verifies (chain, revocation, time-stamp) and keeps; the archive then takes the
// agreement and the page links it (rule DC-5).
func TestBrowserConfirmNCALayer(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	c := a.Pop.Citizens[0]
	bank, _ := confirmBank(t, a, srv.URL)
	ctx := t.Context()
	loan, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: c.IIN, Deadline: testNow.Add(24 * time.Hour),
		Transaction: client.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Currency: "KZT", Obligations: []string{"repayment"}},
		Text:        map[string]string{"kk": loanText("kk"), "ru": loanText("ru")}})
	if err != nil || loan.Method != "eds" {
		t.Fatalf("loan: %+v %v", loan, err)
	}
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	bctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	window := "https://" + strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://") + "/"
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), c.IIN),
		chromedp.SendKeys(q(`#password`), c.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, c.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
		chromedp.Navigate(srv.URL+"/confirm/"+loan.ID),
		chromedp.WaitVisible(q(`#sign-ncalayer`)),
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatalf("the loan's page, NCALayer asked: %v", err)
	}
	// The simulator's window offers only her key (the page asked for her IIN).
	tab, cancel := chromedp.NewContext(bctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate(window),
		chromedp.WaitVisible(q(`form.request select`)),
	); err != nil {
		t.Fatal(err)
	}
	offered, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("form.request select option")).map(o => o.value)`))
	if err != nil || len(offered) != 1 || offered[0] != "citizen:"+c.IIN {
		t.Fatalf("keys offered: %v %v", offered, err)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(q(`form.request select`), "citizen:"+c.IIN),
		chromedp.Click(q(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(q(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(q(`#signed-cms`))); err != nil {
		page, _ := chromedp.Run(bctx, chromedp.Text(q(`main`)))
		t.Fatalf("the signature did not come back and verify: %v\n%s", err, page)
	}
	s, err := bank.ConfirmationStatus(ctx, loan.ID)
	if err != nil || s.State != "confirmed" {
		t.Fatalf("loan: %+v %v", s, err)
	}
	sg, err := a.Confirm.SignatureOf(ctx, &confirm.Confirmation{ID: loan.ID})
	if err != nil || sg.TSA == "" || !sg.SignedAt.After(testNow.Add(-time.Hour)) {
		t.Fatalf("the kept signature has no time-stamp: %+v %v", sg, err)
	}
	if _, err := a.Confirm.SyncArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/confirm/"+loan.ID), chromedp.WaitVisible(q(`#archive-link`))); err != nil {
		t.Fatalf("the archived agreement is not linked: %v", err)
	}
	if s, _ := bank.ConfirmationStatus(ctx, loan.ID); s.ArchiveDocument == "" {
		t.Errorf("the status does not name the archive document")
	}
}

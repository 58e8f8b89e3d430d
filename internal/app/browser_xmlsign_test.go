package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
)

// TestBrowserConsentXML: a citizen gives consents in Chromium choosing the XML format
// of the signing component — once through the sandbox NCALayer (format "xml" over the
// WebSocket), once through the sandbox eGov Mobile page following the QR code's link
// (signMethod XML). The server verifies each XML-DSig signature over the consent's XML
// document. Another citizen's key is refused live with its message and records
// nothing; the used link read again is refused.
// rule PD-6.1.1 (a consent is confirmed by the citizen's own EDS signature), rule DC-1
func TestBrowserConsentXML(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	alice, other := a.Pop.Citizens[0], a.Pop.Citizens[6]
	var bank, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bank = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), alice.IIN),
		chromedp.SendKeys(q(`#password`), alice.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(q(`#code`), lastCode(t, srv.URL, alice.Phone)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#welcome`)),
	); err != nil {
		t.Fatalf("code: %v", err)
	}
	consentForm := func(purpose string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/consents/new?lang=ru"),
			chromedp.WaitVisible(q(`#consent-form`)),
			chromedp.SetValue(q(`#initiator`), bank),
			chromedp.SetValue(q(`#owner`), register),
			chromedp.Click(q(`input[name="data_sets"][value="identity"]`)),
			chromedp.SendKeys(q(`#purpose`), purpose),
			chromedp.SetValue(q(`#valid_until`), "2027-06-01"),
			chromedp.Click(q(`#consent-give`)),
			chromedp.WaitVisible(q(`#sign-format-xml`)),
			chromedp.Click(q(`#sign-format-xml`)),
		); err != nil {
			t.Fatalf("consent form: %v", err)
		}
	}
	given := func() {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, chromedp.WaitVisible(q(`#notice`))); err != nil {
			st, _ := chromedp.Run(ctx, chromedp.Text(q(`main`)))
			t.Fatalf("no notice after the signature: %v\n%s", err, st)
		}
		if notice, _ := chromedp.Run(ctx, chromedp.Text(q(`#notice`))); notice != i18n.T("ru", "consent.given") {
			t.Errorf("notice %q", notice)
		}
	}

	// NCALayer, format "xml": the simulator's window shows the XML document.
	consentForm("mortgage application")
	Axe(t, ctx, "the consent's sign page with the format choice")
	if err := chromedp.Do(ctx,
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatal(err)
	}
	window := "https://" + strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://") + "/"
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate(window),
		chromedp.WaitVisible(q(`form.request select`)),
	); err != nil {
		t.Fatal(err)
	}
	shown, _ := chromedp.Run(tab, chromedp.Text(q(`form.request pre`)))
	if !strings.HasPrefix(shown, `<consent xmlns="`+pd.ConsentXMLNS+`" lang="ru"><text>SENIM v3 ru`) {
		t.Errorf("NCALayer was not asked to sign the XML document: %q", shown)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(q(`form.request select`), "citizen:"+alice.IIN),
		chromedp.Click(q(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(q(`#notice`)),
	); err != nil {
		t.Fatal(err)
	}
	given()
	cs, err := a.PD.ListConsents(t.Context(), alice.IIN)
	if err != nil || len(cs) != 1 {
		t.Fatalf("after NCALayer: %d consents (%v)", len(cs), err)
	}

	// eGov Mobile, signMethod XML.
	consentForm("car loan")
	if err := chromedp.Do(ctx, chromedp.Click(q(`#sign-mobile`))); err != nil {
		t.Fatal(err)
	}
	phone, pcancel := chromedp.NewContext(ctx)
	defer pcancel()
	signOnPhone := func(link, ref string) string {
		t.Helper()
		if err := chromedp.Do(phone,
			chromedp.Navigate(srv.URL+"/sandbox/egov-mobile?lang=ru&link="+url.QueryEscape(link)),
			chromedp.WaitVisible(q(`#phone-document`)),
		); err != nil {
			t.Fatal(err)
		}
		doc, _ := chromedp.Run(phone, chromedp.Text(q(`#phone-document`)))
		if err := chromedp.Do(phone,
			chromedp.SetValue(q(`#phone-signer`), ref),
			chromedp.Click(q(`#phone-sign`)),
		); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	first := qrLink(t, ctx)
	if doc := signOnPhone(first, "citizen:"+other.IIN); !strings.HasPrefix(doc, `<consent xmlns="`+pd.ConsentXMLNS+`"`) {
		t.Errorf("the phone was not given the XML document: %q", doc)
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(q(`#sign-status[data-state="error.mobilesign.wrong_signer"]`))); err != nil {
		st, _ := chromedp.Run(ctx, chromedp.Text(q(`#sign-status`)))
		t.Fatalf("the page did not learn of the refusal: %v (%s)", err, st)
	}
	if cs, _ := a.PD.ListConsents(t.Context(), alice.IIN); len(cs) != 1 {
		t.Fatalf("a refused XML signature recorded a consent (%d)", len(cs))
	}
	// The used link read again is refused.
	if err := chromedp.Do(phone,
		chromedp.Navigate(srv.URL+"/sandbox/egov-mobile?lang=ru&link="+url.QueryEscape(first)),
		chromedp.WaitVisible(q(`#error`)),
	); err != nil {
		t.Fatal(err)
	}
	if refused, _ := chromedp.Run(phone, chromedp.Text(q(`#error`))); refused != i18n.T("ru", "error.mobilesign.link_used") {
		t.Errorf("a reused link: %q", refused)
	}
	if err := chromedp.Do(ctx, chromedp.Click(q(`#sign-mobile`))); err != nil {
		t.Fatal(err)
	}
	second := qrLink(t, ctx)
	if second == first {
		t.Fatal("the used code is still on the screen")
	}
	signOnPhone(second, "citizen:"+alice.IIN)
	given()
	if cs, _ := a.PD.ListConsents(t.Context(), alice.IIN); len(cs) != 2 {
		t.Fatalf("after eGov Mobile: %d consents", len(cs))
	}
}

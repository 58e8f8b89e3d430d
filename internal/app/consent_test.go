package app

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/sandbox"
)

var consentTextRE = regexp.MustCompile(`(?s)<pre id="consent-text"[^>]*>(.*?)</pre>`)

// rule PD-6.1.1: a consent given in the cabinet is confirmed by the citizen's EDS
// signature over its exact text — the SMS code that opened the session is not enough.
// rule PD-3.2: a refusal needs no signature. A legal representative acts for a minor.
func TestCabinetGiveConsentWithEDS(t *testing.T) {
	a, srv := newSandbox(t, "")
	alice, gulnar, aisha := a.Pop.Citizens[0], a.Pop.Citizens[6], a.Pop.Citizens[18]
	var bank, register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bank = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	form := func(csrf, decision, forMinor string) url.Values {
		return url.Values{"csrf": {csrf}, "initiator": {bank}, "owner": {register}, "data_sets": {"identity"},
			"purpose": {"mortgage application"}, "valid_until": {"2027-06-01"}, "for_minor": {forMinor}, "decision": {decision}}
	}
	key := func(iin string) []byte {
		b, err := a.Keys.P12("citizen", iin, ca.GOST2015)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prepare := func(b *browser, csrf, forMinor string) string {
		t.Helper()
		st, page := b.post("/consents/new?lang=en", form(csrf, "give", forMinor))
		m := consentTextRE.FindStringSubmatch(page)
		if st != 200 || m == nil {
			t.Fatalf("prepare: %d\n%s", st, page)
		}
		return html.UnescapeString(m[1])
	}
	confirm := func(b *browser, csrf, forMinor, cms string) (int, string) {
		v := form(csrf, "", forMinor)
		v.Set("text_lang", "en") // the language and format of the text the sign page showed
		v.Set("text_format", "3")
		v.Set("cms", cms)
		return b.post("/consents/confirm?lang=en", v)
	}

	ba := newBrowser(t, srv.URL)
	home := ba.login(alice) // a password + SMS session
	csrf := csrfOf(t, home)
	if st, page := ba.get("/consents/new?lang=en"); st != 200 || !strings.Contains(page, `id="consent-form"`) {
		t.Fatalf("consent form: %d", st)
	}
	text := prepare(ba, csrf, "")
	// The text names the bank and the register, in the page's language (format v2).
	if !strings.HasPrefix(text, "SENIM v3 en\n") || !strings.Contains(text, "Subject IIN: "+alice.IIN) || !strings.Contains(text, "(BIN "+bank+")") ||
		!strings.Contains(text, "Population Register") || !strings.Contains(text, "Identity card") {
		t.Fatalf("consent text: %q", text)
	}
	// Without a signature, or signed by someone else, nothing is recorded.
	if st, page := confirm(ba, csrf, "", ""); st < 400 || strings.Contains(page, i18n.T("en", "consent.given")) {
		t.Errorf("consent without signature: %d", st)
	}
	st, page := confirm(ba, csrf, "", signPEM(t, key(gulnar.IIN), sandbox.KeyPassword, text))
	if st < 400 || !strings.Contains(page, html.EscapeString(i18n.T("en", "error.pd.consent.signature_invalid"))) {
		t.Errorf("consent signed by another citizen: %d\n%s", st, page)
	}
	st, page = confirm(ba, csrf, "", signPEM(t, key(alice.IIN), sandbox.KeyPassword, text))
	if st != 200 || !strings.Contains(page, i18n.T("en", "consent.given")) || !strings.Contains(page, bank) {
		t.Fatalf("consent with Alice's EDS: %d\n%s", st, page)
	}
	list, err := a.PD.ListConsents(t.Context(), alice.IIN)
	if err != nil || len(list) != 1 || list[0].Method != "eds" || list[0].Channel != "cabinet" {
		t.Fatalf("recorded consents: %+v %v", list, err)
	}

	// A refusal needs no signature.
	if st, page := ba.post("/consents/new?lang=en", form(csrf, "refuse", "")); st != 200 || !strings.Contains(page, i18n.T("en", "consent.refused")) {
		t.Errorf("refusal: %d\n%s", st, page)
	}

	// Alice is not Aisha's representative; Gulnar is.
	st, page = ba.post("/consents/new?lang=en", form(csrf, "refuse", aisha.IIN))
	if st != 403 || !strings.Contains(page, html.EscapeString(i18n.T("en", "error.pd.consent.not_representative"))) {
		t.Errorf("Alice deciding for Aisha: %d\n%s", st, page)
	}
	bg := newBrowser(t, srv.URL)
	gcsrf := csrfOf(t, bg.login(gulnar))
	mtext := prepare(bg, gcsrf, aisha.IIN)
	if st, page := confirm(bg, gcsrf, aisha.IIN, signPEM(t, key(gulnar.IIN), sandbox.KeyPassword, mtext)); st != 200 || !strings.Contains(page, i18n.T("en", "consent.given")) {
		t.Fatalf("Gulnar for Aisha: %d\n%s", st, page)
	}
	ml, _ := a.PD.ListConsents(t.Context(), aisha.IIN)
	if len(ml) != 1 || !ml[0].Representative {
		t.Errorf("Aisha's consents: %+v", ml)
	}
	// A forged form is refused.
	if st, _ := ba.post("/consents/new", form("forged", "refuse", "")); st != 403 {
		t.Errorf("forged form: %d", st)
	}
}

// rule TR-1: anyone can read the registry of trusted digital objects and the other
// directories, in their language, without logging in.
func TestPublicDirectories(t *testing.T) {
	_, srv := newSandbox(t, "")
	b := newBrowser(t, srv.URL)
	st, page := b.get("/directories?lang=ru")
	if st != 200 || !strings.Contains(page, `id="trusted-objects"`) || !strings.Contains(page, `id="legal-grounds"`) || !strings.Contains(page, `id="service-codes"`) || !strings.Contains(page, "Реестр доверенных цифровых объектов") {
		t.Fatalf("directories: %d\n%s", st, page)
	}
	if !strings.Contains(page, "CPC-199") || !strings.Contains(page, "LOAN-KYC") {
		t.Errorf("the sandbox's demo ground and service are not listed:\n%s", page)
	}
}

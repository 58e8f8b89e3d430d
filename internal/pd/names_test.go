package pd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func TestTitlesIn(t *testing.T) {
	all := Titles{KK: "Жеке куәлік", RU: "Удостоверение личности", EN: "Identity card"}
	for lang, want := range map[string]string{"kk": all.KK, "ru": all.RU, "en": all.EN, "de": all.RU, "": all.RU} {
		if got := all.In(lang); got != want {
			t.Errorf("In(%q) = %q, want %q", lang, got, want)
		}
	}
	// A missing language falls back to Russian, then Kazakh, then English.
	if got := (Titles{KK: "қазақша", EN: "english"}).In("ru"); got != "қазақша" {
		t.Errorf("fallback = %q", got)
	}
	if got := (Titles{EN: "english"}).In("kk"); got != "english" {
		t.Errorf("fallback = %q", got)
	}
	if got := (Titles{}).In("kk"); got != "" {
		t.Errorf("empty = %q", got)
	}
	ds := DataSet{Code: "identity", Title: "Identity card", Titles: Titles{KK: "Жеке куәлік"}}
	if ds.TitleIn("kk") != "Жеке куәлік" || (DataSet{Code: "x", Title: "Only"}).TitleIn("kk") != "Only" {
		t.Errorf("TitleIn")
	}
	o := &DataOwner{DataSets: []DataSet{ds}}
	if o.DataSetTitle("identity", "kk") != "Жеке куәлік" || o.DataSetTitle("unknown", "kk") != "unknown" {
		t.Errorf("DataSetTitle")
	}
}

type orgNames map[string]string

func (m orgNames) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	if n, ok := m[bin]; ok {
		return &identity.Organization{BIN: bin, Name: n}, nil
	}
	return nil, identity.ErrNotFound
}

// The flow-3 SMS names the initiator by its name with the BIN beside it (issue 10 item
// 1); an unknown organization is named by its BIN alone.
func TestSMSNamesInitiator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, func(c *Config) { c.Organizations = orgNames{binOther: "Demo Mobile LLP"} })
		if _, err := f.svc.RequestSMS(t.Context(), orgOf(t, binOther, ca.P256).caller, smsReq()); err != nil {
			t.Fatal(err)
		}
		text := f.sms.last().text
		if !strings.Contains(text, "«Demo Mobile LLP»") || !strings.Contains(text, binOther) {
			t.Errorf("SMS %q does not name the initiator with its BIN", text)
		}
		smsCode(t, f)
		// Negative: an initiator the directory does not know is named by its BIN.
		other := smsReq()
		other.Subject = iinOther
		if _, err := f.svc.RequestSMS(t.Context(), orgOf(t, binBank, ca.P256).caller, other); err != nil && !errors.Is(err, ErrSMSNotRegistered) {
			t.Fatal(err)
		}
		if text := f.sms.last().text; strings.Contains(text, "«") || !strings.Contains(text, binBank) {
			t.Errorf("unknown initiator: SMS %q", text)
		}
	})
	for _, lang := range []string{"kk", "ru", "en"} {
		if s := defaultSMSText(lang, "Bank", "123456789012", "4242"); !strings.Contains(s, "Bank") || !strings.Contains(s, "123456789012") || !strings.Contains(s, "4242") {
			t.Errorf("%s: %q", lang, s)
		}
	}
}

// rule PD-6.1.1: the consent text a citizen signs in the cabinet (format v2) is in her
// language and names the organization, the data owner and the data, with the BINs;
// a signature over it verifies, one over the v1 text of the same request does not
// (the signed text must be exactly the one shown), and v1 stays for API clients.
func TestConsentTextV2(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, func(c *Config) { c.Organizations = orgNames{binBank: "Demo Bank JSC"} })
		me := f.person(iinAdult)
		req := cabinetReq(f, iinAdult)
		req.DataSets = []string{"address", "identity"}
		for lang, want := range map[string][]string{
			"kk": {"SENIM v2 kk", "Ұйым: Demo Bank JSC (БСН " + binBank + ")", "Деректер иесі: Population register (БСН " + binRegister + ")", "Identity card", "Мақсаты: loan"},
			"ru": {"SENIM v2 ru", "Организация: Demo Bank JSC (БИН " + binBank + ")", "Данные: Registered address; Identity card"},
			"en": {"SENIM v2 en", "Organization: Demo Bank JSC (BIN " + binBank + ")", "Subject IIN: " + iinAdult},
		} {
			r := req
			r.Lang = lang
			text, err := f.svc.ConsentTextFor(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: %q lacks %q", lang, text, w)
				}
			}
		}
		if v1, _ := f.svc.ConsentTextFor(t.Context(), req); v1 != ConsentText(req) {
			t.Errorf("without a language the text is not v1: %q", v1)
		}
		ru := req
		ru.Lang = "ru"
		text, _ := f.svc.ConsentTextFor(t.Context(), ru)
		ru.Signature = signText(t, f, me, ConsentText(ru)) // the v1 text, not the one shown
		_, err := f.svc.GiveConsent(t.Context(), ru)
		wantCode(t, err, "pd.consent.signature_invalid", "PD-6.1.1")
		ru.Signature = signText(t, f, me, text)
		c, err := f.svc.GiveConsent(t.Context(), ru)
		if err != nil {
			t.Fatal(err)
		}
		if c.Evidence.TextSHA256 != sha([]byte(text)) {
			t.Errorf("evidence digest is not of the signed v2 text")
		}
		// An unknown initiator is named by its BIN alone.
		r := req
		r.Lang, r.Initiator = "en", binOther
		if text, _ := f.svc.ConsentTextFor(t.Context(), r); !strings.Contains(text, "Organization: BIN "+binOther+"\n") {
			t.Errorf("unknown initiator: %q", text)
		}
	})
}

// orgLangNames names organizations in each language.
type orgLangNames map[string]identity.Names

func (m orgLangNames) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	if n, ok := m[bin]; ok {
		return &identity.Organization{BIN: bin, Name: n.EN, Names: n}, nil
	}
	return nil, identity.ErrNotFound
}

// Issue 10 item 1: organizations, data owners, proactive services and trusted objects
// have names in each language (stored, read back, kept in the history); the consent text
// and the flow-3 SMS use the name in the reader's language, and the one name where a
// language has none.
func TestNamesInEachLanguage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		bank := identity.Names{KK: "«Демо Банк» АҚ", RU: "АО «Демо Банк»", EN: "Demo Bank JSC"}
		f := newFixture(t, db, func(c *Config) { c.Organizations = orgLangNames{binBank: bank, binOther: bank} })
		ctx := t.Context()
		owner := DataOwner{BIN: binRegister, Name: "Population register", Names: Titles{KK: "Халық тіркелімі", RU: "Регистр населения"},
			DataSets: []DataSet{{Code: "identity", Title: "Identity card"}, {Code: "address", Title: "Address"}}}
		if _, err := f.svc.PutDataOwner(ctx, actorAdmin, owner); err != nil {
			t.Fatal(err)
		}
		svc := ServiceCode{Code: "LOAN-KYC", Title: "Loan KYC", Titles: Titles{KK: "Несие", RU: "Кредит", EN: "Loan KYC"}, Owner: binRegister,
			DataSets: []string{"identity"}, BINs: []string{binBank}, ConsentMethods: []string{"eds"}, AccessMethods: []string{"api"}, PeriodSeconds: 3600}
		if _, err := f.svc.PutServiceCode(ctx, actorAdmin, svc); err != nil {
			t.Fatal(err)
		}
		obj := TrustedObject{ID: "app", Kind: KindPlatform, OwnerBIN: binBank, Name: "App", Names: Titles{KK: "Қосымша", RU: "Приложение", EN: "App"}, Status: StatusSuspended}
		if _, err := f.svc.PutTrustedObject(ctx, actorAdmin, obj); err != nil {
			t.Fatal(err)
		}
		owners, _ := f.svc.DataOwners(ctx)
		svcs, _ := f.svc.ServiceCodes(ctx)
		o, _ := f.svc.TrustedObject(ctx, "app")
		// No English name: the one name stands in.
		if len(owners) != 1 || owners[0].NameIn("kk") != "Халық тіркелімі" || owners[0].NameIn("en") != "Population register" {
			t.Errorf("owner names = %+v", owners)
		}
		if got := (Titles{RU: "только русский"}).Or("kk", ""); got != "только русский" {
			t.Errorf("no name in kk and no one name: %q", got)
		}
		if len(svcs) != 1 || svcs[0].TitleIn("ru") != "Кредит" || (&ServiceCode{Title: "One"}).TitleIn("kk") != "One" {
			t.Errorf("service titles = %+v", svcs)
		}
		if o == nil || o.NameIn("kk") != "Қосымша" || (&TrustedObject{Name: "One"}).NameIn("ru") != "One" {
			t.Errorf("object names = %+v", o)
		}
		if h, _ := f.svc.DirectoryHistory(ctx, EntryService, "LOAN-KYC"); len(h) == 0 || !strings.Contains(string(h[len(h)-1].State), "Кредит") {
			t.Errorf("the history does not keep the titles: %+v", h)
		}
		req := cabinetReq(f, iinAdult)
		for lang, want := range map[string][]string{
			"kk": {"Ұйым: «Демо Банк» АҚ (БСН " + binBank + ")", "Деректер иесі: Халық тіркелімі (БСН " + binRegister + ")"},
			"ru": {"Организация: АО «Демо Банк» (БИН " + binBank + ")", "Владелец данных: Регистр населения (БИН " + binRegister + ")"},
			"en": {"Organization: Demo Bank JSC (BIN " + binBank + ")"},
		} {
			r := req
			r.Lang = lang
			text, err := f.svc.ConsentTextFor(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s consent text %q lacks %q", lang, text, w)
				}
			}
		}
		// The SMS of flow 3 in the citizen's language (Kazakh by default).
		if _, err := f.svc.RequestSMS(ctx, orgOf(t, binOther, ca.P256).caller, smsReq()); err != nil {
			t.Fatal(err)
		}
		if text := f.sms.last().text; !strings.Contains(text, "Senim: «Демо Банк» АҚ (БСН "+binOther+")") || strings.Contains(text, "««") {
			t.Errorf("SMS %q does not name the initiator in Kazakh, quoted once", text)
		}
	})
	// Each language's name is quoted once: a name that carries its own «» is not
	// wrapped again; one without gets them in Kazakh and Russian (English quotes none).
	for _, tc := range []struct{ lang, name, want string }{
		{"kk", "«Демо Банк» АҚ", "Senim: «Демо Банк» АҚ (БСН 123456789012)"},
		{"ru", "АО «Демо Банк»", "Senim: АО «Демо Банк» (БИН 123456789012)"},
		{"en", "Demo Bank JSC", "Senim: Demo Bank JSC (BIN 123456789012)"},
		{"ru", "Demo Mobile LLP", "Senim: «Demo Mobile LLP» (БИН 123456789012)"},
		{"kk", "Demo Mobile LLP", "Senim: «Demo Mobile LLP» (БСН 123456789012)"},
		{"ru", `ТОО "Демо"`, `Senim: ТОО "Демо" (БИН 123456789012)`},
	} {
		text := defaultSMSText(tc.lang, tc.name, "123456789012", "4242")
		if !strings.HasPrefix(text, tc.want) {
			t.Errorf("%s %q: SMS %q, want it to begin %q", tc.lang, tc.name, text, tc.want)
		}
		if strings.Count(text, "«") > strings.Count(tc.name, "«")+1 || strings.Contains(text, "««") || strings.Contains(text, "»»") {
			t.Errorf("%s %q: quoted twice in %q", tc.lang, tc.name, text)
		}
	}
}

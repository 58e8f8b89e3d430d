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

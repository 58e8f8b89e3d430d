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

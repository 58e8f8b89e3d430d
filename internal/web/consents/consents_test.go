package consents

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

// fakePD records the decisions the area passes to the domain.
type fakePD struct {
	consents []pd.Consent
	revoked  []string // subject/actor/id
	refused  []pd.ConsentRequest
	given    []pd.ConsentRequest
	giveErr  error
	history  []pd.HistoryEntry
	filed    []pd.Complaint

	endsChecked []time.Time
}

func (f *fakePD) ListConsents(context.Context, string) ([]pd.Consent, error) { return f.consents, nil }
func (f *fakePD) HoldersOfConsent(context.Context, string) ([]pd.Holder, error) {
	return []pd.Holder{{Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Purpose: "несие", ConsentID: "c1",
		ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil
}
func (f *fakePD) RevokeConsent(_ context.Context, subject, actor, id string) (*pd.Consent, error) {
	for _, c := range f.consents {
		if c.ID == id && c.Status == "revoked" {
			return nil, pd.ErrConsentAlreadyRevoked
		}
	}
	if id != "c1" {
		return nil, pd.ErrConsentNotFound
	}
	f.revoked = append(f.revoked, subject+"/"+actor+"/"+id)
	return &pd.Consent{ID: id, Status: "revoked"}, nil
}
func (f *fakePD) AccessHistory(_ context.Context, iin string) ([]pd.HistoryEntry, error) {
	if iin == otherIIN {
		return []pd.HistoryEntry{}, nil
	}
	if f.history != nil {
		return f.history, nil
	}
	return []pd.HistoryEntry{{Kind: "token", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"},
		Flow: "proactive", Code: "LOAN-KYC", ConsentID: "c1", TrustedSystem: true, EventID: 11, TokenJTI: "j1"},
		{Kind: "action", At: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"},
			Action: "view", EventID: 12, TokenJTI: "j1"}}, nil
}

// ConsentTextFor stands for the domain's v2 text: the request's language is in it.
func (f *fakePD) ConsentTextFor(_ context.Context, r pd.ConsentRequest) (string, error) {
	return "SENIM v2 " + r.Lang + "\n" + r.SubjectIIN + " → " + r.Initiator + " ← " + r.Owner + ": " + r.Purpose + "\n", nil
}
func (f *fakePD) ConsentXMLFor(ctx context.Context, r pd.ConsentRequest) (string, error) {
	t, _ := f.ConsentTextFor(ctx, r)
	return pd.ConsentXML(t, r.Lang), nil
}
func (f *fakePD) ServiceCodes(context.Context) ([]pd.ServiceCode, error) {
	return []pd.ServiceCode{{Code: "LOAN-KYC", Title: "Несие алу"}}, nil
}
func (f *fakePD) GiveConsent(_ context.Context, r pd.ConsentRequest) (*pd.Consent, error) {
	if f.giveErr != nil {
		return nil, f.giveErr
	}
	f.given = append(f.given, r)
	return &pd.Consent{ID: "cg" + strconv.Itoa(len(f.given))}, nil
}
func (f *fakePD) RefuseConsent(_ context.Context, r pd.ConsentRequest) (*pd.Consent, error) {
	f.refused = append(f.refused, r)
	return &pd.Consent{ID: "cr" + strconv.Itoa(len(f.refused))}, nil
}

// CheckConsentEnd stands for the domain's bounds: after now, at most 5 years ahead.
func (f *fakePD) CheckConsentEnd(until time.Time) error {
	f.endsChecked = append(f.endsChecked, until)
	switch {
	case !until.After(time.Now()):
		return pd.ErrConsentEndPast
	case until.After(time.Now().AddDate(5, 0, 0)):
		return pd.ErrConsentEndTooFar
	}
	return nil
}
func (f *fakePD) ConsentEndRange() (first, last time.Time) {
	y, m, d := time.Now().In(pd.Astana).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, pd.Astana)
	return today, today.AddDate(5, 0, -1)
}
func (f *fakePD) DataOwners(context.Context) ([]pd.DataOwner, error) {
	return []pd.DataOwner{{BIN: "100040000208", Name: "Register", DataSets: []pd.DataSet{
		{Code: "identity", Title: "Identity", Titles: pd.Titles{KK: "Жеке куәлік", RU: "Удостоверение личности", EN: "Identity card"}},
		{Code: "address", Title: "Address", Titles: pd.Titles{KK: "Мекенжай", RU: "Адрес", EN: "Address"}}}}}, nil
}

// fakeLog proves event 11 of the first citizen of the harness (citizen:1).
type fakeLog struct{}

func (fakeLog) SubjectHistory(_ context.Context, subject string) ([]auditlog.HistoryEntry, error) {
	if subject != "citizen:1" {
		return nil, nil
	}
	return []auditlog.HistoryEntry{{Index: 41, EventID: 11, Verified: true, TreeSize: 50}, {Index: 42, EventID: 12, Problem: "log.opening.mismatch", TreeSize: 50}}, nil
}

type orgs struct{}

func (orgs) Organizations(context.Context) ([]identity.Organization, error) {
	return []identity.Organization{{BIN: "100040000109", Name: "Bank of Tests"}}, nil
}

func mount(t *testing.T) (*webtest.Harness, *fakePD) {
	t.Helper()
	h := webtest.New(t)
	f := &fakePD{}
	if err := Mount(h.Shell, Config{PD: f, Organizations: orgs{}, Log: fakeLog{}}); err != nil {
		t.Fatal(err)
	}
	return h, f
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, f := mount(t)
	webtest.CheckGuards(t, h)
	if len(f.revoked)+len(f.refused)+len(f.given) != 0 {
		t.Errorf("a refused request reached the domain: %+v", f)
	}
}

// TestConsentsPage: the citizen sees their decisions by name (each row the anchor
// consent-<id> that notices about it link to) and who holds them
// (PD-3.5), and revokes their own consent only after confirming it (PD-3.3).
func TestConsentsPage(t *testing.T) {
	h, f := mount(t)
	// One recorded by the bank ends at 14:00 Astana time; one given here lasts through its day.
	f.consents = []pd.Consent{{ID: "c1", Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Decision: "given", Status: "active", ValidUntil: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)},
		{ID: "c2", Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Decision: "given", Status: "active", ValidUntil: pd.EndOfDay(time.Date(2027, 4, 2, 0, 0, 0, 0, pd.Astana))}}
	c := h.Citizen("900101300001", "Aigerim")
	page := h.Get("/consents?lang=en", c).Body.String()
	if !strings.Contains(page, ">1 March 2027, 14:00 (Astana time, UTC+5)<") || !strings.Contains(page, ">2 April 2027<") {
		t.Errorf("the ends are not written as they are:\n%s", page)
	}
	if w := h.Get("/consents/c1/revoke?lang=en", c).Body.String(); !strings.Contains(w, "1 March 2027, 14:00") {
		t.Errorf("the revoke page hides the end's time")
	}
	for _, want := range []string{`id="consent-c1"`, `id="revoke-c1"`, `id="holders"`, `id="nav-consents"`, `id="nav-access"`, "Bank of Tests", "BIN 100040000109", "Identity card"} {
		if !strings.Contains(page, want) {
			t.Errorf("consents page has no %s", want)
		}
	}
	// The revoke link leads to a confirmation that says what will follow; nothing changes.
	w := h.Get("/consents/c1/revoke?lang=en", c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "revoke.effect.given")) || !strings.Contains(w.Body.String(), `name="confirmed" value="yes"`) {
		t.Errorf("confirmation page: %d\n%s", w.Code, w.Body)
	}
	// A POST without the confirmation (one click, or a crafted form) shows the question.
	w = h.Post("/consents/c1/revoke?lang=en", nil, c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="revoke-confirm"`) || len(f.revoked) != 0 {
		t.Errorf("revoke without confirmation: %d, revoked %q", w.Code, f.revoked)
	}
	w = h.Post("/consents/c1/revoke?lang=en", url.Values{"confirmed": {"yes"}}, c)
	wantDone(t, h, c, w, "/consents?done=revoked&lang=en#consent-c1", "consents.revoked")
	if len(f.revoked) != 1 || f.revoked[0] != "900101300001/900101300001/c1" {
		t.Errorf("revoked %q", f.revoked)
	}
	w = h.Post("/consents/other/revoke?lang=en", url.Values{"confirmed": {"yes"}}, c)
	if w.Code != 403 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.not_found")) {
		t.Errorf("revoking what is not the citizen's: %d", w.Code)
	}
	if w := h.Get("/consents/other/revoke?lang=en", c); w.Code != 403 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.not_found")) {
		t.Errorf("confirming what is not the citizen's: %d", w.Code)
	}
}

// TestAccessPage: who accessed the citizen's data (PD-3.4), by name, in Astana time.
func TestAccessPage(t *testing.T) {
	h, _ := mount(t)
	page := h.Get("/access?lang=en", h.Citizen("900101300001", "A")).Body.String()
	for _, want := range []string{`id="access"`, "Bank of Tests", "BIN 100040000109", "Identity card", "Несие алу",
		"2 January 2026, 08:04 (Astana time, UTC+5)", `href="/consents#consent-c1"`, i18n.T("en", "access.trusted")} {
		if !strings.Contains(page, want) {
			t.Errorf("access page has no %q", want)
		}
	}
	if strings.Contains(page, "2026-01-02 03:04:05") {
		t.Error("access page shows UTC")
	}
}

// wantDone checks Post/Redirect/Get: a decision's POST answers 303 See Other to the
// list, whose GET (what a reload repeats) says the decision was recorded and posts
// nothing again.
func wantDone(t *testing.T, h *webtest.Harness, c *webtest.Login, w *httptest.ResponseRecorder, to, notice string) {
	t.Helper()
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != to {
		t.Fatalf("after the POST: %d to %q, want 303 to %q", w.Code, w.Header().Get("Location"), to)
	}
	page := h.Get(strings.SplitN(to, "#", 2)[0], c)
	if page.Code != 200 || !strings.Contains(page.Body.String(), i18n.T("en", notice)) {
		t.Errorf("GET %s: %d, no %q", to, page.Code, notice)
	}
}

func values(decision, forMinor string) url.Values {
	return url.Values{"initiator": {"100040000109"}, "owner": {"100040000208"}, "data_sets": {"identity"},
		"purpose": {"loan"}, "valid_until": {"2030-01-01"}, "decision": {decision}, "for_minor": {forMinor}}
}

// TestRefuse: a refusal needs no signature (PD-3.2); a parent decides for a minor.
func TestRefuse(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	if w := h.Get("/consents/new", c); !strings.Contains(w.Body.String(), `id="consent-form"`) || !strings.Contains(w.Body.String(), "Bank of Tests") {
		t.Errorf("consent form:\n%s", w.Body)
	}
	w := h.Post("/consents/new?lang=en", values("refuse", ""), c)
	wantDone(t, h, c, w, "/consents?done=refused&lang=en#consent-cr1", "consent.refused")
	h.Post("/consents/new", values("refuse", "150101600001"), c)
	if len(f.refused) != 2 || f.refused[0].SubjectIIN != "900101300001" || f.refused[0].ActorIIN != "" ||
		f.refused[1].SubjectIIN != "150101600001" || f.refused[1].ActorIIN != "900101300001" {
		t.Errorf("refusals %+v", f.refused)
	}
	bad := values("refuse", "")
	bad.Set("valid_until", "soon")
	if w := h.Post("/consents/new?lang=en", bad, c); w.Code != 422 || !strings.Contains(w.Body.String(), i18n.T("en", "consent.err.until")) ||
		!strings.Contains(w.Body.String(), `value="loan"`) {
		t.Errorf("a date that is not one: %d", w.Code)
	}
	if len(f.refused) != 2 {
		t.Errorf("a bad form reached the domain: %+v", f.refused)
	}
}

// TestGiveWithSignature: a consent is shown as the exact text to sign and recorded only
// with an EDS signature over it (PD-6.1.1), never by the session alone.
func TestGiveWithSignature(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	w := h.Post("/consents/new?lang=en", values("give", ""), c)
	page := w.Body.String()
	want := "SENIM v2 en\n900101300001 → 100040000109 ← 100040000208: loan\n"
	if !strings.Contains(page, `id="consent-summary"`) || !strings.Contains(page, "Bank of Tests") {
		t.Errorf("sign page has no summary by name")
	}
	if w.Code != 200 || !strings.Contains(html.UnescapeString(page), `<pre id="consent-text" lang="en">`+want+`</pre>`) || !strings.Contains(page, `id="cms"`) {
		t.Fatalf("sign page: %d\n%s", w.Code, page)
	}
	if len(f.given) != 0 {
		t.Fatal("a consent was recorded before it was signed")
	}
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x07}
	if !strings.Contains(page, `name="text_lang" value="en"`) {
		t.Error("the sign form does not carry the text's language")
	}
	confirm := values("", "")
	confirm.Set("text_lang", "en")
	confirm.Set("cms", base64.StdEncoding.EncodeToString(der))
	f.giveErr = pd.ErrConsentNeedsEDS
	if w := h.Post("/consents/confirm?lang=ru", confirm, c); w.Code != 422 || !strings.Contains(w.Body.String(), i18n.T("ru", "error.pd.consent.eds_required")) || !strings.Contains(w.Body.String(), `id="consent-text"`) {
		t.Errorf("no signature: %d", w.Code)
	}
	f.giveErr = pd.ErrConsentSignature
	if w := h.Post("/consents/confirm?lang=en", confirm, c); w.Code != 422 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.signature_invalid")) || !strings.Contains(w.Body.String(), `id="consent-text"`) {
		t.Errorf("a signature the domain refuses: %d", w.Code)
	}
	f.giveErr = nil
	wantDone(t, h, c, h.Post("/consents/confirm?lang=en", confirm, c), "/consents?done=given&lang=en#consent-cg1", "consent.given")
	if len(f.given) != 1 || string(f.given[0].Signature) != string(der) || f.given[0].SubjectIIN != "900101300001" || f.given[0].Lang != "en" {
		t.Errorf("given %+v", f.given)
	}
	// The XML format is offered with the document, and a signed XML document posted
	// in the same field reaches the domain as it is (the domain checks it).
	doc := pd.ConsentXML(want, "en")
	if !strings.Contains(page, `id="sign-format-xml"`) || !strings.Contains(html.UnescapeString(page), `data-xml-b64="`+base64.StdEncoding.EncodeToString([]byte(doc))+`"`) {
		t.Errorf("the sign page does not offer the XML format")
	}
	signedXML := strings.Replace(doc, "</consent>", "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/></consent>", 1)
	confirm.Set("cms", signedXML)
	if w := h.Post("/consents/confirm?lang=en", confirm, c); w.Code != 303 || len(f.given) != 2 || string(f.given[1].Signature) != signedXML {
		t.Errorf("XML confirm: %d %q", w.Code, f.given)
	}
}

// TestConsentFormErrors: a consent with no data set ticked (or nothing filled in) is
// refused with an error summary linking to the fields, and the form keeps what was
// typed; nothing reaches the domain (issue 10 item 5).
func TestConsentFormErrors(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	v := values("give", "")
	v.Del("data_sets")
	v.Set("purpose", "a loan <b>")
	w := h.Post("/consents/new?lang=en", v, c)
	page := w.Body.String()
	if w.Code != 422 || !strings.Contains(page, `class="error-summary"`) || !strings.Contains(page, `href="#data_sets"`) ||
		!strings.Contains(page, i18n.T("en", "consent.err.datasets")) || !strings.Contains(page, `value="a loan &lt;b&gt;"`) ||
		!strings.Contains(page, `<option value="100040000109" selected>`) {
		t.Errorf("no data set: %d\n%s", w.Code, page)
	}
	// Every field wrong at once: one summary entry per field.
	w = h.Post("/consents/new?lang=ru", url.Values{"decision": {"give"}, "for_minor": {"12ab"}, "purpose": {strings.Repeat("я", 501)}}, c)
	for _, id := range []string{"initiator", "owner", "data_sets", "purpose", "valid_until", "for_minor"} {
		if !strings.Contains(w.Body.String(), `href="#`+id+`"`) {
			t.Errorf("no summary entry for %s", id)
		}
	}
	// The ticked boxes stay ticked.
	v = values("give", "")
	v.Set("purpose", "")
	if page := h.Post("/consents/new?lang=en", v, c).Body.String(); !strings.Contains(page, `value="identity" checked`) || strings.Contains(page, `value="address" checked`) {
		t.Errorf("ticked data sets were lost")
	}
	if len(f.given)+len(f.refused) != 0 {
		t.Errorf("a bad form reached the domain")
	}
}

// TestReadableInEveryLanguage renders every page of the area in every language with
// data that takes every value of every enum, and finds no raw key, event code, enum
// value or English word in the Kazakh and Russian pages (issue 10 item 2).
func TestReadableInEveryLanguage(t *testing.T) {
	h, f := mount(t)
	until := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	for i, st := range []string{"active", "revoked", "expired"} {
		for _, d := range []string{pd.DecisionGiven, pd.DecisionRefused} {
			f.consents = append(f.consents, pd.Consent{ID: "c" + st + d, Initiator: "100040000109", Owner: "100040000208",
				DataSets: []string{"identity", "address"}, Purpose: "Несие", Decision: d, Status: st, Representative: i == 1, ValidUntil: until})
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	grounds := &pd.Titles{KK: "ҚПК 199-бабы", RU: "Статья 199 УПК", EN: "CPC art. 199"}
	for _, fl := range []string{"proactive", "protocol", "sms"} {
		for _, trusted := range []bool{true, false} {
			f.history = append(f.history, pd.HistoryEntry{Kind: "token", At: at, Initiator: "100040000109", Owner: "100040000208",
				DataSets: []string{"identity"}, Flow: fl, Code: map[string]string{"proactive": "LOAN-KYC", "protocol": "CPC-199"}[fl],
				GroundTitles: map[string]*pd.Titles{"protocol": grounds}[fl], ConsentID: "c1", TrustedSystem: trusted, Automated: true})
		}
	}
	for _, act := range pd.Actions {
		for _, auto := range []bool{true, false} {
			f.history = append(f.history, pd.HistoryEntry{Kind: "action", At: at, Owner: "100040000208", Initiator: "100040000109",
				DataSets: []string{"address"}, Action: act, Automated: auto})
		}
	}
	for i := range f.history {
		f.history[i].EventID, f.history[i].TokenJTI = int64(i+11), "j1"
	}
	c := h.Citizen("900101300001", "A")
	for _, lang := range i18n.Langs {
		paths := []string{"/consents", "/access", "/consents/new", "/consents/cactivegiven/revoke", "/consents/cactiverefused/revoke",
			"/consents/crevokedgiven/revoke", "/consents/crevokedrefused/revoke"}
		for i := range f.history {
			paths = append(paths, "/access/"+strconv.Itoa(i+11))
		}
		for _, path := range paths {
			w := h.Get(path+"?lang="+lang, c)
			if w.Code != 200 {
				t.Errorf("%s: %d", path, w.Code)
			}
			webtest.Readable(t, path, lang, w.Body.String())
		}
		for name, form := range map[string]url.Values{"sign": values("give", ""), "errors": {"decision": {"give"}}} {
			webtest.Readable(t, name, lang, h.Post("/consents/new?lang="+lang, form, c).Body.String())
		}
	}
}

// TestAccessFilter: the citizen narrows who accessed her data to one organization and
// a period (days in Kazakhstan's time, both inclusive); a date that is not one is
// refused with the summary and what was typed kept.
func TestAccessFilter(t *testing.T) {
	h, f := mount(t)
	// 2026-01-01 20:00 UTC is already 2 January in Astana.
	f.history = []pd.HistoryEntry{
		{Kind: "token", At: time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC), Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Purpose: "first"},
		{Kind: "token", At: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC), Initiator: "100040000901", Owner: "100040000208", DataSets: []string{"identity"}, Purpose: "second"},
		{Kind: "action", At: time.Date(2026, 1, 9, 3, 0, 0, 0, time.UTC), Owner: "100040000208", DataSets: []string{"identity"}, Action: "view"},
	}
	c := h.Citizen("900101300001", "A")
	for q, want := range map[string][]string{
		"":                                {"first", "second", "view"},
		"?org=100040000109":               {"first"},
		"?org=100040000208":               {"first", "second", "view"},
		"?from=2026-01-02&to=2026-01-02":  {"first"},
		"?from=2026-01-03":                {"second", "view"},
		"?to=2026-01-05&org=100040000901": {"second"},
		"?from=2026-02-01":                {},
	} {
		page := h.Get("/access?lang=en&"+strings.TrimPrefix(q, "?"), c).Body.String()
		for _, w := range []string{"first", "second", "view"} {
			shown := strings.Contains(page, "Purpose: "+w) || w == "view" && strings.Contains(page, i18n.T("en", "access.action.view"))
			if shown != slices.Contains(want, w) {
				t.Errorf("%s: %s shown %v", q, w, shown)
			}
		}
		if len(want) == 0 && !strings.Contains(page, i18n.T("en", "access.none_filtered")) {
			t.Errorf("%s: no 'nothing found'", q)
		}
	}
	w := h.Get("/access?from=soon&to=2026-01-01&org=100040000109&lang=en", c)
	if page := w.Body.String(); w.Code != 422 || !strings.Contains(page, `href="#from"`) || !strings.Contains(page, `value="soon"`) ||
		!strings.Contains(page, `<option value="100040000109" selected>`) {
		t.Errorf("a date that is not one: %d", w.Code)
	}
	if w := h.Get("/access?from=2026-02-01&to=2026-01-01&lang=en", c); w.Code != 422 || !strings.Contains(w.Body.String(), `href="#to"`) {
		t.Errorf("a period that ends before it starts: %d", w.Code)
	}
}

// TestAccessDetail: each access opens on its own page with what the data owner
// reported under it and its proof in the log; another citizen's access, or an id that
// is not one, is not found.
func TestAccessDetail(t *testing.T) {
	h, _ := mount(t)
	c := h.Citizen("900101300001", "A") // citizen:1
	page := h.Get("/access?lang=en", c).Body.String()
	if !strings.Contains(page, `href="/access/11"`) || !strings.Contains(page, `href="/access/12"`) {
		t.Errorf("the list does not link each access")
	}
	w := h.Get("/access/11?lang=en", c)
	page = w.Body.String()
	for _, want := range []string{"Bank of Tests", "Identity card", `id="access-consent"`, `id="access-reports"`, i18n.T("en", "access.action.view"),
		html.EscapeString(i18n.T("en", "access.one.verified")), `href="/history/41/evidence.json"`, i18n.T("en", "access.one.index", 41, 50)} {
		if w.Code != 200 || !strings.Contains(page, want) {
			t.Errorf("access 11: %d, no %q", w.Code, want)
		}
	}
	if page := h.Get("/access/12?lang=en", c).Body.String(); !strings.Contains(page, i18n.T("en", "access.one.unverified")) || strings.Contains(page, `id="access-reports"`) {
		t.Errorf("access 12 (a report) shows a wrong proof or reports of its own")
	}
	// rule PD-3.4: a data owner's report says why: the access it served (linked), or
	// that it was the owner's own action. Before, "Why" was left empty.
	if page := h.Get("/access/12?lang=ru", c).Body.String(); !strings.Contains(page, `<a href="/access/11" id="access-under">`+i18n.T("ru", "access.basis.under")+`</a>`) {
		t.Errorf("access 12 (a report under token j1) does not link the access it served:\n%s", page)
	}
	if page := h.Get("/access/11?lang=en", c).Body.String(); strings.Contains(page, `id="access-under"`) {
		t.Errorf("an access links to itself as its own basis")
	}
	if page := h.Get("/access?lang=kk", c).Body.String(); !strings.Contains(page, `<a href="/access/11">`+i18n.T("kk", "access.basis.under")+`</a>`) {
		t.Errorf("the list's report row does not say why")
	}
	h2, f2 := mount(t)
	f2.history = []pd.HistoryEntry{
		{Kind: "action", At: time.Now(), Owner: "100040000208", DataSets: []string{"identity"}, Action: "change", EventID: 21},
		{Kind: "action", At: time.Now(), Owner: "100040000208", DataSets: []string{"identity"}, Action: "view", EventID: 22, TokenJTI: "not-in-history"},
	}
	c2 := h2.Citizen("900101300001", "A")
	for id, key := range map[string]string{"21": "access.basis.own", "22": "access.basis.under_hidden"} {
		page := html.UnescapeString(h2.Get("/access/"+id+"?lang=en", c2).Body.String())
		if !strings.Contains(page, i18n.T("en", key)) || strings.Contains(page, `id="access-under"`) {
			t.Errorf("access %s does not say %q:\n%s", id, i18n.T("en", key), page)
		}
	}
	other := h.Citizen("900101300002", "B") // citizen:2: the fake domain has the same list, the log has nothing of B's
	if page := h.Get("/access/11?lang=en", other).Body.String(); !strings.Contains(page, `id="access-proof-none"`) {
		t.Errorf("another citizen sees the first one's proof")
	}
	for _, p := range []string{"/access/13", "/access/0", "/access/x", "/access/-1"} {
		if w := h.Get(p+"?lang=en", c); w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
}

// TestExport: the citizen downloads her whole access history with names and proofs as
// JSON and CSV; a purpose an organization wrote cannot become a spreadsheet formula.
func TestExport(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	w := h.Get("/access/export.json?lang=kk", c)
	var doc struct {
		Accesses []exportEntry `json:"accesses"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("JSON: %d %v", w.Code, err)
	}
	if len(doc.Accesses) != 2 || doc.Accesses[0].InitiatorName != "Bank of Tests" || doc.Accesses[0].DataSetTitles[0] != "Жеке куәлік" ||
		doc.Accesses[0].Proof == nil || doc.Accesses[0].Proof.LogIndex != 41 || !doc.Accesses[0].Proof.Verified {
		t.Errorf("JSON accesses %+v", doc.Accesses)
	}
	if got := doc.Accesses[1].Basis; got != i18n.T("kk", "access.basis.under") {
		t.Errorf("the report's basis in the export: %q", got) // rule PD-3.4
	}
	f.history = []pd.HistoryEntry{{Kind: "token", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Initiator: "100040000109", Owner: "100040000208",
		DataSets: []string{"identity"}, Purpose: `=HYPERLINK("http://evil")`, EventID: 11}}
	w = h.Get("/access/export.csv?lang=en", c)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || w.Code != 200 || len(rows) != 2 || rows[0][0] != "time_utc" {
		t.Fatalf("CSV: %d %v %q", w.Code, err, rows)
	}
	if rows[1][1] != "2026-01-02 08:04:05" || rows[1][6] != "Bank of Tests" || rows[1][14] != `'=HYPERLINK("http://evil")` || rows[1][17] != "41" {
		t.Errorf("CSV row %q", rows[1])
	}
	// Another citizen's export carries no proof of the first one's.
	w = h.Get("/access/export.json", h.Citizen("900101300002", "B"))
	if strings.Contains(w.Body.String(), `"log_index"`) {
		t.Error("another citizen's export holds the first one's proofs")
	}
}

// TestConsentEnd: the end date the citizen picks means the end of that day in
// Kazakhstan's time (23:59:59 UTC+5), both in what she signs and in what is recorded;
// a past date or one beyond the longest a consent lasts is refused on the form, in her
// language, before she is asked to sign, and nothing reaches the domain (rule PD-3.2).
func TestConsentEnd(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	w := h.Post("/consents/new?lang=en", values("give", ""), c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="text_format" value="3"`) {
		t.Fatalf("sign page: %d, no text_format 3", w.Code)
	}
	if len(f.endsChecked) != 1 || !f.endsChecked[0].Equal(time.Date(2030, 1, 1, 18, 59, 59, 0, time.UTC)) {
		t.Errorf("end checked %v, want 2030-01-01 23:59:59 UTC+5", f.endsChecked)
	}
	confirm := values("", "")
	confirm.Set("text_lang", "en")
	confirm.Set("text_format", "3")
	confirm.Set("cms", base64.StdEncoding.EncodeToString([]byte{0x30, 0x00}))
	h.Post("/consents/confirm?lang=en", confirm, c)
	if len(f.given) != 1 || !f.given[0].ValidUntil.Equal(time.Date(2030, 1, 1, 18, 59, 59, 0, time.UTC)) || f.given[0].Format != pd.FormatV3 {
		t.Fatalf("given %+v, want the end of 1 January 2030 in Astana, format 3", f.given)
	}
	// A sign page served before v3 posts no format: the v2 text is checked.
	confirm.Del("text_format")
	h.Post("/consents/confirm?lang=en", confirm, c)
	if len(f.given) != 2 || f.given[1].Format != "" {
		t.Errorf("without text_format: %+v", f.given[1])
	}
	yesterday := time.Now().In(pd.Astana).AddDate(0, 0, -1).Format(time.DateOnly)
	today := time.Now().In(pd.Astana).Format(time.DateOnly)
	far := time.Now().In(pd.Astana).AddDate(5, 0, 2).Format(time.DateOnly)
	for _, tc := range []struct{ day, decision, lang, key string }{
		{yesterday, "give", "kk", "consent.err.until_past"},
		{yesterday, "refuse", "en", "consent.err.until_past"},
		{far, "give", "ru", "consent.err.until_far"},
		{far, "refuse", "en", "consent.err.until_far"},
	} {
		v := values(tc.decision, "")
		v.Set("valid_until", tc.day)
		w := h.Post("/consents/new?lang="+tc.lang, v, c)
		page := html.UnescapeString(w.Body.String())
		if w.Code != 422 || !strings.Contains(page, i18n.T(tc.lang, tc.key)) || !strings.Contains(page, `href="#valid_until"`) || strings.Contains(page, `id="consent-text"`) {
			t.Errorf("%s %s: %d, want the form with %q and no text to sign", tc.decision, tc.day, w.Code, tc.key)
		}
	}
	// Negative: today is still allowed (the consent lasts until tonight).
	v := values("give", "")
	v.Set("valid_until", today)
	if w := h.Post("/consents/new?lang=en", v, c); w.Code != 200 || !strings.Contains(w.Body.String(), `id="consent-text"`) {
		t.Errorf("today: %d", w.Code)
	}
	if len(f.given) != 2 || len(f.refused) != 0 {
		t.Errorf("a refused end reached the domain: %d given, %d refused", len(f.given), len(f.refused))
	}

	// The form offers exactly the days the domain accepts (its ConsentEndRange): the
	// date input is bounded and the hint names the last day, in each language.
	first, last := f.ConsentEndRange()
	for _, lang := range []string{"kk", "ru", "en"} {
		page := html.UnescapeString(h.Get("/consents/new?lang="+lang, c).Body.String())
		bounds := `min="` + first.Format(time.DateOnly) + `" max="` + last.Format(time.DateOnly) + `"`
		if !strings.Contains(page, bounds+` aria-describedby="until-hint" value="`+first.AddDate(1, 0, 0).Format(time.DateOnly)+`"`) ||
			!strings.Contains(page, i18n.T(lang, "consent.hint.until", i18n.Date(lang, last))) {
			t.Errorf("%s: the end date input lacks %s or the hint naming %s", lang, bounds, i18n.Date(lang, last))
		}
	}
}

// TestRevokeRevoked: the revoke page of a decision already revoked says so, when, and
// offers no second revocation; a revocation posted for it (an old tab) answers 409 with
// the same page and reaches nothing; an active one still asks to confirm (rule PD-3.3).
func TestRevokeRevoked(t *testing.T) {
	h, f := mount(t)
	revokedAt := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	f.consents = []pd.Consent{
		{ID: "c1", Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Decision: "given", Status: "active", ValidUntil: time.Now().AddDate(1, 0, 0)},
		{ID: "c2", Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Decision: "given", Status: "revoked", RevokedAt: revokedAt, ValidUntil: time.Now().AddDate(1, 0, 0)},
		{ID: "c3", Initiator: "100040000109", Owner: "100040000208", DataSets: []string{"identity"}, Decision: "refused", Status: "revoked", RevokedAt: revokedAt, ValidUntil: time.Now().AddDate(1, 0, 0)},
	}
	c := h.Citizen("900101300001", "A")
	for _, tc := range []struct{ id, heading string }{{"c2", "revoked.heading.given"}, {"c3", "revoked.heading.refused"}} {
		w := h.Get("/consents/"+tc.id+"/revoke?lang=ru", c)
		page := html.UnescapeString(w.Body.String())
		if w.Code != 200 || !strings.Contains(page, i18n.T("ru", tc.heading)) || !strings.Contains(page, i18n.When("ru", revokedAt)) ||
			strings.Contains(page, `id="revoke-form"`) || !strings.Contains(page, `id="revoke-back"`) {
			t.Errorf("GET %s: %d\n%s", tc.id, w.Code, page)
		}
		for _, form := range []url.Values{{"confirmed": {"yes"}}, nil} {
			w = h.Post("/consents/"+tc.id+"/revoke?lang=en", form, c)
			if w.Code != 409 || !strings.Contains(w.Body.String(), i18n.T("en", tc.heading)) || strings.Contains(w.Body.String(), `id="revoke-form"`) {
				t.Errorf("POST %s %v: %d", tc.id, form, w.Code)
			}
		}
	}
	if len(f.revoked) != 0 {
		t.Errorf("a revoked decision was revoked again: %q", f.revoked)
	}
	// Negative: an active consent still asks for confirmation.
	if w := h.Get("/consents/c1/revoke?lang=en", c); w.Code != 200 || !strings.Contains(w.Body.String(), `id="revoke-form"`) || strings.Contains(w.Body.String(), `id="revoke-already"`) {
		t.Errorf("active consent: %d", w.Code)
	}
}

// TestBadDecisionAndBIN: a decision other than give or refuse, and an initiator or data
// owner BIN that is not a valid BIN (a tampered form, a stale page), each get their own
// message in the citizen's language next to the field, not a generic error, and nothing
// reaches the domain; a valid form still goes through.
func TestBadDecisionAndBIN(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	for _, tc := range []struct {
		name, field, value, anchor, key string
	}{
		{"unknown decision", "decision", "maybe", "consent-give", "consent.err.decision"},
		{"no decision", "decision", "", "consent-give", "consent.err.decision"},
		{"initiator not a number", "initiator", "12345abc9012", "initiator", "consent.err.initiator_bin"},
		{"initiator with a wrong check digit", "initiator", "100040000100", "initiator", "consent.err.initiator_bin"},
		{"initiator an IIN", "initiator", "900101300001", "initiator", "consent.err.initiator_bin"},
		{"owner too short", "owner", "10004000020", "owner", "consent.err.owner_bin"},
		{"owner with a wrong check digit", "owner", "100040000200", "owner", "consent.err.owner_bin"},
	} {
		for _, lang := range i18n.Langs {
			v := values("give", "")
			v.Set(tc.field, tc.value)
			w := h.Post("/consents/new?lang="+lang, v, c)
			page := html.UnescapeString(w.Body.String())
			if w.Code != 422 || !strings.Contains(page, i18n.T(lang, tc.key)) || !strings.Contains(page, `href="#`+tc.anchor+`"`) ||
				strings.Contains(page, i18n.T(lang, "error.pd.consent.invalid")) {
				t.Errorf("%s (%s): %d, want 422 with %q at #%s", tc.name, lang, w.Code, tc.key, tc.anchor)
			}
		}
		// The signing step checks the BINs too.
		if tc.field != "decision" {
			v := values("", "")
			v.Set(tc.field, tc.value)
			v.Set("cms", base64.StdEncoding.EncodeToString([]byte{0x30, 0x00}))
			if w := h.Post("/consents/confirm?lang=en", v, c); w.Code != 422 || !strings.Contains(html.UnescapeString(w.Body.String()), i18n.T("en", tc.key)) {
				t.Errorf("%s at confirm: %d", tc.name, w.Code)
			}
		}
	}
	if len(f.given)+len(f.refused) != 0 {
		t.Fatalf("a bad form reached the domain: %d given, %d refused", len(f.given), len(f.refused))
	}
	// Negative: the valid BINs and both decisions go through.
	if w := h.Post("/consents/new?lang=en", values("refuse", ""), c); w.Code != 303 || len(f.refused) != 1 {
		t.Errorf("refuse: %d", w.Code)
	}
	if w := h.Post("/consents/new?lang=en", values("give", ""), c); w.Code != 200 || !strings.Contains(w.Body.String(), `id="consent-text"`) {
		t.Errorf("give: %d", w.Code)
	}
}

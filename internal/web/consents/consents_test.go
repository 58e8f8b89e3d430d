package consents

import (
	"context"
	"encoding/base64"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

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
}

func (f *fakePD) ListConsents(context.Context, string) ([]pd.Consent, error) { return f.consents, nil }
func (f *fakePD) HoldersOfConsent(context.Context, string) ([]pd.Holder, error) {
	return []pd.Holder{{Initiator: "Bank", Owner: "Register", DataSets: []string{"identity"}, Purpose: "loan"}}, nil
}
func (f *fakePD) RevokeConsent(_ context.Context, subject, actor, id string) (*pd.Consent, error) {
	if id != "c1" {
		return nil, pd.ErrConsentNotFound
	}
	f.revoked = append(f.revoked, subject+"/"+actor+"/"+id)
	return &pd.Consent{}, nil
}
func (f *fakePD) AccessHistory(context.Context, string) ([]pd.HistoryEntry, error) {
	return []pd.HistoryEntry{{Kind: "token", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Initiator: "Bank of Tests", Owner: "Register", DataSets: []string{"identity"}}}, nil
}
func (f *fakePD) GiveConsent(_ context.Context, r pd.ConsentRequest) (*pd.Consent, error) {
	if f.giveErr != nil {
		return nil, f.giveErr
	}
	f.given = append(f.given, r)
	return &pd.Consent{}, nil
}
func (f *fakePD) RefuseConsent(_ context.Context, r pd.ConsentRequest) (*pd.Consent, error) {
	f.refused = append(f.refused, r)
	return &pd.Consent{}, nil
}
func (f *fakePD) DataOwners(context.Context) ([]pd.DataOwner, error) {
	return []pd.DataOwner{{BIN: "100000000002", Name: "Register", DataSets: []pd.DataSet{{Code: "identity", Title: "Identity"}}}}, nil
}

type orgs struct{}

func (orgs) Organizations(context.Context) ([]identity.Organization, error) {
	return []identity.Organization{{BIN: "100000000001", Name: "Bank of Tests"}}, nil
}

func mount(t *testing.T) (*webtest.Harness, *fakePD) {
	t.Helper()
	h := webtest.New(t)
	f := &fakePD{}
	if err := Mount(h.Shell, Config{PD: f, Organizations: orgs{}}); err != nil {
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

// TestConsentsPage: the citizen sees their decisions and who holds them (PD-3.5), and
// revokes their own consent (PD-3.3).
func TestConsentsPage(t *testing.T) {
	h, f := mount(t)
	f.consents = []pd.Consent{{ID: "c1", Initiator: "Bank", Owner: "Register", Decision: "give", Status: "active", ValidUntil: time.Now()}}
	c := h.Citizen("900101300001", "Aigerim")
	page := h.Get("/consents?lang=en", c).Body.String()
	for _, want := range []string{`id="consent-c1"`, `id="revoke-c1"`, `id="holders"`, `id="nav-consents"`, `id="nav-access"`} {
		if !strings.Contains(page, want) {
			t.Errorf("consents page has no %s", want)
		}
	}
	w := h.Post("/consents/c1/revoke?lang=en", nil, c)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "consents.revoked")) {
		t.Errorf("revoke: %d", w.Code)
	}
	if len(f.revoked) != 1 || f.revoked[0] != "900101300001/900101300001/c1" {
		t.Errorf("revoked %q", f.revoked)
	}
	w = h.Post("/consents/other/revoke?lang=en", nil, c)
	if w.Code != 403 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.not_found")) {
		t.Errorf("revoking what is not the citizen's: %d", w.Code)
	}
}

// TestAccessPage: who accessed the citizen's data (PD-3.4).
func TestAccessPage(t *testing.T) {
	h, _ := mount(t)
	page := h.Get("/access?lang=en", h.Citizen("900101300001", "A")).Body.String()
	if !strings.Contains(page, `id="access"`) || !strings.Contains(page, "Bank of Tests") || !strings.Contains(page, "2026-01-02 03:04:05") {
		t.Errorf("access page:\n%s", page)
	}
}

func values(decision, forMinor string) url.Values {
	return url.Values{"initiator": {"100000000001"}, "owner": {"100000000002"}, "data_sets": {"identity"},
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
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "consent.refused")) {
		t.Errorf("refuse: %d", w.Code)
	}
	w = h.Post("/consents/new", values("refuse", "150101600001"), c)
	if len(f.refused) != 2 || f.refused[0].SubjectIIN != "900101300001" || f.refused[0].ActorIIN != "" ||
		f.refused[1].SubjectIIN != "150101600001" || f.refused[1].ActorIIN != "900101300001" {
		t.Errorf("refusals %+v", f.refused)
	}
	bad := values("refuse", "")
	bad.Set("valid_until", "soon")
	if w := h.Post("/consents/new?lang=en", bad, c); w.Code != 400 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.invalid")) {
		t.Errorf("a date that is not one: %d", w.Code)
	}
}

// TestGiveWithSignature: a consent is shown as the exact text to sign and recorded only
// with an EDS signature over it (PD-6.1.1), never by the session alone.
func TestGiveWithSignature(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "A")
	w := h.Post("/consents/new?lang=en", values("give", ""), c)
	page := w.Body.String()
	want := pd.ConsentText(pd.ConsentRequest{SubjectIIN: "900101300001", Initiator: "100000000001", Owner: "100000000002",
		DataSets: []string{"identity"}, Purpose: "loan", ValidUntil: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if w.Code != 200 || !strings.Contains(html.UnescapeString(page), `<pre id="consent-text">`+want+`</pre>`) || !strings.Contains(page, `id="cms"`) {
		t.Fatalf("sign page: %d\n%s", w.Code, page)
	}
	if len(f.given) != 0 {
		t.Fatal("a consent was recorded before it was signed")
	}
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x07}
	confirm := values("", "")
	confirm.Set("cms", base64.StdEncoding.EncodeToString(der))
	f.giveErr = pd.ErrConsentSignature
	if w := h.Post("/consents/confirm?lang=en", confirm, c); w.Code != 422 || !strings.Contains(w.Body.String(), i18n.T("en", "error.pd.consent.signature_invalid")) || !strings.Contains(w.Body.String(), `id="consent-text"`) {
		t.Errorf("a signature the domain refuses: %d", w.Code)
	}
	f.giveErr = nil
	if w := h.Post("/consents/confirm?lang=en", confirm, c); w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "consent.given")) {
		t.Errorf("confirm: %d", w.Code)
	}
	if len(f.given) != 1 || string(f.given[0].Signature) != string(der) || f.given[0].SubjectIIN != "900101300001" {
		t.Errorf("given %+v", f.given)
	}
}

package history

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/evtype"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web/webtest"

	_ "github.com/senimkz/senim/internal/archive" // registers its event types
	_ "github.com/senimkz/senim/internal/confirm" // registers its event types
	_ "github.com/senimkz/senim/internal/docs"    // registers its event types
	_ "github.com/senimkz/senim/internal/notify"  // registers its event types
	_ "github.com/senimkz/senim/internal/passkey" // registers its event types
	_ "github.com/senimkz/senim/internal/pd"      // registers its event types
)

// fakeLog holds one subject's events.
type fakeLog struct {
	subject string
	asked   []string
	types   []string // when set, one verified event of each type
}

func (f *fakeLog) SubjectHistory(_ context.Context, subject string) ([]auditlog.HistoryEntry, error) {
	f.asked = append(f.asked, subject)
	if subject != f.subject {
		return nil, nil
	}
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro()
	if f.types != nil {
		var out []auditlog.HistoryEntry
		for i, typ := range f.types {
			actor := []string{subject, "org:100000000001", "system", "admin:3@990000000017", "citizen:9"}[i%5]
			out = append(out, auditlog.HistoryEntry{Index: int64(i), Time: t, Type: typ, Actor: actor, Verified: i%2 == 0, Problem: "inclusion proof"})
		}
		return out, nil
	}
	return []auditlog.HistoryEntry{
		{Index: 3, Time: t, Type: "no.such.event", Actor: "org:100000000001", Verified: false, Problem: "inclusion proof"},
		{Index: 5, Time: t, Type: "pd.consent.given", Actor: "org:100000000001", Verified: true},
		{Index: 7, Time: t, Type: "pd.consent.given", Actor: subject, Verified: true},
	}, nil
}

func (f *fakeLog) Bundle(_ context.Context, subject string, index int64) ([]byte, error) {
	if subject != f.subject || index != 7 {
		return nil, problem.NotFound
	}
	return []byte(`{"bundle":7}`), nil
}

func mount(t *testing.T) (*webtest.Harness, *fakeLog) {
	t.Helper()
	h := webtest.New(t)
	f := &fakeLog{subject: "citizen:1"}
	if err := Mount(h.Shell, Config{Log: f, Organizations: orgs{}}); err != nil {
		t.Fatal(err)
	}
	return h, f
}

type orgs struct{}

func (orgs) Organizations(context.Context) ([]identity.Organization, error) {
	return []identity.Organization{{BIN: "100000000001", Name: "Bank of Tests"}}, nil
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, f := mount(t)
	webtest.CheckGuards(t, h)
	if len(f.asked) != 0 {
		t.Errorf("a refused request read the log: %q", f.asked)
	}
}

func TestHistory(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim") // the harness's first citizen: citizen:1
	page := h.Get("/history?lang=en", c).Body.String()
	newest, oldest := strings.Index(page, `id="proof-7"`), strings.Index(page, `id="proof-3"`)
	if newest < 0 || oldest < 0 || newest > oldest {
		t.Errorf("events missing or not newest first:\n%s", page)
	}
	for _, want := range []string{"Aigerim", i18n.T("en", "history.event.other"), i18n.T("en", "event.pd.consent.given"), "Bank of Tests", "BIN 100000000001",
		"2 January 2026, 08:04 (Astana time, UTC+5)", `id="nav-history"`} {
		if !strings.Contains(page, want) {
			t.Errorf("history page has no %q", want)
		}
	}
	if strings.Contains(page, "no.such.event") {
		t.Error("an unknown event shows its code")
	}
	// A consent the bank recorded is not one the bank gave: its own words, once.
	if strings.Count(page, i18n.T("en", "event.pd.consent.given.by_org")) != 1 || strings.Count(page, ">"+i18n.T("en", "event.pd.consent.given")+"<") != 1 {
		t.Errorf("a consent recorded by an organisation is not told apart from one the citizen gave:\n%s", page)
	}
	if f.asked[0] != "citizen:1" {
		t.Errorf("asked the log about %q", f.asked)
	}
	w := h.Get("/history/7/evidence.json", c)
	if w.Code != 200 || w.Body.String() != `{"bundle":7}` || !strings.Contains(w.Header().Get("Content-Disposition"), "senim-evidence-7.json") {
		t.Errorf("evidence: %d %q", w.Code, w.Body)
	}
	for _, p := range []string{"/history/3/evidence.json", "/history/-1/evidence.json", "/history/x/evidence.json"} {
		if w := h.Get(p, c); w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", p, w.Code, w.Header().Get("Content-Type"))
		}
	}
	// Another citizen reads only their own history.
	other := h.Citizen("900101300002", "B")
	if page := h.Get("/history", other).Body.String(); !strings.Contains(page, `id="history-none"`) {
		t.Error("another citizen sees the first one's events")
	}
	if w := h.Get("/history/7/evidence.json", other); w.Code != 404 {
		t.Errorf("another citizen's evidence: %d", w.Code)
	}
}

// subjectEvents are the event types the domains register as concerning a citizen
// (evtype.Citizen): each must have its text in every language. The blank imports in
// this file load every domain that emits events, so a type added anywhere is checked.
func subjectEvents() []string {
	var out []string
	for _, i := range evtype.All() {
		if i.Citizen && !strings.HasPrefix(i.Name, "test.") {
			out = append(out, i.Name)
		}
	}
	return out
}

// TestReadableInEveryLanguage: every event type, actor kind and proof state reads in
// every language with no code or English word showing (issue 10 item 2).
func TestReadableInEveryLanguage(t *testing.T) {
	h, f := mount(t)
	events := subjectEvents()
	if len(events) < 15 {
		t.Fatalf("only %d citizen event types are registered: a domain is not loaded", len(events))
	}
	f.types = append(events, "some.future.event")
	c := h.Citizen("900101300001", "Айгерім")
	for _, typ := range events {
		for _, lang := range i18n.Langs {
			if !i18n.Has(lang, "event."+typ) {
				t.Errorf("%s has no text in %s", typ, lang)
			}
		}
	}
	for _, lang := range i18n.Langs {
		webtest.Readable(t, "/history", lang, h.Get("/history?lang="+lang, c).Body.String())
	}
}

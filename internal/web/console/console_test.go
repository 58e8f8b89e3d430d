package console

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

// fakeDirs is the authorized body's directories; writes are recorded as "actor: what".
type fakeDirs struct {
	tr2        bool
	writes     []string
	all        bool  // every kind, status and notification policy, for the render test
	err        error // what SetProtocolPermissions answers
	complaints []pd.Complaint
	deleted    []string // kind/key
	lastOwner  pd.DataOwner
	senders    map[string][]string // the sender-permission directory (senders_test.go)
	senderLog  map[string][]notify.SenderChange
}

func (f *fakeDirs) TrustedObjects(context.Context, string) ([]pd.TrustedObject, error) {
	out := []pd.TrustedObject{{ID: "obj-1", Name: "Bank app", OwnerBIN: "100000000001", Kind: pd.KindInformationSystem, Status: pd.StatusTrusted}}
	if f.all {
		for i, k := range []string{pd.KindInformationSystem, pd.KindPlatform, pd.KindMessenger} {
			for j, st := range []string{pd.StatusTrusted, pd.StatusSuspended, pd.StatusRevoked} {
				out = append(out, pd.TrustedObject{ID: fmt.Sprint("o", i, j), Name: "Жүйе", OwnerBIN: "100000000001", Kind: k, Status: st,
					CertNumber: "№1", CertExpires: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)})
			}
		}
	}
	return out, nil
}
func (f *fakeDirs) PutTrustedObject(_ context.Context, actor string, o pd.TrustedObject) (*pd.TrustedObject, error) {
	f.writes = append(f.writes, actor+": object "+o.ID+" "+o.Status)
	return &o, nil
}
func (f *fakeDirs) SetTrustedObjectStatus(ctx context.Context, actor, id, status string) (*pd.TrustedObject, error) {
	objs, _ := f.TrustedObjects(ctx, "")
	for _, o := range objs {
		if o.ID == id {
			o.Status = status
			return f.PutTrustedObject(ctx, actor, o)
		}
	}
	return nil, pd.ErrNotFound
}
func (f *fakeDirs) CountTrusted(ctx context.Context) (int, error) {
	objs, _ := f.TrustedObjects(ctx, "")
	n := 0
	for _, o := range objs {
		if o.Status == pd.StatusTrusted {
			n++
		}
	}
	return n, nil
}
func (f *fakeDirs) TR2Enforced(context.Context) (bool, error) { return f.tr2, nil }
func (f *fakeDirs) SetTR2(_ context.Context, actor string, on bool) error {
	f.tr2 = on
	f.writes = append(f.writes, actor+": tr2 "+strconv.FormatBool(on))
	return nil
}
func (f *fakeDirs) Grounds(context.Context) ([]pd.Ground, error) {
	out := []pd.Ground{{Code: "CPC-199", Titles: pd.Titles{KK: "Тергеу", RU: "Расследование", EN: "Investigation"}, Notify: pd.NotifyNow,
		LegalRef: "CPC RK art. 199", LegalRefs: pd.Titles{KK: "ҚР ҚПК 199-бабы"}}}
	if f.all {
		out = append(out, pd.Ground{Code: "ORD-12", Titles: pd.Titles{KK: "Құпия", RU: "Негласно", EN: "Covert"}, Notify: pd.NotifyPeriod},
			pd.Ground{Code: "ORD-13", Titles: pd.Titles{KK: "Күнге дейін", RU: "До даты", EN: "Until"}, Notify: pd.NotifyUntil})
	}
	return out, nil
}
func (f *fakeDirs) PutGround(_ context.Context, actor string, g pd.Ground) (*pd.Ground, error) {
	f.writes = append(f.writes, actor+": ground "+g.Code+" "+strconv.FormatInt(g.NotifyPeriodSeconds, 10))
	return &g, nil
}
func (f *fakeDirs) ProtocolPermissions(context.Context) (map[string][]string, error) {
	return map[string][]string{"100000000009": {"CPC-199"}}, nil
}
func (f *fakeDirs) SetProtocolPermissions(_ context.Context, actor, bin string, grounds []string) error {
	if f.err != nil {
		return f.err
	}
	f.writes = append(f.writes, actor+": permissions "+bin+" "+strings.Join(grounds, "+"))
	return nil
}
func (f *fakeDirs) ServiceCodes(context.Context) ([]pd.ServiceCode, error) {
	return []pd.ServiceCode{{Code: "LOAN-KYC", Title: "Несие", Owner: "100000000002", DataSets: []string{"identity"}, BINs: []string{"100000000001"}}}, nil
}
func (f *fakeDirs) PutServiceCode(_ context.Context, actor string, c pd.ServiceCode) (*pd.ServiceCode, error) {
	f.writes = append(f.writes, actor+": service "+c.Code)
	return &c, nil
}
func (f *fakeDirs) DataOwners(context.Context) ([]pd.DataOwner, error) {
	return []pd.DataOwner{{BIN: "100000000002", Name: "Тізілім", DataSets: []pd.DataSet{{Code: "identity", Title: "Identity",
		Titles: pd.Titles{KK: "Жеке куәлік", RU: "Удостоверение личности", EN: "Identity card"}}}}}, nil
}

type orgs struct{}

func (orgs) Organizations(context.Context) ([]identity.Organization, error) {
	return []identity.Organization{{BIN: "100000000001", Name: "Bank of Tests"}, {BIN: "100000000009", Name: "Police of Tests"}}, nil
}
func (f *fakeDirs) PutDataOwner(_ context.Context, actor string, o pd.DataOwner) (*pd.DataOwner, error) {
	f.writes = append(f.writes, actor+": owner "+o.BIN)
	f.lastOwner = o
	return &o, nil
}

func mount(t *testing.T) (*webtest.Harness, *fakeDirs) {
	t.Helper()
	h := webtest.New(t)
	f := &fakeDirs{}
	if err := Mount(h.Shell, Config{Console: f, Organizations: orgs{}, Complaints: f, Entries: f, Senders: f, OrgDirectory: orgs{}}); err != nil {
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
	if len(f.writes) != 0 {
		t.Errorf("a refused request changed the directories: %q", f.writes)
	}
}

// TestConsoleIsForStaff: the console's pages and forms are Staff routes — a citizen,
// even one logged in with EDS, is refused; the directories are public.
func TestConsoleIsForStaff(t *testing.T) {
	h, _ := mount(t)
	c := h.Citizen("900101300001", "A")
	for _, rt := range h.Shell.Routes() {
		if rt.Pattern == "GET /{$}" { // the shell's home page
			continue
		}
		public := rt.Pattern == "GET /directories"
		if public != (rt.Access.String() == "public") || !public && rt.Access.String() != "staff" {
			t.Errorf("%s: access %s", rt.Pattern, rt.Access)
		}
	}
	if w := h.Get("/console", c); w.Code != 403 {
		t.Errorf("a citizen at the console: %d", w.Code)
	}
	if page := h.Get("/console", c).Body.String(); strings.Contains(page, `id="nav-console"`) {
		t.Error("a citizen is shown the console link")
	}
}

func TestConsoleChanges(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	actor := "admin:" + strconv.FormatInt(s.Session.CitizenID, 10) + "@" + webtest.RegulatorBIN
	page := h.Get("/console?lang=en", s).Body.String()
	if !strings.Contains(page, `id="nav-console"`) || !strings.Contains(page, `id="tr2-toggle"`) || !strings.Contains(page, "Bank app") {
		t.Fatalf("console:\n%s", page)
	}
	for _, tc := range []struct {
		path   string
		form   url.Values
		status int
		write  string
	}{
		{"/console/tr2", url.Values{"on": {"true"}}, 200, ""}, // no confirmation: the question, nothing changed
		{"/console/tr2", url.Values{"on": {"true"}, "confirmed": {"yes"}}, 200, "tr2 true"},
		{"/console/tr2", url.Values{"on": {"maybe"}, "confirmed": {"yes"}}, 400, ""},
		{"/console/objects/obj-1/status", url.Values{"status": {pd.StatusSuspended}}, 200, "object obj-1 suspended"},
		{"/console/objects/nope/status", url.Values{"status": {pd.StatusSuspended}}, 404, ""},
		{"/console/grounds", url.Values{"code": {"SEC-30"}, "notify": {"period"}, "period_days": {"30"}, "legal_ref_kk": {"3-бап"}}, 400, ""},
		{"/console/grounds", url.Values{"code": {"SEC-30"}, "notify": {"period"}, "period_days": {"30"}, "legal_ref_ru": {"ст. 3"}}, 400, ""},
		{"/console/grounds", url.Values{"code": {"SEC-30"}, "notify": {"period"}, "period_days": {"30"}, "legal_ref_kk": {"3-бап"}, "legal_ref_ru": {"ст. 3"}}, 200, "ground SEC-30 2592000"},
		{"/console/grounds", url.Values{"code": {"SEC-X"}, "notify": {"period"}}, 400, ""},
		{"/console/permissions", url.Values{"bin": {"100000000009"}, "grounds": {"CPC-199, SEC-30"}}, 200, "permissions 100000000009 CPC-199+SEC-30"},
		{"/console/services", url.Values{"code": {"KYC"}, "period_days": {"0"}}, 400, ""},
		{"/console/services", url.Values{"code": {"KYC"}, "period_days": {"30"}}, 200, "service KYC"},
		{"/console/owners", url.Values{"bin": {"100000000002"}, "data_sets": {"no-title"}}, 400, ""},
		{"/console/owners", url.Values{"bin": {"100000000002"}, "data_sets": {"a:A, b:B"}}, 200, "owner 100000000002"},
		{"/console/objects", url.Values{"id": {"x"}, "certificate_date": {"soon"}}, 400, ""},
	} {
		n := len(f.writes)
		w := h.Post(tc.path+"?lang=en", tc.form, s)
		if w.Code != tc.status {
			t.Errorf("%s %v: %d, want %d", tc.path, tc.form, w.Code, tc.status)
		}
		switch {
		case tc.write == "" && len(f.writes) != n:
			t.Errorf("%s %v: changed %q", tc.path, tc.form, f.writes[n:])
		case tc.write != "" && (len(f.writes) != n+1 || f.writes[n] != actor+": "+tc.write):
			t.Errorf("%s %v: writes %q, want %q", tc.path, tc.form, f.writes[n:], actor+": "+tc.write)
		}
		if tc.status == 200 && tc.write != "" && !strings.Contains(w.Body.String(), i18n.T("en", "console.saved")) {
			t.Errorf("%s: no notice", tc.path)
		}
	}
}

func TestDirectoriesArePublic(t *testing.T) {
	h, _ := mount(t)
	// A ground's legal reference is in the page's language where the directory has it.
	for lang, want := range map[string][2]string{"kk": {"Тергеу", "ҚР ҚПК 199-бабы"}, "ru": {"Расследование", "CPC RK art. 199"}, "en": {"Investigation", "CPC RK art. 199"}} {
		w := h.Get("/directories?lang="+lang, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), want[0]) || !strings.Contains(w.Body.String(), want[1]) || !strings.Contains(w.Body.String(), `id="nav-directories"`) {
			t.Errorf("directories in %s: %d, want %q", lang, w.Code, want)
		}
	}
}

// TestConsoleFormErrors: a console form the directories refuse comes back with what
// was typed, the error next to its field and in the summary, and nothing changed
// (issue 10 item 5).
func TestConsoleFormErrors(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	w := h.Post("/console/grounds?lang=ru", url.Values{"code": {"SEC-X"}, "title_ru": {"Негласно <x>"}, "notify": {"period"}, "period_days": {"-3"}}, s)
	page := w.Body.String()
	for _, want := range []string{`class="error-summary"`, `href="#ground-period_days"`, i18n.T("ru", "console.err.period_days"),
		`id="ground-code" name="code" required maxlength="40" value="SEC-X"`, `value="Негласно &lt;x&gt;"`, `<option value="period" selected>`} {
		if !strings.Contains(page, want) {
			t.Errorf("refused ground: no %q", want)
		}
	}
	if w.Code != 400 || len(f.writes) != 0 {
		t.Errorf("refused ground: %d, writes %q", w.Code, f.writes)
	}
	// Another form's fields stay empty.
	if strings.Contains(page, `id="svc-code" name="code" required maxlength="40" value="SEC-X"`) {
		t.Error("the typed values leak into another form")
	}
	// A data set row without all its titles: the rows come back as typed.
	w = h.Post("/console/owners?lang=en", url.Values{"bin": {"100000000002"}, "name": {"Register"}, "ds_code": {"parcels"}, "ds_kk": {"Жер"}, "ds_ru": {""}, "ds_en": {""}}, s)
	if page := w.Body.String(); w.Code != 400 || !strings.Contains(page, `href="#owner-data_sets"`) || !strings.Contains(page, `value="parcels"`) || !strings.Contains(page, `value="Жер"`) ||
		strings.Contains(page, `name="sender_constraint" value="true" checked`) {
		t.Errorf("refused owner: %d", w.Code)
	}
}

// TestReadableInEveryLanguage: the console and the public directories, with every
// kind, status and notification policy, read in every language (issue 10 item 2).
func TestReadableInEveryLanguage(t *testing.T) {
	h, f := mount(t)
	f.all = true
	s := h.Staff("900101300003", "Staff")
	for _, lang := range i18n.Langs {
		for _, path := range []string{"/console", "/directories", "/console/tr2"} {
			w := h.Get(path+"?lang="+lang, s)
			if w.Code != 200 {
				t.Errorf("%s: %d", path, w.Code)
			}
			webtest.Readable(t, path, lang, w.Body.String())
		}
		webtest.Readable(t, "refused", lang, h.Post("/console/services?lang="+lang, url.Values{"code": {"KYC"}, "period_days": {"x"}}, s).Body.String())
	}
	w := h.Get("/directories?lang=kk", nil).Body.String()
	for _, want := range []string{"Bank of Tests", "БСН 100000000001", "Жеке куәлік", "Құпия", "2028 жылғы 1 қаңтар"} {
		if !strings.Contains(w, want) {
			t.Errorf("directories (kk): no %q", want)
		}
	}
}

// TestTR2Confirmation: the nationwide TR-2 switch is on its own page that says what
// will follow; a POST without the confirmation changes nothing.
func TestTR2Confirmation(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	page := h.Get("/console/tr2?lang=en", s).Body.String()
	if !strings.Contains(page, i18n.T("en", "console.tr2.effect_on", 1)) || !strings.Contains(page, `name="on" value="true"`) || !strings.Contains(page, `id="tr2-confirm"`) {
		t.Errorf("TR-2 page:\n%s", page)
	}
	if w := h.Post("/console/tr2?lang=en", url.Values{"on": {"true"}}, s); w.Code != 200 || !strings.Contains(w.Body.String(), `id="tr2-confirm"`) || f.tr2 {
		t.Errorf("one click switched TR-2: %d, on=%v", w.Code, f.tr2)
	}
	h.Post("/console/tr2?lang=en", url.Values{"on": {"true"}, "confirmed": {"yes"}}, s)
	if page := h.Get("/console/tr2?lang=en", s).Body.String(); !f.tr2 || !strings.Contains(page, i18n.T("en", "console.tr2.effect_off")) {
		t.Errorf("after confirming: on=%v", f.tr2)
	}
	if w := h.Get("/console/tr2", h.Citizen("900101300004", "C")); w.Code != 403 {
		t.Errorf("a citizen at the TR-2 page: %d", w.Code)
	}
}

// TestConsoleDomainErrors: what the directories refuse comes back in the page's
// language with the form kept, never as an error page that loses it.
func TestConsoleDomainErrors(t *testing.T) {
	h, f := mount(t)
	f.err = pd.ErrGroundUnknown
	s := h.Staff("900101300003", "Staff")
	w := h.Post("/console/permissions?lang=kk", url.Values{"bin": {"100000000009"}, "grounds": {"CPC-199"}}, s)
	if page := w.Body.String(); w.Code != 422 || !strings.Contains(page, i18n.T("kk", "error.pd.ground.unknown")) ||
		!strings.Contains(page, `value="CPC-199" id="perm-ground-0" checked`) || !strings.Contains(page, `<option value="100000000009" selected>`) {
		t.Errorf("unknown ground: %d", w.Code)
	}
}

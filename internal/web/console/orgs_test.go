package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/web/webtest"
)

// The organisation directory in the tests of the other pages: read-only (its page's
// own tests use identity's, on a database).
func (orgs) PutOrganization(context.Context, string, identity.Organization) (*identity.Organization, error) {
	return nil, errors.New("orgs: read-only")
}
func (orgs) OrganizationHistories(context.Context) (map[string][]identity.OrganizationChange, error) {
	return nil, nil
}

const (
	binBank   = "940140000385"
	binPolice = "050490000015"
	binAgency = "990240000010"
)

// mountOrgs mounts the console with identity's organisation directory on db, its clock
// a minute further at each change.
func mountOrgs(t *testing.T, db *store.DB) (*webtest.Harness, *identity.Service) {
	t.Helper()
	clock := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	svc := identity.NewDirectory(db, func() time.Time { clock = clock.Add(time.Minute); return clock })
	h := webtest.New(t)
	f := &fakeDirs{}
	if err := Mount(h.Shell, Config{Console: f, Organizations: svc, OrgDirectory: svc}); err != nil {
		t.Fatal(err)
	}
	return h, svc
}

// snapshot is the whole directory with every organisation's history.
func snapshot(t *testing.T, svc *identity.Service) string {
	t.Helper()
	all, err := svc.Organizations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%+v", all)
	for _, o := range all {
		h, err := svc.OrganizationHistory(t.Context(), o.BIN)
		if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("\n%s: %+v", o.BIN, h)
	}
	return out
}

func bankForm() url.Values {
	return url.Values{"bin": {binBank}, "name": {"Bank JSC"}, "name_kk": {"«Банк» АҚ"}, "name_ru": {"АО «Банк»"}, "name_en": {"Bank JSC"},
		"role": {"bank"}, "systems": {"core Core banking\r\n\r\n  loans   Retail lending  \r\n"}}
}

// TestConsoleOrganizations: staff register an organisation from the console and rename
// it, change its systems, and see each change with who made it, newest first; "edit"
// fills the form with its current values; a citizen is refused.
func TestConsoleOrganizations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h, svc := mountOrgs(t, db)
		s := h.Staff("900101300003", "Staff")
		staff := i18n.T("en", "console.actor.staff", strconv.FormatInt(s.Session.CitizenID, 10)+"@"+webtest.RegulatorBIN)
		if page := h.Get("/console?lang=en", s).Body.String(); !strings.Contains(page, `href="/console/organizations"`) {
			t.Error("the console does not link the organisations page")
		}
		if w := h.Get("/console/organizations?lang=en", s); w.Code != 200 || !strings.Contains(w.Body.String(), `id="orgs-none"`) {
			t.Errorf("empty directory: %d\n%s", w.Code, w.Body.String())
		}

		w := h.Post("/console/organizations?lang=en", bankForm(), s)
		page := w.Body.String()
		if w.Code != 200 || !strings.Contains(page, i18n.T("en", "console.saved")) {
			t.Fatalf("create: %d\n%s", w.Code, page)
		}
		for _, want := range []string{`id="org-` + binBank + `"`, `<span class="name">Bank JSC</span>`, `id="org-role-` + binBank + `">bank</td>`,
			`<code lang="en" translate="no">core</code> Core banking</li>`, `<code lang="en" translate="no">loans</code> Retail lending</li>`, staff} {
			if !strings.Contains(page, want) {
				t.Errorf("after the creation: no %q", want)
			}
		}
		o, err := svc.OrganizationByBIN(t.Context(), binBank)
		if err != nil || o.Name != "Bank JSC" || o.Names != (identity.Names{KK: "«Банк» АҚ", RU: "АО «Банк»", EN: "Bank JSC"}) || o.Role != "bank" ||
			!reflect.DeepEqual(o.Systems, []identity.InformationSystem{{Code: "core", Name: "Core banking"}, {Code: "loans", Name: "Retail lending"}}) {
			t.Errorf("stored: %+v, %v", o, err)
		}
		// The form is empty again after a change.
		if strings.Contains(page, `id="org-name" name="name" maxlength="300" value="Bank JSC"`) {
			t.Error("the saved organisation stays in the form")
		}

		// A rename, and the systems changed: loans dropped, cards added, core renamed.
		f := bankForm()
		f.Set("name", "New Bank JSC")
		f.Set("name_en", "New Bank JSC")
		f.Set("name_ru", "АО «Новый Банк»")
		f.Set("systems", "cards Cards\ncore Core banking v2")
		if w := h.Post("/console/organizations?lang=ru", f, s); w.Code != 200 {
			t.Fatalf("rename: %d\n%s", w.Code, w.Body.String())
		}
		// The same again changes nothing, and the history stays two lines.
		h.Post("/console/organizations?lang=en", f, s)
		page = h.Get("/console/organizations?lang=ru", s).Body.String()
		if !strings.Contains(page, `<span class="name">АО «Новый Банк»</span>`) || strings.Contains(page, `<code lang="en" translate="no">loans</code> Retail`) ||
			!strings.Contains(page, `<code lang="en" translate="no">cards</code> Cards</li>`) || !strings.Contains(page, `<code lang="en" translate="no">core</code> Core banking v2</li>`) {
			t.Errorf("after the rename:\n%s", page)
		}
		hist := regexp.MustCompile(`(?s)id="org-history-` + binBank + `">(.*?)</ol>`).FindStringSubmatch(page)
		if hist == nil || strings.Count(hist[1], "<li>") != 2 {
			t.Fatalf("history: %v", hist)
		}
		lines := strings.Split(hist[1], "</li>")
		if !strings.Contains(lines[0], "АО «Новый Банк» · банк · ") || !strings.Contains(lines[0], ">cards</code>") ||
			!strings.Contains(lines[1], "АО «Банк» · банк · ") || !strings.Contains(lines[1], ">loans</code>") {
			t.Errorf("history, newest first: %q", lines)
		}
		if !strings.Contains(hist[1], i18n.T("ru", "console.actor.staff", strconv.FormatInt(s.Session.CitizenID, 10)+"@"+webtest.RegulatorBIN)) {
			t.Errorf("history does not say who: %q", hist[1])
		}
		if h, err := svc.OrganizationHistory(t.Context(), binBank); err != nil || len(h) != 2 || h[1].Actor != "admin:"+strconv.FormatInt(s.Session.CitizenID, 10)+"@"+webtest.RegulatorBIN {
			t.Errorf("stored history: %+v, %v", h, err)
		}

		// Edit: the form holds the organisation as it is now.
		page = h.Get("/console/organizations?lang=en&bin="+binBank, s).Body.String()
		for _, want := range []string{`href="/console/organizations?bin=` + binBank + `#org-form"`,
			`id="org-bin" name="bin" inputmode="numeric" maxlength="12" value="` + binBank + `"`,
			`id="org-name" name="name" maxlength="300" value="New Bank JSC"`, `value="«Банк» АҚ"`, `value="АО «Новый Банк»"`,
			`<option value="bank" selected>bank</option>`, ">core Core banking v2\ncards Cards</textarea>"} { // core kept its row
			if !strings.Contains(page, want) {
				t.Errorf("edit form: no %q", want)
			}
		}
		if page := h.Get("/console/organizations?lang=en", s).Body.String(); strings.Contains(page, `value="New Bank JSC"`) {
			t.Error("the form is filled without ?bin=")
		}
		// A BIN not in the directory yet fills the form's BIN only, to register it; a
		// malformed one fills nothing.
		page = h.Get("/console/organizations?lang=en&bin="+binPolice, s).Body.String()
		if !strings.Contains(page, `id="org-bin" name="bin" inputmode="numeric" maxlength="12" value="`+binPolice+`"`) ||
			!strings.Contains(page, `id="org-name" name="name" maxlength="300" value=""`) {
			t.Error("?bin= of an unregistered organisation: the form does not hold its BIN alone")
		}
		if page := h.Get("/console/organizations?lang=en&bin=050490000016", s).Body.String(); !strings.Contains(page, `id="org-bin" name="bin" inputmode="numeric" maxlength="12" value=""`) {
			t.Error("?bin= with a wrong check digit filled the form")
		}

		// A citizen is refused, and changes nothing.
		before := snapshot(t, svc)
		c := h.Citizen("900101300001", "A")
		if w := h.Get("/console/organizations", c); w.Code != 403 {
			t.Errorf("a citizen at the organisations page: %d", w.Code)
		}
		f.Set("name", "Citizen's Bank")
		if w := h.Post("/console/organizations", f, c); w.Code != 403 {
			t.Errorf("a citizen renamed an organisation: %d", w.Code)
		}
		// Staff without the form's token are refused too.
		delete(f, "csrf")
		if w := h.Do(webtest.Request{Method: http.MethodPost, Path: "/console/organizations", Form: f, Login: s}); w.Code != 403 {
			t.Errorf("a POST without its token: %d", w.Code)
		}
		if after := snapshot(t, svc); after != before {
			t.Errorf("a refused request changed the directory:\n%s\n%s", before, after)
		}
	})
}

// TestConsoleOrganizationsRefused: each bad input is refused with its status, the
// message in the page's language next to its field, the form as typed, and nothing
// changed in the directory.
func TestConsoleOrganizationsRefused(t *testing.T) {
	h, svc := mountOrgs(t, storetest.Open(t))
	s := h.Staff("900101300003", "Staff")
	if w := h.Post("/console/organizations", bankForm(), s); w.Code != 200 {
		t.Fatalf("create: %d", w.Code)
	}
	many := ""
	for i := range identity.MaxSystems + 1 {
		many += fmt.Sprintf("s%d System %d\n", i, i)
	}
	with := func(k, v string) url.Values {
		f := bankForm()
		f.Set("name", "Renamed Bank") // what was typed, to find again in the form
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		name         string
		form         url.Values
		field, key   string
		status       int
		changedValue string // a value of the form, escaped, that must come back
	}{
		{"bad BIN", with("bin", "12345"), "bin", "console.orgs.err.bin", 400, `value="12345"`},
		{"bad BIN check digit", with("bin", "940140000386"), "bin", "console.orgs.err.bin", 400, `value="940140000386"`},
		{"no name", with("name", " "), "name", "console.orgs.err.name", 400, `value="АО «Банк»"`},
		{"name too long", with("name", strings.Repeat("я", identity.MaxOrgName+1)), "name", "console.orgs.err.name", 400, strings.Repeat("я", identity.MaxOrgName+1)},
		{"no Kazakh name", with("name_kk", ""), "name_kk", "console.orgs.err.name_kk", 400, `value="Renamed Bank"`},
		{"unknown role", with("role", "casino"), "role", "console.orgs.err.role", 400, `value="Renamed Bank"`},
		{"no role", with("role", ""), "role", "console.orgs.err.role", 400, `value="Renamed Bank"`},
		{"a line without a name", with("systems", "core Core banking\nloans"), "systems", "console.orgs.err.system_line", 400, ">core Core banking\nloans</textarea>"},
		{"bad system code", with("systems", "core/v2 Core banking"), "systems", "console.orgs.err.system", 400, ">core/v2 Core banking</textarea>"},
		{"a code twice", with("systems", "core Core\ncore Core again"), "systems", "console.orgs.err.system", 400, ">core Core\ncore Core again</textarea>"},
		{"too many systems", with("systems", many), "systems", "console.orgs.err.too_many", 400, ">s0 System 0\n"},
	} {
		for _, lang := range i18n.Langs {
			before := snapshot(t, svc)
			w := h.Post("/console/organizations?lang="+lang, tc.form, s)
			page := w.Body.String()
			if w.Code != tc.status {
				t.Errorf("%s (%s): %d, want %d", tc.name, lang, w.Code, tc.status)
			}
			msg := i18n.T(lang, tc.key)
			if !regexp.MustCompile(`(?s)<div class="field[^"]*has-error">\s*<label for="org-` + tc.field + `">[^<]*</label>(<span class="hint"[^>]*>[^<]*</span>)?<p class="field-error">` +
				regexp.QuoteMeta(htmlEscape(msg)) + `</p>`).MatchString(page) {
				t.Errorf("%s (%s): no %q next to org-%s", tc.name, lang, msg, tc.field)
			}
			if !strings.Contains(page, `href="#org-`+tc.field+`"`) {
				t.Errorf("%s (%s): the summary does not link org-%s", tc.name, lang, tc.field)
			}
			if !strings.Contains(page, tc.changedValue) || !strings.Contains(page, `value="`+tc.form.Get("bin")+`"`) {
				t.Errorf("%s (%s): the form as typed is lost", tc.name, lang)
			}
			if strings.Contains(page, i18n.T(lang, "console.saved")) {
				t.Errorf("%s (%s): says saved", tc.name, lang)
			}
			if after := snapshot(t, svc); after != before {
				t.Errorf("%s (%s): the directory changed:\n%s\n%s", tc.name, lang, before, after)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// TestConsoleOrganizationsReadable: the page names roles in its language, and reads in
// every language, refused or not.
func TestConsoleOrganizationsReadable(t *testing.T) {
	h, svc := mountOrgs(t, storetest.Open(t))
	s := h.Staff("900101300003", "Staff")
	if _, err := svc.PutOrganization(t.Context(), "admin:3@"+webtest.RegulatorBIN, identity.Organization{BIN: binPolice, Name: "Police", Role: "law_enforcement",
		Names: identity.Names{KK: "Полиция", RU: "Полиция"}, Systems: []identity.InformationSystem{{Code: "cases", Name: "Cases"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutOrganization(t.Context(), "sandbox", identity.Organization{BIN: binBank, Name: "Bank", Role: "state_body",
		Names: identity.Names{KK: "Тізілім", RU: "Реестр", EN: "Register"}}); err != nil {
		t.Fatal(err)
	}
	// Seeded without the directory's history: the page says so.
	if _, _, err := svc.EnsureOrganization(t.Context(), identity.Organization{BIN: binAgency, Name: "Agency", Role: "regulator"}); err != nil {
		t.Fatal(err)
	}
	roles := map[string][2]string{
		"kk": {"құқық қорғау органы", "мемлекеттік орган (деректер иесі)"},
		"ru": {"правоохранительный орган", "государственный орган (владелец данных)"},
		"en": {"law enforcement body", "state body (data owner)"},
	}
	for _, lang := range i18n.Langs {
		w := h.Get("/console/organizations?lang="+lang, s)
		page := w.Body.String()
		if w.Code != 200 {
			t.Errorf("%s: %d", lang, w.Code)
		}
		webtest.Readable(t, "organisations", lang, page)
		for i, bin := range []string{binPolice, binBank} {
			if !strings.Contains(page, `id="org-role-`+bin+`">`+roles[lang][i]+`</td>`) {
				t.Errorf("%s: the role of %s is not %q", lang, bin, roles[lang][i])
			}
		}
		if !regexp.MustCompile(`id="org-role-` + binAgency + `">[^<]+</td>\s*<td[^>]*>[^<]*<span class="secondary">[^<]+</span></td>\s*<td[^>]*><span class="secondary">` +
			regexp.QuoteMeta(i18n.T(lang, "console.orgs.no_history")) + `</span></td>`).MatchString(page) {
			t.Errorf("%s: a seeded organisation's history", lang)
		}
		// The role's select names every role in the page's language.
		for _, role := range identity.Roles {
			if !strings.Contains(page, `<option value="`+role+`">`+i18n.T(lang, "console.role."+role)+`</option>`) {
				t.Errorf("%s: no option for %s", lang, role)
			}
		}
		// The directory is in BIN order.
		if i, j := strings.Index(page, `id="org-`+binPolice+`"`), strings.Index(page, `id="org-`+binBank+`"`); i < 0 || j < 0 || i > j {
			t.Errorf("%s: not in BIN order", lang)
		}
		webtest.Readable(t, "organisations refused", lang, h.Post("/console/organizations?lang="+lang, url.Values{"bin": {"1"}}, s).Body.String())
		webtest.Readable(t, "organisations edit", lang, h.Get("/console/organizations?bin="+binPolice+"&lang="+lang, s).Body.String())
	}
	if page := h.Get("/console/organizations?lang=kk", s).Body.String(); !strings.Contains(page, `<span class="name">Тізілім</span>`) {
		t.Error("kk: the organisation is not named in Kazakh")
	}
}

// Any other refusal of the directory gets the general message, with its status; an
// error of the server is the shell's.
func TestOrgProblem(t *testing.T) {
	if f, k := orgProblem(problem.From(problem.New(409, "identity.conflict", "x"))); f != "" || k != "console.orgs.err.other" {
		t.Errorf("another problem: %q %q", f, k)
	}
	if f, k := orgProblem(problem.From(identity.ErrInvalidOrg.With("field", "names.en"))); f != "name_en" || k != "console.orgs.err.name_en" {
		t.Errorf("names.en: %q %q", f, k)
	}
	h := webtest.New(t)
	if err := Mount(h.Shell, Config{Console: &fakeDirs{}, OrgDirectory: failing{errors.New("disk on fire")}}); err != nil {
		t.Fatal(err)
	}
	s := h.Staff("900101300003", "Staff")
	if w := h.Post("/console/organizations?lang=en", bankForm(), s); w.Code != 500 || strings.Contains(w.Body.String(), "disk on fire") ||
		strings.Contains(w.Body.String(), `id="org-form"`) {
		t.Errorf("a server error: %d", w.Code)
	}
	h = webtest.New(t)
	if err := Mount(h.Shell, Config{Console: &fakeDirs{}, OrgDirectory: failing{problem.New(409, "identity.conflict", "Conflict")}}); err != nil {
		t.Fatal(err)
	}
	s = h.Staff("900101300003", "Staff")
	if w := h.Post("/console/organizations?lang=ru", bankForm(), s); w.Code != 409 || !strings.Contains(w.Body.String(), i18n.T("ru", "console.orgs.err.other")) ||
		!strings.Contains(w.Body.String(), `value="АО «Банк»"`) {
		t.Errorf("a conflict: %d", w.Code)
	}
}

// failing is a directory whose changes fail with err.
type failing struct{ err error }

func (failing) Organizations(context.Context) ([]identity.Organization, error) { return nil, nil }
func (f failing) PutOrganization(context.Context, string, identity.Organization) (*identity.Organization, error) {
	return nil, f.err
}
func (failing) OrganizationHistories(context.Context) (map[string][]identity.OrganizationChange, error) {
	return nil, nil
}

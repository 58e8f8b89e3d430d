package app

import (
	"html"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/sandbox"
)

// The authorized body keeps its directories in the console: its staff log in with an
// employee EDS key naming the regulator's BIN. rule TR-1: the registry's status changes
// are kept with who made them; rule TR-2: the switch is the authorized body's.
func TestConsole(t *testing.T) {
	a, srv := newSandbox(t, "")
	staff := sandbox.Staff(a.Pop)
	var olga, alice sandbox.Citizen
	for _, c := range a.Pop.Citizens {
		if staff[c.IIN] != "" {
			olga = c
		}
	}
	alice = a.Pop.Citizens[0]

	// Olga downloads her employee key from the cabinet and logs in with it.
	bo := newBrowser(t, srv.URL)
	home := bo.login(olga)
	if !strings.Contains(home, `id="key-employee"`) {
		t.Fatalf("no employee key offered to the regulator's employee:\n%s", home)
	}
	res, err := bo.c.Get(srv.URL + "/keys/employee.p12")
	if err != nil {
		t.Fatal(err)
	}
	p12, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// A password+SMS session is not enough for the console.
	if st, _ := bo.get("/console"); st != 403 {
		t.Errorf("console with a password+SMS session: %d, want 403", st)
	}
	be := newBrowser(t, srv.URL)
	text, csrf := func() (string, string) {
		_, page := be.get("/login/eds")
		return html.UnescapeString(challengeRE.FindStringSubmatch(page)[1]), csrfOf(t, page)
	}()
	st, page := be.post("/login/eds", url.Values{"csrf": {csrf}, "cms": {signPEM(t, p12, sandbox.KeyPassword, text)}})
	if st != 200 || !strings.Contains(page, `id="nav-console"`) {
		t.Fatalf("EDS login with the employee key: %d\n%s", st, page)
	}
	st, page = be.get("/console?lang=en")
	if st != 200 || !strings.Contains(page, `id="console-objects"`) {
		t.Fatalf("console: %d\n%s", st, page)
	}
	scsrf := csrfOf(t, page)
	// The sender-permission directory of notices has its own page: the seeded state
	// bodies are listed; a grant lands in the directory with its history, by her.
	if !strings.Contains(page, `href="/console/senders"`) {
		t.Error("the console does not link the senders page")
	}
	var policeBIN string
	for _, o := range a.Pop.Organizations {
		if o.Role == "law_enforcement" {
			policeBIN = o.BIN
		}
	}
	if st, sp := be.get("/console/senders?lang=en"); st != 200 || !strings.Contains(sp, `id="console-senders"`) {
		t.Errorf("senders page: %d\n%s", st, sp)
	}
	if st, sp := be.post("/console/senders?lang=en", url.Values{"csrf": {scsrf}, "bin": {policeBIN}, "categories": {"court"}}); st != 200 ||
		!strings.Contains(sp, `id="cat-`+policeBIN+`-court" checked`) {
		t.Errorf("grant: %d\n%s", st, sp)
	}
	if h, err := a.Notify.SenderHistory(t.Context(), policeBIN); err != nil || len(h) != 1 || !strings.HasPrefix(h[0].Actor, "admin:") || h[0].Categories[0] != "court" {
		t.Errorf("sender history: %+v, %v", h, err)
	}
	// So has the organisation directory: an organisation registered there is named by
	// the directory at once, and the change is hers.
	if !strings.Contains(page, `href="/console/organizations"`) {
		t.Error("the console does not link the organisations page")
	}
	const newBIN = "940140000385"
	for _, o := range a.Pop.Organizations {
		if o.BIN == newBIN {
			t.Fatalf("%s is a sandbox organisation", newBIN)
		}
	}
	org := url.Values{"csrf": {scsrf}, "bin": {newBIN}, "name": {"Example Bank JSC"}, "name_kk": {"«Мысал Банк» АҚ"}, "name_ru": {"АО «Пример Банк»"},
		"role": {"bank"}, "systems": {"core Core banking\nloans Retail lending"}}
	if st, op := be.post("/console/organizations?lang=ru", org); st != 200 || !strings.Contains(op, i18n.T("ru", "console.saved")) ||
		!strings.Contains(op, `<span class="name">АО «Пример Банк»</span>`) {
		t.Errorf("register an organisation: %d\n%s", st, op)
	}
	if st, op := be.get("/console/organizations?lang=kk"); st != 200 || !strings.Contains(op, `<span class="name">«Мысал Банк» АҚ</span>`) ||
		!strings.Contains(op, `id="org-history-`+newBIN+`"`) {
		t.Errorf("organisations page: %d\n%s", st, op)
	}
	if o, err := a.Identity.OrganizationByBIN(t.Context(), newBIN); err != nil || o.NameIn("en") != "Example Bank JSC" || len(o.Systems) != 2 {
		t.Errorf("stored organisation: %+v, %v", o, err)
	}
	if h, err := a.Identity.OrganizationHistory(t.Context(), newBIN); err != nil || len(h) != 1 || !strings.HasSuffix(h[0].Actor, "@"+staff[olga.IIN]) {
		t.Errorf("organisation history: %+v, %v", h, err)
	}
	// A bad role is refused in the page's language and changes nothing.
	org.Set("role", "casino")
	org.Set("name", "Casino JSC")
	if st, op := be.post("/console/organizations?lang=kk", org); st != 400 || !strings.Contains(op, i18n.T("kk", "console.orgs.err.role")) {
		t.Errorf("a bad role: %d\n%s", st, op)
	}
	if o, err := a.Identity.OrganizationByBIN(t.Context(), newBIN); err != nil || o.Name != "Example Bank JSC" {
		t.Errorf("after a refused change: %+v, %v", o, err)
	}
	objs, _ := a.PD.TrustedObjects(t.Context(), "")
	obj := objs[0]

	// Suspend a trusted object; the registry keeps who did it.
	st, page = be.post("/console/objects/"+obj.ID+"/status?lang=en", url.Values{"csrf": {scsrf}, "status": {pd.StatusSuspended}})
	if st != 200 || !strings.Contains(page, i18n.T("en", "console.saved")) {
		t.Fatalf("suspend: %d\n%s", st, page)
	}
	hist, err := a.PD.TrustedObjectHistory(t.Context(), obj.ID)
	if err != nil || len(hist) == 0 {
		t.Fatalf("history: %v %v", hist, err)
	}
	var last *pd.ObjectChange
	for i := range hist {
		if hist[i].Object.Status == pd.StatusSuspended {
			last = &hist[i]
		}
	}
	if last == nil || !strings.HasPrefix(last.Actor, "admin:") || !strings.HasSuffix(last.Actor, "@"+staff[olga.IIN]) {
		t.Errorf("history entry %+v", last)
	}
	// The TR-2 switch and a new legal ground.
	if st, _ := be.post("/console/tr2", url.Values{"csrf": {scsrf}, "on": {"true"}, "confirmed": {"yes"}}); st != 200 {
		t.Errorf("tr2: %d", st)
	}
	if on, _ := a.PD.TR2Enforced(t.Context()); !on {
		t.Error("TR-2 not switched on")
	}
	// The law is named in Kazakh and Russian (English optional); without the Kazakh form
	// the ground is refused and nothing is stored.
	taxGround := url.Values{"csrf": {scsrf}, "code": {"TAX-12"}, "title_kk": {"Салық"}, "title_ru": {"Налог"}, "title_en": {"Tax audit"},
		"legal_ref_ru": {"Налоговый кодекс, статья 12"}, "notify": {"now"}}
	if st, page := be.post("/console/grounds", taxGround); st < 400 || !strings.Contains(page, html.EscapeString(i18n.T("en", "console.err.legal_ref_kk"))) ||
		!strings.Contains(page, `value="Налоговый кодекс, статья 12"`) {
		t.Errorf("a ground without its legal reference in Kazakh: %d, the page names no field or lost what was typed", st)
	}
	if gs, _ := a.PD.Grounds(t.Context()); slices.ContainsFunc(gs, func(g pd.Ground) bool { return g.Code == "TAX-12" }) {
		t.Error("a refused ground was stored")
	}
	taxGround.Set("legal_ref_kk", "Салық кодексінің 12-бабы")
	if st, _ := be.post("/console/grounds", taxGround); st != 200 {
		t.Errorf("new ground: %d", st)
	}
	if _, page := newBrowser(t, srv.URL).get("/directories"); !strings.Contains(page, "TAX-12") {
		t.Error("the new ground is not in the public directories")
	}
	if gs, _ := a.PD.Grounds(t.Context()); !slices.ContainsFunc(gs, func(g pd.Ground) bool {
		return g.Code == "TAX-12" && g.LegalRefIn("kk") == "Салық кодексінің 12-бабы" && g.LegalRefIn("en") == "Налоговый кодекс, статья 12"
	}) {
		t.Errorf("the ground's legal references are not stored per language: %+v", gs)
	}
	// A ground whose notice is deferred by a secrecy period, a protocol permission for it,
	// and a new proactive service.
	if st, page := be.post("/console/grounds", url.Values{"csrf": {scsrf}, "code": {"SEC-30"}, "title_kk": {"Құпия"}, "title_ru": {"Секретно"}, "title_en": {"Secret inquiry"}, "legal_ref_kk": {"X Заңы, 3-бап"}, "legal_ref_ru": {"Закон X, статья 3"}, "notify": {"period"}, "period_days": {"30"}}); st != 200 {
		t.Fatalf("deferred ground: %d\n%s", st, page)
	}
	grounds, _ := a.PD.Grounds(t.Context())
	var sec *pd.Ground
	for i := range grounds {
		if grounds[i].Code == "SEC-30" {
			sec = &grounds[i]
		}
	}
	if sec == nil || sec.Notify != pd.NotifyPeriod || sec.NotifyPeriodSeconds != 30*86400 {
		t.Errorf("deferred ground stored as %+v", sec)
	}
	if st, _ := be.post("/console/grounds", url.Values{"csrf": {scsrf}, "code": {"SEC-X"}, "title_kk": {"a"}, "title_ru": {"b"}, "title_en": {"c"}, "legal_ref_kk": {"d"}, "legal_ref_ru": {"d"}, "notify": {"period"}}); st < 400 {
		t.Errorf("a secrecy period without days accepted: %d", st)
	}
	var police string
	for _, o := range a.Pop.Organizations {
		if o.Role == "law_enforcement" {
			police = o.BIN
		}
	}
	if st, _ := be.post("/console/permissions", url.Values{"csrf": {scsrf}, "bin": {police}, "grounds": {"CPC-199, SEC-30"}}); st != 200 {
		t.Errorf("permission: %d", st)
	}
	perms, _ := a.PD.ProtocolPermissions(t.Context())
	if got := strings.Join(perms[police], ","); !strings.Contains(got, "SEC-30") {
		t.Errorf("police may use %q", got)
	}
	owners, _ := a.PD.DataOwners(t.Context())
	bank := a.Pop.Organizations[0].BIN
	if st, page := be.post("/console/services", url.Values{"csrf": {scsrf}, "code": {"DEPOSIT-KYC"}, "title": {"Deposit account opening"}, "owner": {owners[0].BIN},
		"data_sets": {owners[0].DataSets[0].Code}, "bins": {bank}, "consent_methods": {"biometric,eds"}, "access_methods": {"api"}, "period_days": {"7"}}); st != 200 {
		t.Fatalf("service: %d\n%s", st, page)
	}
	svcs, _ := a.PD.ServiceCodes(t.Context())
	found := false
	for _, s := range svcs {
		found = found || s.Code == "DEPOSIT-KYC" && s.PeriodSeconds == 7*86400
	}
	if !found {
		t.Error("the new proactive service was not stored")
	}

	// rule TR-1: a new digital object with its certificate of compliance; a trusted
	// object without one is refused.
	if st, page := be.post("/console/objects", url.Values{"csrf": {scsrf}, "id": {"bank-mobile-app"}, "kind": {"platform"}, "owner_bin": {bank},
		"name": {"Bank mobile app"}, "version": {"5.2"}, "certificate_number": {"KZ-CS-0042"}, "certificate_date": {"2026-10-01"}, "certificate_expires": {"2027-10-01"}, "status": {"trusted"}}); st != 200 {
		t.Fatalf("new object: %d\n%s", st, page)
	}
	objs, _ = a.PD.TrustedObjects(t.Context(), bank)
	registered := false
	for _, o := range objs {
		registered = registered || o.ID == "bank-mobile-app" && o.CertNumber == "KZ-CS-0042" && o.Status == pd.StatusTrusted
	}
	if !registered {
		t.Errorf("the new object is not registered: %+v", objs)
	}
	if st, _ := be.post("/console/objects", url.Values{"csrf": {scsrf}, "id": {"no-cert"}, "kind": {"platform"}, "owner_bin": {bank}, "name": {"x"}, "status": {"trusted"}}); st < 400 {
		t.Errorf("a trusted object without a certificate of compliance accepted: %d", st)
	}

	// A data owner with its data sets.
	if st, page := be.post("/console/owners", url.Values{"csrf": {scsrf}, "bin": {"940140000385"}, "name": {"Land registry (demo)"}, "data_sets": {"parcels:Land parcels, owners:Owners"}}); st != 200 {
		t.Fatalf("data owner: %d\n%s", st, page)
	}
	owners, _ = a.PD.DataOwners(t.Context())
	var land *pd.DataOwner
	for i := range owners {
		if owners[i].BIN == "940140000385" {
			land = &owners[i]
		}
	}
	if land == nil || len(land.DataSets) != 2 || land.Constrained() {
		t.Errorf("data owner stored as %+v", land)
	}
	if st, _ := be.post("/console/owners", url.Values{"csrf": {scsrf}, "bin": {"940140000385"}, "name": {"x"}, "data_sets": {"no-title"}}); st < 400 {
		t.Errorf("a data set without a title accepted: %d", st)
	}

	// Bad input changes nothing: an unknown status is refused.
	if st, _ := be.post("/console/objects/"+obj.ID+"/status", url.Values{"csrf": {scsrf}, "status": {"golden"}}); st < 400 {
		t.Errorf("unknown status accepted: %d", st)
	}
	if st, _ := be.post("/console/tr2", url.Values{"csrf": {"forged"}, "on": {"false"}, "confirmed": {"yes"}}); st != 403 {
		t.Errorf("forged console form: %d", st)
	}

	// A citizen who is not the authorized body's staff gets nothing, even logged in with EDS.
	ba := newBrowser(t, srv.URL)
	key, _ := a.Keys.P12("citizen", alice.IIN, "gost2015")
	_, lp := ba.get("/login/eds")
	ba.post("/login/eds", url.Values{"csrf": {csrfOf(t, lp)}, "cms": {signPEM(t, key, sandbox.KeyPassword, html.UnescapeString(challengeRE.FindStringSubmatch(lp)[1]))}})
	if st, _ := ba.get("/console"); st != 403 {
		t.Errorf("console for a citizen: %d, want 403", st)
	}
	if st, _ := ba.post("/console/tr2", url.Values{"csrf": {"x"}, "on": {"false"}, "confirmed": {"yes"}}); st != 403 {
		t.Errorf("console post by a citizen: %d, want 403", st)
	}
	if on, _ := a.PD.TR2Enforced(t.Context()); !on {
		t.Error("a citizen switched TR-2 off")
	}
	// Only the employee gets an employee key.
	if res, _ := ba.c.Get(srv.URL + "/keys/employee.p12"); res.StatusCode != 404 {
		t.Errorf("employee key for a non-employee: %d", res.StatusCode)
	}
}

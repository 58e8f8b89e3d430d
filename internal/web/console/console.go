// Package console is the authorized body's area: the staff console that keeps the
// registry of trusted digital objects (TR-1), the TR-2 switch, the legal grounds, the
// protocol permissions, the proactive services and the data owners; and the public,
// read-only directories anyone may read.
package console

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"github.com/senimkz/senim/internal/actor"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views           = web.NewViews(templateFS)
	consoleView     = views.Add("console", "console.title")
	tr2View         = views.Add("tr2", "console.tr2.title")
	directoriesView = views.Add("directories", "dir.title")
	complaintsView  = views.Add("complaints", "console.complaints.title")
	complaintView   = views.Add("complaint", "console.complaint.title")
	entryView       = views.Add("entry", "console.entry.title")
	deleteView      = views.Add("delete", "console.delete.title")
)

// Directories is what the authorized body keeps, as the console sees it. Who is staff
// (IsRegulator) the shell decides from its Config.Regulator.
type Directories interface {
	TrustedObjects(ctx context.Context, ownerBIN string) ([]pd.TrustedObject, error)
	PutTrustedObject(ctx context.Context, actor string, o pd.TrustedObject) (*pd.TrustedObject, error)
	SetTrustedObjectStatus(ctx context.Context, actor, id, status string) (*pd.TrustedObject, error)
	CountTrusted(ctx context.Context) (int, error)
	TR2Enforced(ctx context.Context) (bool, error)
	SetTR2(ctx context.Context, actor string, on bool) error
	Grounds(ctx context.Context) ([]pd.Ground, error)
	PutGround(ctx context.Context, actor string, g pd.Ground) (*pd.Ground, error)
	ProtocolPermissions(ctx context.Context) (map[string][]string, error)
	SetProtocolPermissions(ctx context.Context, actor, bin string, grounds []string) error
	ServiceCodes(ctx context.Context) ([]pd.ServiceCode, error)
	PutServiceCode(ctx context.Context, actor string, c pd.ServiceCode) (*pd.ServiceCode, error)
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
	PutDataOwner(ctx context.Context, actor string, o pd.DataOwner) (*pd.DataOwner, error)
}

// Organizations names the organizations the directories refer to by BIN.
type Organizations interface {
	Organizations(ctx context.Context) ([]identity.Organization, error)
}

// Config configures the area.
type Config struct {
	Console Directories
	// Organizations names organizations (optional: without it, by BIN).
	Organizations Organizations
	// Complaints are citizens' complaints (optional: without them, no complaints pages).
	Complaints Complaints
	// Entries keep each entry's history and delete entries (optional: without them,
	// no history and no deletion).
	Entries Entries
	// Senders is the sender-permission directory of notices (optional: without it,
	// no senders page).
	Senders Senders
	// OrgDirectory is the organisation directory (optional: without it, no
	// organisations page).
	OrgDirectory OrgDirectory
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the console (for staff) and the public directories to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Console == nil {
		return errors.New("console: Console is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /console", web.Staff(a.console))
	s.Handle("POST /console/objects/{id}/status", web.Form(web.Staff(a.post("status", a.setObjectStatus))))
	s.Handle("GET /console/tr2", web.Staff(a.tr2Page))
	s.Handle("POST /console/tr2", web.Form(web.Staff(a.switchTR2)))
	s.Handle("POST /console/grounds", web.Form(web.Staff(a.post("ground", a.putGround))))
	s.Handle("POST /console/permissions", web.Form(web.Staff(a.post("perm", a.setPermission))))
	s.Handle("POST /console/services", web.Form(web.Staff(a.post("svc", a.putService))))
	s.Handle("POST /console/owners", web.Form(web.Staff(a.post("owner", a.putOwner))))
	s.Handle("POST /console/objects", web.Form(web.Staff(a.post("obj", a.putObject))))
	s.Handle("GET /console/complaints", web.Staff(a.complaintsList))
	s.Handle("GET /console/complaints/{id}", web.Staff(a.complaintPage))
	s.Handle("POST /console/complaints/{id}/status", web.Form(web.Staff(a.setComplaintStatus)))
	s.Handle("GET /console/entries/{kind}/{key}", web.Staff(a.entryPage))
	s.Handle("GET /console/entries/{kind}/{key}/delete", web.Staff(a.deleteConfirm))
	s.Handle("POST /console/entries/{kind}/{key}/delete", web.Form(web.Staff(a.deleteEntry)))
	if cfg.Senders != nil {
		s.Handle("GET /console/senders", web.Staff(a.sendersPage))
		s.Handle("POST /console/senders", web.Form(web.Staff(a.setSender)))
	}
	if cfg.OrgDirectory != nil {
		s.Handle("GET /console/organizations", web.Staff(a.orgsPage))
		s.Handle("POST /console/organizations", web.Form(web.Staff(a.putOrg)))
	}
	s.Handle("GET /directories", web.Public(a.directories))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/console", ID: "nav-console", Key: "nav.console", Show: web.StaffOnly})
	s.Nav(web.NavItem{Place: web.NavFooter, Href: "/directories", ID: "nav-directories", Key: "nav.directories"})
	return nil
}

type consoleData struct {
	BIN         string
	Senders     bool // the senders page is mounted
	Orgs        bool // the organisations page is mounted
	TR2         bool
	Objects     []objectRow
	Statuses    []string
	Kinds       []string
	Notifies    []string
	Grounds     []pd.Ground
	Permissions []permissionRow
	Services    []pd.ServiceCode
	Owners      []pd.DataOwner
	Deleted     []pd.DeletedEntry
	// Posted and Values: the form that failed and what was typed into it, shown again.
	Posted string
	Values url.Values
}

type objectRow struct {
	pd.TrustedObject
	Owner web.Party
}

type permissionRow struct {
	Org    web.Party
	Codes  []string
	Titles []string
}

// V is what was typed into field of form when that form failed, so it is not lost.
func (d consoleData) V(form, field string) string {
	if d.Posted != form {
		return ""
	}
	return d.Values.Get(field)
}

// failed is a change the console refused, to show with the form it came from.
type failed struct {
	form   string
	values url.Values
	err    error
}

func (a *area) console(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderConsole(w, r, sess, "", nil)
}

// actor names the person and the body they act for; outbox events carry it.
func staffActor(sess *identity.Session) string {
	return actor.Staff(sess.CitizenID, sess.OrgBIN).String()
}

func (a *area) renderConsole(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string, f *failed) error {
	ctx := r.Context()
	d := baseData(sess)
	p := a.s.Page(w, r, sess)
	names, err := a.orgNames(ctx, p.Lang)
	if err != nil {
		return err
	}
	if d.TR2, err = a.cfg.Console.TR2Enforced(ctx); err != nil {
		return err
	}
	objs, err := a.cfg.Console.TrustedObjects(ctx, "")
	if err != nil {
		return err
	}
	for _, o := range objs {
		o.Name = o.NameIn(p.Lang)
		d.Objects = append(d.Objects, objectRow{TrustedObject: o, Owner: web.Party{Name: names[o.OwnerBIN], BIN: o.OwnerBIN}})
	}
	if d.Grounds, err = a.cfg.Console.Grounds(ctx); err != nil {
		return err
	}
	titles := map[string]string{}
	for _, g := range d.Grounds {
		titles[g.Code] = g.Titles.In(p.Lang)
	}
	perms, err := a.cfg.Console.ProtocolPermissions(ctx)
	if err != nil {
		return err
	}
	for _, bin := range slices.Sorted(maps.Keys(perms)) {
		row := permissionRow{Org: web.Party{Name: names[bin], BIN: bin}, Codes: perms[bin]}
		for _, c := range perms[bin] {
			row.Titles = append(row.Titles, cmp.Or(titles[c], c))
		}
		d.Permissions = append(d.Permissions, row)
	}
	if d.Services, err = a.cfg.Console.ServiceCodes(ctx); err != nil {
		return err
	}
	// Deleted (inactive) grounds and services are listed with the deleted entries.
	d.Grounds = slices.DeleteFunc(d.Grounds, func(g pd.Ground) bool { return g.Active != nil && !*g.Active })
	d.Services = slices.DeleteFunc(d.Services, func(c pd.ServiceCode) bool { return c.Active != nil && !*c.Active })
	if d.Owners, err = a.cfg.Console.DataOwners(ctx); err != nil {
		return err
	}
	for i := range d.Owners {
		d.Owners[i].Name = d.Owners[i].NameIn(p.Lang)
	}
	for i := range d.Services {
		d.Services[i].Title = d.Services[i].TitleIn(p.Lang)
	}
	if a.cfg.Entries != nil {
		if d.Deleted, err = a.cfg.Entries.DeletedEntries(ctx); err != nil {
			return err
		}
	}
	d.Senders = a.cfg.Senders != nil
	d.Orgs = a.cfg.OrgDirectory != nil
	p.Notice = notice
	status := http.StatusOK
	if f != nil {
		d.Posted, d.Values = f.form, f.values
		status = a.formProblem(p, f)
	}
	p.Data = d
	return a.s.Render(w, r, status, consoleView, p)
}

// baseData is what every console page offers: the body's BIN and the enums of the
// forms.
func baseData(sess *identity.Session) consoleData {
	return consoleData{BIN: sess.OrgBIN, Statuses: []string{pd.StatusTrusted, pd.StatusSuspended, pd.StatusRevoked},
		Kinds: []string{pd.KindInformationSystem, pd.KindPlatform, pd.KindMessenger}, Notifies: []string{pd.NotifyNow, pd.NotifyUntil, pd.NotifyPeriod}}
}

// formProblem puts the refused form's problem on p: the summary, and the error next
// to the field it names; it returns the status to answer with.
func (a *area) formProblem(p *web.Page, f *failed) int {
	pr := problem.From(f.err)
	p.Error = "error.request.invalid_field"
	if k := "error." + pr.Code; i18n.Has(p.Lang, k) {
		p.Error = k
	}
	if field, ok := pr.Extra["field"].(string); ok {
		key := p.Error
		if k := "console.err." + field; i18n.Has(p.Lang, k) {
			key = k
		}
		p.Invalid(f.form+"-"+field, key)
	}
	return pr.Status
}

// orgNames are the organizations' names by BIN, when the area has a directory of them.
func (a *area) orgNames(ctx context.Context, lang string) (map[string]string, error) {
	out := map[string]string{}
	if a.cfg.Organizations == nil {
		return out, nil
	}
	orgs, err := a.cfg.Organizations.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		out[o.BIN] = o.NameIn(lang)
	}
	return out, nil
}

// post runs a change by a member of staff (the Staff Form guard has checked who they
// are and the form's token) and shows the console. A change refused for bad input shows
// the console again with the form as it was typed, the error next to its field and in
// the summary, and the problem's status; nothing was changed.
func (a *area) post(form string, change func(r *http.Request, actor string) error) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		if err := change(r, staffActor(sess)); err != nil {
			if pr := problem.From(err); pr.Status >= 500 || pr.Status == http.StatusNotFound {
				return err
			}
			if kind := kindOf(form); kind != "" {
				// The form comes back on its own page, as typed.
				return a.renderEntry(w, r, sess, kind, "new", false, &failed{form: form, values: r.PostForm, err: err}, "")
			}
			return a.renderConsole(w, r, sess, "", &failed{form: form, values: r.PostForm, err: err})
		}
		return a.renderConsole(w, r, sess, "console.saved", nil)
	}
}

func (a *area) setObjectStatus(r *http.Request, actor string) error {
	_, err := a.cfg.Console.SetTrustedObjectStatus(r.Context(), actor, r.PathValue("id"), r.PostFormValue("status"))
	return err
}

type tr2Data struct {
	On, Turn bool // the switch now, and where the confirmation turns it
	Trusted  int  // information systems in the registry with status trusted
}

// tr2Page is the TR-2 switch on its own page: what it does now, what will follow,
// and a confirmation. The switch applies nationwide, so one click never flips it.
func (a *area) tr2Page(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	on, err := a.cfg.Console.TR2Enforced(r.Context())
	if err != nil {
		return err
	}
	trusted, err := a.cfg.Console.CountTrusted(r.Context())
	if err != nil {
		return err
	}
	d := tr2Data{On: on, Turn: !on, Trusted: trusted}
	p := a.s.Page(w, r, sess)
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, tr2View, p)
}

// switchTR2 flips the TR-2 switch once the confirmation page was confirmed; a POST
// without it shows that page.
func (a *area) switchTR2(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if r.PostFormValue("confirmed") != "yes" {
		return a.tr2Page(w, r, sess)
	}
	return a.post("tr2", a.setTR2)(w, r, sess)
}

func (a *area) setTR2(r *http.Request, actor string) error {
	on, err := strconv.ParseBool(r.PostFormValue("on"))
	if err != nil {
		return problem.Field("on", "must be true or false")
	}
	return a.cfg.Console.SetTR2(r.Context(), actor, on)
}

func (a *area) putGround(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	g := pd.Ground{
		Code: f("code"), Notify: f("notify"),
		Titles:    pd.Titles{KK: f("title_kk"), RU: f("title_ru"), EN: f("title_en")},
		LegalRefs: pd.Titles{KK: f("legal_ref_kk"), RU: f("legal_ref_ru"), EN: f("legal_ref_en")},
	}
	switch g.Notify {
	case pd.NotifyUntil:
		t, err := time.Parse(time.DateOnly, f("notify_until"))
		if err != nil {
			return problem.Field("notify_until", "a date is needed to defer the notice until it")
		}
		g.NotifyUntil = t.UTC()
	case pd.NotifyPeriod:
		days, err := strconv.Atoi(f("period_days"))
		if err != nil || days <= 0 {
			return problem.Field("period_days", "a positive number of days is needed for a secrecy period")
		}
		g.NotifyPeriodSeconds = pd.PeriodFromDays(days)
	}
	// The form names the law in the cabinet's languages; Kazakh and Russian are needed,
	// as for the titles of a notice. The reference as cited is the Russian one.
	if g.LegalRefs.KK == "" {
		return problem.Field("legal_ref_kk", "the legal reference in Kazakh is needed")
	}
	if g.LegalRefs.RU == "" {
		return problem.Field("legal_ref_ru", "the legal reference in Russian is needed")
	}
	_, err := a.cfg.Console.PutGround(r.Context(), actor, g)
	return err
}

// names are a name's three language fields (field_kk, field_ru, field_en).
func names(r *http.Request, field string) pd.Titles {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(field + "_" + k)) }
	return pd.Titles{KK: f("kk"), RU: f("ru"), EN: f("en")}
}

// list is every value of a form field: the ticked checkboxes, each of which may also
// be a comma-separated list (as the admin API and older forms send them).
func list(r *http.Request, field string) []string {
	var out []string
	for _, v := range r.PostForm[field] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (a *area) setPermission(r *http.Request, actor string) error {
	return a.cfg.Console.SetProtocolPermissions(r.Context(), actor, strings.TrimSpace(r.PostFormValue("bin")), list(r, "grounds"))
}

func (a *area) putService(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	days, err := strconv.Atoi(f("period_days"))
	if err != nil || days <= 0 {
		return problem.Field("period_days", "must be a positive number of days")
	}
	_, err = a.cfg.Console.PutServiceCode(r.Context(), actor, pd.ServiceCode{
		Code: f("code"), Title: f("title"), Titles: names(r, "title"), Owner: f("owner"), DataSets: list(r, "data_sets"), BINs: list(r, "bins"),
		ConsentMethods: list(r, "consent_methods"), AccessMethods: list(r, "access_methods"), PeriodSeconds: pd.PeriodFromDays(days),
	})
	return err
}

func (a *area) putOwner(r *http.Request, actor string) error {
	o := pd.DataOwner{BIN: strings.TrimSpace(r.PostFormValue("bin")), Name: strings.TrimSpace(r.PostFormValue("name")), Names: names(r, "name")}
	// The form's rows: a code and its title in each language.
	codes := r.PostForm["ds_code"]
	at := func(k string, i int) string {
		if vs := r.PostForm[k]; i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	for i := range codes {
		ds := pd.DataSet{Code: at("ds_code", i), Titles: pd.Titles{KK: at("ds_kk", i), RU: at("ds_ru", i), EN: at("ds_en", i)}}
		if ds.Code == "" && ds.Titles == (pd.Titles{}) {
			continue // an empty row
		}
		if ds.Code == "" || ds.Titles.KK == "" || ds.Titles.RU == "" || ds.Titles.EN == "" {
			return problem.Field("data_sets", "each data set needs a code and its title in kk, ru and en")
		}
		ds.Title = ds.Titles.EN
		o.DataSets = append(o.DataSets, ds)
	}
	// The admin API's and older forms' "code:title, code:title".
	for _, item := range list(r, "data_sets") {
		code, title, ok := strings.Cut(item, ":")
		if !ok || strings.TrimSpace(code) == "" || strings.TrimSpace(title) == "" {
			return problem.Field("data_sets", "each data set is code:title")
		}
		o.DataSets = append(o.DataSets, pd.DataSet{Code: strings.TrimSpace(code), Title: strings.TrimSpace(title)})
	}
	if len(o.DataSets) == 0 {
		return problem.Field("data_sets", "at least one data set")
	}
	constrained := r.PostFormValue("sender_constraint") == "true"
	o.SenderConstraint = &constrained
	_, err := a.cfg.Console.PutDataOwner(r.Context(), actor, o)
	return err
}

// putObject registers a digital object (TR-1) or replaces one, with its certificate
// of compliance.
func (a *area) putObject(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	date := func(k string) (time.Time, error) {
		if f(k) == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, f(k))
		if err != nil {
			return t, problem.Field(k, "must be a date")
		}
		return t.UTC(), nil
	}
	issued, err := date("certificate_date")
	if err != nil {
		return err
	}
	expires, err := date("certificate_expires")
	if err != nil {
		return err
	}
	_, err = a.cfg.Console.PutTrustedObject(r.Context(), actor, pd.TrustedObject{
		ID: f("id"), Kind: f("kind"), OwnerBIN: f("owner_bin"), Name: f("name"), Names: names(r, "name"), Version: f("version"),
		CertNumber: f("certificate_number"), CertDate: issued, CertExpires: expires, Status: f("status"),
	})
	return err
}

package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// OrgDirectory is the organisation directory (identity.Service), kept by the authorized
// body: the names notices, the citizen's history, the consents page and confirmations
// show for a BIN.
type OrgDirectory interface {
	Organizations
	PutOrganization(ctx context.Context, actor string, o identity.Organization) (*identity.Organization, error)
	// OrganizationHistories: every organisation's changes, by BIN, oldest first.
	OrganizationHistories(ctx context.Context) (map[string][]identity.OrganizationChange, error)
}

var orgsView = views.Add("orgs", "console.orgs.title")

// systemsError is what the page's own reading of the systems textarea refuses, before
// the directory sees the organisation (the directory checks each code and name): the
// catalog key of its message. It never leaves the page, so it is no problem code of the
// API's catalogue.
type systemsError string

func (e systemsError) Error() string { return string(e) }

type orgsData struct {
	Rows  []orgRow
	Roles []roleOption
	// Form is what the form shows: an organisation's current values (?bin=), or what
	// was typed into the form that failed.
	Form orgForm
}

type roleOption struct{ Value, Label string }

type orgForm struct {
	BIN, Name, KK, RU, EN, Role string
	Systems                     string // one system a line: "CODE name"
}

type orgRow struct {
	Org     web.Party
	Role    string // in the page's language
	Systems []identity.InformationSystem
	History []orgLine
}

type orgLine struct {
	At         time.Time
	Name, Role string // what the organisation became, in the page's language
	Systems    []string
	Who, WhoID string
}

// roleLabel names a role in lang (a role outside identity.Roles, which only seeding
// can write, is shown as it is).
func roleLabel(lang, role string) string {
	if slices.Contains(identity.Roles, role) {
		return i18n.T(lang, "console.role."+role)
	}
	return role
}

// systemsText is systems as the form's textarea holds them.
func systemsText(systems []identity.InformationSystem) string {
	lines := make([]string, 0, len(systems))
	for _, is := range systems {
		lines = append(lines, is.Code+" "+is.Name)
	}
	return strings.Join(lines, "\n")
}

// parseSystems reads the textarea: one system a line, its code up to the first white
// space and its name the rest; blank lines are skipped.
func parseSystems(text string) ([]identity.InformationSystem, error) {
	var out []identity.InformationSystem
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		code, name := line, ""
		if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
			code, name = line[:i], strings.TrimSpace(line[i:])
		}
		if name == "" {
			return nil, systemsError("console.orgs.err.system_line")
		}
		out = append(out, identity.InformationSystem{Code: code, Name: name})
	}
	if len(out) > identity.MaxSystems {
		return nil, systemsError("console.orgs.err.too_many")
	}
	return out, nil
}

func (a *area) orgsPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderOrgs(w, r, sess, "", nil)
}

func (a *area) renderOrgs(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string, f *failed) error {
	ctx := r.Context()
	p := a.s.Page(w, r, sess)
	orgs, err := a.cfg.OrgDirectory.Organizations(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(orgs, func(x, y identity.Organization) int { return strings.Compare(x.BIN, y.BIN) })
	d := orgsData{}
	for _, role := range identity.Roles {
		d.Roles = append(d.Roles, roleOption{Value: role, Label: roleLabel(p.Lang, role)})
	}
	edit := r.URL.Query().Get("bin")
	hs, err := a.cfg.OrgDirectory.OrganizationHistories(ctx) // one query for the whole page
	if err != nil {
		return err
	}
	for _, o := range orgs {
		row := orgRow{Org: web.Party{Name: o.NameIn(p.Lang), BIN: o.BIN}, Role: roleLabel(p.Lang, o.Role), Systems: o.Systems}
		h := hs[o.BIN]
		for i := len(h) - 1; i >= 0; i-- { // newest first
			c := h[i].Organization
			l := orgLine{At: h[i].At, Name: c.NameIn(p.Lang), Role: roleLabel(p.Lang, c.Role)}
			for _, is := range c.Systems {
				l.Systems = append(l.Systems, is.Code)
			}
			l.Who, l.WhoID = who(h[i].Actor)
			row.History = append(row.History, l)
		}
		d.Rows = append(d.Rows, row)
		if f == nil && edit != "" && o.BIN == edit {
			d.Form = orgForm{BIN: o.BIN, Name: o.Name, KK: o.Names.KK, RU: o.Names.RU, EN: o.Names.EN, Role: o.Role, Systems: systemsText(o.Systems)}
		}
	}
	if f == nil && edit != "" && d.Form.BIN == "" && kzid.ValidBIN(edit) {
		d.Form.BIN = edit // a BIN not in the directory yet: the form registers it
	}
	p.Notice = notice
	status := http.StatusOK
	if f != nil {
		v := func(k string) string { return f.values.Get(k) }
		d.Form = orgForm{BIN: v("bin"), Name: v("name"), KK: v("name_kk"), RU: v("name_ru"), EN: v("name_en"), Role: v("role"), Systems: v("systems")}
		field, key := "systems", ""
		var se systemsError
		if errors.As(f.err, &se) {
			status, key = http.StatusBadRequest, string(se)
		} else {
			pr := problem.From(f.err)
			status = pr.Status
			field, key = orgProblem(pr)
		}
		p.Error = key
		if field != "" {
			p.Invalid("org-"+field, key)
		}
	}
	p.Data = d
	return a.s.Render(w, r, status, orgsView, p)
}

// orgProblem is the form's field a refused organisation is wrong in (the id after
// "org-") and the message to show there.
func orgProblem(pr *problem.Problem) (field, key string) {
	if pr.Code == identity.ErrInvalidOrg.Code {
		f, _ := pr.Extra["field"].(string)
		switch f {
		case "bin":
			return "bin", "console.orgs.err.bin"
		case "name":
			return "name", "console.orgs.err.name"
		case "names.kk":
			return "name_kk", "console.orgs.err.name_kk"
		case "names.ru":
			return "name_ru", "console.orgs.err.name_ru"
		case "names.en":
			return "name_en", "console.orgs.err.name_en"
		case "role":
			return "role", "console.orgs.err.role"
		case "information_systems":
			return "systems", "console.orgs.err.system"
		}
	}
	return "", "console.orgs.err.other"
}

// putOrg creates or replaces an organisation of the directory from the form. A refused
// change shows the page again with the form as typed and changes nothing.
func (a *area) putOrg(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	refused := func(err error) error {
		return a.renderOrgs(w, r, sess, "", &failed{form: "org", values: r.PostForm, err: err})
	}
	systems, err := parseSystems(r.PostFormValue("systems"))
	if err != nil {
		return refused(err)
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	_, err = a.cfg.OrgDirectory.PutOrganization(r.Context(), staffActor(sess), identity.Organization{
		BIN: f("bin"), Name: f("name"), Names: identity.Names{KK: f("name_kk"), RU: f("name_ru"), EN: f("name_en")},
		Role: f("role"), Systems: systems,
	})
	if err != nil {
		if pr := problem.From(err); pr.Status >= 500 {
			return err
		}
		return refused(err)
	}
	return a.renderOrgs(w, r, sess, "console.saved", nil)
}

package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// Entries is the change history and soft deletion of directory entries.
type Entries interface {
	DirectoryHistory(ctx context.Context, kind, entry string) ([]pd.DirectoryChange, error)
	DeleteEntry(ctx context.Context, actor, kind, key string) error
	DeletedEntries(ctx context.Context) ([]pd.DeletedEntry, error)
}

// forms are the console's forms by the kind of entry they put.
var forms = map[string]string{pd.EntryOwner: "owner", pd.EntryService: "svc", pd.EntryGround: "ground", pd.EntryPermission: "perm", pd.EntryObject: "obj"}

// kindOf is the kind of entry a form puts.
func kindOf(form string) string {
	for k, f := range forms {
		if f == form {
			return k
		}
	}
	return ""
}

// entryData is the page of one directory entry: its form (empty for a new entry,
// filled with the entry or with what was typed), its history and, for an existing
// entry, the way to delete it.
type entryData struct {
	consoleData
	Kind, Key string
	Form      string
	Exists    bool
	Deleted   bool
	History   []changeLine
	Orgs      []web.Party
	Owners    []ownerChoice
	Access    []string // ways of access known to the directory
	Methods   []string // ways of obtaining consent
	DataSets  []dsRow  // a data owner's data sets as editable rows
}

type ownerChoice struct {
	web.Party
	DataSets []pd.DataSet
}

type dsRow struct{ Code, KK, RU, EN string }

// changeLine is one change of an entry: who, when, and what it changed.
type changeLine struct {
	At         time.Time
	Who, WhoID string
	Deleted    bool
	Created    bool
	Fields     []fieldChange
}

type fieldChange struct {
	Key   string   // catalog key of the field's label
	Value string   // the value as typed (Raw)
	Keys  []string // or the catalog keys that say it
	Raw   bool
}

// namesField is a name's three language fields in a form.
type namesField struct{ Form, Field, KK, RU, EN string }

// Names are the language fields of the form's field (e.g. name_kk, name_ru, name_en).
func (d entryData) Names(form, field string) namesField {
	return namesField{Form: form, Field: field, KK: d.V(form, field+"_kk"), RU: d.V(form, field+"_ru"), EN: d.V(form, field+"_en")}
}

// Has reports whether the form's field holds value (as typed, or as the entry has it):
// checkboxes and selects keep their state. A comma-separated value counts too.
func (d entryData) Has(form, field, value string) bool {
	if d.Posted != form {
		return false
	}
	for _, v := range d.Values[field] {
		for _, x := range strings.Split(v, ",") {
			if strings.TrimSpace(x) == value {
				return true
			}
		}
	}
	return false
}

func (a *area) entryPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	kind, key := r.PathValue("kind"), r.PathValue("key")
	if forms[kind] == "" {
		return problem.NotFound
	}
	values, exists, err := a.entryValues(r.Context(), kind, key)
	if err != nil {
		return err
	}
	if key != "new" && !exists && !a.wasDeleted(r.Context(), kind, key) {
		return problem.NotFound
	}
	f := &failed{form: forms[kind], values: values}
	return a.renderEntry(w, r, sess, kind, key, exists, f, "")
}

// wasDeleted reports whether the entry has a history (it existed and was deleted).
func (a *area) wasDeleted(ctx context.Context, kind, key string) bool {
	if a.cfg.Entries == nil {
		return false
	}
	h, err := a.cfg.Entries.DirectoryHistory(ctx, kind, key)
	return err == nil && len(h) > 0
}

// renderEntry shows the entry's page; f holds the form's values, and its error when
// the form was refused.
func (a *area) renderEntry(w http.ResponseWriter, r *http.Request, sess *identity.Session, kind, key string, exists bool, f *failed, notice string) error {
	ctx := r.Context()
	p := a.s.Page(w, r, sess)
	d := entryData{consoleData: baseData(sess), Kind: kind, Key: key, Form: forms[kind], Exists: exists}
	if key == "new" {
		d.Key = ""
	}
	names, err := a.orgNames(ctx, p.Lang)
	if err != nil {
		return err
	}
	for _, bin := range slices.Sorted(maps.Keys(names)) {
		d.Orgs = append(d.Orgs, web.Party{Name: names[bin], BIN: bin})
	}
	slices.SortFunc(d.Orgs, func(x, y web.Party) int { return strings.Compare(x.Name+x.BIN, y.Name+y.BIN) })
	if d.Grounds, err = a.cfg.Console.Grounds(ctx); err != nil {
		return err
	}
	d.Grounds = slices.DeleteFunc(d.Grounds, func(g pd.Ground) bool { return g.Active != nil && !*g.Active })
	owners, err := a.cfg.Console.DataOwners(ctx)
	if err != nil {
		return err
	}
	for _, o := range owners {
		d.Owners = append(d.Owners, ownerChoice{Party: web.Party{Name: o.NameIn(p.Lang), BIN: o.BIN}, DataSets: o.DataSets})
	}
	svcs, err := a.cfg.Console.ServiceCodes(ctx)
	if err != nil {
		return err
	}
	access := map[string]bool{"api": true, "shep": true}
	for _, s := range svcs {
		for _, m := range s.AccessMethods {
			access[m] = true
		}
	}
	d.Access, d.Methods = slices.Sorted(maps.Keys(access)), pd.ConsentMethods
	if f != nil {
		d.Posted, d.Values = f.form, f.values
	}
	if kind == pd.EntryOwner {
		d.DataSets = dataSetRows(d.Values)
	}
	if exists || d.Key != "" {
		if d.History, err = a.history(ctx, p.Lang, kind, d.Key); err != nil {
			return err
		}
		d.Deleted = !exists && len(d.History) > 0
	}
	status := http.StatusOK
	if f != nil && f.err != nil {
		status = a.formProblem(p, f)
	}
	p.Notice = notice
	p.Data = d
	return a.s.Render(w, r, status, entryView, p)
}

// dataSetRows are a data owner's data sets as the form's rows, and three empty ones to
// add more.
func dataSetRows(v url.Values) []dsRow {
	var rows []dsRow
	codes := v["ds_code"]
	for i, c := range codes {
		at := func(k string) string {
			if i < len(v[k]) {
				return v[k][i]
			}
			return ""
		}
		if c == "" && at("ds_kk")+at("ds_ru")+at("ds_en") == "" {
			continue
		}
		rows = append(rows, dsRow{Code: c, KK: at("ds_kk"), RU: at("ds_ru"), EN: at("ds_en")})
	}
	for range 3 {
		rows = append(rows, dsRow{})
	}
	return rows
}

// entryValues are the entry's fields as its form names them; exists is false for an
// entry not in the directory (or deleted).
func (a *area) entryValues(ctx context.Context, kind, key string) (url.Values, bool, error) {
	v := url.Values{}
	if key == "new" {
		switch kind {
		case pd.EntryService:
			v["consent_methods"], v["access_methods"], v["period_days"] = pd.ConsentMethods, []string{"api"}, []string{"30"}
		case pd.EntryOwner:
			v.Set("sender_constraint", "true")
		}
		return v, false, nil
	}
	dirs := a.cfg.Console
	switch kind {
	case pd.EntryOwner:
		owners, err := dirs.DataOwners(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, o := range owners {
			if o.BIN == key {
				v.Set("bin", o.BIN)
				v.Set("name", o.Name)
				setNames(v, "name", o.Names)
				for _, ds := range o.DataSets {
					v.Add("ds_code", ds.Code)
					v.Add("ds_kk", cmp.Or(ds.Titles.KK, ds.Title))
					v.Add("ds_ru", cmp.Or(ds.Titles.RU, ds.Title))
					v.Add("ds_en", cmp.Or(ds.Titles.EN, ds.Title))
				}
				if o.Constrained() {
					v.Set("sender_constraint", "true")
				}
				return v, true, nil
			}
		}
	case pd.EntryService:
		svcs, err := dirs.ServiceCodes(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, s := range svcs {
			if s.Code == key && (s.Active == nil || *s.Active) {
				v.Set("code", s.Code)
				v.Set("title", s.Title)
				setNames(v, "title", s.Titles)
				v.Set("owner", s.Owner)
				v["data_sets"], v["bins"], v["consent_methods"], v["access_methods"] = s.DataSets, s.BINs, s.ConsentMethods, s.AccessMethods
				v.Set("period_days", strconv.FormatInt(pd.PeriodInDays(s.PeriodSeconds), 10))
				return v, true, nil
			}
		}
	case pd.EntryGround:
		gs, err := dirs.Grounds(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, g := range gs {
			if g.Code == key && (g.Active == nil || *g.Active) {
				v.Set("code", g.Code)
				v.Set("title_kk", g.Titles.KK)
				v.Set("title_ru", g.Titles.RU)
				v.Set("title_en", g.Titles.EN)
				// A ground stored before the languages' forms shows its cited reference
				// only where it stands in for a missing form (English).
				v.Set("legal_ref_kk", g.LegalRefs.KK)
				v.Set("legal_ref_ru", g.LegalRefs.RU)
				v.Set("legal_ref_en", g.LegalRefIn("en"))
				v.Set("notify", g.Notify)
				if !g.NotifyUntil.IsZero() {
					v.Set("notify_until", g.NotifyUntil.Format(time.DateOnly))
				}
				if g.NotifyPeriodSeconds > 0 {
					v.Set("period_days", strconv.FormatInt(pd.PeriodInDays(g.NotifyPeriodSeconds), 10))
				}
				return v, true, nil
			}
		}
	case pd.EntryPermission:
		perms, err := dirs.ProtocolPermissions(ctx)
		if err != nil {
			return nil, false, err
		}
		if codes, ok := perms[key]; ok && len(codes) > 0 {
			v.Set("bin", key)
			v["grounds"] = codes
			return v, true, nil
		}
	case pd.EntryObject:
		objs, err := dirs.TrustedObjects(ctx, "")
		if err != nil {
			return nil, false, err
		}
		for _, o := range objs {
			if o.ID == key {
				v.Set("id", o.ID)
				v.Set("kind", o.Kind)
				v.Set("owner_bin", o.OwnerBIN)
				v.Set("name", o.Name)
				setNames(v, "name", o.Names)
				v.Set("version", o.Version)
				v.Set("certificate_number", o.CertNumber)
				if !o.CertDate.IsZero() {
					v.Set("certificate_date", o.CertDate.Format(time.DateOnly))
				}
				if !o.CertExpires.IsZero() {
					v.Set("certificate_expires", o.CertExpires.Format(time.DateOnly))
				}
				v.Set("status", o.Status)
				return v, true, nil
			}
		}
	}
	return url.Values{}, false, nil
}

func setNames(v url.Values, field string, t pd.Titles) {
	v.Set(field+"_kk", t.KK)
	v.Set(field+"_ru", t.RU)
	v.Set(field+"_en", t.EN)
}

// who names an actor as staff read it: the citizen, a staff member (by their number
// and body, or an operator's name), or the system; never a name or an IIN.
func who(s string) (key, arg string) {
	a, err := actor.Parse(s)
	if err != nil {
		return "console.actor.system", ""
	}
	switch a.Kind() {
	case actor.KindCitizen:
		return "console.actor.citizen", ""
	case actor.KindAdmin:
		if id, ok := a.CitizenID(); ok {
			bin, _ := a.BIN()
			return "console.actor.staff", strconv.FormatInt(id, 10) + "@" + bin
		}
		return "console.actor.operator", ""
	}
	return "console.actor.system", ""
}

// history is the entry's changes as staff read them: who, when, and each field that
// changed with its new value (labels and enum values from the catalogs).
func (a *area) history(ctx context.Context, lang, kind, key string) ([]changeLine, error) {
	if a.cfg.Entries == nil {
		return nil, nil
	}
	h, err := a.cfg.Entries.DirectoryHistory(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	var out []changeLine
	prev := map[string]any{}
	for i, c := range h {
		line := changeLine{At: c.At, Deleted: c.Deleted, Created: i == 0}
		line.Who, line.WhoID = who(c.Actor)
		var state map[string]any
		if err := json.Unmarshal(c.State, &state); err != nil {
			return nil, err
		}
		if !c.Deleted {
			for _, k := range slices.Sorted(maps.Keys(state)) {
				if k == "updated_by" || k == "updated_at" || k == "active" {
					continue
				}
				if fmt.Sprint(prev[k]) == fmt.Sprint(state[k]) {
					continue
				}
				line.Fields = append(line.Fields, field(lang, k, state[k]))
			}
			prev = state
		} else {
			prev = map[string]any{}
		}
		out = append(out, line)
	}
	slices.Reverse(out) // newest first
	return out, nil
}

// field is one changed field: its label, and its value as a person reads it.
func field(lang, k string, v any) fieldChange {
	fc := fieldChange{Key: "console.field." + k, Raw: true}
	switch k {
	case "kind":
		fc.Keys, fc.Raw = []string{"dir.kind." + fmt.Sprint(v)}, false
		return fc
	case "status":
		fc.Keys, fc.Raw = []string{"dir.status." + fmt.Sprint(v)}, false
		return fc
	case "notify":
		fc.Keys, fc.Raw = []string{"notify." + fmt.Sprint(v)}, false
		return fc
	case "sender_constraint":
		fc.Keys, fc.Raw = []string{"console.field.no"}, false
		if b, _ := v.(bool); b {
			fc.Keys = []string{"console.field.yes"}
		}
		return fc
	case "consent_methods":
		for _, m := range asList(v) {
			fc.Keys = append(fc.Keys, "console.method."+m)
		}
		fc.Raw = false
		return fc
	}
	fc.Value = readable(lang, v)
	return fc
}

func asList(v any) []string {
	var out []string
	if xs, ok := v.([]any); ok {
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// readable renders a JSON value: lists joined, titles in lang, data sets by code and
// title, periods in days, dates as dates.
func readable(lang string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(i18n.Zone).Format(time.DateOnly)
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, readable(lang, e))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if code, ok := x["code"].(string); ok { // a data set: by its title
			title, _ := x["title"].(string)
			if ts, ok := x["titles"].(map[string]any); ok {
				if t, _ := ts[lang].(string); t != "" {
					title = t
				}
			}
			return cmp.Or(title, code)
		}
		if t, ok := x[lang].(string); ok {
			return t
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, readable(lang, x[k]))
		}
		return strings.Join(parts, " / ")
	}
	return fmt.Sprint(v)
}

type deleteData struct {
	Kind, Key, Name string
}

// deleteConfirm asks staff to confirm a deletion and says what will follow.
func (a *area) deleteConfirm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	kind, key := r.PathValue("kind"), r.PathValue("key")
	if forms[kind] == "" || a.cfg.Entries == nil {
		return problem.NotFound
	}
	v, exists, err := a.entryValues(r.Context(), kind, key)
	if err != nil {
		return err
	}
	if !exists {
		return problem.NotFound
	}
	p := a.s.Page(w, r, sess)
	p.Data = deleteData{Kind: kind, Key: key, Name: cmp.Or(v.Get("name"), v.Get("title_"+p.Lang), v.Get("title"))}
	return a.s.Render(w, r, http.StatusOK, deleteView, p)
}

// deleteEntry deletes the entry (softly) once confirmed; a POST without the
// confirmation shows the question.
func (a *area) deleteEntry(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if r.PostFormValue("confirmed") != "yes" {
		return a.deleteConfirm(w, r, sess)
	}
	kind, key := r.PathValue("kind"), r.PathValue("key")
	if forms[kind] == "" || a.cfg.Entries == nil {
		return problem.NotFound
	}
	if err := a.cfg.Entries.DeleteEntry(r.Context(), staffActor(sess), kind, key); err != nil {
		pr := problem.From(err)
		if pr.Status == http.StatusNotFound || pr.Status >= 500 {
			return err
		}
		v, exists, verr := a.entryValues(r.Context(), kind, key)
		if verr != nil {
			return verr
		}
		return a.renderEntry(w, r, sess, kind, key, exists, &failed{form: forms[kind], values: v, err: err}, "")
	}
	return a.renderConsole(w, r, sess, "console.deleted", nil)
}

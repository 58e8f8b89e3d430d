package console

import (
	"net/http"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web"
)

type groundRow struct {
	Code, Title, LegalRef, Notify string
}

type serviceRow struct {
	Code, Title string
	Owner       web.Party
	DataSets    []string
	Orgs        []web.Party
}

type directoriesData struct {
	Objects  []objectRow
	Grounds  []groundRow
	Services []serviceRow
	Owners   []pd.DataOwner
}

// directories is the public, read-only view of what the authorized body keeps: the
// registry of trusted digital objects (TR-1), the legal grounds for access without
// consent, the proactive services and the data owners, by name in the page's language.
// Anyone may read it; changes go through the console, the admin API or `senim admin`.
func (a *area) directories(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	ctx := r.Context()
	p := a.s.Page(w, r, sess)
	var d directoriesData
	names, err := a.orgNames(ctx, p.Lang)
	if err != nil {
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
	grounds, err := a.cfg.Console.Grounds(ctx)
	if err != nil {
		return err
	}
	if d.Owners, err = a.cfg.Console.DataOwners(ctx); err != nil {
		return err
	}
	owners := map[string]*pd.DataOwner{}
	for i := range d.Owners {
		owners[d.Owners[i].BIN] = &d.Owners[i]
		d.Owners[i].Name = d.Owners[i].NameIn(p.Lang)
		names[d.Owners[i].BIN] = d.Owners[i].Name
	}
	svcs, err := a.cfg.Console.ServiceCodes(ctx)
	if err != nil {
		return err
	}
	for _, c := range svcs {
		if c.Active != nil && !*c.Active {
			continue // deleted
		}
		row := serviceRow{Code: c.Code, Title: c.TitleIn(p.Lang), Owner: web.Party{Name: names[c.Owner], BIN: c.Owner}}
		for _, ds := range c.DataSets {
			if o := owners[c.Owner]; o != nil {
				ds = o.DataSetTitle(ds, p.Lang)
			}
			row.DataSets = append(row.DataSets, ds)
		}
		for _, b := range c.BINs {
			row.Orgs = append(row.Orgs, web.Party{Name: names[b], BIN: b})
		}
		d.Services = append(d.Services, row)
	}
	for _, g := range grounds {
		if g.Active != nil && !*g.Active {
			continue // deleted
		}
		d.Grounds = append(d.Grounds, groundRow{Code: g.Code, Title: g.Titles.In(p.Lang), LegalRef: g.LegalRefIn(p.Lang), Notify: g.Notify})
	}
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, directoriesView, p)
}

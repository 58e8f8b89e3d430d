package web

import (
	"net/http"

	"github.com/senimkz/senim/internal/pd"
)

type groundRow struct {
	Code, Title, LegalRef, Notify string
}

type directoriesData struct {
	Objects  []pd.TrustedObject
	Grounds  []groundRow
	Services []pd.ServiceCode
	Owners   []pd.DataOwner
}

// directories is the public, read-only view of what the authorized body keeps: the
// registry of trusted digital objects (TR-1), the legal grounds for access without
// consent, the proactive services and the data owners. Anyone may read it; changes go
// through the admin API or `senim admin`.
func (c *Cabinet) directories(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	var d directoriesData
	if d.Objects, err = c.cfg.PD.TrustedObjects(ctx, ""); err != nil {
		return err
	}
	grounds, err := c.cfg.PD.Grounds(ctx)
	if err != nil {
		return err
	}
	if d.Services, err = c.cfg.PD.ServiceCodes(ctx); err != nil {
		return err
	}
	if d.Owners, err = c.cfg.PD.DataOwners(ctx); err != nil {
		return err
	}
	p := c.page(w, r, sess)
	for _, g := range grounds {
		title := g.Titles.EN
		switch p.Lang {
		case "kk":
			title = g.Titles.KK
		case "ru":
			title = g.Titles.RU
		}
		d.Grounds = append(d.Grounds, groundRow{Code: g.Code, Title: title, LegalRef: g.LegalRef, Notify: g.Notify})
	}
	p.Data = d
	return c.render(w, r, http.StatusOK, "directories", "dir.title", p)
}

package console

import (
	"net/http"

	"github.com/senimkz/senim/internal/identity"
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
func (a *area) directories(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	ctx := r.Context()
	var d directoriesData
	var err error
	if d.Objects, err = a.cfg.Console.TrustedObjects(ctx, ""); err != nil {
		return err
	}
	grounds, err := a.cfg.Console.Grounds(ctx)
	if err != nil {
		return err
	}
	if d.Services, err = a.cfg.Console.ServiceCodes(ctx); err != nil {
		return err
	}
	if d.Owners, err = a.cfg.Console.DataOwners(ctx); err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
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
	return a.s.Render(w, r, http.StatusOK, directoriesView, p)
}

// Package passkeys is the cabinet's passkey area: logging in with a passkey (no IIN
// to type: the authenticator offers the citizen's passkey for this site), and the
// citizen's own list of passkeys, where she adds one after logging in another way
// and removes one she no longer trusts. The WebAuthn ceremonies and every rule are
// internal/passkey's; this package decodes, asks and renders, and carries the few
// lines of script that hand the options to navigator.credentials and its answer back.
package passkeys

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/passkey"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

// script is what the passkey pages need: their script, which fetches the ceremony's
// options from this origin.
var script = web.Needs{Script: true, Connect: []string{"'self'"}}

var (
	views   = web.NewViews(templateFS)
	loginV  = views.Add("passkey-login", "passkey.login.title", script)
	listV   = views.Add("passkeys", "passkey.list.title", script)
	removeV = views.Add("passkey-remove", "passkey.remove.title")
)

// Passkeys is internal/passkey as this area sees it.
type Passkeys interface {
	BeginLogin(ctx context.Context) (*passkey.Ceremony, error)
	FinishLogin(ctx context.Context, token string, response []byte) (string, *identity.Session, error)
	BeginRegistration(ctx context.Context, citizenID int64) (*passkey.Ceremony, error)
	FinishRegistration(ctx context.Context, citizenID int64, token, name string, response []byte) (*passkey.Passkey, error)
	List(ctx context.Context, citizenID int64) ([]passkey.Passkey, error)
	Remove(ctx context.Context, citizenID int64, id string) error
}

// Config configures the area.
type Config struct {
	Passkeys Passkeys
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the passkey pages to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Passkeys == nil {
		return errors.New("passkeys: Passkeys is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /login/passkey", web.Public(a.loginPage))
	s.Handle("POST /login/passkey/options", web.Form(web.Public(a.loginOptions)))
	s.Handle("POST /login/passkey", web.Form(web.Public(a.login)).OnRefuse(a.loginRefused))
	s.Handle("GET /passkeys", web.Citizen(a.list))
	s.Handle("POST /passkeys/options", web.Form(web.Citizen(a.registerOptions)))
	s.Handle("POST /passkeys", web.Form(web.Citizen(a.register)))
	s.Handle("POST /passkeys/{id}/remove", web.Form(web.Citizen(a.remove)))
	s.Home(func(r *http.Request, p *web.Page) *web.Section {
		return &web.Section{ID: "home-passkeys", Title: p.T("passkey.home.title"), Intro: p.T("passkey.home.intro"),
			Links: []web.Link{{Href: "/passkeys", ID: "home-passkeys-link", Text: p.T("passkey.list.title")}}}
	})
	return nil
}

// ceremony is what the page's script receives: the options for navigator.credentials
// and the token to post back with the answer.
type ceremony struct {
	Options json.RawMessage `json:"options"`
	Token   string          `json:"token"`
}

func writeCeremony(w http.ResponseWriter, c *passkey.Ceremony) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(ceremony{Options: c.Options, Token: c.Token})
}

func (a *area) loginForm(w http.ResponseWriter, r *http.Request) *web.Page {
	p := a.s.Page(w, r, nil)
	p.CSRF = a.s.LoginCSRF(w, r)
	return p
}

func (a *area) loginPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if sess != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return a.s.Render(w, r, http.StatusOK, loginV, a.loginForm(w, r))
}

func (a *area) loginOptions(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	c, err := a.cfg.Passkeys.BeginLogin(r.Context())
	if err != nil {
		return err
	}
	return writeCeremony(w, c)
}

func (a *area) loginRefused(w http.ResponseWriter, r *http.Request, err error) error {
	return a.s.FormError(w, r, loginV, a.loginForm(w, r), err)
}

func (a *area) login(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	token, _, err := a.cfg.Passkeys.FinishLogin(r.Context(), r.PostFormValue("token"), []byte(r.PostFormValue("response")))
	if err != nil {
		return a.s.FormError(w, r, loginV, a.loginForm(w, r), err)
	}
	a.s.SignedIn(w, r, token)
	return nil
}

// item is a passkey in the list.
type item struct {
	ID, Name      string
	Created, Used time.Time
	HasBeenUsed   bool
}

type listData struct {
	Items []item
	Name  string // what was typed as the new passkey's name
	Full  bool   // the citizen has the most passkeys allowed
}

func (a *area) listPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) (*web.Page, error) {
	list, err := a.cfg.Passkeys.List(r.Context(), sess.CitizenID)
	if err != nil {
		return nil, err
	}
	d := listData{Full: len(list) >= passkey.MaxPerCitizen, Name: r.PostFormValue("name")}
	for _, k := range list {
		d.Items = append(d.Items, item{ID: k.ID, Name: k.Name, Created: k.CreatedAt, Used: k.LastUsed, HasBeenUsed: !k.LastUsed.IsZero()})
	}
	p := a.s.Page(w, r, sess)
	p.Data = d
	switch r.URL.Query().Get("done") {
	case "added":
		p.Notice = "passkey.added"
	case "removed":
		p.Notice = "passkey.removed"
	}
	return p, nil
}

func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p, err := a.listPage(w, r, sess)
	if err != nil {
		return err
	}
	return a.s.Render(w, r, http.StatusOK, listV, p)
}

func (a *area) registerOptions(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	c, err := a.cfg.Passkeys.BeginRegistration(r.Context(), sess.CitizenID)
	if err != nil {
		return err
	}
	return writeCeremony(w, c)
}

func (a *area) register(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	_, err := a.cfg.Passkeys.FinishRegistration(r.Context(), sess.CitizenID, r.PostFormValue("token"), r.PostFormValue("name"), []byte(r.PostFormValue("response")))
	if err != nil {
		p, perr := a.listPage(w, r, sess)
		if perr != nil {
			return perr
		}
		return a.s.FormError(w, r, listV, p, err)
	}
	http.Redirect(w, r, "/passkeys?done=added", http.StatusSeeOther)
	return nil
}

// remove asks for confirmation first (the page names the passkey), then removes it.
func (a *area) remove(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id := r.PathValue("id")
	if r.PostFormValue("confirmed") != "yes" {
		list, err := a.cfg.Passkeys.List(r.Context(), sess.CitizenID)
		if err != nil {
			return err
		}
		for _, k := range list {
			if k.ID == id {
				p := a.s.Page(w, r, sess)
				p.Data = item{ID: k.ID, Name: k.Name, Created: k.CreatedAt}
				return a.s.Render(w, r, http.StatusOK, removeV, p)
			}
		}
		return passkey.ErrNotFound
	}
	if err := a.cfg.Passkeys.Remove(r.Context(), sess.CitizenID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/passkeys?done=removed", http.StatusSeeOther)
	return nil
}

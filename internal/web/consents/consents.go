// Package consents is the cabinet's personal-data area: the citizen's consents and
// refusals and who holds them (PD-3.5), giving a consent signed with EDS or refusing one
// (PD-3.2, PD-6.1.1), revoking (PD-3.3), and who accessed their data (PD-3.4).
package consents

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views       = web.NewViews(templateFS)
	consentsV   = views.Add("consents", "consents.title")
	accessV     = views.Add("access", "access.title")
	consentNewV = views.Add("consentnew", "consent.new.title")
	signV       = views.Add("consentsign", "consent.sign.title")
)

// PersonalData is personal-data access control as this area sees it.
type PersonalData interface {
	ListConsents(ctx context.Context, citizenIIN string) ([]pd.Consent, error)
	HoldersOfConsent(ctx context.Context, citizenIIN string) ([]pd.Holder, error)
	RevokeConsent(ctx context.Context, subjectIIN, actorIIN, consentID string) (*pd.Consent, error)
	AccessHistory(ctx context.Context, citizenIIN string) ([]pd.HistoryEntry, error)
	GiveConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	RefuseConsent(ctx context.Context, r pd.ConsentRequest) (*pd.Consent, error)
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
}

// Organizations lists the organizations a consent may be given to.
type Organizations interface {
	Organizations(ctx context.Context) ([]identity.Organization, error)
}

// Config configures the area.
type Config struct {
	PD            PersonalData
	Organizations Organizations
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the consent and access pages and their menu entries to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.PD == nil || cfg.Organizations == nil {
		return errors.New("consents: PD and Organizations are required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /consents", web.Citizen(a.consents))
	s.Handle("POST /consents/{id}/revoke", web.Form(web.Citizen(a.revoke)))
	s.Handle("GET /access", web.Citizen(a.access))
	s.Handle("GET /consents/new", web.Citizen(a.consentForm))
	s.Handle("POST /consents/new", web.Form(web.Citizen(a.decide)))
	s.Handle("POST /consents/confirm", web.Form(web.Citizen(a.confirm)))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/consents", ID: "nav-consents", Key: "nav.consents"})
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/access", ID: "nav-access", Key: "nav.access"})
	return nil
}

type consentsData struct {
	Consents []pd.Consent
	Holders  []pd.Holder
}

// consents lists the citizen's consents and refusals and who holds them (PD-3.5).
func (a *area) consents(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderConsents(w, r, sess, "")
}

func (a *area) renderConsents(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string) error {
	list, err := a.cfg.PD.ListConsents(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	holders, err := a.cfg.PD.HoldersOfConsent(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Notice = notice
	p.Data = consentsData{Consents: list, Holders: holders}
	return a.s.Render(w, r, http.StatusOK, consentsV, p)
}

// revoke revokes one of the citizen's own consents (PD-3.3); the service refuses
// another subject's consent id.
func (a *area) revoke(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if _, err := a.cfg.PD.RevokeConsent(r.Context(), sess.Citizen.IIN, sess.Citizen.IIN, r.PathValue("id")); err != nil {
		return err
	}
	return a.renderConsents(w, r, sess, "consents.revoked")
}

// access shows the history of access to the citizen's data (PD-3.4).
func (a *area) access(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	h, err := a.cfg.PD.AccessHistory(r.Context(), sess.Citizen.IIN)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = h
	return a.s.Render(w, r, http.StatusOK, accessV, p)
}

// form is what the citizen fills in; it travels through both steps unchanged.
type form struct {
	Initiator, Owner, Purpose, Until, ForMinor string
	DataSets                                   []string
}

func readForm(r *http.Request) form {
	r.ParseForm()
	return form{
		Initiator: strings.TrimSpace(r.PostForm.Get("initiator")),
		Owner:     strings.TrimSpace(r.PostForm.Get("owner")),
		Purpose:   strings.TrimSpace(r.PostForm.Get("purpose")),
		Until:     strings.TrimSpace(r.PostForm.Get("valid_until")),
		ForMinor:  strings.TrimSpace(r.PostForm.Get("for_minor")),
		DataSets:  r.PostForm["data_sets"],
	}
}

// request turns the form into a decision by the logged-in citizen: about themselves, or
// about a minor they represent (the service checks that they do).
func (f form) request(sess *identity.Session) (pd.ConsentRequest, error) {
	until, err := time.Parse(time.DateOnly, f.Until)
	if err != nil {
		return pd.ConsentRequest{}, pd.ErrConsentInvalid.WithDetail("valid_until must be a date")
	}
	req := pd.ConsentRequest{SubjectIIN: sess.Citizen.IIN, Initiator: f.Initiator, Owner: f.Owner,
		DataSets: f.DataSets, Purpose: f.Purpose, ValidUntil: until.UTC()}
	if f.ForMinor != "" && f.ForMinor != sess.Citizen.IIN {
		req.SubjectIIN, req.ActorIIN = f.ForMinor, sess.Citizen.IIN
	}
	return req, nil
}

type formData struct {
	Form          form
	Organizations []identity.Organization
	Owners        []pd.DataOwner
}

type signData struct {
	Form form
	Sign web.Sign
}

func (a *area) consentForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.renderForm(w, r, sess, form{Until: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}, nil)
}

func (a *area) renderForm(w http.ResponseWriter, r *http.Request, sess *identity.Session, f form, ferr error) error {
	orgs, err := a.cfg.Organizations.Organizations(r.Context())
	if err != nil {
		return err
	}
	owners, err := a.cfg.PD.DataOwners(r.Context())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = formData{Form: f, Organizations: orgs, Owners: owners}
	if ferr != nil {
		return a.s.FormError(w, r, consentNewV, p, ferr)
	}
	return a.s.Render(w, r, http.StatusOK, consentNewV, p)
}

func (a *area) renderSign(w http.ResponseWriter, r *http.Request, sess *identity.Session, f form, req pd.ConsentRequest, ferr error) error {
	p := a.s.Page(w, r, sess)
	p.Data = signData{Form: f, Sign: web.Sign{How: "consent.sign.how", TextID: "consent-text", Text: pd.ConsentText(req), Label: "consent.sign.cms"}}
	if ferr != nil {
		return a.s.FormError(w, r, signV, p, ferr)
	}
	return a.s.Render(w, r, http.StatusOK, signV, p)
}

// decide records a refusal at once (PD-3.2: it needs no signature) or shows the exact
// consent text to sign with EDS: a consent that a proactive service relies on is
// confirmed by an EDS signature, never by the SMS code that may have opened the session
// (PD-6.1.1, PD-6.X).
func (a *area) decide(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := readForm(r)
	req, err := f.request(sess)
	if err != nil {
		return a.renderForm(w, r, sess, f, err)
	}
	if r.PostForm.Get("decision") == "refuse" {
		if _, err := a.cfg.PD.RefuseConsent(r.Context(), req); err != nil {
			return a.renderForm(w, r, sess, f, err)
		}
		return a.renderConsents(w, r, sess, "consent.refused")
	}
	return a.renderSign(w, r, sess, f, req, nil)
}

// confirm records a consent given with an EDS signature over its text; the service
// checks the signature, the chain and that the signer is the deciding person.
func (a *area) confirm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := readForm(r)
	req, err := f.request(sess)
	if err != nil {
		return a.renderForm(w, r, sess, f, err)
	}
	req.Signature = web.SignedCMS(r)
	if _, err := a.cfg.PD.GiveConsent(r.Context(), req); err != nil {
		return a.renderSign(w, r, sess, f, req, err)
	}
	return a.renderConsents(w, r, sess, "consent.given")
}

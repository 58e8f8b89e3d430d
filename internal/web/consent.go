package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
)

// consentForm is what the citizen fills in; it travels through both steps unchanged.
type consentForm struct {
	Initiator, Owner, Purpose, Until, ForMinor string
	DataSets                                   []string
}

func readConsentForm(r *http.Request) consentForm {
	r.ParseForm()
	return consentForm{
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
func (f consentForm) request(sess *identity.Session) (pd.ConsentRequest, error) {
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

type consentFormData struct {
	Form          consentForm
	Organizations []identity.Organization
	Owners        []pd.DataOwner
}

type consentSignData struct {
	Form consentForm
	Text string
}

func (c *Cabinet) consentForm(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.requireSession(w, r)
	if sess == nil {
		return err
	}
	return c.renderConsentForm(w, r, sess, consentForm{Until: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}, http.StatusOK, nil)
}

func (c *Cabinet) renderConsentForm(w http.ResponseWriter, r *http.Request, sess *identity.Session, f consentForm, status int, ferr error) error {
	orgs, err := c.cfg.Identity.Organizations(r.Context())
	if err != nil {
		return err
	}
	owners, err := c.cfg.PD.DataOwners(r.Context())
	if err != nil {
		return err
	}
	p := c.page(w, r, sess)
	p.Data = consentFormData{Form: f, Organizations: orgs, Owners: owners}
	if ferr != nil {
		return c.formError(w, r, "consentnew", "consent.new.title", p, ferr)
	}
	return c.render(w, r, status, "consentnew", "consent.new.title", p)
}

func (c *Cabinet) checkCSRF(r *http.Request, sess *identity.Session) error {
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
		return problem.CSRF
	}
	return nil
}

// consentDecide records a refusal at once (PD-3.2: it needs no signature) or shows the
// exact consent text to sign with EDS: a consent that a proactive service relies on is
// confirmed by an EDS signature, never by the SMS code that may have opened the session
// (PD-6.1.1, PD-6.X).
func (c *Cabinet) consentDecide(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	if err := c.checkCSRF(r, sess); err != nil {
		return err
	}
	f := readConsentForm(r)
	req, err := f.request(sess)
	if err != nil {
		return c.renderConsentForm(w, r, sess, f, 0, err)
	}
	if r.PostForm.Get("decision") == "refuse" {
		if _, err := c.cfg.PD.RefuseConsent(r.Context(), req); err != nil {
			return c.renderConsentForm(w, r, sess, f, 0, err)
		}
		return c.renderConsents(w, r, sess, http.StatusOK, "consent.refused")
	}
	p := c.page(w, r, sess)
	p.Data = consentSignData{Form: f, Text: pd.ConsentText(req)}
	return c.render(w, r, http.StatusOK, "consentsign", "consent.sign.title", p)
}

// consentConfirm records a consent given with an EDS signature over its text; the
// service checks the signature, the chain and that the signer is the deciding person.
func (c *Cabinet) consentConfirm(w http.ResponseWriter, r *http.Request) error {
	sess, err := c.session(r)
	if err != nil {
		return err
	}
	if sess == nil {
		return identity.ErrNoSession
	}
	if err := c.checkCSRF(r, sess); err != nil {
		return err
	}
	f := readConsentForm(r)
	req, err := f.request(sess)
	if err != nil {
		return c.renderConsentForm(w, r, sess, f, 0, err)
	}
	req.Signature = decodeSignature([]byte(r.PostForm.Get("cms")))
	if _, err := c.cfg.PD.GiveConsent(r.Context(), req); err != nil {
		p := c.page(w, r, sess)
		p.Data = consentSignData{Form: f, Text: pd.ConsentText(req)}
		return c.formError(w, r, "consentsign", "consent.sign.title", p, err)
	}
	return c.renderConsents(w, r, sess, http.StatusOK, "consent.given")
}

// decodeSignature reads the pasted CMS; what does not decode is passed on for the
// service to refuse with its own code.
func decodeSignature(b []byte) []byte {
	if der, err := edslogin.DecodeCMS(b); err == nil {
		return der
	}
	return b
}

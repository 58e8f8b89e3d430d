// Package sandboxui is the cabinet's sandbox area, mounted only with --sandbox: the
// citizen's own demo EDS keys (and a demo employee's employee key) offered on the home
// page, and the pages of the sandbox's SMS, e-mail and Web Push outboxes.
package sandboxui

import (
	"cmp"
	"context"
	"embed"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views    = web.NewViews(templateFS)
	smsView  = views.Add("sms", "sandbox.sms.title")
	popView  = views.Add("population", "sandbox.pop.title")
	mailView = views.Add("mail", "sandbox.mail.title")
	pushView = views.Add("push", "sandbox.push.title")
)

// algorithms are the citizen key algorithms the sandbox issues.
var algorithms = []string{"gost2015", "p256"}

// Config configures the area; every field is optional.
type Config struct {
	// CitizenKey returns the citizen's sandbox EDS key (alg is gost2015 or p256) as
	// PKCS#12; KeyPassword is shown next to the links.
	CitizenKey  func(iin, alg string) ([]byte, error)
	KeyPassword string
	// EmployeeKey returns a demo employee's employee key (GOST 2015-512); EmployerOf
	// names the organization they work for ("" if none).
	EmployeeKey func(iin string) ([]byte, error)
	EmployerOf  func(iin string) string
	// Signers and SignCMS make the sandbox's eGov Mobile (PhonePath): the demo
	// signers and a signature with a demo signer's key.
	Signers func() []sandbox.DemoSigner
	SignCMS func(ctx context.Context, ref string, data []byte, attach bool) ([]byte, error)
	// SignXML signs an XML document (eGov Mobile's signMethod XML).
	SignXML func(ctx context.Context, ref string, doc []byte) ([]byte, error)
}

// UI is the mounted area.
type UI struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the key downloads and their home-page section to the shell; the SMS page
// is served through UI.SMSPage by the sandbox's handler.
func Mount(s *web.Shell, cfg Config) (*UI, error) {
	if err := s.Parse(views); err != nil {
		return nil, err
	}
	u := &UI{s: s, cfg: cfg}
	if cfg.CitizenKey != nil {
		s.Handle("GET /keys/{file}", web.Download(u.key))
		s.Home(u.keysSection)
	}
	if cfg.EmployeeKey != nil {
		s.Handle("GET /keys/employee.p12", web.Download(u.employeeKey))
	}
	if cfg.SignCMS != nil && cfg.Signers != nil {
		s.Handle("GET "+PhonePath, web.Public(u.phonePage))
		s.Handle("POST "+PhonePath, web.Form(web.Public(u.phoneSign)))
	}
	return u, nil
}

func (u *UI) keysSection(r *http.Request, p *web.Page) *web.Section {
	sec := &web.Section{ID: "keys", Title: p.T("keys.title"), Intro: p.T("keys.intro", u.cfg.KeyPassword)}
	for _, alg := range algorithms {
		sec.Links = append(sec.Links, web.Link{Href: "/keys/" + alg + ".p12", ID: "key-" + alg, Text: p.T("keys." + alg), Download: true})
	}
	if u.cfg.EmployeeKey != nil && u.cfg.EmployerOf != nil {
		if org := u.cfg.EmployerOf(p.Session.Citizen.IIN); org != "" {
			sec.Links = append(sec.Links, web.Link{Href: "/keys/employee.p12", ID: "key-employee", Text: p.T("keys.employee", org), Download: true})
		}
	}
	return sec
}

// key sends the logged-in citizen their own sandbox key; there is no way to name
// another citizen's.
func (u *UI) key(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	alg, ok := strings.CutSuffix(r.PathValue("file"), ".p12")
	if !ok || (alg != "gost2015" && alg != "p256") {
		return problem.NotFound
	}
	b, err := u.cfg.CitizenKey(sess.Citizen.IIN, alg)
	if err != nil {
		return err
	}
	return sendP12(w, "senim-sandbox-"+alg+".p12", b)
}

// employeeKey sends a demo employee their employee key: only their own, and only if the
// sandbox says they work for an organization.
func (u *UI) employeeKey(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	b, err := u.cfg.EmployeeKey(sess.Citizen.IIN)
	if err != nil {
		return err
	}
	return sendP12(w, "senim-sandbox-employee.p12", b)
}

func sendP12(w http.ResponseWriter, name string, b []byte) error {
	w.Header().Set("Content-Type", "application/x-pkcs12")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(b)
	return err
}

// SMSPage renders the sandbox SMS outbox for a browser (sandbox.Handler.SMSPage); the
// outbox is public in the sandbox, so the page is too.
func (u *UI) SMSPage(w http.ResponseWriter, r *http.Request, phone string, msgs []sandbox.Message) error {
	return u.s.ServePublic(w, r, func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		p := u.s.Page(w, r, sess)
		p.Data = struct {
			Phone    string
			Messages []sandbox.Message
		}{phone, msgs}
		return u.s.Render(w, r, http.StatusOK, smsView, p)
	})
}

// personRow is a demo citizen as the population page lists them.
type personRow struct {
	sandbox.Citizen
	Employer string // the organization's name in the page's language, for staff
	Minor    bool
}

// PopulationPage renders the sandbox's demo population for a browser
// (sandbox.Handler.PopulationPage): every demo citizen with the password to log in
// with, the regulator's employee marked, and the organizations by name in the page's
// language. Like the SMS outbox, it is public in the sandbox and only there.
func (u *UI) PopulationPage(w http.ResponseWriter, r *http.Request, pop sandbox.Population) error {
	return u.s.ServePublic(w, r, func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		p := u.s.Page(w, r, sess)
		minors := map[string]bool{}
		for m := range sandbox.Representatives(pop) {
			minors[m] = true
		}
		type orgRow struct {
			sandbox.Organization
			Label string
		}
		var d struct {
			People        []personRow
			Organizations []orgRow
			KeyPassword   string
		}
		d.KeyPassword = u.cfg.KeyPassword
		names := map[string]string{}
		for _, o := range pop.Organizations {
			label := o.Name
			switch p.Lang {
			case "kk":
				label = cmp.Or(o.Names.KK, o.Name)
			case "ru":
				label = cmp.Or(o.Names.RU, o.Name)
			case "en":
				label = cmp.Or(o.Names.EN, o.Name)
			}
			names[o.BIN] = label
			d.Organizations = append(d.Organizations, orgRow{Organization: o, Label: label})
		}
		for _, c := range pop.Citizens {
			row := personRow{Citizen: c, Minor: minors[c.IIN]}
			if u.cfg.EmployerOf != nil {
				row.Employer = names[u.cfg.EmployerOf(c.IIN)]
			}
			d.People = append(d.People, row)
		}
		p.Data = d
		return u.s.Render(w, r, http.StatusOK, popView, p)
	})
}

// MailPage renders the e-mail the sandbox's SMTP server received (sandbox.Handler.MailPage).
func (u *UI) MailPage(w http.ResponseWriter, r *http.Request, to string, msgs []sandbox.Mail) error {
	return u.s.ServePublic(w, r, func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		p := u.s.Page(w, r, sess)
		p.Data = struct {
			To       string
			Messages []sandbox.Mail
		}{to, msgs}
		return u.s.Render(w, r, http.StatusOK, mailView, p)
	})
}

// PushPage renders the Web Push messages Senim sent (sandbox.Handler.PushPage).
func (u *UI) PushPage(w http.ResponseWriter, r *http.Request, msgs []sandbox.Push) error {
	return u.s.ServePublic(w, r, func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
		p := u.s.Page(w, r, sess)
		p.Data = struct{ Messages []sandbox.Push }{msgs}
		return u.s.Render(w, r, http.StatusOK, pushView, p)
	})
}

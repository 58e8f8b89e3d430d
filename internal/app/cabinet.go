package app

import (
	"cmp"
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/passkey"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/web"
	webarchive "github.com/senimkz/senim/internal/web/archive"
	"github.com/senimkz/senim/internal/web/auth"
	webconfirm "github.com/senimkz/senim/internal/web/confirm"
	"github.com/senimkz/senim/internal/web/consents"
	"github.com/senimkz/senim/internal/web/console"
	"github.com/senimkz/senim/internal/web/documents"
	"github.com/senimkz/senim/internal/web/history"
	"github.com/senimkz/senim/internal/web/inbox"
	"github.com/senimkz/senim/internal/web/passkeys"
	"github.com/senimkz/senim/internal/web/sandboxui"
)

// cabinet is what the citizen's cabinet is built from: each area's domain.
type cabinet struct {
	Logins        auth.Logins
	EDS           auth.EDS
	Organizations consents.Organizations
	PD            personalData
	Log           history.Log
	Notices       inbox.Notices
	Confirmations webconfirm.Confirmations
	Orgs          webconfirm.Organizations
	Passkeys      passkeys.Passkeys // nil when the cabinet has no domain name (passkey.New)
	VAPIDKey      string            // Web Push applicationServerKey for the inbox's settings
	PublicURL     string            // Senim's public URL (receipts' iss): the receipt hint's JWK set
	Documents     documents.Config
	Sandbox       *sandboxui.Config    // nil outside the sandbox
	Archive       webarchive.Archive   // nil: no archive area (no TSA)
	ArchiveRoots  []*x509.Certificate  // the archive's roots, for `senim eds verify --ca`
	Senders       console.Senders      // the sender-permission directory of notices
	OrgDirectory  console.OrgDirectory // the organisation directory, kept in the console
}

// personalData is personal-data access control as the consents and console areas see
// it.
type personalData interface {
	consents.PersonalData
	console.Directories
	console.Complaints
	console.Entries
}

// mount mounts every area of the cabinet on sh; a new area is added here, and the
// guard test (TestCabinetGuards) then covers its routes.
func (c cabinet) mount(sh *web.Shell) (*sandboxui.UI, error) {
	if err := auth.Mount(sh, auth.Config{Logins: c.Logins, EDS: c.EDS, Passkeys: c.Passkeys != nil}); err != nil {
		return nil, err
	}
	if c.Passkeys != nil {
		if err := passkeys.Mount(sh, passkeys.Config{Passkeys: c.Passkeys}); err != nil {
			return nil, err
		}
	}
	if err := consents.Mount(sh, consents.Config{PD: c.PD, Organizations: c.Organizations, Log: c.Log}); err != nil {
		return nil, err
	}
	if err := history.Mount(sh, history.Config{Log: c.Log, Organizations: c.Organizations}); err != nil {
		return nil, err
	}
	if err := inbox.Mount(sh, inbox.Config{Notices: c.Notices, VAPIDKey: c.VAPIDKey, PublicURL: c.PublicURL}); err != nil {
		return nil, err
	}
	if err := webconfirm.Mount(sh, webconfirm.Config{Confirmations: c.Confirmations, Organizations: c.Orgs, SessionRef: inbox.SessionRef, PublicURL: c.PublicURL,
		Archive: c.Archive != nil}); err != nil {
		return nil, err
	}
	if err := documents.Mount(sh, c.Documents); err != nil {
		return nil, err
	}
	if err := console.Mount(sh, console.Config{Console: c.PD, Organizations: c.Organizations, Complaints: c.PD, Entries: c.PD, Senders: c.Senders,
		OrgDirectory: c.OrgDirectory}); err != nil {
		return nil, err
	}
	if c.Archive != nil {
		if err := webarchive.Mount(sh, webarchive.Config{Archive: c.Archive, Roots: c.ArchiveRoots, Organizations: c.Organizations}); err != nil {
			return nil, err
		}
	}
	if c.Sandbox == nil {
		return nil, nil
	}
	return sandboxui.Mount(sh, *c.Sandbox)
}

// mountCabinet builds the citizen's cabinet and mounts it on s; in the sandbox it
// returns the pages of the SMS, e-mail and push outboxes and of the demo population for
// the sandbox's handler.
func (a *App) mountCabinet(s *server.Server, public *server.Limiter, ids *identity.Service, revocation []pki.RevocationMethod) (pages sandboxPages, err error) {
	cfg := a.Config
	eds, err := edslogin.New(edslogin.Config{DB: a.DB, Identity: ids, Validator: a.Trust,
		Revocation: revocation, Now: cfg.Now, Origin: cfg.Addr})
	if err != nil {
		return pages, err
	}
	mobile, err := mobilesign.New(mobilesign.Config{DB: a.DB, Validator: a.Trust, Revocation: revocation, Now: cfg.Now,
		Org: mobilesign.Organisation{NameKk: "Senim", NameRu: "Senim", NameEn: "Senim"}})
	if err != nil {
		return pages, err
	}
	mobile.Register(func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		s.Handle(pattern, server.RateLimit(public, nil, server.ErrorHandler(fn)))
	})
	wcfg := web.Config{Sessions: ids, Sandbox: cfg.Sandbox, SecureCookies: cfg.SecureCookies,
		Logger: a.log, Regulator: a.PD.IsRegulator, Mobile: mobile, Now: cfg.Now}
	if cfg.Sandbox {
		wcfg.NCALayer = cfg.SandboxNCALayer
		wcfg.SandboxPhone = sandboxui.PhonePath
	}
	sh, err := web.New(wcfg)
	if err != nil {
		return pages, err
	}
	c := cabinet{Logins: ids, EDS: eds, Organizations: ids, PD: a.PD, Log: a.Log, Notices: a.Notify, Senders: a.Notify, OrgDirectory: ids,
		Confirmations: a.Confirm, Orgs: ids, VAPIDKey: a.VAPIDPublicKey, PublicURL: cmp.Or(cfg.PublicURL, "http://"+cfg.Addr),
		Documents: documents.Config{Docs: a.Docs, PublicURL: cmp.Or(cfg.PublicURL, "http://"+cfg.Addr), OrgName: func(ctx context.Context, bin string) string {
			if o, err := ids.OrganizationByBIN(ctx, bin); err == nil {
				return o.Name
			}
			return ""
		}}}
	if pk, err := passkey.New(passkey.Config{DB: a.DB, Sessions: ids, Origin: cfg.passkeyOrigin(), Now: cfg.Now}); err != nil {
		a.log.Warn("passkeys are not offered: the cabinet needs a domain name (--public-url)", "error", err)
	} else {
		c.Passkeys = pk
	}
	if a.Archive != nil {
		c.Archive = a.Archive
		c.ArchiveRoots = a.Archive.Roots()
	}
	if a.Keys != nil {
		staff := sandbox.Staff(a.Pop)
		c.Sandbox = &sandboxui.Config{
			KeyPassword: sandbox.KeyPassword,
			CitizenKey:  func(iin, alg string) ([]byte, error) { return a.Keys.P12("citizen", iin, ca.Algorithm(alg)) },
			EmployeeKey: func(iin string) ([]byte, error) { return a.Keys.P12("employee", iin, ca.GOST2015) },
			EmployerOf:  func(iin string) string { return staff[iin] },
			Signers:     a.Keys.Signers,
			SignCMS:     a.Keys.SignCMS,
			SignXML:     a.Keys.SignXML,
		}
	}
	ui, err := c.mount(sh)
	if err != nil {
		return pages, err
	}
	// The cabinet's forms are limited per client too: passwords and codes are guessed there.
	sh.Register(func(pattern string, h http.Handler) {
		a.pages = append(a.pages, pattern) // HTML pages: not in the API's OpenAPI document
		if strings.HasPrefix(pattern, "POST ") {
			h = server.RateLimit(public, nil, h)
		}
		s.Handle(pattern, h)
	})
	s.NotFoundPage(sh.NotFound())
	s.MethodNotAllowedPage(sh.MethodNotAllowed())
	if ui == nil {
		return pages, nil
	}
	return sandboxPages{SMS: ui.SMSPage, Mail: ui.MailPage, Push: ui.PushPage, Population: ui.PopulationPage}, nil
}

// passkeyOrigin is the cabinet's origin for passkeys: the public URL, or in its
// absence http://localhost on the listening port (a passkey needs a domain name, and
// the browser reaches a loopback listener as localhost too).
func (cfg Config) passkeyOrigin() string {
	if cfg.PublicURL != "" {
		return strings.TrimSuffix(cfg.PublicURL, "/")
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return ""
	}
	return "http://localhost:" + port
}

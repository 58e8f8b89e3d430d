package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
)

// Console is what the authorized body's console needs from personal-data access control.
type Console interface {
	IsRegulator(bin string) bool
	TrustedObjects(ctx context.Context, ownerBIN string) ([]pd.TrustedObject, error)
	PutTrustedObject(ctx context.Context, actor string, o pd.TrustedObject) (*pd.TrustedObject, error)
	TR2Enforced(ctx context.Context) (bool, error)
	SetTR2(ctx context.Context, actor string, on bool) error
	Grounds(ctx context.Context) ([]pd.Ground, error)
	PutGround(ctx context.Context, actor string, g pd.Ground) (*pd.Ground, error)
	ProtocolPermissions(ctx context.Context) (map[string][]string, error)
	SetProtocolPermissions(ctx context.Context, actor, bin string, grounds []string) error
	ServiceCodes(ctx context.Context) ([]pd.ServiceCode, error)
	PutServiceCode(ctx context.Context, actor string, c pd.ServiceCode) (*pd.ServiceCode, error)
	DataOwners(ctx context.Context) ([]pd.DataOwner, error)
	PutDataOwner(ctx context.Context, actor string, o pd.DataOwner) (*pd.DataOwner, error)
}

// ErrNotAuthorizedBody: the console is for the authorized body's staff only.
var ErrNotAuthorizedBody = problem.New(http.StatusForbidden, "console.forbidden",
	"The console is for the authorized body's staff, logged in with an employee EDS key of the authorized body")

type consoleData struct {
	BIN         string
	TR2         bool
	Objects     []pd.TrustedObject
	Statuses    []string
	Grounds     []pd.Ground
	Permissions map[string][]string
	Services    []pd.ServiceCode
	Owners      []pd.DataOwner
}

// staff returns the session of a member of the authorized body's staff: someone who
// logged in with an EDS employee certificate naming a regulator BIN.
func (c *Cabinet) staff(r *http.Request) (*identity.Session, string, error) {
	sess, err := c.session(r)
	if err != nil {
		return nil, "", err
	}
	if sess == nil {
		return nil, "", identity.ErrNoSession
	}
	if sess.OrgBIN == "" || sess.Method != identity.MethodEDS || !c.cfg.Console.IsRegulator(sess.OrgBIN) {
		return nil, "", ErrNotAuthorizedBody
	}
	// The actor names the person and the body they act for; outbox events carry it.
	return sess, "admin:" + strconv.FormatInt(sess.CitizenID, 10) + "@" + sess.OrgBIN, nil
}

func (c *Cabinet) console(w http.ResponseWriter, r *http.Request) error {
	sess, _, err := c.staff(r)
	if err != nil {
		return err
	}
	return c.renderConsole(w, r, sess, "")
}

func (c *Cabinet) renderConsole(w http.ResponseWriter, r *http.Request, sess *identity.Session, notice string) error {
	ctx := r.Context()
	d := consoleData{BIN: sess.OrgBIN, Statuses: []string{pd.StatusTrusted, pd.StatusSuspended, pd.StatusRevoked}}
	var err error
	if d.TR2, err = c.cfg.Console.TR2Enforced(ctx); err != nil {
		return err
	}
	if d.Objects, err = c.cfg.Console.TrustedObjects(ctx, ""); err != nil {
		return err
	}
	if d.Grounds, err = c.cfg.Console.Grounds(ctx); err != nil {
		return err
	}
	if d.Permissions, err = c.cfg.Console.ProtocolPermissions(ctx); err != nil {
		return err
	}
	if d.Services, err = c.cfg.Console.ServiceCodes(ctx); err != nil {
		return err
	}
	if d.Owners, err = c.cfg.Console.DataOwners(ctx); err != nil {
		return err
	}
	p := c.page(w, r, sess)
	p.Notice = notice
	p.Data = d
	return c.render(w, r, http.StatusOK, "console", "console.title", p)
}

// consolePost checks staff and anti-forgery token, runs change, and shows the console.
func (c *Cabinet) consolePost(change func(r *http.Request, actor string) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		sess, actor, err := c.staff(r)
		if err != nil {
			return err
		}
		if err := c.checkCSRF(r, sess); err != nil {
			return err
		}
		if err := change(r, actor); err != nil {
			return err
		}
		return c.renderConsole(w, r, sess, "console.saved")
	}
}

func (c *Cabinet) setObjectStatus(r *http.Request, actor string) error {
	objs, err := c.cfg.Console.TrustedObjects(r.Context(), "")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.ID == r.PathValue("id") {
			o.Status = r.PostFormValue("status")
			_, err := c.cfg.Console.PutTrustedObject(r.Context(), actor, o)
			return err
		}
	}
	return problem.NotFound
}

func (c *Cabinet) setTR2(r *http.Request, actor string) error {
	on, err := strconv.ParseBool(r.PostFormValue("on"))
	if err != nil {
		return problem.Field("on", "must be true or false")
	}
	return c.cfg.Console.SetTR2(r.Context(), actor, on)
}

func (c *Cabinet) putGround(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	g := pd.Ground{
		Code: f("code"), LegalRef: f("legal_ref"), Notify: f("notify"),
		Titles: pd.Titles{KK: f("title_kk"), RU: f("title_ru"), EN: f("title_en")},
	}
	switch g.Notify {
	case pd.NotifyUntil:
		t, err := time.Parse(time.DateOnly, f("notify_until"))
		if err != nil {
			return problem.Field("notify_until", "a date is needed to defer the notice until it")
		}
		g.NotifyUntil = t.UTC()
	case pd.NotifyPeriod:
		days, err := strconv.Atoi(f("period_days"))
		if err != nil || days <= 0 {
			return problem.Field("period_days", "a positive number of days is needed for a secrecy period")
		}
		g.NotifyPeriodSeconds = int64(days) * 86400
	}
	_, err := c.cfg.Console.PutGround(r.Context(), actor, g)
	return err
}

// list splits a comma-separated form field.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *Cabinet) setPermission(r *http.Request, actor string) error {
	return c.cfg.Console.SetProtocolPermissions(r.Context(), actor, strings.TrimSpace(r.PostFormValue("bin")), list(r.PostFormValue("grounds")))
}

func (c *Cabinet) putService(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	days, err := strconv.Atoi(f("period_days"))
	if err != nil || days <= 0 {
		return problem.Field("period_days", "must be a positive number of days")
	}
	_, err = c.cfg.Console.PutServiceCode(r.Context(), actor, pd.ServiceCode{
		Code: f("code"), Title: f("title"), Owner: f("owner"), DataSets: list(f("data_sets")), BINs: list(f("bins")),
		ConsentMethods: list(f("consent_methods")), AccessMethods: list(f("access_methods")), PeriodSeconds: int64(days) * 86400,
	})
	return err
}

func (c *Cabinet) putOwner(r *http.Request, actor string) error {
	o := pd.DataOwner{BIN: strings.TrimSpace(r.PostFormValue("bin")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	for _, item := range list(r.PostFormValue("data_sets")) {
		code, title, ok := strings.Cut(item, ":")
		if !ok || strings.TrimSpace(code) == "" || strings.TrimSpace(title) == "" {
			return problem.Field("data_sets", "each data set is code:title")
		}
		o.DataSets = append(o.DataSets, pd.DataSet{Code: strings.TrimSpace(code), Title: strings.TrimSpace(title)})
	}
	constrained := r.PostFormValue("sender_constraint") == "true"
	o.SenderConstraint = &constrained
	_, err := c.cfg.Console.PutDataOwner(r.Context(), actor, o)
	return err
}

// putObject registers a digital object (TR-1) or replaces one, with its certificate
// of compliance.
func (c *Cabinet) putObject(r *http.Request, actor string) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	date := func(k string) (time.Time, error) {
		if f(k) == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, f(k))
		if err != nil {
			return t, problem.Field(k, "must be a date")
		}
		return t.UTC(), nil
	}
	issued, err := date("certificate_date")
	if err != nil {
		return err
	}
	expires, err := date("certificate_expires")
	if err != nil {
		return err
	}
	_, err = c.cfg.Console.PutTrustedObject(r.Context(), actor, pd.TrustedObject{
		ID: f("id"), Kind: f("kind"), OwnerBIN: f("owner_bin"), Name: f("name"), Version: f("version"),
		CertNumber: f("certificate_number"), CertDate: issued, CertExpires: expires, Status: f("status"),
	})
	return err
}

// Package confirm is the cabinet's confirmations area: "awaiting my confirmation" and
// "my confirmations", a request's page with the exact text, the policy's reasons in
// plain words (which rule, which threshold), and the answer — a push confirmation or
// decline in the authenticated session (rules DC-1, DC-4), or an EDS signature over the
// exact text through the shell's "sign this text" component (rule DC-3) — and the
// evidence of a push answer to download (rule DC-5). The rules are
// internal/confirm's; this package decodes, asks and renders.
package confirm

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
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
	listV    = views.Add("list", "confirm.title")
	requestV = views.Add("request", "confirm.request.title")
)

// Confirmations is the confirmation point as this area sees it (confirm.Service).
type Confirmations interface {
	Mine(ctx context.Context, subject string, pendingOnly bool) ([]confirm.Confirmation, error)
	Pending(ctx context.Context, subject string) (int, error)
	ForSubject(ctx context.Context, subject, id string) (*confirm.Confirmation, error)
	Respond(ctx context.Context, a confirm.Answerer, id string, ans confirm.Answer) (*confirm.Confirmation, error)
	Sign(ctx context.Context, a confirm.Answerer, id, lang, shownSHA256 string, der []byte) (*confirm.Confirmation, error)
	Evidence(ctx context.Context, c *confirm.Confirmation) ([]byte, error)
	Agreement(ctx context.Context, c *confirm.Confirmation) (*confirm.SignedAgreement, error)
}

// Organizations names relying parties (identity.Service).
type Organizations interface {
	OrganizationByBIN(ctx context.Context, bin string) (*identity.Organization, error)
}

// Config configures the area.
type Config struct {
	Confirmations Confirmations
	Organizations Organizations
	// SessionRef names a session in evidence without revealing anything that opens it
	// (the inbox's SessionRef, so a receipt and evidence of one session agree).
	SessionRef func(*identity.Session) string
	// Archive: EDS-signed agreements go into the archive (its area is mounted); the
	// page then links the archived document or says it is on its way.
	Archive bool
	// PublicURL is where Senim is reached: the evidence hint's command fetches its JWK
	// set and the audit log's key from there.
	PublicURL string
}

type area struct {
	s   *web.Shell
	cfg Config
}

// Mount adds the area's pages, its navigation link and its header badge.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Confirmations == nil || cfg.Organizations == nil || cfg.SessionRef == nil {
		return errors.New("confirm: Confirmations, Organizations and SessionRef are required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg}
	s.Handle("GET /confirm", web.Citizen(a.list))
	s.Handle("GET /confirm/{id}", web.Citizen(a.open))
	s.Handle("POST /confirm/{id}/answer", web.Form(web.Citizen(a.answer)))
	s.Handle("POST /confirm/{id}/sign", web.Form(web.Citizen(a.sign)))
	s.Handle("GET /confirm/{id}/evidence.json", web.Download(a.evidence))
	s.Badge(web.Badge{ID: "nav-confirm", Href: "/confirm", Key: "nav.confirm",
		Count: func(r *http.Request, sess *identity.Session) (int, error) {
			return cfg.Confirmations.Pending(r.Context(), sess.Citizen.Ref())
		}})
	return nil
}

// answerer is the session's citizen as the one who answers (rule DC-1: the IIN bound
// to the authenticated session).
func (a *area) answerer(sess *identity.Session) confirm.Answerer {
	return confirm.Answerer{Subject: sess.Citizen.Ref(), IIN: sess.Citizen.IIN, Method: string(sess.Method), Session: a.cfg.SessionRef(sess)}
}

// row is a request in a list.
type row struct {
	ID       string
	Party    web.Party
	Method   string // catalog key
	State    string // catalog key
	Deadline time.Time
	Created  time.Time
}

type listData struct {
	Awaiting []row
	Mine     []row
}

func (a *area) party(ctx context.Context, bin string) web.Party {
	p := web.Party{BIN: bin}
	if o, err := a.cfg.Organizations.OrganizationByBIN(ctx, bin); err == nil {
		p.Name = o.Name
	}
	return p
}

func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	all, err := a.cfg.Confirmations.Mine(r.Context(), sess.Citizen.Ref(), false)
	if err != nil {
		return err
	}
	var d listData
	for _, c := range all {
		rw := row{ID: c.ID, Party: a.party(r.Context(), c.Org), Method: "confirm.method." + c.Method, State: "confirm.state." + c.State,
			Deadline: c.Deadline, Created: c.CreatedAt}
		if c.State == confirm.StatePending {
			d.Awaiting = append(d.Awaiting, rw)
		} else {
			d.Mine = append(d.Mine, rw)
		}
	}
	p := a.s.Page(w, r, sess)
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, listV, p)
}

// reason is a policy reason in plain words.
type reason struct {
	Rule, Text string
}

// Reasons renders a decision's reasons in lang: which rule, which threshold, in plain
// words. A category the catalog does not name (a deployment's own policy) shows as its
// code.
func Reasons(lang string, rs []policy.Reason) []reason {
	out := make([]reason, 0, len(rs))
	for _, r := range rs {
		item := r.Item
		for _, prefix := range []string{"confirm.kind.", "confirm.obligation.", "confirm.consequence."} {
			if i18n.Has(lang, prefix+r.Item) {
				item = i18n.T(lang, prefix+r.Item)
				break
			}
		}
		key := "confirm.reason." + r.Code
		text := r.Code
		switch {
		case !i18n.Has(lang, key):
		case r.Item != "":
			text = i18n.T(lang, key, item)
		case r.Limit != "":
			text = i18n.T(lang, key, group(r.Value), group(r.Limit))
		default:
			text = i18n.T(lang, key)
		}
		out = append(out, reason{Rule: r.Rule, Text: text})
	}
	return out
}

// group writes a whole number with thin spaces between thousands: 2 000 000.
func group(n string) string {
	if len(n) <= 3 {
		return n
	}
	var b strings.Builder
	for i, c := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	return b.String()
}

type requestData struct {
	C        *confirm.Confirmation
	Party    web.Party
	Method   string // catalog key
	State    string // catalog key
	Reasons  []reason
	Lang     string // the text's language shown (kk or ru)
	Text     string
	TextSHA  string
	Other    string // the other language to switch to
	Pending  bool
	Sign     web.Sign
	Evidence bool
	Verify   string // the command that checks the evidence offline
	Signed   bool
	CMS      string // PEM of the kept signature
	SignedAt time.Time
	Archive  bool // the archive takes EDS agreements
}

// textLang picks the language of the text: the one asked for (?text=), else the
// page's when it is kk or ru, else Russian.
func textLang(r *http.Request, pageLang string) string {
	if l := r.FormValue("text"); l == "kk" || l == "ru" {
		return l
	}
	if pageLang == "kk" {
		return "kk"
	}
	return "ru"
}

func (a *area) open(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	c, err := a.cfg.Confirmations.ForSubject(r.Context(), sess.Citizen.Ref(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	return a.render(w, r, p, c, textLang(r, p.Lang), http.StatusOK)
}

func (a *area) render(w http.ResponseWriter, r *http.Request, p *web.Page, c *confirm.Confirmation, lang string, status int) error {
	if c.Lang != "" {
		lang = c.Lang // answered: the text she answered
	}
	d := requestData{C: c, Party: a.party(r.Context(), c.Org), Method: "confirm.method." + c.Method, State: "confirm.state." + c.State,
		Reasons: Reasons(p.Lang, c.Decision.Reasons), Lang: lang, Text: c.Text[lang], TextSHA: c.TextSHA256[lang],
		Pending: c.State == confirm.StatePending, Archive: a.cfg.Archive}
	d.Other = map[string]string{"kk": "ru", "ru": "kk"}[lang]
	if d.Pending && c.Method == policy.EDS {
		// The browser signing component: NCALayer asked for the citizen's own key and a
		// signature time-stamp (confirm requires CAdES-T), or the pasted signature.
		sg := web.Sign{How: "confirm.sign.how", TextID: "confirm-text", Text: d.Text, TextLang: lang, Label: "confirm.sign.cms", TimeStamp: true}
		if p.Session != nil && p.Session.Citizen != nil {
			sg.IIN = p.Session.Citizen.IIN
		}
		d.Sign = a.s.Signer(p, sg)
	}
	if c.AnswerEvent != 0 && (c.Method == policy.Push || c.State == confirm.StateDeclined) {
		d.Evidence = true
		d.Verify = VerifyCommand(evidenceName(c.ID), strings.TrimSuffix(a.cfg.PublicURL, "/"))
	}
	if c.State == confirm.StateConfirmed && c.Method == policy.EDS {
		ag, err := a.cfg.Confirmations.Agreement(r.Context(), c)
		if err != nil {
			return err
		}
		d.Signed, d.SignedAt = true, ag.SignedAt
		d.CMS = pemCMS(ag.CMS)
	}
	p.Data = d
	return a.s.Render(w, r, status, requestV, p)
}

func pemCMS(b64 string) string {
	var b strings.Builder
	b.WriteString("-----BEGIN CMS-----\n")
	for len(b64) > 64 {
		b.WriteString(b64[:64] + "\n")
		b64 = b64[64:]
	}
	b.WriteString(b64 + "\n-----END CMS-----\n")
	return b.String()
}

// answer: confirm or decline without a signature.
func (a *area) answer(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id, lang := r.PathValue("id"), r.PostFormValue("lang")
	ans := confirm.Answer{Decision: r.PostFormValue("decision"), Lang: lang, TextSHA256: r.PostFormValue("text_sha256")}
	c, err := a.cfg.Confirmations.Respond(r.Context(), a.answerer(sess), id, ans)
	if err != nil {
		return a.formError(w, r, sess, id, lang, err)
	}
	p := a.s.Page(w, r, sess)
	p.Notice = "confirm.done." + c.State
	return a.render(w, r, p, c, lang, http.StatusOK)
}

// sign: an EDS confirmation, the CMS pasted (or given by the browser component).
func (a *area) sign(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id, lang := r.PathValue("id"), r.PostFormValue("lang")
	c, err := a.cfg.Confirmations.Sign(r.Context(), a.answerer(sess), id, lang, r.PostFormValue("text_sha256"), web.SignedCMS(r))
	if err != nil {
		return a.formError(w, r, sess, id, lang, err)
	}
	p := a.s.Page(w, r, sess)
	p.Notice = "confirm.done.signed"
	return a.render(w, r, p, c, lang, http.StatusOK)
}

// formError shows the request again with the message of err, when the request is
// still hers to see; otherwise the error page.
func (a *area) formError(w http.ResponseWriter, r *http.Request, sess *identity.Session, id, lang string, err error) error {
	c, e := a.cfg.Confirmations.ForSubject(r.Context(), sess.Citizen.Ref(), id)
	if e != nil {
		return err
	}
	if lang != "kk" && lang != "ru" {
		lang = "ru"
	}
	p := a.s.Page(w, r, sess)
	pr := problem.From(err)
	if !i18n.Has(p.Lang, "error."+pr.Code) || pr.Status >= 500 {
		return err
	}
	p.Error = "error." + pr.Code
	return a.render(w, r, p, c, lang, pr.Status)
}

func (a *area) evidence(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	c, err := a.cfg.Confirmations.ForSubject(r.Context(), sess.Citizen.Ref(), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := a.cfg.Confirmations.Evidence(r.Context(), c)
	if err != nil {
		return err
	}
	var probe struct{ Format string }
	if json.Unmarshal(b, &probe) != nil {
		return errors.New("confirm: evidence is not JSON")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+evidenceName(c.ID)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(append(b, '\n'))
	return err
}

// evidenceName is the file name the evidence download saves.
func evidenceName(id string) string { return "senim-confirmation-" + id + ".json" }

// VerifyCommand is the command line that checks the evidence saved as file offline,
// with the keys of the Senim at public.
func VerifyCommand(file, public string) string {
	return "senim confirm verify " + file + " --jwks " + public + "/.well-known/jwks.json --log-key " + public + "/log/key"
}

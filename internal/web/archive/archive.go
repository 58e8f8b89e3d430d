// Package archive is the cabinet's "my archive" area: the electronic documents the
// citizen is a party of (owner or signer), each with its validation report in plain
// language, the signed content to download, and the container that verifies without
// Senim: ASiC-S by default, ASiC-E as well (rules DC-5, DC-6).
package archive

import (
	"context"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	dom "github.com/senimkz/senim/internal/archive"
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
	views        = web.NewViews(templateFS)
	listView     = views.Add("documents", "archive.title")
	documentView = views.Add("document", "archive.document.title")
	newView      = views.Add("new", "archive.new.title")
	writeView    = views.Add("write", "archive.sign.title")
	signView     = views.Add("sign", "archive.sign.check")
	uploadView   = views.Add("upload", "archive.upload.title")
)

// maxText bounds the text a citizen writes to sign here (the form carries it twice:
// typed, then with its signature).
const maxText = 64 << 10

// Archive is the archive as this area sees it (*archive.Service implements it).
type Archive interface {
	Ingest(ctx context.Context, owner, name string, content []byte, sigs [][]byte) (*dom.Summary, error)
	List(ctx context.Context, party, after string, limit int) (*dom.Page, error)
	Open(ctx context.Context, party, id string, export bool) (*dom.Document, *dom.Summary, error)
	Export(ctx context.Context, party, id, mimeType string) ([]byte, *dom.Summary, error)
	Check(ctx context.Context, d *dom.Document) (*dom.Report, error)
	Import(ctx context.Context, owner string, container []byte) (*dom.Summary, error)
	Actions(ctx context.Context, party, id string) ([]dom.Action, error)
}

// Organizations names the organisations that acted on a document.
type Organizations interface {
	Organizations(ctx context.Context) ([]identity.Organization, error)
}

// Config configures the area.
type Config struct {
	Archive Archive
	// Roots are the root certificates the archive verifies with, offered as
	// senim-roots.pem for the offline check the document page shows (`senim eds verify
	// --ca senim-roots.pem ...`, VerifyCommand).
	Roots []*x509.Certificate
	Now   func() time.Time // default time.Now
	// Organizations names an organisation in the document's history (optional: by BIN).
	Organizations Organizations
}

type area struct {
	s     *web.Shell
	a     Archive
	roots []byte // PEM
	orgs  Organizations
	now   func() time.Time
}

// Mount adds the area's pages and its menu entry to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Archive == nil {
		return errors.New("archive: an Archive is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, a: cfg.Archive, now: cfg.Now, orgs: cfg.Organizations}
	for _, c := range cfg.Roots {
		a.roots = append(a.roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if a.now == nil {
		a.now = time.Now
	}
	s.Handle("GET /archive", web.Citizen(a.list))
	s.Handle("GET /archive/new", web.Citizen(a.newForm))
	s.Handle("POST /archive/new", web.Form(web.Citizen(a.store)))
	s.Handle("GET /archive/upload", web.Citizen(a.uploadForm))
	s.Handle("POST /archive/upload", web.Upload(web.Citizen(a.upload), maxUpload))
	s.Handle("POST /archive/import", web.Upload(web.Citizen(a.importContainer), maxUpload))
	s.Handle("GET /archive/sign", web.Citizen(a.writeForm))
	s.Handle("POST /archive/sign", web.Form(web.Citizen(a.review)))
	s.Handle("POST /archive/sign/store", web.Form(web.Citizen(a.storeSigned)))
	s.Handle("POST /archive/sign/mobile", web.Form(web.Citizen(a.signMobile)))
	s.Handle("GET /archive/{id}", web.Citizen(a.document))
	s.Handle("GET /archive/{id}/content", web.Download(a.content))
	s.Handle("GET /archive/{id}/container.asics", web.Download(a.containerS))
	s.Handle("GET /archive/{id}/container.asice", web.Download(a.container))
	s.Handle("GET /archive/roots.pem", web.Download(a.rootsPEM))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/archive", ID: "nav-archive", Key: "nav.archive"})
	return nil
}

// list shows the citizen's documents a page at a time, newest first; a link leads to
// the older ones.
func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	after := r.URL.Query().Get("after")
	page, err := a.a.List(r.Context(), sess.Citizen.Ref(), after, 0)
	if err != nil {
		return dom.Problem(err)
	}
	p := a.s.Page(w, r, sess)
	p.Data = listPage{Page: page, Older: after != ""}
	return a.s.Render(w, r, http.StatusOK, listView, p)
}

// listPage is a page of "my archive": its documents, the cursor of the next, and
// whether it is not the first.
type listPage struct {
	*dom.Page
	Older bool
}

// storeForm is what the citizen typed into the "store a signed document" form.
type storeForm struct {
	Name, Text string
}

func (a *area) newForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	p.Data = storeForm{}
	return a.s.Render(w, r, http.StatusOK, newView, p)
}

// store archives a document the citizen signed (rule DC-6): the CMS pasted into the
// form (attached, or detached over the text typed exactly as signed). A signature that
// does not hold re-renders the form with its reason; nothing is stored then.
func (a *area) store(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	f := storeForm{Name: strings.TrimSpace(r.PostFormValue("name")), Text: r.PostFormValue("text")}
	p := a.s.Page(w, r, sess)
	p.Data = f
	sig := web.SignedCMS(r)
	if len(sig) == 0 {
		p.Fields = append(p.Fields, web.FieldError{ID: "cms", Key: "archive.new.cms_required"})
		return a.s.Invalid(w, r, newView, p)
	}
	var content []byte
	if f.Text != "" {
		content = []byte(f.Text)
	}
	// Without a name the archive names the document by its content: an attached
	// signature pasted here may hold a PDF, which "document.txt" made a text file.
	sum, err := a.a.Ingest(r.Context(), sess.Citizen.Ref(), f.Name, content, [][]byte{sig})
	if err != nil {
		return a.s.FormError(w, r, newView, p, dom.Problem(err))
	}
	http.Redirect(w, r, "/archive/"+sum.ID, http.StatusSeeOther)
	return nil
}

// signData is the "sign a document here" journey's page: what the citizen wrote and,
// once it is checked, the signing component over exactly that text.
type signData struct {
	Form storeForm
	Sign web.Sign
}

// readWritten reads and checks the name and text of the "sign here" form, marking the
// fields at fault on p.
func readWritten(r *http.Request, p *web.Page) storeForm {
	f := storeForm{Name: strings.TrimSpace(r.PostFormValue("name")), Text: r.PostFormValue("text")}
	if utf8.RuneCountInString(f.Name) > 120 {
		p.Invalid("name", "archive.sign.name_long")
	}
	switch {
	case strings.TrimSpace(f.Text) == "":
		p.Invalid("text", "archive.sign.text_required")
	case len(f.Text) > maxText || !utf8.ValidString(f.Text):
		p.Invalid("text", "archive.sign.text_long")
	}
	return f
}

func (a *area) writeForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	p.Data = signData{}
	return a.s.Render(w, r, http.StatusOK, writeView, p)
}

// signer is the signing component over the text f, for the citizen's own key only.
func (a *area) signer(p *web.Page, sess *identity.Session, f storeForm) web.Sign {
	return a.s.Signer(p, web.Sign{How: "archive.sign.how", Heading: "archive.sign.text", TextID: "archive-text", Text: f.Text,
		Label: "archive.sign.cms", IIN: sess.Citizen.IIN, Mobile: "/archive/sign/mobile"})
}

// review checks what the citizen wrote and shows it with the signing component: what is
// shown is exactly what is signed and stored.
func (a *area) review(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	f := readWritten(r, p)
	switch {
	case len(p.Fields) > 0:
		p.Data = signData{Form: f}
		return a.s.Invalid(w, r, writeView, p)
	case r.PostFormValue("edit") != "":
		p.Data = signData{Form: f}
		return a.s.Render(w, r, http.StatusOK, writeView, p)
	}
	p.Data = signData{Form: f, Sign: a.signer(p, sess, f)}
	return a.s.Render(w, r, http.StatusOK, signView, p)
}

// storeSigned archives the text with the citizen's signature over it (rule DC-6): the
// signature comes from NCALayer or eGov Mobile (both asked for the citizen's own key) or
// the paste field. Ingest checks that it is over this very text; a signature that does not hold shows the
// page again with its reason, and nothing is stored.
func (a *area) storeSigned(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	f := readWritten(r, p)
	if len(p.Fields) > 0 {
		p.Data = signData{Form: f}
		return a.s.Invalid(w, r, writeView, p)
	}
	p.Data = signData{Form: f, Sign: a.signer(p, sess, f)}
	sig := web.SignedCMS(r)
	if len(sig) == 0 {
		p.Fields = append(p.Fields, web.FieldError{ID: "cms", Key: "archive.new.cms_required"})
		return a.s.Invalid(w, r, signView, p)
	}
	sum, err := a.a.Ingest(r.Context(), sess.Citizen.Ref(), f.Name, []byte(f.Text), [][]byte{sig})
	if err != nil {
		return a.s.FormError(w, r, signView, p, dom.Problem(err))
	}
	http.Redirect(w, r, "/archive/"+sum.ID, http.StatusSeeOther)
	return nil
}

// signMobile asks eGov Mobile for the citizen's signature of the text the form holds;
// only the citizen's own signature comes back.
func (a *area) signMobile(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	f := readWritten(r, p)
	if len(p.Fields) > 0 {
		return problem.Field(p.Fields[0].ID, "invalid")
	}
	return a.s.StartMobile(w, r, f.Text, "archive.sign.mobile_description", sess.Citizen.IIN, false)
}

// open returns a document the citizen is a party of; any other is not found.
func (a *area) open(r *http.Request, sess *identity.Session, export bool) (*dom.Document, *dom.Summary, error) {
	d, sm, err := a.a.Open(r.Context(), sess.Citizen.Ref(), r.PathValue("id"), export)
	if errors.Is(err, dom.ErrNotFound) {
		return nil, nil, problem.NotFound
	}
	return d, sm, err
}

// signerRow is a signer in the report, with its verdict in the page's language.
type signerRow struct {
	Name string
	// Org and BIN name the legal entity a signer signed for; empty for an individual.
	Org, BIN string
	SignedAt *time.Time // nil: not proven
	Valid    bool
	Reasons  []string
}

type documentPage struct {
	Summary  *dom.Summary
	Report   dom.ReportView
	Signers  []signerRow
	Problems []string // reasons that concern the whole document
	// Simple is true when the document has an ASiC-S form, the default download; the
	// ASiC-E is offered as well.
	Simple bool
	// History is what was done with the document, oldest first (rule DC-6).
	History []actionRow
	// Verify is the command that checks the default container offline, with the roots
	// of senim-roots.pem; empty when the archive has no roots to offer.
	Verify string
}

// actionRow is one line of the document's history: when, what (translated), and who —
// the citizen herself, another citizen party, or an organisation by name.
type actionRow struct {
	At    time.Time
	Label string
	Actor string
	Org   web.Party
}

// history is the document's history for the citizen, each organisation named.
func (a *area) history(r *http.Request, sess *identity.Session, lang, id string) ([]actionRow, error) {
	acts, err := a.a.Actions(r.Context(), sess.Citizen.Ref(), id)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if a.orgs != nil && len(acts) > 0 {
		orgs, err := a.orgs.Organizations(r.Context())
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			names[o.BIN] = o.NameIn(lang)
		}
	}
	out := make([]actionRow, 0, len(acts))
	for _, ac := range acts {
		row := actionRow{At: ac.At, Label: i18n.T(lang, "archive.history."+ac.Type)}
		kind, bin, _ := strings.Cut(ac.Actor, ":")
		switch {
		case ac.Actor == sess.Citizen.Ref():
			row.Actor = i18n.T(lang, "archive.history.you")
		case kind == "org":
			row.Org = web.Party{Name: names[bin], BIN: bin}
		case kind == "citizen":
			row.Actor = i18n.T(lang, "archive.history.citizen")
		default:
			row.Actor = i18n.T(lang, "archive.history.system")
		}
		out = append(out, row)
	}
	return out, nil
}

// RootsFile is the name the archive's roots download under.
const RootsFile = "senim-roots.pem"

// VerifyCommand is the offline check of the container of document id as the cabinet
// downloads it (senim-document-<id>.asics or .asice), against the archive's roots saved
// as RootsFile. The file name never begins with "-", so no id reads as a flag.
func VerifyCommand(id string, simple bool) string {
	ext := ".asice"
	if simple {
		ext = ".asics"
	}
	return "senim eds verify --ca " + RootsFile + " senim-document-" + id + ext
}

// rootsPEM sends the archive's roots, the --ca of VerifyCommand: public certificates.
func (a *area) rootsPEM(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	if len(a.roots) == 0 {
		return problem.NotFound
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": RootsFile}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(a.roots)
	return err
}

// reason returns the plain-language text of an error code. unproven says that nothing
// proves when the signature was made (no valid signature time-stamp): its certificate
// was then checked at the time of the check, and a reason that would say "when the
// document was signed" has its own wording.
func reason(lang, code string, unproven bool) string {
	if k := "archive.reason.unproven." + code; unproven && i18n.Has(lang, k) {
		return i18n.T(lang, k)
	}
	if k := "archive.reason." + code; i18n.Has(lang, k) {
		return i18n.T(lang, k)
	}
	return i18n.T(lang, "archive.reason.other")
}

func (a *area) document(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	d, sm, err := a.open(r, sess, false)
	if err != nil {
		return err
	}
	rep, err := a.a.Check(r.Context(), d)
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	v := rep.View()
	dp := documentPage{Summary: sm, Report: v, Simple: d.HasASiCS()}
	if len(a.roots) > 0 {
		dp.Verify = VerifyCommand(sm.ID, dp.Simple)
	}
	if dp.History, err = a.history(r, sess, p.Lang, sm.ID); err != nil {
		return dom.Problem(err)
	}
	for _, s := range v.Signers {
		row := signerRow{Name: s.Name, Org: s.Organization, BIN: s.BIN, SignedAt: s.SignedAt, Valid: s.Valid}
		for _, c := range s.Codes {
			row.Reasons = append(row.Reasons, reason(p.Lang, c, s.SignedAt == nil))
		}
		dp.Signers = append(dp.Signers, row)
	}
	for _, c := range v.Codes {
		dp.Problems = append(dp.Problems, reason(p.Lang, c, false))
	}
	p.Data = dp
	return a.s.Render(w, r, http.StatusOK, documentView, p)
}

// content sends the signed content exactly as it was signed, as an attachment (never
// rendered by the browser: it is whatever the signers signed).
func (a *area) content(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	d, sm, err := a.open(r, sess, true)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": dom.FileName(sm.Name, d.Content)}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(d.Content)
	return err
}

func (a *area) container(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.export(w, r, sess, dom.MimeTypeASiCE)
}

func (a *area) containerS(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	return a.export(w, r, sess, dom.MimeTypeASiCS)
}

func (a *area) export(w http.ResponseWriter, r *http.Request, sess *identity.Session, mimeType string) error {
	b, sm, err := a.a.Export(r.Context(), sess.Citizen.Ref(), r.PathValue("id"), mimeType)
	switch {
	case errors.Is(err, dom.ErrNotFound), errors.Is(err, dom.ErrNotSimple):
		// A document without an ASiC-S form: the page links its ASiC-E; the address
		// was typed. Nothing was exported, and the history does not say it was.
		return problem.NotFound
	case err != nil:
		return err
	}
	dom.ServeContainer(w, sm.ID, mimeType, b)
	return nil
}

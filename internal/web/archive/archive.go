// Package archive is the cabinet's "my documents" area: the electronic documents the
// citizen is a party of (owner or signer), each with its validation report in plain
// language, the signed content to download, and the ASiC-E container that verifies
// without Senim (rules DC-5, DC-6).
package archive

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

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
)

// Archive is the archive as this area sees it (*archive.Service implements it).
type Archive interface {
	List(ctx context.Context, party string) ([]dom.Summary, error)
	Open(ctx context.Context, party, id string, export bool) (*dom.Document, *dom.Summary, error)
	Check(ctx context.Context, d *dom.Document) (*dom.Report, error)
}

// Config configures the area.
type Config struct {
	Archive Archive
	Now     func() time.Time // default time.Now
}

type area struct {
	s   *web.Shell
	a   Archive
	now func() time.Time
}

// Mount adds the area's pages and its menu entry to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Archive == nil {
		return errors.New("archive: an Archive is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, a: cfg.Archive, now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	s.Handle("GET /documents", web.Citizen(a.list))
	s.Handle("GET /documents/{id}", web.Citizen(a.document))
	s.Handle("GET /documents/{id}/content", web.Download(a.content))
	s.Handle("GET /documents/{id}/container.asice", web.Download(a.container))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/documents", ID: "nav-documents", Key: "nav.documents"})
	return nil
}

func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	docs, err := a.a.List(r.Context(), sess.Citizen.Ref())
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = docs
	return a.s.Render(w, r, http.StatusOK, listView, p)
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
	Name     string
	SignedAt time.Time
	Valid    bool
	Reasons  []string
}

type documentPage struct {
	Summary  *dom.Summary
	Report   dom.ReportView
	Signers  []signerRow
	Problems []string // reasons that concern the whole document
}

// reason returns the plain-language text of an error code.
func reason(lang, code string) string {
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
	dp := documentPage{Summary: sm, Report: v}
	for _, s := range v.Signers {
		row := signerRow{Name: s.Name, SignedAt: s.SignedAt, Valid: s.Valid}
		for _, c := range s.Codes {
			row.Reasons = append(row.Reasons, reason(p.Lang, c))
		}
		dp.Signers = append(dp.Signers, row)
	}
	for _, c := range v.Codes {
		dp.Problems = append(dp.Problems, reason(p.Lang, c))
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
	name := sm.Name
	if strings.ContainsAny(name, "\"\\/\r\n") {
		name = "document.bin"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(d.Content)
	return err
}

func (a *area) container(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	d, sm, err := a.open(r, sess, true)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := dom.WriteASiCE(&buf, d, a.now()); err != nil {
		return err
	}
	dom.ServeContainer(w, sm.ID, buf.Bytes())
	return nil
}

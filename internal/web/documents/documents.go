// Package documents is the cabinet's digital documents area (rules DD-1 to DD-6): the
// owner's documents, each formed from its reference source when shown; opening access
// to one (a QR code and a short code with a countdown, which the owner can cancel);
// the verifier's page, which scans the QR code with the device's camera and decodes it
// in the browser (jsQR, vendored in assets/) or takes the typed code, and shows the
// live document with a live seal; and both parties' lists of views with the signed
// "digital information" record to download. The rules are internal/docs's; this
// package decodes, asks and renders.
package documents

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed catalog/*.json
var catalogFS embed.FS

//go:embed assets/jsQR-1.4.0.js assets/documents.css
var assetFS embed.FS

// catalog is the area's messages, merged into the catalogs at start-up.
var catalog = web.Messages(catalogFS)

var (
	views     = web.NewViews(templateFS)
	listV     = views.Add("documents", "docs.title")
	documentV = views.Add("document", "docs.document.title")
	shareV    = views.Add("share", "docs.share.title", web.Needs{Script: true})
	verifyV   = views.Add("verify", "docs.verify.title", web.Needs{Script: true, Camera: true})
	viewV     = views.Add("view", "docs.view.title", web.Needs{Script: true, Connect: []string{"'self'"}})
)

// Documents is the documents domain as this area sees it (docs.Service).
type Documents interface {
	Types() *docs.Types
	Lifetime() time.Duration
	Now() time.Time
	Form(ctx context.Context, iin, kind string) (*docs.Document, error)
	Holdings(ctx context.Context, iin string) ([]*docs.Type, error)
	Open(ctx context.Context, o docs.Owner, kind string) (*docs.Opened, error)
	Share(ctx context.Context, owner, id string) (*docs.Share, error)
	Shares(ctx context.Context, owner string) ([]docs.Share, error)
	Cancel(ctx context.Context, owner, id string) error
	Redeem(ctx context.Context, v docs.Verifier, sec docs.Secret) (*docs.View, error)
	ViewsAsOwner(ctx context.Context, owner string) ([]docs.Viewed, error)
	ViewsAsVerifier(ctx context.Context, subject string) ([]docs.Viewed, error)
	Seal(ctx context.Context, verifier, id string) (*docs.Seal, error)
	Information(ctx context.Context, subject, id string) ([]byte, error)
}

// Config configures the area.
type Config struct {
	Docs Documents
	// OrgName names an organisation by BIN (an employee verifier's employer); optional.
	OrgName func(ctx context.Context, bin string) string
	// PublicURL is where Senim is reached: the hint's command fetches its JWK set and the
	// audit log's key from there.
	PublicURL string
}

type area struct {
	s      *web.Shell
	cfg    Config
	assets map[string]asset
}

type asset struct {
	body  []byte
	ctype string
}

// Asset names, content-hashed so they can be cached for ever.
var jsQRName, cssName string

// Mount adds the area's pages to the shell.
func Mount(s *web.Shell, cfg Config) error {
	if cfg.Docs == nil {
		return errors.New("documents: Docs is required")
	}
	if err := s.Parse(views); err != nil {
		return err
	}
	a := &area{s: s, cfg: cfg, assets: map[string]asset{}}
	for _, f := range []struct{ file, ctype string }{{"jsQR-1.4.0.js", "text/javascript; charset=utf-8"}, {"documents.css", "text/css; charset=utf-8"}} {
		b, err := assetFS.ReadFile("assets/" + f.file)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		dot := strings.LastIndex(f.file, ".")
		name := f.file[:dot] + "." + hex.EncodeToString(sum[:6]) + f.file[dot:]
		a.assets[name] = asset{b, f.ctype}
		if strings.HasPrefix(f.file, "jsQR") {
			jsQRName = name
		} else {
			cssName = name
		}
	}
	s.Handle("GET /documents", web.Citizen(a.list))
	s.Handle("GET /documents/mine/{kind}", web.Citizen(a.mine))
	s.Handle("POST /documents/shares", web.Form(web.Citizen(a.open)))
	s.Handle("GET /documents/shares/{id}", web.Citizen(a.share))
	s.Handle("POST /documents/shares/{id}/cancel", web.Form(web.Citizen(a.cancel)))
	s.Handle("GET /documents/verify", web.Citizen(a.verifyPage))
	s.Handle("POST /documents/verify", web.Form(web.Citizen(a.verify)))
	s.Handle("GET /documents/views/{id}/seal", web.Citizen(a.seal))
	s.Handle("GET /documents/views/{id}/information.json", web.Download(a.information))
	s.Handle("GET /documents/assets/{file}", web.Public(a.asset))
	s.Nav(web.NavItem{Place: web.NavMain, Href: "/documents", ID: "nav-documents", Key: "nav.documents"})
	return nil
}

func (a *area) asset(w http.ResponseWriter, r *http.Request, _ *identity.Session) error {
	f, ok := a.assets[r.PathValue("file")]
	if !ok {
		return docs.ErrNotYours
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(f.body)
	return err
}

func owner(sess *identity.Session) docs.Owner {
	return docs.Owner{Ref: sess.Citizen.Ref(), IIN: sess.Citizen.IIN, Name: sess.Citizen.Name}
}

// verifier is the session as a verifier (DD-3): an employee when their EDS
// certificate named an organisation, else a citizen.
func (a *area) verifier(r *http.Request, sess *identity.Session) docs.Verifier {
	if sess.OrgBIN != "" {
		v := docs.Verifier{Subject: sess.Citizen.Ref(), Kind: docs.VerifierEmployee, IIN: sess.Citizen.IIN, BIN: sess.OrgBIN}
		if a.cfg.OrgName != nil {
			v.Name = a.cfg.OrgName(r.Context(), sess.OrgBIN)
		}
		if v.Name != "" {
			v.Name = sess.Citizen.Name + ", " + v.Name
		} else {
			v.Name = sess.Citizen.Name
		}
		return v
	}
	return docs.Verifier{Subject: sess.Citizen.Ref(), Kind: docs.VerifierCitizen, IIN: sess.Citizen.IIN, Name: sess.Citizen.Name}
}

// Rows of the pages.
type (
	kindRow  struct{ Kind, Title string }
	shareRow struct {
		ID, Title, State string
		Created, Expires time.Time
		Used             bool
	}
	viewRow struct {
		ID, Title, Who, WhoBIN string
		At                     time.Time
	}
	fieldRow struct{ Label, Value string }
	docData  struct {
		Title    string
		Fields   []fieldRow
		FormedAt time.Time
	}
	listData struct {
		Kinds            []kindRow
		KindsShort       bool // the source failed for some kind: the list may be short
		Shares           []shareRow
		Mine, AsVerifier []viewRow
		CSS              string
		Verify           string // the command that checks a downloaded record offline
	}
)

func (a *area) title(kind string, version int, lang string) string {
	if t := a.cfg.Docs.Types().Get(kind, version); t != nil {
		return t.Title.In(lang)
	}
	return kind
}

func (a *area) docData(d *docs.Document, lang string) docData {
	out := docData{Title: d.Type.Title.In(lang), FormedAt: d.FormedAt}
	for _, f := range d.Type.Layout {
		out.Fields = append(out.Fields, fieldRow{f.Label.In(lang), d.Fields[f.Key]})
	}
	return out
}

func (a *area) list(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	ctx := r.Context()
	d := listData{CSS: cssName}
	held, err := a.cfg.Docs.Holdings(ctx, sess.Citizen.IIN)
	switch {
	case errors.Is(err, docs.ErrSourceDown):
		d.KindsShort = true
	case err != nil:
		return err
	}
	for _, t := range held {
		d.Kinds = append(d.Kinds, kindRow{t.Kind, t.Title.In(p.Lang)})
	}
	shares, err := a.cfg.Docs.Shares(ctx, sess.Citizen.Ref())
	if err != nil {
		return err
	}
	for _, sh := range shares {
		d.Shares = append(d.Shares, shareRow{ID: sh.ID, Title: a.title(sh.Kind, sh.Version, p.Lang), State: sh.State,
			Created: sh.CreatedAt, Expires: sh.ExpiresAt, Used: sh.Verifier != ""})
	}
	mine, err := a.cfg.Docs.ViewsAsOwner(ctx, sess.Citizen.Ref())
	if err != nil {
		return err
	}
	for _, v := range mine {
		d.Mine = append(d.Mine, viewRow{ID: v.ID, Title: a.title(v.Kind, v.Version, p.Lang), Who: v.VerifierName, WhoBIN: v.VerifierBIN, At: v.ViewedAt})
	}
	seen, err := a.cfg.Docs.ViewsAsVerifier(ctx, sess.Citizen.Ref())
	if err != nil {
		return err
	}
	for _, v := range seen {
		d.AsVerifier = append(d.AsVerifier, viewRow{ID: v.ID, Title: a.title(v.Kind, v.Version, p.Lang), At: v.ViewedAt})
	}
	pub := strings.TrimSuffix(a.cfg.PublicURL, "/")
	d.Verify = "senim docs verify FILE --jwks " + pub + "/.well-known/jwks.json --key " + pub + "/log/key"
	p.Data = d
	return a.s.Render(w, r, http.StatusOK, listV, p)
}

// mine shows the owner their own document, formed now (DC-7).
func (a *area) mine(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	d, err := a.cfg.Docs.Form(r.Context(), sess.Citizen.IIN, r.PathValue("kind"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = struct {
		Doc       docData
		Kind, CSS string
	}{a.docData(d, p.Lang), d.Type.Kind, cssName}
	w.Header().Set("Cache-Control", "no-store")
	return a.s.Render(w, r, http.StatusOK, documentV, p)
}

type shareData struct {
	ID, Title, State string
	Expires          time.Time
	Remaining        int64 // seconds, by the server's clock
	Used             bool
	// Only on the page that opens the share: the secrets, never stored.
	Code     string
	QR       template.HTML
	PNG      template.URL // data: URL of the PNG, made here
	Lifetime string
	CSS      string
}

// open opens access to a document (DD-2, DD-5) and shows the QR code and the short
// code once: the service keeps only their hashes, so this page is the only place
// they exist.
func (a *area) open(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	op, err := a.cfg.Docs.Open(r.Context(), owner(sess), r.PostFormValue("kind"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	qr, err := docs.NewQR(op.URL)
	if err != nil {
		return err
	}
	png, err := qr.PNG(8)
	if err != nil {
		return err
	}
	d := a.shareData(op.Share, p.Lang)
	d.Code = op.Code[:len(op.Code)/2] + " " + op.Code[len(op.Code)/2:]
	d.QR = template.HTML(qr.SVG(d.Title)) // drawn by docs.QR from modules and an escaped title
	d.PNG = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	p.Data = d
	w.Header().Set("Cache-Control", "no-store")
	return a.s.Render(w, r, http.StatusOK, shareV, p)
}

func (a *area) shareData(sh *docs.Share, lang string) shareData {
	return shareData{ID: sh.ID, Title: a.title(sh.Kind, sh.Version, lang), State: sh.State, Expires: sh.ExpiresAt,
		Remaining: int64(max(0, sh.ExpiresAt.Sub(a.cfg.Docs.Now()).Seconds())), Used: sh.Verifier != "", Lifetime: a.cfg.Docs.Lifetime().String(), CSS: cssName}
}

func (a *area) share(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	sh, err := a.cfg.Docs.Share(r.Context(), sess.Citizen.Ref(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := a.s.Page(w, r, sess)
	p.Data = a.shareData(sh, p.Lang)
	return a.s.Render(w, r, http.StatusOK, shareV, p)
}

func (a *area) cancel(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id := r.PathValue("id")
	if err := a.cfg.Docs.Cancel(r.Context(), sess.Citizen.Ref(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/documents/shares/"+id+web.LangQuery(r), http.StatusSeeOther)
	return nil
}

// verifyData is the verifier's form: Code is what they typed, kept when it is refused.
type verifyData struct{ JS, CSS, Code string }

func (a *area) verifyPage(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	p.Data = verifyData{JS: jsQRName, CSS: cssName}
	return a.s.Render(w, r, http.StatusOK, verifyV, p)
}

// verify redeems the scanned token or the typed code (DD-3) and shows the live
// document with its live seal (DD-1); the view is recorded for both parties (DD-4).
func (a *area) verify(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	var sec docs.Secret
	tok, code := strings.TrimSpace(r.PostFormValue("token")), strings.TrimSpace(r.PostFormValue("code"))
	switch {
	case tok != "":
		sec = docs.ParseSecret(tok)
		if sec.Token == "" {
			sec = docs.Secret{Token: "-"}
		}
	case code != "":
		sec = docs.Secret{Code: docs.NormalizeCode(code)}
	}
	p := a.s.Page(w, r, sess)
	p.Data = verifyData{JS: jsQRName, CSS: cssName, Code: code}
	if sec == (docs.Secret{}) {
		p.Invalid("code", "docs.verify.code.missing")
		return a.s.Invalid(w, r, verifyV, p)
	}
	v, err := a.cfg.Docs.Redeem(r.Context(), a.verifier(r, sess), sec)
	if err != nil {
		// A refused code comes back in the form, the reason next to it, to be
		// corrected; a refused QR token is said above the form.
		if key := "error." + problem.From(err).Code; sec.Code != "" && i18n.Has(p.Lang, key) {
			p.Invalid("code", key)
		}
		return a.s.FormError(w, r, verifyV, p, err)
	}
	p.Data = struct {
		Doc    docData
		ViewID string
		Until  time.Time
		CSS    string
	}{a.docData(v.Document, p.Lang), v.ID, v.Share.ExpiresAt, cssName}
	w.Header().Set("Cache-Control", "no-store")
	return a.s.Render(w, r, http.StatusOK, viewV, p)
}

// seal answers the verifier page's refresh of the live seal (JSON).
func (a *area) seal(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	s, err := a.cfg.Docs.Seal(r.Context(), sess.Citizen.Ref(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	lang := i18n.Negotiate(r, web.CookieLang, sess.Citizen.Lang)
	return json.NewEncoder(w).Encode(map[string]any{"now": s.Now.UnixMilli(), "live": s.Live, "word": s.Word, "hue": s.Hue,
		"time": i18n.Date(lang, s.Now) + ", " + s.Now.In(i18n.Zone).Format("15:04:05")})
}

func (a *area) information(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	id := r.PathValue("id")
	b, err := a.cfg.Docs.Information(r.Context(), sess.Citizen.Ref(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="senim-digital-information-`+id+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(append(b, '\n'))
	return err
}

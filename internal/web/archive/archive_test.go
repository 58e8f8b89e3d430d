package archive

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"html"
	"html/template"
	"math/big"
	"mime"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	dom "github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web/webtest"
)

var t0 = time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)

// fakeArchive holds one document whose parties are citizen:1 and citizen:2.
type fakeArchive struct {
	asked  []string
	report *dom.Report
	// twoFiles makes the document two signature files under an evidence record: no
	// ASiC-S form.
	twoFiles bool
	// paged makes the list two pages.
	paged    bool
	stored   []stored
	exported int // the exports recorded (archive.document.exported)
	actions  []dom.Action
}

// Actions is the document's history for its parties; ErrNotFound for anyone else.
func (f *fakeArchive) Actions(_ context.Context, p, id string) ([]dom.Action, error) {
	if id != "d1" || p != "citizen:1" && p != "citizen:2" {
		return nil, dom.ErrNotFound
	}
	return f.actions, nil
}

// fakeOrgs names the bank.
type fakeOrgs struct{}

func (fakeOrgs) Organizations(context.Context) ([]identity.Organization, error) {
	return []identity.Organization{{BIN: "900140000009", Name: "Bank", Names: identity.Names{KK: "Банк ҚК", RU: "Банк РУ", EN: "Bank EN"}}}, nil
}

type stored struct {
	owner, name string
	content     []byte
	sig         []byte
	sigs        [][]byte
}

// Ingest refuses the documents named "invalid" (a signature that does not hold) and
// "junk" (not a CMS at all).
func (f *fakeArchive) Ingest(_ context.Context, owner, name string, content []byte, sigs [][]byte) (*dom.Summary, error) {
	switch name {
	case "invalid":
		return nil, dom.ErrSignatureInvalid
	case "junk":
		return nil, dom.ErrBadCMS
	case "revoked":
		return nil, fmt.Errorf("%w: %w", dom.ErrSignatureInvalid, pki.ErrRevoked)
	}
	f.stored = append(f.stored, stored{owner, name, content, sigs[0], sigs})
	return &dom.Summary{ID: "d2"}, nil
}

// Import refuses the containers "bomb" (expands too far) and "traversal" (a bad entry
// name).
func (f *fakeArchive) Import(_ context.Context, owner string, container []byte) (*dom.Summary, error) {
	switch string(container) {
	case "bomb":
		return nil, dom.ErrContainerBomb
	case "traversal":
		return nil, dom.ErrContainerPath
	}
	f.stored = append(f.stored, stored{owner: owner, name: "imported", content: container})
	return &dom.Summary{ID: "d3"}, nil
}

var doc = dom.Summary{ID: "d1", Name: "Договор займа №1", Size: 5, ContentSHA256: strings.Repeat("ab", 32), Signatures: 1, Sealed: true, CreatedAt: t0}

func party(p string) bool { return p == "citizen:1" || p == "citizen:2" }

// List gives the parties doc; with paged, a second page after it holds an older one.
func (f *fakeArchive) List(_ context.Context, p, after string, _ int) (*dom.Page, error) {
	f.asked = append(f.asked, p)
	switch {
	case !party(p) && after == "":
		return &dom.Page{}, nil
	case !party(p) || (after != "" && (after != doc.ID || !f.paged)):
		return nil, dom.ErrCursor
	case after == doc.ID:
		return &dom.Page{Documents: []dom.Summary{older}}, nil
	case f.paged:
		return &dom.Page{Documents: []dom.Summary{doc}, Next: doc.ID}, nil
	}
	return &dom.Page{Documents: []dom.Summary{doc}}, nil
}

var older = dom.Summary{ID: "d0", Name: "older.txt", Size: 5, ContentSHA256: strings.Repeat("cd", 32), Signatures: 1, CreatedAt: t0.AddDate(0, -1, 0)}

// Open records an export as the service does: before returning the document.
func (f *fakeArchive) Open(ctx context.Context, p, id string, export bool) (*dom.Document, *dom.Summary, error) {
	d, sm, err := f.load(ctx, p, id)
	if err == nil && export {
		f.exported++
	}
	return d, sm, err
}

func (f *fakeArchive) load(_ context.Context, p, id string) (*dom.Document, *dom.Summary, error) {
	f.asked = append(f.asked, p)
	if !party(p) || id != doc.ID {
		return nil, nil, dom.ErrNotFound
	}
	sm := doc
	if f.twoFiles {
		return &dom.Document{Name: doc.Name, Content: []byte("hello"), Signatures: [][]byte{{0x30, 0}, {0x30, 0}}, Evidence: []byte{0x30, 0}}, &sm, nil
	}
	return &dom.Document{Name: doc.Name, Content: []byte("hello"), Signatures: [][]byte{{0x30, 0}}}, &sm, nil
}

// Export writes the container as the service does, refusing an ASiC-S the document has
// no form for (ErrNotSimple), and records the export once the container is made.
func (f *fakeArchive) Export(ctx context.Context, p, id, mimeType string) ([]byte, *dom.Summary, error) {
	d, sm, err := f.load(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	write := dom.WriteASiCE
	if mimeType == dom.MimeTypeASiCS {
		write = dom.WriteASiCS
	}
	var buf bytes.Buffer
	if err := write(&buf, d, t0); err != nil {
		return nil, nil, err
	}
	f.exported++
	return buf.Bytes(), sm, nil
}

func (f *fakeArchive) Check(context.Context, *dom.Document) (*dom.Report, error) {
	return f.report, nil
}

// report makes a report with one signer failing with each error given (valid without).
func report(errs ...error) *dom.Report {
	s := cms.SignerResult{CertInfo: &pki.CertInfo{Subject: pki.Subject{CommonName: "ТЕСТОВ ТЕСТ"}}, Valid: len(errs) == 0, Errors: errs,
		TimeStamp: &cms.TimeStampInfo{Valid: true, GenTime: t0}}
	ev := &dom.RecordResult{Valid: len(errs) == 0, Time: t0.Add(time.Hour), Until: t0.AddDate(10, 0, 0)}
	if len(errs) > 0 {
		ev.Err = dom.ErrGap
	}
	return &dom.Report{At: t0.AddDate(9, 0, 0), Valid: len(errs) == 0, Evidence: ev,
		Signatures: []dom.SignatureReport{{Result: &cms.Result{Signers: []cms.SignerResult{s}, Valid: s.Valid}}}}
}

func mount(t *testing.T) (*webtest.Harness, *fakeArchive) {
	t.Helper()
	h := webtest.New(t)
	f := &fakeArchive{report: report()}
	if err := Mount(h.Shell, Config{Archive: f, Now: func() time.Time { return t0 }, Roots: []*x509.Certificate{testRoot(t)}, Organizations: fakeOrgs{}}); err != nil {
		t.Fatal(err)
	}
	return h, f
}

// testRoot is a self-signed CA certificate.
func testRoot(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test root"}, NotBefore: t0, NotAfter: t0.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The document page's offline check is a whole command — with --ca and the roots it
// names offered for download — not "senim eds verify" alone, which refuses a container
// without --ca (internal/app's checkVerifyHint runs it). The roots are for a citizen only.
func TestVerifyHint(t *testing.T) {
	h, _ := mount(t)
	c := h.Citizen("900101300001", "C")
	page := h.Get("/archive/d1?lang=en", c).Body.String()
	if !strings.Contains(page, `id="verify-command">senim eds verify --ca senim-roots.pem senim-document-d1.as`) || !strings.Contains(page, `href="/archive/roots.pem"`) {
		t.Fatalf("the page's offline check:\n%s", page)
	}
	w := h.Get("/archive/roots.pem", c)
	b, _ := pem.Decode(w.Body.Bytes())
	if w.Code != 200 || b == nil || b.Type != "CERTIFICATE" || !strings.Contains(w.Header().Get("Content-Disposition"), RootsFile) {
		t.Fatalf("roots: %d %q %q", w.Code, w.Header().Get("Content-Disposition"), w.Body.String())
	}
	if _, err := x509.ParseCertificate(b.Bytes); err != nil {
		t.Fatal(err)
	}
	if w := h.Get("/archive/roots.pem", nil); w.Code == 200 {
		t.Fatalf("roots without a session: %d", w.Code)
	}
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, f := mount(t)
	webtest.CheckGuards(t, h)
	if len(f.stored) != 0 {
		t.Errorf("a refused request stored %d documents", len(f.stored))
	}
	for _, p := range f.asked {
		if p != "citizen:1" && p != "citizen:2" {
			t.Errorf("a refused request read the archive as %q", p)
		}
	}
}

// rule DC-5, DC-6: a party sees the document, its report in plain words, the content
// as signed and the container; a citizen who is not a party sees nothing of it.
func TestDocuments(t *testing.T) {
	h, _ := mount(t)
	c := h.Citizen("900101300001", "Aigerim") // citizen:1
	page := h.Get("/archive?lang=en", c).Body.String()
	for _, want := range []string{`id="doc-d1"`, "Договор займа №1", `id="nav-archive"`, i18n.T("en", "archive.sealed")} {
		if !strings.Contains(page, want) {
			t.Errorf("list has no %q", want)
		}
	}
	page = h.Get("/archive/d1?lang=en", c).Body.String()
	for _, want := range []string{"ТЕСТОВ ТЕСТ", i18n.T("en", "archive.verdict.valid"), i18n.T("en", "archive.evidence.valid"), strings.Repeat("ab", 32),
		`href="/archive/d1/container.asics" download id="download-container"`, `href="/archive/d1/container.asice" download id="download-container-asice"`} {
		if !strings.Contains(page, want) {
			t.Errorf("document page has no %q", want)
		}
	}
	w := h.Get("/archive/d1/content", c)
	// Saved under the document's name, with the extension its content has (a phone
	// opens files by it).
	_, cd, _ := mime.ParseMediaType(w.Header().Get("Content-Disposition"))
	if w.Code != 200 || w.Body.String() != "hello" || w.Header().Get("Content-Type") != "application/octet-stream" ||
		cd["filename"] != "Договор займа №1.txt" {
		t.Errorf("content: %d %q %v", w.Code, w.Body, w.Header())
	}
	w = h.Get("/archive/d1/container.asice", c)
	if w.Code != 200 || w.Header().Get("Content-Type") != dom.MimeTypeASiCE {
		t.Fatalf("container: %d", w.Code)
	}
	if d, err := dom.ReadASiCE(w.Body.Bytes(), dom.Limits{}); err != nil || string(d.Content) != "hello" {
		t.Errorf("container: %v", err)
	}
	w = h.Get("/archive/d1/container.asics", c)
	if w.Code != 200 || w.Header().Get("Content-Type") != dom.MimeTypeASiCS || !strings.Contains(w.Header().Get("Content-Disposition"), ".asics") {
		t.Fatalf("ASiC-S container: %d %v", w.Code, w.Header())
	}
	if d, err := dom.ReadASiCS(w.Body.Bytes(), dom.Limits{}); err != nil || string(d.Content) != "hello" {
		t.Errorf("ASiC-S container: %v", err)
	}
	// The second signer is a party too.
	b := h.Citizen("900101300002", "Bolat")
	if page := h.Get("/archive", b).Body.String(); !strings.Contains(page, `id="doc-d1"`) {
		t.Error("the second party does not see the document")
	}
	// A third citizen sees nothing.
	x := h.Citizen("900101300003", "X")
	if page := h.Get("/archive", x).Body.String(); !strings.Contains(page, `id="documents-none"`) {
		t.Error("a third citizen lists the document")
	}
	for _, p := range []string{"/archive/d1", "/archive/d1/content", "/archive/d1/container.asice", "/archive/d1/container.asics", "/archive/nope"} {
		if w := h.Get(p, x); w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s for a third citizen: %d", p, w.Code)
		}
	}
}

// rule DC-6: a document of two signature files under one evidence record has no
// ASiC-S form: the page offers its ASiC-E as the container, and the ASiC-S address is
// not found — and not recorded as an export (the citizen's history said "an archived
// document was downloaded" for the 404).
func TestDocumentWithoutASiCS(t *testing.T) {
	h, f := mount(t)
	f.twoFiles = true
	c := h.Citizen("900101300001", "Aigerim")
	page := h.Get("/archive/d1?lang=en", c).Body.String()
	if !strings.Contains(page, `href="/archive/d1/container.asice" download id="download-container"`) || strings.Contains(page, "container.asics") {
		t.Error("the page offers an ASiC-S the document does not have")
	}
	if w := h.Get("/archive/d1/container.asics", c); w.Code != 404 {
		t.Errorf("ASiC-S of a two-file sealed document: %d", w.Code)
	}
	if f.exported != 0 {
		t.Errorf("the refused ASiC-S was recorded as %d exports", f.exported)
	}
	if w := h.Get("/archive/d1/container.asice", c); w.Code != 200 {
		t.Errorf("ASiC-E: %d", w.Code)
	}
	if f.exported != 1 {
		t.Errorf("the ASiC-E was recorded as %d exports", f.exported)
	}
}

// reasons are the codes the report can name; each reads in every language.
var reasons = []error{dom.ErrGap, dom.ErrNotCovered, dom.ErrTimeStamp, dom.ErrWeakHash, dom.ErrMalformedRecord, dom.ErrBadCMS, dom.ErrContentMismatch,
	pki.ErrRevoked, pki.ErrExpired, pki.ErrNotYetValid, pki.ErrUntrusted, cms.ErrDigestMismatch, cms.ErrSignatureInvalid,
	pki.ErrCRLNotCovered, pki.ErrCRLStale, tsp.ErrImprintMismatch, eds.ErrSignatureInvalid}

func TestReadableInEveryLanguage(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Айгерім")
	for _, e := range reasons {
		code := eds.Code(e)
		if code == "" {
			t.Fatalf("%v has no code", e)
		}
		for _, lang := range i18n.Langs {
			if code != "eds.signature.invalid" && !i18n.Has(lang, "archive.reason."+code) {
				t.Errorf("%s has no plain-language reason in %s", code, lang)
			}
		}
	}
	for _, lang := range i18n.Langs {
		webtest.Readable(t, "/archive", lang, h.Get("/archive?lang="+lang, c).Body.String())
		f.report = report()
		webtest.Readable(t, "/archive/d1 valid", lang, h.Get("/archive/d1?lang="+lang, c).Body.String())
		f.report = report(reasons...)
		page := h.Get("/archive/d1?lang="+lang, c).Body.String()
		webtest.Readable(t, "/archive/d1 invalid", lang, page)
		if !strings.Contains(page, template.HTMLEscapeString(i18n.T(lang, "archive.reason.eds.cert.revoked"))) || !strings.Contains(page, i18n.T(lang, "archive.reason.other")) ||
			!strings.Contains(page, template.HTMLEscapeString(i18n.T(lang, "archive.reason.eds.tsp.imprint_mismatch"))) {
			t.Errorf("%s: reasons missing", lang)
		}
	}
	x := h.Citizen("900101300003", "X")
	webtest.Readable(t, "/archive empty", "kk", h.Get("/archive?lang=kk", x).Body.String())
}

// rule DC-6: a citizen stores a document they signed; a signature that does not hold
// is refused on the form in the citizen's language, with what they typed kept, and
// nothing is stored.
func TestStore(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	for _, lang := range i18n.Langs {
		webtest.Readable(t, "/archive/new", lang, h.Get("/archive/new?lang="+lang, c).Body.String())
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		form.Set("csrf", c.CSRF)
		return h.Post("/archive/new?lang=ru", form, c)
	}
	w := post(url.Values{"name": {"Договор"}, "text": {"текст договора"}})
	if w.Code != 422 || !strings.Contains(w.Body.String(), i18n.T("ru", "archive.new.cms_required")) {
		t.Fatalf("no signature: %d", w.Code)
	}
	for sig, key := range map[string]string{"invalid": "error.archive.signature.invalid", "junk": "error.archive.signature.malformed"} {
		w := post(url.Values{"name": {sig}, "text": {"текст договора"}, "cms": {"MIIB"}})
		page := w.Body.String()
		if w.Code != 422 || !strings.Contains(page, i18n.T("ru", key)) || !strings.Contains(page, "текст договора") {
			t.Fatalf("%s: %d\n%s", sig, w.Code, page)
		}
		webtest.Readable(t, "/archive/new "+sig, "ru", page)
	}
	if len(f.stored) != 0 {
		t.Fatal("a refused signature was stored")
	}
	w = post(url.Values{"name": {"Договор"}, "text": {"текст договора"}, "cms": {base64.StdEncoding.EncodeToString([]byte{0x30, 0x01, 0x02})}})
	if w.Code != 303 || w.Header().Get("Location") != "/archive/d2" {
		t.Fatalf("store: %d %v", w.Code, w.Header())
	}
	if len(f.stored) != 1 || f.stored[0].owner != "citizen:1" || string(f.stored[0].content) != "текст договора" || f.stored[0].name != "Договор" ||
		string(f.stored[0].sig) != "\x30\x01\x02" {
		t.Fatalf("stored %+v", f.stored)
	}
	// An attached signature without a name or text: the archive names the document by
	// the content inside the signature (it may be a PDF), so no ".txt" is given here.
	if w := post(url.Values{"cms": {base64.StdEncoding.EncodeToString([]byte{0x30, 0x01, 0x02})}}); w.Code != 303 || len(f.stored) != 2 || f.stored[1].name != "" {
		t.Fatalf("stored without a name: %d %+v", w.Code, f.stored)
	}
}

// rule DC-6: a citizen writes a document, checks exactly what will be signed, signs it
// with the browser component (here the paste field that the component fills) and the
// archive stores that text with the signature; an empty or oversize text is refused on
// the form, a signature that does not hold shows the signing page again with its reason
// in the citizen's language, and nothing is stored then.
func TestSignHere(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	for _, lang := range i18n.Langs {
		webtest.Readable(t, "/archive/sign", lang, h.Get("/archive/sign?lang="+lang, c).Body.String())
	}
	if page := h.Get("/archive?lang=en", c).Body.String(); !strings.Contains(page, `href="/archive/sign"`) {
		t.Error("my archive does not offer signing a document here")
	}
	post := func(path string, form url.Values) *httptest.ResponseRecorder {
		form.Set("csrf", c.CSRF)
		return h.Post(path+"?lang=kk", form, c)
	}
	text := "Мен, Айгерім, 2026 жылғы 1 маусымда пәтерді жалға беремін.\r\nЖалға алушы: Болат."
	for name, form := range map[string]url.Values{
		"empty":     {"name": {"Шарт"}, "text": {"  \r\n"}},
		"oversize":  {"name": {"Шарт"}, "text": {strings.Repeat("a", maxText+1)}},
		"long name": {"name": {strings.Repeat("ш", 121)}, "text": {text}},
	} {
		w := post("/archive/sign", form)
		if w.Code != 422 || strings.Contains(w.Body.String(), `id="archive-sign-form"`) {
			t.Errorf("%s: %d", name, w.Code)
		}
		webtest.Readable(t, "/archive/sign "+name, "kk", w.Body.String())
	}
	w := post("/archive/sign", url.Values{"name": {"Жалға беру шарты"}, "text": {text}})
	page := w.Body.String()
	if w.Code != 200 || !strings.Contains(page, `id="archive-sign-form"`) || !strings.Contains(page, `id="archive-text"`) {
		t.Fatalf("the signing step: %d\n%s", w.Code, page)
	}
	// What the signing component signs is exactly the text written, byte for byte.
	_, b64, _ := strings.Cut(page, `data-b64="`)
	b64, _, _ = strings.Cut(b64, `"`)
	if signed, err := base64.StdEncoding.DecodeString(html.UnescapeString(b64)); err != nil || string(signed) != text {
		t.Fatalf("the component signs %q (%v), not the text written", signed, err)
	}
	webtest.Readable(t, "/archive/sign step 2", "kk", page)
	// "Change the text" goes back to the form with the text kept.
	if w := post("/archive/sign", url.Values{"name": {"Жалға беру шарты"}, "text": {text}, "edit": {"1"}}); w.Code != 200 ||
		!strings.Contains(w.Body.String(), `id="write-form"`) || !strings.Contains(w.Body.String(), "Жалға алушы") {
		t.Errorf("edit: %d", w.Code)
	}
	// No signature, a signature that does not hold, one that is not a CMS.
	if w := post("/archive/sign/store", url.Values{"name": {"Шарт"}, "text": {text}}); w.Code != 422 ||
		!strings.Contains(w.Body.String(), i18n.T("kk", "archive.new.cms_required")) {
		t.Errorf("no signature: %d", w.Code)
	}
	for sig, key := range map[string]string{"invalid": "error.archive.signature.invalid", "junk": "error.archive.signature.malformed"} {
		w := post("/archive/sign/store", url.Values{"name": {sig}, "text": {text}, "cms": {"MIIB"}})
		if page := w.Body.String(); w.Code != 422 || !strings.Contains(page, i18n.T("kk", key)) || !strings.Contains(page, `id="archive-sign-form"`) {
			t.Errorf("%s: %d", sig, w.Code)
		}
	}
	if w := post("/archive/sign/store", url.Values{"name": {"Шарт"}, "text": {""}, "cms": {"MIIB"}}); w.Code != 422 {
		t.Errorf("a signature without its text: %d", w.Code)
	}
	if len(f.stored) != 0 {
		t.Fatalf("a refused signature was stored: %+v", f.stored)
	}
	w = post("/archive/sign/store", url.Values{"name": {"Жалға беру шарты"}, "text": {text}, "cms": {base64.StdEncoding.EncodeToString([]byte{0x30, 0x01, 0x02})}})
	if w.Code != 303 || w.Header().Get("Location") != "/archive/d2" {
		t.Fatalf("store: %d %v", w.Code, w.Header())
	}
	if len(f.stored) != 1 || f.stored[0].owner != "citizen:1" || string(f.stored[0].content) != text || f.stored[0].name != "Жалға беру шарты" {
		t.Fatalf("stored %+v", f.stored)
	}
	// With another form's token nothing happens (TestGuards tries every route without a
	// session and without a token).
	if w := h.Post("/archive/sign/store", url.Values{"csrf": {"not-the-token"}, "text": {text}, "cms": {"MIIB"}}, c); w.Code == 303 {
		t.Error("stored with a wrong CSRF token")
	}
	if len(f.stored) != 1 {
		t.Fatal("a refused request stored a document")
	}
}

// rule DC-6: "my archive" comes a page at a time: the first page links to the older
// documents, that page back to the newest; a cursor that is not one of hers is an
// error page in her language, and another citizen's list never shows her documents.
func TestListPages(t *testing.T) {
	h, f := mount(t)
	f.paged = true
	c := h.Citizen("900101300001", "Aigerim")
	page := h.Get("/archive?lang=ru", c).Body.String()
	if !strings.Contains(page, `id="doc-d1"`) || !strings.Contains(page, `href="/archive?after=d1" id="archive-older"`) || strings.Contains(page, `id="archive-newest"`) {
		t.Fatalf("the first page:\n%s", page)
	}
	webtest.Readable(t, "/archive first page", "ru", page)
	page = h.Get("/archive?lang=ru&after=d1", c).Body.String()
	if !strings.Contains(page, `id="doc-d0"`) || strings.Contains(page, `id="doc-d1"`) || strings.Contains(page, `id="archive-older"`) ||
		!strings.Contains(page, `id="archive-newest"`) || strings.Contains(page, `id="documents-none"`) {
		t.Fatalf("the second page:\n%s", page)
	}
	webtest.Readable(t, "/archive second page", "ru", page)
	for _, lang := range i18n.Langs {
		w := h.Get("/archive?lang="+lang+"&after=nope", c)
		if w.Code != 400 || !strings.Contains(w.Body.String(), template.HTMLEscapeString(i18n.T(lang, "error.archive.cursor.invalid"))) {
			t.Errorf("%s: a bad cursor: %d", lang, w.Code)
		}
	}
	h.Citizen("900101300002", "Bolat")  // citizen:2, the other party
	x := h.Citizen("900101300003", "X") // citizen:3
	if w := h.Get("/archive?after=d1", x); w.Code != 400 || strings.Contains(w.Body.String(), "doc-d0") {
		t.Errorf("another citizen with her cursor: %d", w.Code)
	}
}

// Every time of the report is written in full, in Astana time, as i18n.When writes it
// everywhere: the end of the proof too. A date alone ended in Russian with "г." and
// the sentence's own period made "г..".
func TestReportTimesInFull(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	f.report = report()
	until := f.report.Evidence.Until
	for _, lang := range i18n.Langs {
		page := h.Get("/archive/d1?lang="+lang, c).Body.String()
		if !strings.Contains(page, template.HTMLEscapeString(i18n.When(lang, until))) {
			t.Errorf("%s: the end of the proof is not written in full (%q)", lang, i18n.When(lang, until))
		}
		if text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, ""); strings.Contains(text, "..") {
			t.Errorf("%s: a double period in the report", lang)
		}
	}
}

// rule DC-6: a signer who signed for an organisation is named with it, in the page's
// language, the BIN beside it; an individual's signature names the person alone. Before,
// a bank employee's signature read as a private person's ("ТЕСТОВ ТЕСТ: signed …").
func TestSignerNamesTheOrganization(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	org := report()
	org.Signatures[0].Result.Signers[0].CertInfo = &pki.CertInfo{Subject: pki.Subject{CommonName: "ТЕСТОВ ТЕСТ",
		Organization: "АО «Демо Банк»", BIN: "900140000009", IIN: "900101300009"}}
	for _, lang := range []string{"kk", "ru", "en"} {
		f.report = org
		page := html.UnescapeString(h.Get("/archive/d1?lang="+lang, c).Body.String())
		want := "ТЕСТОВ ТЕСТ, " + i18n.T(lang, "archive.signed_for", "АО «Демо Банк»")
		if !strings.Contains(page, want) || !strings.Contains(page, i18n.T(lang, "common.bin", "900140000009")) {
			t.Errorf("%s: the page does not say %q with the BIN", lang, want)
		}
		f.report = report()
		page = html.UnescapeString(h.Get("/archive/d1?lang="+lang, c).Body.String())
		if strings.Contains(page, i18n.T(lang, "archive.signed_for", "")) {
			t.Errorf("%s: an individual's signature is said to be for an organisation", lang)
		}
	}
}

// rule DC-6: a signer whose signing time nothing proves (no valid signature time-stamp:
// a container imported with an evidence record over a signature without one, or a
// time-stamp that does not hold) was checked at the time of the check, so the page does
// not say the certificate "had expired when the document was signed": it says that it
// has expired and nothing proves the signing came first. With a proven time the wording
// stays.
func TestReasonWithoutSigningTime(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim")
	for _, lang := range i18n.Langs {
		for _, e := range []error{pki.ErrExpired, pki.ErrRevoked, pki.ErrNotYetValid, pki.ErrCRLNotCovered, pki.ErrCRLStale} {
			code := eds.Code(e)
			f.report = report(e)
			f.report.Signatures[0].Result.Signers[0].TimeStamp = nil
			page := html.UnescapeString(h.Get("/archive/d1?lang="+lang, c).Body.String())
			if strings.Contains(page, i18n.T(lang, "archive.reason."+code)) || !strings.Contains(page, i18n.T(lang, "archive.reason.unproven."+code)) {
				t.Errorf("%s, %s without a signing time: the page says when it was signed", lang, code)
			}
			if !strings.Contains(page, i18n.T(lang, "archive.signed_no_time")) || strings.Contains(page, "0001") || strings.Contains(page, "1970") {
				t.Errorf("%s: the page does not say the signing time is not proven", lang)
			}
			f.report = report(e)
			page = html.UnescapeString(h.Get("/archive/d1?lang="+lang, c).Body.String())
			if !strings.Contains(page, i18n.T(lang, "archive.reason."+code)) || strings.Contains(page, i18n.T(lang, "archive.reason.unproven."+code)) {
				t.Errorf("%s, %s with a signing time: %s", lang, code, i18n.T(lang, "archive.reason."+code))
			}
		}
	}
}

// rule DC-6 (issue 14, item 5): the document page shows what was done with the document
// and by whom — the bank by its name in the page's language, the citizen herself as
// "you", another party without a name — in every language. A citizen who is not a party
// gets no page (404), so no history either.
func TestDocumentHistory(t *testing.T) {
	h, f := mount(t)
	f.actions = []dom.Action{
		{Type: dom.EvIngested, Actor: "org:900140000009", At: t0},
		{Type: dom.EvViewed, Actor: "citizen:1", At: t0.Add(time.Hour)},
		{Type: dom.EvExported, Actor: "org:900140000009", At: t0.Add(2 * time.Hour)},
		{Type: dom.EvViewed, Actor: "citizen:2", At: t0.Add(3 * time.Hour)},
	}
	c := h.Citizen("900101300001", "Aigerim") // citizen:1
	h.Citizen("900101300002", "Bolat")        // citizen:2, the other party
	for lang, bank := range map[string]string{"kk": "Банк ҚК", "ru": "Банк РУ", "en": "Bank EN"} {
		page := html.UnescapeString(h.Get("/archive/d1?lang="+lang, c).Body.String())
		webtest.Readable(t, "/archive/d1 history", lang, page)
		_, table, _ := strings.Cut(page, `id="document-history"`)
		for _, k := range []string{"archive.history.archive.document.ingested", "archive.history.archive.document.viewed",
			"archive.history.archive.document.exported", "archive.history.you", "archive.history.citizen"} {
			if !strings.Contains(table, i18n.T(lang, k)) {
				t.Errorf("%s: the history lacks %q", lang, i18n.T(lang, k))
			}
		}
		if strings.Count(table, bank) != 2 {
			t.Errorf("%s: the bank is not named in its two lines:\n%s", lang, table)
		}
	}
	x := h.Citizen("900101300003", "X") // citizen:3, not a party
	if w := h.Get("/archive/d1", x); w.Code != 404 || strings.Contains(w.Body.String(), "document-history") {
		t.Fatalf("another citizen: %d", w.Code)
	}
}

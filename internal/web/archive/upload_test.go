package archive

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	dom "github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web/webtest"
)

// rule DC-6: a citizen stores a file signed elsewhere by uploading it with its
// signature files — detached (DER, base64 or PEM) or attached alone — and the archive
// gets exactly those bytes, under the name typed or the file's own, with the citizen as
// owner whatever the form says; every refusal re-renders the form with its reason in
// the citizen's language, and nothing is stored.
func TestUpload(t *testing.T) {
	h, f := mount(t)
	c := h.Citizen("900101300001", "Aigerim") // citizen:1
	for _, lang := range i18n.Langs {
		webtest.Readable(t, "/archive/upload", lang, h.Get("/archive/upload?lang="+lang, c).Body.String())
	}
	if page := h.Get("/archive?lang=en", c).Body.String(); !strings.Contains(page, `href="/archive/upload"`) {
		t.Error("my archive does not offer the upload")
	}
	up := func(form url.Values, files ...webtest.File) *httptest.ResponseRecorder {
		t.Helper()
		return h.Upload("/archive/upload?lang=ru", form, files, c)
	}
	pdf := []byte("%PDF-1.7\n\x00\x01\xff binary\r\n")
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x20} // ends in a byte TrimSpace would cut
	pemSig := pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: []byte{0x30, 0x01, 0x07}})

	refusals := []struct {
		name  string
		form  url.Values
		files []webtest.File
		key   string
	}{
		{"no signature file", nil, []webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}}, "archive.upload.signature_required"},
		{"two documents", nil, []webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}, {Field: "document", Name: "b.pdf", Data: pdf}, {Field: "signatures", Name: "a.cms", Data: der}}, "archive.upload.one_document"},
		{"an empty document", nil, []webtest.File{{Field: "document", Name: "a.pdf", Data: nil}, {Field: "signatures", Name: "a.cms", Data: der}}, "archive.upload.empty"},
		{"17 signature files", nil, append([]webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}}, manyFiles("signatures", 17, der)...), "archive.upload.too_many"},
		{"a long name", url.Values{"name": {strings.Repeat("ш", 121)}}, []webtest.File{{Field: "signatures", Name: "a.cms", Data: der}}, "archive.sign.name_long"},
		{"an invalid signature", url.Values{"name": {"invalid"}}, []webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}, {Field: "signatures", Name: "a.cms", Data: der}}, "archive.upload.reason.archive.signature.invalid"},
		{"a signer revoked before signing", url.Values{"name": {"revoked"}}, []webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}, {Field: "signatures", Name: "a.cms", Data: der}}, "archive.reason.eds.cert.revoked"},
		{"not a CMS", url.Values{"name": {"junk"}}, []webtest.File{{Field: "document", Name: "a.pdf", Data: pdf}, {Field: "signatures", Name: "a.pdf", Data: pdf}}, "archive.upload.reason.archive.signature.malformed"},
		{"not multipart", url.Values{"name": {"Договор"}}, nil, "archive.upload.signature_required"},
	}
	for _, tc := range refusals {
		var w *httptest.ResponseRecorder
		if tc.files == nil {
			form := tc.form
			form.Set("csrf", c.CSRF)
			w = h.Post("/archive/upload?lang=ru", form, c)
		} else {
			w = up(tc.form, tc.files...)
		}
		page := w.Body.String()
		if w.Code != 422 || !strings.Contains(page, template.HTMLEscapeString(i18n.T("ru", tc.key))) || !strings.Contains(page, `id="upload-form"`) {
			t.Errorf("%s: %d, want 422 with %q", tc.name, w.Code, tc.key)
		}
		webtest.Readable(t, "/archive/upload "+tc.name, "ru", page)
	}
	if w := up(url.Values{"name": {"invalid"}}, webtest.File{Field: "document", Name: "a.pdf", Data: pdf}, webtest.File{Field: "signatures", Name: "a.cms", Data: der}); !strings.Contains(w.Body.String(), i18n.T("ru", "archive.upload.nothing_stored")) {
		t.Error("a refusal does not say that nothing was stored")
	}
	if len(f.stored) != 0 {
		t.Fatalf("a refused upload was stored: %+v", f.stored)
	}

	// Detached, DER: the file's bytes and name as they are; the owner is the session's.
	w := up(url.Values{"owner": {"citizen:2"}}, webtest.File{Field: "document", Name: "Договор аренды.pdf", Data: pdf}, webtest.File{Field: "signatures", Name: "Договор аренды.pdf.cms", Data: der})
	if w.Code != 303 || w.Header().Get("Location") != "/archive/d2" {
		t.Fatalf("upload: %d %v\n%s", w.Code, w.Header(), w.Body)
	}
	if got := f.stored[0]; got.owner != "citizen:1" || got.name != "Договор аренды.pdf" || string(got.content) != string(pdf) || len(got.sigs) != 1 || string(got.sigs[0]) != string(der) {
		t.Fatalf("stored %+v", got)
	}
	// Attached alone, base64: the name is the signature file's without its extension;
	// two signature files (PEM and base64) in the order chosen; a typed name wins.
	b64 := []byte(base64.StdEncoding.EncodeToString(der) + "\r\n")
	if w := up(nil, webtest.File{Field: "signatures", Name: "loan.pdf.p7s", Data: b64}); w.Code != 303 {
		t.Fatalf("attached: %d", w.Code)
	}
	if got := f.stored[1]; got.name != "loan.pdf" || got.content != nil || string(got.sigs[0]) != string(der) {
		t.Fatalf("attached: stored %+v", got)
	}
	if w := up(url.Values{"name": {"Расписка"}}, webtest.File{Field: "document", Name: "x.bin", Data: pdf},
		webtest.File{Field: "signatures", Name: "one.pem", Data: pemSig}, webtest.File{Field: "signatures", Name: "two.cms", Data: b64}); w.Code != 303 {
		t.Fatalf("two signature files: %d", w.Code)
	}
	if got := f.stored[2]; got.name != "Расписка" || len(got.sigs) != 2 || string(got.sigs[0]) != "\x30\x01\x07" || string(got.sigs[1]) != string(der) {
		t.Fatalf("two signature files: stored %+v", got)
	}
	// A wrong token stores nothing (TestGuards tries every route without one).
	if w := h.Upload("/archive/upload", url.Values{"csrf": {"not-the-token"}}, []webtest.File{{Field: "signatures", Name: "a.cms", Data: der}}, c); w.Code != 403 || len(f.stored) != 3 {
		t.Errorf("a wrong token: %d, %d stored", w.Code, len(f.stored))
	}
}

func manyFiles(field string, n int, data []byte) []webtest.File {
	fs := make([]webtest.File, n)
	for i := range fs {
		fs[i] = webtest.File{Field: field, Name: "s.cms", Data: data}
	}
	return fs
}

func TestUploadName(t *testing.T) {
	for _, tc := range []struct{ doc, sig, want string }{
		{"contract.pdf", "x.cms", "contract.pdf"},
		{"", "contract.pdf.cms", "contract.pdf"},
		{"", "contract.pdf.P7S", "contract.pdf"},
		{"", "contract.pdf.sig", "contract.pdf"},
		{"", ".cms", ""},
		{"", "signature", ""},
		{"../../etc/passwd", "x.cms", "passwd"},
	} {
		got := uploadName(headers("document", tc.doc), headers("signatures", tc.sig))
		if got != tc.want {
			t.Errorf("uploadName(%q, %q) = %q, want %q", tc.doc, tc.sig, got, tc.want)
		}
	}
}

// rule DC-6: a citizen imports a container; one that does not open (a path that
// escapes, a bomb) is refused on the page with its reason, and nothing is stored.
func TestImport(t *testing.T) {
	h, f := mount(t)
	h.Citizen("900101300001", "Aigerim")    // citizen:1
	c := h.Citizen("900101300002", "Bolat") // citizen:2
	imp := func(files ...webtest.File) *httptest.ResponseRecorder {
		t.Helper()
		return h.Upload("/archive/import?lang=kk", nil, files, c)
	}
	for name, tc := range map[string]struct {
		files  []webtest.File
		status int
		key    string
	}{
		"no file":    {nil, 422, "archive.import.required"},
		"two files":  {[]webtest.File{{Field: "container", Name: "a.asice", Data: []byte("a")}, {Field: "container", Name: "b.asice", Data: []byte("b")}}, 422, "archive.import.one"},
		"traversal":  {[]webtest.File{{Field: "container", Name: "a.asice", Data: []byte("traversal")}}, 422, "archive.upload.reason.archive.asic.bad_path"},
		"a zip bomb": {[]webtest.File{{Field: "container", Name: "a.asice", Data: []byte("bomb")}}, 413, "archive.upload.reason.archive.asic.too_large"},
	} {
		w := imp(tc.files...)
		page := w.Body.String()
		if w.Code != tc.status || !strings.Contains(page, template.HTMLEscapeString(i18n.T("kk", tc.key))) || !strings.Contains(page, `id="import-form"`) {
			t.Errorf("%s: %d, want %d with %q", name, w.Code, tc.status, tc.key)
		}
		webtest.Readable(t, "/archive/import "+name, "kk", page)
	}
	if len(f.stored) != 0 {
		t.Fatalf("a refused container was stored: %+v", f.stored)
	}
	if w := imp(webtest.File{Field: "container", Name: "a.asics", Data: []byte("PK container")}); w.Code != 303 || w.Header().Get("Location") != "/archive/d3" {
		t.Fatalf("import: %d", w.Code)
	}
	if got := f.stored[0]; got.owner != "citizen:2" || string(got.content) != "PK container" {
		t.Fatalf("imported %+v", got)
	}
}

// headers parses a multipart form with one file named name in field (none when name is
// empty) and returns its file headers, as the guard leaves them on the request.
func headers(field, name string) []*multipart.FileHeader {
	if name == "" {
		return nil
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write([]byte("x"))
	_ = mw.Close()
	form, err := multipart.NewReader(&b, mw.Boundary()).ReadForm(1 << 20)
	if err != nil {
		panic(err)
	}
	return form.File[field]
}

func TestReasonKey(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dom.ErrSignatureInvalid, "archive.upload.reason.archive.signature.invalid"},
		{fmt.Errorf("%w: %w", dom.ErrSignatureInvalid, fmt.Errorf("chain: %w", pki.ErrRevoked)), "archive.reason.eds.cert.revoked"},
		{fmt.Errorf("%w: %w", dom.ErrSignatureInvalid, cms.ErrDigestMismatch), "archive.reason.eds.cms.digest_mismatch"},
		{fmt.Errorf("%w: does not verify: %w", dom.ErrSignatureInvalid, dom.ErrNotCovered), "archive.reason.archive.evidence.not_covered"},
		{fmt.Errorf("%w: %w", dom.ErrSignatureInvalid, errors.Join(errors.New("x"), dom.ErrGap)), "archive.reason.archive.evidence.gap"},
		{fmt.Errorf("%w: %w", dom.ErrContentMismatch, cms.ErrDigestMismatch), "archive.upload.reason.archive.signature.content_mismatch"},
		{dom.ErrContainerPath, "archive.upload.reason.archive.asic.bad_path"},
		{dom.ErrNotLT, "archive.upload.reason.archive.import.not_lt"},
		{dom.ErrMalformedRecord, "archive.reason.archive.evidence.malformed"},
		{dom.ErrUnsupported, "archive.upload.refused"},
	} {
		pr := problem.From(dom.Problem(tc.err))
		for _, lang := range i18n.Langs {
			if got := reasonKey(lang, pr.Code, tc.err); got != tc.want {
				t.Errorf("%s: reasonKey(%v) = %q, want %q", lang, tc.err, got, tc.want)
			}
		}
	}
}

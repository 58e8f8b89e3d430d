package archive

import (
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	dom "github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/web"
)

// maxUpload bounds an upload's body: a document of the archive's default size limit
// and its signature files, or a container.
var maxUpload = dom.MaxRequestBody(dom.DefaultMaxDocument)

// uploadForm is what the upload page shows back after a refusal: the name typed (files
// are never sent back by a browser).
type uploadForm struct {
	Name string
}

func (a *area) uploadForm(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	p.Data = uploadForm{}
	return a.s.Render(w, r, http.StatusOK, uploadView, p)
}

// readFile returns the bytes of an uploaded file. The guard read the whole body within
// maxUpload, so the file is in memory.
func readFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxUpload))
}

// files returns the files of field, or nil when the form is not multipart.
func files(r *http.Request, field string) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	return r.MultipartForm.File[field]
}

// upload archives a document signed elsewhere (rule DC-6): the signed file and its
// signature files (CMS: DER, base64 or PEM; detached over the file, or attached with the
// file inside, when the file is left out). Each is validated, time-stamped and extended
// to CAdES-LT by the same Ingest as the API. A refusal shows the form again with its
// reason in the citizen's language, and nothing is stored.
func (a *area) upload(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	f := uploadForm{Name: strings.TrimSpace(r.PostFormValue("name"))}
	p.Data = f
	if utf8.RuneCountInString(f.Name) > 120 {
		p.Invalid("name", "archive.sign.name_long")
	}
	docs, sigFiles := files(r, "document"), files(r, "signatures")
	switch {
	case len(docs) > 1:
		p.Invalid("document", "archive.upload.one_document")
	case len(docs) == 1 && docs[0].Size == 0:
		p.Invalid("document", "archive.upload.empty")
	}
	switch {
	case len(sigFiles) == 0:
		p.Invalid("signatures", "archive.upload.signature_required")
	case len(sigFiles) > dom.DefaultMaxSignatures:
		p.Invalid("signatures", "archive.upload.too_many")
	}
	if len(p.Fields) > 0 {
		return a.s.Invalid(w, r, uploadView, p)
	}
	var content []byte
	if len(docs) == 1 {
		b, err := readFile(docs[0])
		if err != nil {
			return err
		}
		content = b
	}
	sigs := make([][]byte, len(sigFiles))
	for i, fh := range sigFiles {
		b, err := readFile(fh)
		if err != nil {
			return err
		}
		if der, err := edslogin.DecodeCMS(b); err == nil {
			b = der
		}
		sigs[i] = b
	}
	name := f.Name
	if name == "" {
		name = uploadName(docs, sigFiles)
	}
	sum, err := a.a.Ingest(r.Context(), sess.Citizen.Ref(), name, content, sigs)
	if err != nil {
		return a.refused(w, r, p, err)
	}
	http.Redirect(w, r, "/archive/"+sum.ID, http.StatusSeeOther)
	return nil
}

// sigExt are the extensions of signature files: a document's name is its signature
// file's name without one, when only the signature (attached) is uploaded.
var sigExt = []string{".cms", ".p7s", ".p7m", ".sig", ".pem", ".b64", ".txt"}

// uploadName is the name an uploaded document is stored under when none was typed:
// the signed file's, else the first signature file's without its extension
// ("contract.pdf.cms" → "contract.pdf"), else none: the archive then names it by its
// content ("document.pdf").
func uploadName(docs, sigs []*multipart.FileHeader) string {
	if len(docs) == 1 {
		if n := filepath.Base(docs[0].Filename); n != "." && n != "/" {
			return n
		}
	}
	if len(sigs) > 0 {
		n := filepath.Base(sigs[0].Filename)
		for _, ext := range sigExt {
			if len(n) > len(ext) && strings.EqualFold(n[len(n)-len(ext):], ext) {
				return n[:len(n)-len(ext)]
			}
		}
	}
	return ""
}

// importContainer archives the document of an ASiC-E or ASiC-S container (Senim's
// export, or another archive's): it must verify offline now, its own evidence record
// included, and is kept with that evidence (rule DC-6). A refusal shows the form again
// with its reason; nothing is stored.
func (a *area) importContainer(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
	p := a.s.Page(w, r, sess)
	p.Data = uploadForm{}
	fs := files(r, "container")
	switch {
	case len(fs) == 0:
		p.Invalid("container", "archive.import.required")
	case len(fs) > 1:
		p.Invalid("container", "archive.import.one")
	}
	if len(p.Fields) > 0 {
		return a.s.Invalid(w, r, uploadView, p)
	}
	b, err := readFile(fs[0])
	if err != nil {
		return err
	}
	sum, err := a.a.Import(r.Context(), sess.Citizen.Ref(), b)
	if err != nil {
		return a.refused(w, r, p, err)
	}
	http.Redirect(w, r, "/archive/"+sum.ID, http.StatusSeeOther)
	return nil
}

// refused shows the upload page again with the reason the archive refused a file, in
// the citizen's words (reasonKey); anything that is not the caller's input (a 5xx) is
// the shell's error page.
func (a *area) refused(w http.ResponseWriter, r *http.Request, p *web.Page, err error) error {
	pr := problem.From(dom.Problem(err))
	if pr.Status >= 500 {
		return err
	}
	p.Error = reasonKey(p.Lang, pr.Code, err)
	return a.s.Render(w, r, pr.Status, uploadView, p)
}

// reasonKey is the catalog key that says why the archive refused an upload with code:
// the upload page's own wording of the code, unless the refusal is the generic "a
// signature is not valid" and carries its cause (a revoked signer, a changed content),
// which is then worded as the document's report words it; else the report's wording of
// the code, else "could not be stored".
func reasonKey(lang, code string, err error) string {
	has := func(k string) bool { return i18n.Has(lang, k) }
	if k := "archive.upload.reason." + code; has(k) && code != "archive.signature.invalid" {
		return k
	}
	for _, c := range causes(err) {
		if k := "archive.reason." + c; c != code && has(k) {
			return k
		}
	}
	for _, k := range []string{"archive.upload.reason." + code, "archive.reason." + code} {
		if has(k) {
			return k
		}
	}
	return "archive.upload.refused"
}

// causes lists the codes of the errors in err's tree, outermost first.
func causes(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if c, ok := e.(interface{ Code() string }); ok {
			out = append(out, c.Code())
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/i18n"
)

// rule DC-6: on a phone, a citizen writes a document in "my archive", checks the exact
// text, signs it with her key through NCALayer (the sandbox simulator, over a real TLS
// WebSocket) and lands on the document's page with a valid signature; the archive holds
// the text exactly as she typed and signed it, her as its owner. Both steps pass
// axe-core at 390 px.
func TestBrowserArchiveSignHere(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	alice := a.Pop.Citizens[0]
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	chromeLogin(t, ctx, srv.URL, alice)
	text := "Расписка\nЯ получила от Болата 150 000 тенге и верну их до 1 июня 2027 года."
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/archive?lang=ru"),
		chromedp.WaitVisible(q(`#sign-link`)),
		chromedp.Click(q(`#sign-link`)),
		chromedp.WaitVisible(q(`#write-form`)),
	); err != nil {
		t.Fatalf("my archive: %v", err)
	}
	Axe(t, ctx, "/archive/sign")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(q(`#name`), "Расписка"),
		chromedp.SendKeys(q(`#text`), text),
		chromedp.Click(q(`#write-submit`)),
		chromedp.WaitVisible(q(`#archive-sign-form`)),
	); err != nil {
		t.Fatalf("writing: %v", err)
	}
	Axe(t, ctx, "/archive/sign (the signing step)")
	shown, err := chromedp.Run(ctx, chromedp.Text(q(`#archive-text`)))
	if err != nil || !strings.Contains(shown, "150 000 тенге") {
		t.Fatalf("the text to sign shows %q (%v)", shown, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatalf("NCALayer: %v", err)
	}
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate("https://"+strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://")+"/"),
		chromedp.WaitVisible(q(`form.request select`)),
		chromedp.Click(q(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(q(`#notice`)),
	); err != nil {
		t.Fatalf("the simulator: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(q(`#verdict.ok`))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(q(`main`)))
		t.Fatalf("after signing: %v\n%s", err, page)
	}
	ref, err := a.Identity.SubjectRef(t.Context(), alice.IIN)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := documentsOf(t, a, ref)
	if err != nil || len(docs) != 1 || docs[0].Name != "Расписка" {
		t.Fatalf("her archive: %+v %v", docs, err)
	}
	d, _, err := a.Archive.Open(t.Context(), ref, docs[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	// The browser sends line breaks as CRLF; that is what was shown, signed and kept.
	if want := strings.ReplaceAll(text, "\n", "\r\n"); string(d.Content) != want {
		t.Fatalf("kept %q, signed text was %q", d.Content, want)
	}
}

// rule DC-6: on a phone, a citizen stores a binary file she signed elsewhere by choosing
// the file and its signature file (GOST, detached, PEM) in "my archive". A signature
// over another file is refused on the form in her language and nothing is stored; the
// right one lands on the document's page with a valid signature, and the archive holds
// the file's bytes exactly, under its own name. Then she imports a container another
// citizen exported, and the same container with one byte of its document changed is refused. Every step passes
// axe-core at 390 px.
func TestBrowserArchiveUpload(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	alice, bolat := a.Pop.Citizens[0], a.Pop.Citizens[1]
	ctx := chromeContext(t, bin)
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := append([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\r\n"), make([]byte, 3000)...)
	doc = append(doc, "\x00\xff\r\n%%EOF\n"...)
	spec := sandboxSpec(t, a, "citizen", alice.IIN)
	sign := func(content []byte) []byte {
		sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Detached: true, Now: a.Config.Now})
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: sig})
	}
	docPath := file("Анықтама.pdf", doc)
	wrongSig := file("other.pdf.cms", sign([]byte("another file")))
	rightSig := file("Анықтама.pdf.cms", sign(doc))

	chromeLogin(t, ctx, srv.URL, alice)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/archive?lang=kk"),
		chromedp.WaitVisible(q(`#upload-link`)),
		chromedp.Click(q(`#upload-link`)),
		chromedp.WaitVisible(q(`#upload-form`)),
	); err != nil {
		t.Fatalf("my archive: %v", err)
	}
	Axe(t, ctx, "/archive/upload")
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(q(`#document`), []string{docPath}),
		chromedp.SetUploadFiles(q(`#signatures`), []string{wrongSig}),
		chromedp.Click(q(`#upload-submit`)),
		chromedp.WaitVisible(q(`#upload-nothing`)),
	); err != nil {
		t.Fatalf("a signature over another file: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(q(`#error`))); err != nil || !strings.Contains(msg, i18n.T("kk", "archive.upload.reason.archive.signature.content_mismatch")) {
		t.Fatalf("the refusal says %q (%v)", msg, err)
	}
	Axe(t, ctx, "/archive/upload (refused)")
	ref, err := a.Identity.SubjectRef(t.Context(), alice.IIN)
	if err != nil {
		t.Fatal(err)
	}
	if docs, err := documentsOf(t, a, ref); err != nil || len(docs) != 0 {
		t.Fatalf("a refused upload was stored: %+v %v", docs, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(q(`#document`), []string{docPath}),
		chromedp.SetUploadFiles(q(`#signatures`), []string{rightSig}),
		chromedp.Click(q(`#upload-submit`)),
		chromedp.WaitVisible(q(`#verdict.ok`)),
	); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(q(`main`)))
		t.Fatalf("the upload: %v\n%s", err, page)
	}
	docs, err := documentsOf(t, a, ref)
	if err != nil || len(docs) != 1 || docs[0].Name != "Анықтама.pdf" {
		t.Fatalf("her archive: %+v %v", docs, err)
	}
	d, _, err := a.Archive.Open(t.Context(), ref, docs[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Content, doc) {
		t.Fatal("the archive does not hold the file's bytes as they were signed")
	}

	// A container Bolat exported from his archive; then the same with one byte changed.
	bref, err := a.Identity.SubjectRef(t.Context(), bolat.IIN)
	if err != nil {
		t.Fatal(err)
	}
	bd, _, err := a.Archive.Open(t.Context(), bref, archivedBy(t, a, bolat.IIN), true)
	if err != nil {
		t.Fatal(err)
	}
	var zip bytes.Buffer
	if err := archive.WriteASiCS(&zip, bd, a.Config.Now()); err != nil {
		t.Fatal(err)
	}
	good := file("Несие шарты.asics", zip.Bytes())
	changed := *bd
	changed.Content = bytes.Clone(bd.Content)
	changed.Content[0] ^= 1
	var bad bytes.Buffer
	if err := archive.WriteASiCS(&bad, &changed, a.Config.Now()); err != nil {
		t.Fatal(err)
	}
	badPath := file("changed.asics", bad.Bytes())
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/archive/upload?lang=kk"),
		chromedp.WaitVisible(q(`#import-form`)),
		chromedp.SetUploadFiles(q(`#container`), []string{badPath}),
		chromedp.Click(q(`#import-submit`)),
		chromedp.WaitVisible(q(`#upload-nothing`)),
	); err != nil {
		t.Fatalf("a changed container: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(q(`#error`))); err != nil || !strings.Contains(msg, i18n.T("kk", "archive.reason.archive.signature.content_mismatch")) {
		t.Fatalf("the refusal of the changed container says %q (%v)", msg, err)
	}
	Axe(t, ctx, "/archive/import (refused)")
	if docs, _ := documentsOf(t, a, ref); len(docs) != 1 {
		t.Fatalf("a changed container was stored: %d documents", len(docs))
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(q(`#container`), []string{good}),
		chromedp.Click(q(`#import-submit`)),
		chromedp.WaitVisible(q(`#verdict.ok`)),
	); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(q(`main`)))
		t.Fatalf("the import: %v\n%s", err, page)
	}
	if docs, _ := documentsOf(t, a, ref); len(docs) != 2 {
		t.Fatalf("after the import she has %d documents", len(docs))
	}
}

// documentsOf is the first page of party's documents in the archive.
func documentsOf(t *testing.T, a *App, party string) ([]archive.Summary, error) {
	t.Helper()
	page, err := a.Archive.List(t.Context(), party, "", 0)
	if err != nil {
		return nil, err
	}
	return page.Documents, nil
}

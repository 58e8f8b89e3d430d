package app

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/sandbox"
	webarchive "github.com/senimkz/senim/internal/web/archive"
)

// rule DC-6: in the sandbox, two organisations sign a contract with their sandbox GOST
// keys; one stores it through the archive API (signed request); both list it, the
// container comes back and verifies with the sandbox's trust; a third organisation
// cannot read it.
func TestArchiveInSandbox(t *testing.T) {
	a, srv := newSandbox(t, "")
	if a.Archive == nil {
		t.Fatal("the sandbox has no archive")
	}
	type org struct {
		bin  string
		spec cms.SignerSpec
	}
	var orgs []org
	for _, o := range a.Pop.Organizations {
		if len(orgs) == 3 {
			break
		}
		b, err := a.Keys.P12("org", o.BIN, ca.GOST2015)
		if err != nil {
			t.Fatal(err)
		}
		f, err := pkcs12.Decode(b, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		e := f.Entries[0]
		orgs = append(orgs, org{o.BIN, cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}})
	}
	content := []byte("Supply contract No. 7")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{orgs[0].spec, orgs[1].spec}, cms.SignOptions{Detached: true, Now: a.Config.Now})
	if err != nil {
		t.Fatal(err)
	}
	call := func(o org, method, path string, body any) (int, []byte) {
		t.Helper()
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		st, _, b := orgCall(t, a, srv.URL, o.bin, method, path, raw)
		return st, b
	}
	st, body := call(orgs[0], "POST", "/v1/archive/documents", map[string]any{"name": "contract.txt", "content": content, "signatures": [][]byte{sig}})
	if st != 201 {
		t.Fatalf("ingest: %d %s", st, body)
	}
	var doc struct{ ID string }
	json.Unmarshal(body, &doc)
	for _, o := range orgs[:2] {
		if st, body := call(o, "GET", "/v1/archive/documents/"+doc.ID, nil); st != 200 || !strings.Contains(string(body), `"valid":true`) {
			t.Fatalf("%s: %d %s", o.bin, st, body)
		}
	}
	if st, _ := call(orgs[2], "GET", "/v1/archive/documents/"+doc.ID, nil); st != 404 {
		t.Fatalf("a third organisation: %d", st)
	}
	rep := exportedReport(t, a, srv.URL, orgs[1].bin, doc.ID)
	// Without --archive-ocsp, CRLs alone decide and no OCSP answer is embedded.
	if got := rep.Signatures[0].Result.Signers[0].Chain.OCSP.Status; got == pki.StatusGood {
		t.Fatalf("an OCSP answer was embedded with OCSP off: %s", got)
	}

	// A citizen who signed a document sees it in the cabinet with its report; another
	// citizen does not.
	c, other := a.Pop.Citizens[0], a.Pop.Citizens[1]
	id := archivedBy(t, a, c.IIN)
	b := newBrowser(t, srv.URL)
	b.login(c)
	if st, page := b.get("/archive/" + id + "?lang=en"); st != 200 || !strings.Contains(page, `id="verdict" class="ok"`) {
		t.Fatalf("the signer's report: %d\n%s", st, page)
	}
	if st, page := b.get("/archive?lang=en"); st != 200 || !strings.Contains(page, `id="doc-`+id+`"`) {
		t.Fatalf("the signer's list: %d", st)
	}
	checkVerifyHint(t, a, b, id)
	ob := newBrowser(t, srv.URL)
	ob.login(other)
	if st, _ := ob.get("/archive/" + id); st != 404 {
		t.Fatalf("another citizen: %d", st)
	}
}

// archivedBy stores a document signed by the sandbox citizen iin with their GOST key and
// returns its id.
func archivedBy(t *testing.T, a *App, iin string) string {
	t.Helper()
	b, err := a.Keys.P12("citizen", iin, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(b, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	content := []byte("Несие шарты № 24, 24 ай")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}},
		cms.SignOptions{Now: a.Config.Now})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := a.Identity.SubjectRef(t.Context(), iin)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := a.Archive.Ingest(t.Context(), ref, "Несие шарты.txt", nil, [][]byte{sig})
	if err != nil {
		t.Fatal(err)
	}
	return sum.ID
}

// orgSpec is the sandbox GOST key of organisation bin.
func orgSpec(t *testing.T, a *App, bin string) cms.SignerSpec {
	t.Helper()
	return sandboxSpec(t, a, "org", bin)
}

// sandboxSpec is the sandbox GOST key of a citizen (kind "citizen", by IIN) or an
// organisation ("org", by BIN), as a CMS signer.
func sandboxSpec(t *testing.T, a *App, kind, id string) cms.SignerSpec {
	t.Helper()
	b, err := a.Keys.P12(kind, id, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(b, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}
}

// orgClient is the Go API client of sandbox organisation bin, signing its requests
// with the organisation's sandbox P-256 key.
func orgClient(t *testing.T, a *App, base, bin string) *client.Client {
	t.Helper()
	p12, err := a.Keys.P12("org", bin, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{BaseURL: base, Key: key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rule DC-5: with --archive-ocsp (on in the sandbox) ingest asks the signer's OCSP
// responder — the sandbox CA's — beside the CRLs and embeds the answer, so the exported
// container verifies the signer's status offline from it. A certificate revoked after
// the CRLs were loaded is known only to OCSP: its signature is refused and nothing is
// stored.
func TestArchiveOCSPAtIngest(t *testing.T) {
	cfg := sandboxConfig(t, "")
	cfg.ArchiveOCSP = true
	a, srv := startSandbox(t, cfg)
	content := []byte("Lease agreement No. 12")
	goodBIN, revokedBIN := a.Pop.Organizations[0].BIN, a.Pop.Organizations[1].BIN
	good, revoked := orgSpec(t, a, goodBIN), orgSpec(t, a, revokedBIN)
	ingest := func(bin string, sig []byte) (int, []byte) {
		raw, _ := json.Marshal(map[string]any{"name": "lease.txt", "content": content, "signatures": [][]byte{sig}})
		st, _, body := orgCall(t, a, srv.URL, bin, "POST", "/v1/archive/documents", raw)
		return st, body
	}
	sign := func(spec cms.SignerSpec) []byte {
		sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Detached: true, Now: a.Config.Now})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	st, body := ingest(goodBIN, sign(good))
	if st != 201 {
		t.Fatalf("ingest: %d %s", st, body)
	}
	var doc struct{ ID string }
	json.Unmarshal(body, &doc)
	rep := exportedReport(t, a, srv.URL, goodBIN, doc.ID)
	if got := rep.Signatures[0].Result.Signers[0].Chain.OCSP; got.Status != pki.StatusGood || len(got.OCSPResponse) == 0 {
		t.Fatalf("offline OCSP from the embedded answer: %+v", got)
	}

	// Revoked now: the CRLs the server loaded at start still list it as good.
	if err := a.CA.Revoke(revoked.Cert.SerialNumber, pki.ReasonKeyCompromise, testNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	before := archiveCount(t, a)
	st, body = ingest(revokedBIN, sign(revoked))
	if st != 422 || !strings.Contains(string(body), "archive.signature.invalid") {
		t.Fatalf("a signer revoked by OCSP: %d %s", st, body)
	}
	if after := archiveCount(t, a); after != before {
		t.Fatalf("a refused ingest stored something: %d documents, was %d", after, before)
	}
}

// archiveCount is how many documents the archive holds.
func archiveCount(t *testing.T, a *App) int {
	t.Helper()
	var n int
	if err := a.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM archive_documents").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// exportedReport downloads document id's ASiC-E as organisation bin and verifies it
// offline with the sandbox's roots, as a relying party would; it must be valid.
func exportedReport(t *testing.T, a *App, base, bin, id string) *archive.Report {
	t.Helper()
	st, _, body := orgCall(t, a, base, bin, "GET", "/v1/archive/documents/"+id+"/asice", nil)
	if st != 200 {
		t.Fatalf("export: %d", st)
	}
	d, err := archive.ReadASiCE(body, archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := a.trustConfig()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := archive.VerifyDocument(t.Context(), d, archive.Trust{Roots: tc.Roots, Intermediates: tc.Intermediates}, testNow, archive.Policy{})
	if err != nil || !rep.Valid {
		t.Fatalf("offline: %v %v", err, rep.Errs())
	}
	return rep
}

// rule DC-6: serve --archive-blobs keeps the archive's bytes as files: a document
// stored in the sandbox is a file under the directory, none of its bytes are in the
// database, and it opens whole.
func TestArchiveBlobDirectory(t *testing.T) {
	cfg := sandboxConfig(t, "")
	cfg.ArchiveBlobDir = filepath.Join(t.TempDir(), "blobs")
	a, _ := startSandbox(t, cfg)
	c := a.Pop.Citizens[0]
	id := archivedBy(t, a, c.IIN)
	ref, err := a.Identity.SubjectRef(t.Context(), c.IIN)
	if err != nil {
		t.Fatal(err)
	}
	d, sm, err := a.Archive.Open(t.Context(), ref, id, false)
	if err != nil || len(d.Content) == 0 {
		t.Fatalf("open: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(cfg.ArchiveBlobDir, sm.ContentSHA256[:2], sm.ContentSHA256)); err != nil || !bytes.Equal(b, d.Content) {
		t.Fatalf("the content's file: %v", err)
	}
	var n int
	if err := a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM archive_blobs`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d blobs in the database (%v), want none", n, err)
	}
}

// rule DC-6: an organisation uses the archive through the Go client: it stores a
// contract two organisations signed (a retry with the same key stores nothing more),
// pages through its documents, reads the report, exports both containers; the other
// signer reads it too, a third organisation cannot, and imports the exported container
// as its own. Refusals come back as the client's error values.
func TestArchiveClient(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	orgs := a.Pop.Organizations[:3]
	bank, shop, third := orgClient(t, a, srv.URL, orgs[0].BIN), orgClient(t, a, srv.URL, orgs[1].BIN), orgClient(t, a, srv.URL, orgs[2].BIN)
	sign := func(content []byte, bins ...string) []byte {
		t.Helper()
		var specs []cms.SignerSpec
		for _, b := range bins {
			specs = append(specs, orgSpec(t, a, b))
		}
		sig, err := cms.Sign(ctx, content, specs, cms.SignOptions{Detached: true, Now: a.Config.Now})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	contract := []byte("Supply contract No. 8: 40 tonnes of wheat")
	sig := sign(contract, orgs[0].BIN, orgs[1].BIN)

	for name, tc := range map[string]struct {
		content []byte
		sig     []byte
		want    error
	}{
		"other content": {[]byte("Supply contract No. 8: 4 tonnes of wheat"), sig, client.ErrArchiveContentMismatch},
		"corrupt CMS":   {contract, sig[:60], client.ErrArchiveMalformedCMS},
	} {
		if _, err := bank.Archive(ctx, "contract.txt", tc.content, [][]byte{tc.sig}, ""); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	doc, err := bank.Archive(ctx, "contract.txt", contract, [][]byte{sig}, "contract-8")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := bank.Archive(ctx, "contract.txt", contract, [][]byte{sig}, "contract-8"); err != nil || again.ID != doc.ID {
		t.Fatalf("a retry: %+v %v", again, err)
	}
	memo := []byte("Memorandum")
	second, err := bank.Archive(ctx, "memo.txt", memo, [][]byte{sign(memo, orgs[0].BIN)}, "")
	if err != nil {
		t.Fatal(err)
	}

	var ids []string
	after := ""
	for range 3 {
		page, err := bank.ArchivedDocuments(ctx, 1, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Documents {
			ids = append(ids, d.ID)
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if len(ids) != 2 || ids[0] != second.ID || ids[1] != doc.ID {
		t.Fatalf("the bank's pages: %v, want [%s %s]", ids, second.ID, doc.ID)
	}
	if _, err := bank.ArchivedDocuments(ctx, 0, "not-a-cursor"); !errors.Is(err, client.ErrArchiveCursorInvalid) {
		t.Errorf("a bad cursor: %v", err)
	}

	got, err := shop.ArchivedDocument(ctx, doc.ID)
	if err != nil || got.Report == nil || !got.Report.Valid || len(got.Report.Signers) != 2 || got.ContentSHA256 != archive.Address(contract) {
		t.Fatalf("the other signer's view: %+v %v", got, err)
	}
	if _, err := third.ArchivedDocument(ctx, doc.ID); !errors.Is(err, client.ErrArchiveNotFound) {
		t.Fatalf("a third organisation: %v", err)
	}
	if _, err := third.ExportArchived(ctx, doc.ID, false); !errors.Is(err, client.ErrArchiveNotFound) {
		t.Fatalf("a third organisation's export: %v", err)
	}
	asics, err := shop.ExportArchived(ctx, doc.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := archive.ReadASiCS(asics, archive.Limits{}); err != nil || !bytes.Equal(d.Content, contract) {
		t.Fatalf("the ASiC-S: %v", err)
	}
	asice, err := bank.ExportArchived(ctx, doc.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := archive.ReadASiCE(asice, archive.Limits{}); err != nil || !bytes.Equal(d.Content, contract) {
		t.Fatalf("the ASiC-E: %v", err)
	}
	for form, zip := range map[string][]byte{"ASiC-S": asics, "ASiC-E": asice} {
		imp, err := third.ImportContainer(ctx, zip, "import-"+form)
		if err != nil || imp.ContentSHA256 != archive.Address(contract) {
			t.Fatalf("importing the %s: %+v %v", form, imp, err)
		}
		// A retry with its Idempotency-Key is answered as the first and stores nothing.
		again, err := third.ImportContainer(ctx, zip, "import-"+form)
		if err != nil || again.ID != imp.ID {
			t.Fatalf("retrying the %s import: %+v %v, want %s", form, again, err, imp.ID)
		}
	}
	// The same key with another container of the same meaning (the same document,
	// signature file and evidence in the other ZIP form) is the same request; with
	// another document's container it is refused.
	first, err := third.ImportContainer(ctx, asics, "import-ASiC-S")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := third.ImportContainer(ctx, asice, "import-ASiC-S"); err != nil || again.ID != first.ID {
		t.Fatalf("the ASiC-E under the ASiC-S's key: %+v %v, want %s", again, err, first.ID)
	}
	other, err := bank.ExportArchived(ctx, second.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.ImportContainer(ctx, other, "import-ASiC-S"); !errors.Is(err, client.ErrIdempotencyConflict) {
		t.Fatalf("a key reused for another container: %v", err)
	}
	if page, err := third.ArchivedDocuments(ctx, 0, ""); err != nil || len(page.Documents) != 2 {
		t.Fatalf("the third organisation's archive after two imports: %+v %v", page, err)
	}
}

// A document of several megabytes reaches the archive whole through the server as it
// runs, by both doors: the API (an organisation's signed request, which orgauth reads
// whole to check its signature, was cut at 1 MiB) and the cabinet's upload (the
// server refused any form over 256 KiB with JSON, before the shell's bound of the
// route). Issue 14, item 1.
func TestLargeDocuments(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	content := make([]byte, 3<<20)
	rand.Read(content)
	sign := func(spec cms.SignerSpec) []byte {
		t.Helper()
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{spec}, cms.SignOptions{Detached: true, Now: a.Config.Now})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}

	bin := a.Pop.Organizations[0].BIN
	doc, err := orgClient(t, a, srv.URL, bin).Archive(ctx, "scan.pdf", content, [][]byte{sign(orgSpec(t, a, bin))}, "")
	if err != nil {
		t.Fatalf("a 3 MiB document through the API: %v", err)
	}
	if doc.ContentSHA256 != archive.Address(content) {
		t.Fatalf("stored %s, want %s", doc.ContentSHA256, archive.Address(content))
	}

	alice := a.Pop.Citizens[2]
	b := newBrowser(t, srv.URL)
	b.login(alice)
	_, page := b.get("/archive/upload")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrfOf(t, page))
	mw.WriteField("name", "")
	for field, f := range map[string]struct {
		name string
		data []byte
	}{"document": {"scan.pdf", content}, "signatures": {"scan.pdf.cms", sign(sandboxSpec(t, a, "citizen", alice.IIN))}} {
		w, _ := mw.CreateFormFile(field, f.name)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/archive/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", srv.URL)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Request.URL.Path, "/archive/") || res.Request.URL.Path == "/archive/upload" {
		t.Fatalf("a 3 MiB upload in the cabinet: %d at %s", res.StatusCode, res.Request.URL.Path)
	}
	ref, err := a.Identity.SubjectRef(ctx, alice.IIN)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := documentsOf(t, a, ref)
	if err != nil || len(docs) != 1 || docs[0].Name != "scan.pdf" {
		t.Fatalf("the citizen's archive: %+v %v", docs, err)
	}
}

// checkVerifyHint runs the offline check the document page shows, as a citizen would:
// the command of #verify-command, with the roots and the container the page links saved
// under the names the command uses, through senim eds verify's own flag parser. It
// must pass; without its --ca (the hint before 2026-12-06 showed only "senim eds
// verify") the command refuses, exit 2.
func checkVerifyHint(t *testing.T, a *App, b *browser, id string) {
	t.Helper()
	_, page := b.get("/archive/" + id + "?lang=en")
	m := regexp.MustCompile(`id="verify-command">([^<]*)</code>`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `href="/archive/roots.pem"`) {
		t.Fatalf("no offline check on the document page:\n%s", page)
	}
	args := strings.Fields(html.UnescapeString(m[1]))
	if len(args) < 3 || args[0] != "senim" || args[1] != "eds" {
		t.Fatalf("the hint is not a senim eds command: %q", m[1])
	}
	dir := t.TempDir()
	t.Chdir(dir)
	save := func(path, name string) {
		st, body := b.get(path)
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	save("/archive/roots.pem", webarchive.RootsFile)
	save("/archive/"+id+"/container.asics", "senim-document-"+id+".asics")
	defer func(now func() time.Time) { edscmd.Now = now }(edscmd.Now)
	edscmd.Now = a.Config.Now
	run := func(args []string) (int, string) {
		var out, errOut bytes.Buffer
		code := edscmd.Command(t.Context(), args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run(args[2:]); code != 0 {
		t.Fatalf("%s: exit %d\n%s", m[1], code, out)
	}
	var bare []string
	for i := 2; i < len(args); i++ {
		if args[i] == "--ca" {
			i++
			continue
		}
		bare = append(bare, args[i])
	}
	if code, out := run(bare); code != 2 {
		t.Fatalf("without --ca: exit %d\n%s", code, out)
	}
}

// rule DC-6 (issue 14, item 5): a bank stores, opens and exports a loan agreement that
// a citizen signed with it; the citizen's "verify my history" shows each action with the
// bank named, in her language. Another citizen sees none of it. Before, an
// organisation's view or export of the citizen's document was in no citizen's history.
func TestArchiveOrgActionsInCitizensHistory(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	bank := a.Pop.Organizations[0]
	content := []byte("Loan agreement No. 31, 24 months")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{sandboxSpec(t, a, "citizen", alice.IIN), orgSpec(t, a, bank.BIN)},
		cms.SignOptions{Detached: true, Now: a.Config.Now})
	if err != nil {
		t.Fatal(err)
	}
	bc := orgClient(t, a, srv.URL, bank.BIN)
	doc, err := bc.Archive(ctx, "loan.txt", content, [][]byte{sig}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bc.ArchivedDocument(ctx, doc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.ExportArchived(ctx, doc.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ba, bb := newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	ba.login(alice)
	bb.login(bob)
	for lang, names := range map[string][]string{
		"en": {"A signed document was stored in the archive", "An archived document was opened", "An archived document was downloaded", bank.Names.EN},
		"ru": {"Подписанный документ сохранён в архиве", "Архивный документ открыт", "Архивный документ скачан", bank.Names.RU},
	} {
		_, page := ba.get("/history?lang=" + lang)
		page = html.UnescapeString(page)
		for _, s := range names {
			if !strings.Contains(page, s) {
				t.Errorf("%s: Alice's history lacks %q", lang, s)
			}
		}
		// The document's own page lists the same, the bank named.
		st, docPage := ba.get("/archive/" + doc.ID + "?lang=" + lang)
		_, table, _ := strings.Cut(html.UnescapeString(docPage), `id="document-history"`)
		if st != 200 || strings.Count(table, names[3]) < 3 {
			t.Errorf("%s: the document's history does not name the bank in its three lines: %d\n%s", lang, st, table)
		}
		if st, _ := bb.get("/archive/" + doc.ID + "?lang=" + lang); st != 404 {
			t.Errorf("%s: Bob opens Alice's document page: %d", lang, st)
		}
		_, other := bb.get("/history?lang=" + lang)
		other = html.UnescapeString(other)
		for _, s := range names[:3] {
			if strings.Contains(other, s) {
				t.Errorf("%s: Bob's history shows %q of Alice's document", lang, s)
			}
		}
	}
}

package app

import (
	"bytes"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/sandbox"
)

// orgCall makes an API call signed with the sandbox organisation bin's P-256 key.
func orgCall(t *testing.T, a *App, base, bin, method, path string, body []byte, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	p12, err := a.Keys.P12("org", bin, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if err := orgauth.SignRequest(req, body, e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...), testNow); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// rule DC-5, DC-6: in the sandbox a bank asks for a 24-month loan of 2,000,000 KZT, gets
// eds, the citizen signs it (time-stamped); the confirm.archive consumer puts the exact
// text and its CMS into the archive with the bank and the citizen as parties, once; the
// status API and the confirmation's page show the archive document; the bank exports its
// ASiC-E and `senim eds verify` verifies it offline against the sandbox root; one changed
// byte fails. Another organisation and another citizen see none of it.
func TestConfirmAgreementArchived(t *testing.T) {
	a, srv := newSandbox(t, "")
	if a.Archive == nil {
		t.Fatal("the sandbox has no archive")
	}
	ctx := t.Context()
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	bank, bankBIN := confirmBank(t, a, srv.URL)
	loan, err := bank.CreateConfirmation(ctx, client.ConfirmationRequest{SubjectIIN: alice.IIN, Deadline: testNow.Add(72 * time.Hour),
		Transaction: client.Transaction{Kind: "loan", TermMonths: 24, Amount: "2000000", Currency: "KZT", Obligations: []string{"repayment", "interest"}},
		Text:        map[string]string{"kk": loanText("kk"), "ru": loanText("ru")}})
	if err != nil || loan.Method != "eds" {
		t.Fatalf("loan: %+v %v", loan, err)
	}
	ba := newBrowser(t, srv.URL)
	csrf := csrfOf(t, ba.login(alice))
	_, lpage := ba.get("/confirm/" + loan.ID + "?lang=en")
	lsha := textSHARE.FindStringSubmatch(lpage)[1]
	if st, p := ba.post("/confirm/"+loan.ID+"/sign?lang=en", url.Values{"csrf": {csrf}, "lang": {"ru"}, "text_sha256": {lsha},
		"cms": {signTimeStamped(t, a, alice.IIN, loanText("ru"), true)}}); st != 200 || !strings.Contains(p, `id="archiving"`) {
		t.Fatalf("Alice's EDS: %d\n%s", st, p)
	}
	if s, _ := bank.ConfirmationStatus(ctx, loan.ID); s.ArchiveDocument != "" {
		t.Fatalf("archived before the consumer ran: %+v", s)
	}
	// Four archivers at once (redeliveries, other instances) all read "not archived
	// yet" and ingest; the guarded reference inside the ingest's transaction lets one
	// document through. Then the consumer itself finds it archived.
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- a.Confirm.ArchiveAgreement(ctx, loan.ID) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Confirm.SyncArchive(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := bank.ConfirmationStatus(ctx, loan.ID)
	if err != nil || s.ArchiveDocument == "" {
		t.Fatalf("status after archiving: %+v %v", s, err)
	}
	doc := s.ArchiveDocument
	var n int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM archive_documents`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("archive documents: %d %v", n, err)
	}
	// Both parties: the bank through the API, Alice in her cabinet; the page links it.
	if st, p := ba.get("/confirm/" + loan.ID + "?lang=en"); st != 200 || !strings.Contains(p, `href="/archive/`+doc+`"`) {
		t.Fatalf("the confirmation's page: %d\n%s", st, p)
	}
	if st, p := ba.get("/archive?lang=en"); st != 200 || !strings.Contains(p, `id="doc-`+doc+`"`) {
		t.Fatalf("Alice's archive: %d\n%s", st, p)
	}
	if st, p := ba.get("/archive/" + doc + "?lang=en"); st != 200 || !strings.Contains(p, `id="verdict" class="ok"`) {
		t.Fatalf("Alice's report: %d\n%s", st, p)
	}
	if st, _, body := orgCall(t, a, srv.URL, bankBIN, "GET", "/v1/archive/documents", nil); st != 200 || !strings.Contains(string(body), doc) {
		t.Fatalf("the bank's archive: %d %s", st, body)
	}
	bb := newBrowser(t, srv.URL)
	bb.login(bob)
	if st, _ := bb.get("/archive/" + doc); st != http.StatusNotFound {
		t.Errorf("Bob sees Alice's agreement: %d", st)
	}
	var other string
	for _, o := range a.Pop.Organizations {
		if o.BIN != bankBIN {
			other = o.BIN
			break
		}
	}
	if st, _, _ := orgCall(t, a, srv.URL, other, "GET", "/v1/archive/documents/"+doc+"/asice", nil); st != http.StatusNotFound {
		t.Errorf("another organisation exports the agreement: %d", st)
	}

	// Sealed into an evidence record, exported by the bank, verified offline.
	if _, err := a.Archive.Seal(ctx, 100); err != nil {
		t.Fatal(err)
	}
	st, _, container := orgCall(t, a, srv.URL, bankBIN, "GET", "/v1/archive/documents/"+doc+"/asice", nil)
	if st != 200 {
		t.Fatalf("export: %d %s", st, container)
	}
	d, err := archive.ReadASiCE(container, archive.Limits{})
	if err != nil || string(d.Content) != loanText("ru") || d.Name != confirm.AgreementName(loan.ID, "ru") {
		t.Fatalf("container: %v %q %q", err, d.Content, d.Name)
	}
	tc, err := a.trustConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	verify := func(file string) (int, string) {
		var out, errOut bytes.Buffer
		args := []string{"verify", file, "--at", testNow.Add(time.Hour).Format(time.RFC3339)}
		for _, c := range append(append([]*x509.Certificate{}, tc.Roots...), tc.Intermediates...) {
			args = append(args, "--ca", write(c.SerialNumber.String()+".cer", c.Raw))
		}
		code := edscmd.Command(ctx, args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := verify(write("agreement.asice", container)); code != 0 || !strings.Contains(out, `"valid": true`) && !strings.Contains(out, `"valid":true`) {
		t.Fatalf("senim eds verify: exit %d\n%s", code, out)
	}
	tampered := *d
	tampered.Content = bytes.Replace(d.Content, []byte("2 000 000"), []byte("3 000 000"), 1)
	var buf bytes.Buffer
	if err := archive.WriteASiCE(&buf, &tampered, testNow); err != nil {
		t.Fatal(err)
	}
	if code, out := verify(write("tampered.asice", buf.Bytes())); code != 1 {
		t.Fatalf("a changed amount verified: exit %d\n%s", code, out)
	}
}

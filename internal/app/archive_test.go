package app

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/sandbox"
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
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(raw))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if err := orgauth.SignRequest(req, raw, o.spec.Signer, append([]*x509.Certificate{o.spec.Cert}, o.spec.Chain...), testNow); err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
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
	st, body = call(orgs[1], "GET", "/v1/archive/documents/"+doc.ID+"/asice", nil)
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

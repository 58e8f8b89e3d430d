package archive

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/problem/problemtest"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-6: organisations store and read their archived documents through the API;
// the other party of a two-signer document (a second organisation) sees it, a third
// does not; bad input is a problem with a stable code and stores nothing; an export
// refused (no ASiC-S form) is not recorded as one.
func TestAPI(t *testing.T) {
	db := storetest.Open(t)
	w := newWorld(t)
	bank, bankBIN := w.orgSigner("Bank", 1)
	shop, shopBIN := w.orgSigner("Shop", 2)
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Trust: w.trust(), Now: func() time.Time { return w.clock },
		TSA: w.tsa1, TSAChain: []*x509.Certificate{w.tsa1.Config.Cert, w.root.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if bin := r.Header.Get("X-Test-Org"); bin != "" {
			r = r.WithContext(orgauth.WithCaller(r.Context(), &orgauth.Caller{BIN: bin}))
		}
		mux.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	var idemKey string
	var header http.Header // the last answer's
	call := func(bin, method, path string, body any) (int, map[string]any, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if bin != "" {
			req.Header.Set("X-Test-Org", bin)
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		header = resp.Header
		var m map[string]any
		json.Unmarshal(raw, &m)
		return resp.StatusCode, m, raw
	}
	content := []byte("supply contract")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{bank, shop}, cms.SignOptions{Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	w.clock = w.clock.Add(time.Minute)

	bad := []struct {
		name string
		body any
		code string
	}{
		{"corrupt", map[string]any{"name": "c.txt", "signatures": [][]byte{sig[:50]}}, "archive.signature.malformed"},
		{"other content", map[string]any{"name": "c.txt", "content": []byte("other"), "signatures": [][]byte{sig}}, "archive.signature.content_mismatch"},
		{"no signatures", map[string]any{"name": "c.txt"}, "request.invalid_field"},
		{"unknown field", map[string]any{"name": "c.txt", "x": 1}, "request.unknown_field"},
	}
	for _, b := range bad {
		if st, m, raw := call(bankBIN, "POST", "/v1/archive/documents", b.body); st/100 != 4 || m["code"] != b.code {
			t.Fatalf("%s: %d %s", b.name, st, raw)
		} else if d, _ := m["detail"].(string); strings.Contains(d, "BER") || strings.Contains(d, "cms:") {
			t.Errorf("%s: a parser's text reached the client: %q", b.name, d)
		} else if b.name == "corrupt" && m["cause"] != "eds.cms.malformed" {
			t.Errorf("corrupt: the cause's code is lost: %s", raw)
		}
	}
	if st, m, _ := call("", "POST", "/v1/archive/documents", map[string]any{"signatures": [][]byte{sig}}); st != 401 || m["code"] != "auth.unauthenticated" {
		t.Fatalf("unauthenticated: %d", st)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != 0 {
		t.Fatal("bad input stored a document")
	}

	st, m, raw := call(bankBIN, "POST", "/v1/archive/documents", map[string]any{"name": "contract.txt", "signatures": [][]byte{sig}})
	if st != 201 || m["content_sha256"] != Address(content) {
		t.Fatalf("ingest: %d %s", st, raw)
	}
	id := m["id"].(string)

	// With an Idempotency-Key a repeated POST answers the first answer and stores nothing
	// more; the same key with another body is a conflict.
	idemKey = "k-1"
	again := map[string]any{"name": "again.txt", "signatures": [][]byte{sig}}
	firstStatus, first, firstRaw := call(bankBIN, "POST", "/v1/archive/documents", again)
	firstHeader := header
	blobs := count(t, db, `SELECT COUNT(*) FROM archive_blobs`)
	st, second, raw := call(bankBIN, "POST", "/v1/archive/documents", again)
	if st != 201 || first["id"] == nil || second["id"] != first["id"] {
		t.Fatalf("replay: %d %s", st, raw)
	}
	problemtest.SameReplay(t, problemtest.Answer{Status: firstStatus, Header: firstHeader, Body: firstRaw},
		problemtest.Answer{Status: st, Header: header, Body: raw})
	// The replay is answered before any work: no new signature blob is left behind.
	if n := count(t, db, `SELECT COUNT(*) FROM archive_blobs`); n != blobs {
		t.Fatalf("the replay wrote %d blobs", n-blobs)
	}
	if st, m, _ := call(bankBIN, "POST", "/v1/archive/documents", map[string]any{"name": "other.txt", "signatures": [][]byte{sig}}); st != 422 ||
		m["code"] != "idempotency.key_conflict" {
		t.Fatalf("key reused: %d %v", st, m)
	}
	// The same request written otherwise — members in another order, other white space —
	// means the same and gets the first answer: the key compares the decoded request.
	sigB64, _ := json.Marshal(sig)
	raw2 := "{\n  \"signatures\" : [ " + string(sigB64) + " ],\n\t\"name\":\"again.txt\"\n}"
	req, _ := http.NewRequest("POST", srv.URL+"/v1/archive/documents", strings.NewReader(raw2))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Org", bankBIN)
	req.Header.Set("Idempotency-Key", idemKey)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != 201 || m["id"] != first["id"] {
			t.Fatalf("the same request in other bytes: %d %v, want %v", resp.StatusCode, m, first["id"])
		}
	}
	idemKey = ""
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != 2 {
		t.Fatalf("%d documents after a replay", n)
	}
	for _, bin := range []string{bankBIN, shopBIN} {
		if _, m, raw := call(bin, "GET", "/v1/archive/documents", nil); len(m["documents"].([]any)) < 1 {
			t.Fatalf("%s list: %s", bin, raw)
		}
		st, m, raw := call(bin, "GET", "/v1/archive/documents/"+id, nil)
		rep, _ := m["report"].(map[string]any)
		if st != 200 || rep == nil || rep["valid"] != true || len(rep["signers"].([]any)) != 2 {
			t.Fatalf("%s get: %d %s", bin, st, raw)
		}
		// Each signer signed for an organisation, which the report names beside its BIN.
		for i, want := range []string{"АО «Bank»", "АО «Shop»"} {
			if s := rep["signers"].([]any)[i].(map[string]any); s["organization"] != want || s["bin"] == nil {
				t.Fatalf("%s get: signer %d is not named as %s: %s", bin, i+1, want, raw)
			}
		}
	}
	// A page at a time: the two documents of the bank, newest first, then no cursor.
	_, p1, raw := call(bankBIN, "GET", "/v1/archive/documents?limit=1", nil)
	if docs, _ := p1["documents"].([]any); len(docs) != 1 || p1["next"] == nil {
		t.Fatalf("first page: %s", raw)
	}
	_, p2, raw := call(bankBIN, "GET", "/v1/archive/documents?limit=1&after="+p1["next"].(string), nil)
	if docs, _ := p2["documents"].([]any); len(docs) != 1 || docs[0].(map[string]any)["id"] == p1["documents"].([]any)[0].(map[string]any)["id"] {
		t.Fatalf("second page: %s", raw)
	}
	if p2["next"] != nil {
		t.Fatalf("the last page has a cursor: %s", raw)
	}
	for q, code := range map[string]string{"limit=0": "request.invalid_field", "limit=201": "request.invalid_field", "limit=x": "request.invalid_field",
		"after=nope": "archive.cursor.invalid", "sort=name": "request.invalid_field"} {
		if st, m, raw := call(bankBIN, "GET", "/v1/archive/documents?"+q, nil); st != 400 || m["code"] != code {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
	// The bank's cursor is nothing to the shop's list... unless the shop is a party of that document.
	if st, m, _ := call(shopBIN, "GET", "/v1/archive/documents?after="+id, nil); st != 200 || m["documents"] == nil {
		t.Errorf("the shop, a party of %s, with it as cursor: %d", id, st)
	}
	third := "900140000033"
	if st, m, _ := call(third, "GET", "/v1/archive/documents?after="+id, nil); st != 400 || m["code"] != "archive.cursor.invalid" {
		t.Fatalf("a third organisation pages from another's document: %d %v", st, m)
	}
	if _, m, _ := call(third, "GET", "/v1/archive/documents", nil); len(m["documents"].([]any)) != 0 {
		t.Fatal("a third organisation lists it")
	}
	for _, p := range []string{"/v1/archive/documents/" + id, "/v1/archive/documents/" + id + "/asice"} {
		if st, m, _ := call(third, "GET", p, nil); st != 404 || m["code"] != "archive.document.not_found" {
			t.Fatalf("a third organisation reads %s: %d", p, st)
		}
	}
	st, _, body := call(shopBIN, "GET", "/v1/archive/documents/"+id+"/asice", nil)
	if st != 200 {
		t.Fatalf("export: %d", st)
	}
	d, err := ReadASiCE(body, Limits{})
	if err != nil || !bytes.Equal(d.Content, content) {
		t.Fatalf("exported container: %v", err)
	}

	// Import of the same container back, and of hostile or changed ones.
	post := func(ct string, b []byte) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/archive/containers", bytes.NewReader(b))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Test-Org", third)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	before := count(t, db, `SELECT COUNT(*) FROM archive_documents`)
	var changed bytes.Buffer
	d.Content = []byte("supply contracT")
	WriteASiCE(&changed, d, w.clock)
	hostile := bytes.ReplaceAll(bytes.Clone(body), []byte("contract.txt"), []byte("../../../etc"))
	badContainers := []struct {
		name, ct string
		body     []byte
		status   int
		code     string
	}{
		{"not a container", MimeTypeASiCE, []byte("hello"), 422, "archive.asic.malformed"},
		{"path traversal", MimeTypeASiCE, hostile, 422, "archive.asic.bad_path"},
		{"zip bomb", MimeTypeASiCE, container(t, entry{"mimetype", []byte(MimeTypeASiCE), 0}, entry{"a.txt", make([]byte, 8<<20), 8},
			entry{"META-INF/signature001.p7s", []byte{0x30, 0}, 8}), 413, "archive.asic.too_large"},
		{"one byte changed", MimeTypeASiCE, changed.Bytes(), 422, "archive.signature.invalid"},
		{"JSON", "application/json", body, 415, "request.unsupported_media_type"},
	}
	for _, b := range badContainers {
		if st, m := post(b.ct, b.body); st != b.status || m["code"] != b.code {
			t.Fatalf("%s: %d %v", b.name, st, m)
		}
	}
	if count(t, db, `SELECT COUNT(*) FROM archive_documents`) != before {
		t.Fatal("a refused container stored a document")
	}
	st, m = post(MimeTypeASiCE, body)
	if st != 201 || m["content_sha256"] != Address(content) {
		t.Fatalf("import: %d %v", st, m)
	}
	if st, _, _ := call(third, "GET", "/v1/archive/documents/"+m["id"].(string), nil); st != 200 {
		t.Fatalf("the importer reads its import: %d", st)
	}
	// An import with an Idempotency-Key (design: every POST that creates something)
	// retried after a lost answer stores the document once and gives the same answer;
	// the key with another container is a conflict. Before, the header was ignored and
	// every retry stored another copy.
	postKey := func(key string, b []byte) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/archive/containers", bytes.NewReader(b))
		req.Header.Set("Content-Type", MimeTypeASiCE)
		req.Header.Set("X-Test-Org", third)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	docsBefore := count(t, db, `SELECT COUNT(*) FROM archive_documents`)
	st1, m1 := postKey("import-1", body)
	st2, m2 := postKey("import-1", body)
	if st1 != 201 || st2 != 201 || m1["id"] == nil || m1["id"] != m2["id"] {
		t.Fatalf("a retried import: %d %v, %d %v", st1, m1, st2, m2)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != docsBefore+1 {
		t.Fatalf("a retried import stored %d documents", n-docsBefore)
	}
	if st, m := postKey("import-1", changed.Bytes()); st != 422 || m["code"] != "idempotency.key_conflict" {
		t.Fatalf("the key with another container: %d %v", st, m)
	}
	// The same container zipped again (other entry times, so other bytes) is the same
	// request: the key compares the document, signature files and evidence, not the ZIP.
	// Before, it was a conflict.
	dz, err := ReadASiCE(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var rezipped bytes.Buffer
	if err := WriteASiCE(&rezipped, dz, w.clock.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(rezipped.Bytes(), body) {
		t.Fatal("the re-zipped container has the same bytes")
	}
	if st, m := postKey("import-1", rezipped.Bytes()); st != 201 || m["id"] != m1["id"] {
		t.Fatalf("the same container re-zipped under its key: %d %v, want %v", st, m, m1["id"])
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != docsBefore+1 {
		t.Fatalf("a re-zipped retry stored %d documents", n-docsBefore)
	}

	// rule DC-6: the default export, ASiC-S: the parties get it, a third organisation
	// does not; it imports back, and with one content byte changed it is refused.
	st, _, simple := call(shopBIN, "GET", "/v1/archive/documents/"+id+"/asics", nil)
	if st != 200 {
		t.Fatalf("ASiC-S export: %d", st)
	}
	ds, err := ReadASiCS(simple, Limits{})
	if err != nil || !bytes.Equal(ds.Content, content) || len(ds.Signatures) != 1 {
		t.Fatalf("exported ASiC-S: %v", err)
	}
	if st, m, _ := call(third, "GET", "/v1/archive/documents/"+id+"/asics", nil); st != 404 || m["code"] != "archive.document.not_found" {
		t.Fatalf("a third organisation reads the ASiC-S: %d", st)
	}
	var changedS bytes.Buffer
	if err := WriteASiCS(&changedS, &Document{Name: ds.Name, Content: []byte("supply contracT"), Signatures: ds.Signatures}, w.clock); err != nil {
		t.Fatal(err)
	}
	before = count(t, db, `SELECT COUNT(*) FROM archive_documents`)
	if st, m := post(MimeTypeASiCS, changedS.Bytes()); st != 422 || m["code"] != "archive.signature.invalid" {
		t.Fatalf("changed ASiC-S: %d %v", st, m)
	}
	if count(t, db, `SELECT COUNT(*) FROM archive_documents`) != before {
		t.Fatal("a refused ASiC-S stored a document")
	}
	if st, m := post(MimeTypeASiCS, simple); st != 201 || m["content_sha256"] != Address(content) {
		t.Fatalf("ASiC-S import: %d %v", st, m)
	}

	// Two signature files sealed under one evidence record have no ASiC-S form: 409,
	// and the ASiC-E is there.
	two := []byte("two signature files")
	var sigs [][]byte
	for _, s := range []cms.SignerSpec{bank, shop} {
		one, err := cms.Sign(t.Context(), two, []cms.SignerSpec{s}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, one)
	}
	st, m, raw = call(bankBIN, "POST", "/v1/archive/documents", map[string]any{"name": "two.txt", "content": two, "signatures": sigs})
	if st != 201 {
		t.Fatalf("ingest of two files: %d %s", st, raw)
	}
	twoID := m["id"].(string)
	if st, _, _ := call(bankBIN, "GET", "/v1/archive/documents/"+twoID+"/asics", nil); st != 200 {
		t.Fatalf("unsealed two files as ASiC-S: %d", st)
	}
	w.clock = w.clock.Add(time.Hour)
	if n, err := svc.Seal(t.Context(), 100); err != nil || n == 0 {
		t.Fatalf("seal: %d %v", n, err)
	}
	exports := func() int {
		return count(t, db, `SELECT COUNT(*) FROM outbox_events WHERE type = 'archive.document.exported' AND payload LIKE ?`, "%"+twoID+"%")
	}
	beforeExports := exports()
	if st, m, _ := call(bankBIN, "GET", "/v1/archive/documents/"+twoID+"/asics", nil); st != 409 || m["code"] != "archive.asic.not_simple" {
		t.Fatalf("sealed two files as ASiC-S: %d %v", st, m)
	}
	// Nothing was exported, so nothing says it was.
	if n := exports(); n != beforeExports {
		t.Fatalf("the refused ASiC-S was recorded as an export: %d events, %d before", n, beforeExports)
	}
	if st, _, _ := call(bankBIN, "GET", "/v1/archive/documents/"+twoID+"/asice", nil); st != 200 {
		t.Fatalf("sealed two files as ASiC-E: %d", st)
	}
	if n := exports(); n != beforeExports+1 {
		t.Fatalf("the ASiC-E export: %d events, %d before", n, beforeExports)
	}
	if st, _, _ := call(bankBIN, "GET", "/v1/archive/documents/"+id+"/asics", nil); st != 200 {
		t.Fatalf("sealed one file as ASiC-S: %d", st)
	}
}

// orgSigner issues an organisation's GOST 2015-512 signing certificate (OU=BIN…).
func (w *world) orgSigner(cn string, n int) (cms.SignerSpec, string) {
	bin := []string{"", "900140000009", "900240000018"}[n]
	key, err := eds.GenerateKey(nil, eds.KeyGOST2015_512)
	if err != nil {
		w.t.Fatal(err)
	}
	cert, err := w.root.Issue(tsptest.Template{CommonName: cn, OrgUnit: "BIN" + bin, Organization: `АО «` + cn + `»`, NotBefore: day(2026, 1, 1), NotAfter: day(2028, 1, 1),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return cms.SignerSpec{Signer: key, Cert: cert}, bin
}

// rule DC-6: an imported container whose evidence record does not hold is refused
// with the evidence's own code (422), not a server error: each evidence error maps
// to a problem.
func TestProblemEvidenceErrors(t *testing.T) {
	for _, e := range []error{ErrMalformedRecord, ErrNotCovered, ErrTimeStamp, ErrUnsupported, ErrWeakHash, ErrGap} {
		p := problem.From(Problem(fmt.Errorf("import: %w", e)))
		if p.Status != http.StatusUnprocessableEntity || p.Code != eds.Code(e) {
			t.Errorf("%v: %d %s", e, p.Status, p.Code)
		}
	}
	if p := problem.From(Problem(errors.New("disk full"))); p.Status != http.StatusInternalServerError {
		t.Errorf("an unrelated error became %d %s", p.Status, p.Code)
	}
}

// rule DC-6: a refusal's detail says what Senim found, never a library's own text
// (docs/api.md: detail never carries internal error text); the whole text stays the
// problem's cause for the log.
func TestProblemDetail(t *testing.T) {
	parser := errors.New("asn1: structure error: tags don't match (16 vs {class:0 tag:2})")
	revoked := fmt.Errorf("%w: the signer was revoked at 2026-01-02T00:00:00Z", eds.ErrSignatureInvalid)
	for _, c := range []struct {
		err                 error
		code, detail, cause string
	}{
		{fmt.Errorf("%w: signature %d: %w", ErrBadCMS, 2, parser), "archive.signature.malformed", "signature 2", ""},
		{fmt.Errorf("%w: %w", ErrBadCMS, parser), "archive.signature.malformed", "", ""},
		{fmt.Errorf("%w: signature 1 is attached; only detached signatures combine", ErrBadCMS), "archive.signature.malformed", "signature 1 is attached; only detached signatures combine", ""},
		{fmt.Errorf("%w: %w", ErrSignatureInvalid, revoked), "archive.signature.invalid", "", "eds.signature.invalid"},
		{fmt.Errorf("%w: %q: %w", ErrContainer, "a.txt", parser), "archive.asic.malformed", `"a.txt"`, ""},
		{fmt.Errorf("import: %w", fmt.Errorf("%w: batch 3 has no time-stamp", ErrMalformedRecord)), "archive.evidence.malformed", "batch 3 has no time-stamp", ""},
		{ErrNotFound, "archive.document.not_found", "", ""},
	} {
		p := problem.From(Problem(c.err))
		cause, _ := p.Extra["cause"].(string)
		if p.Code != c.code || p.Detail != c.detail || cause != c.cause {
			t.Errorf("%v:\n got %s %q %q\nwant %s %q %q", c.err, p.Code, p.Detail, cause, c.code, c.detail, c.cause)
		}
		if !errors.Is(Problem(c.err), c.err) {
			t.Errorf("%v: the cause is lost for the log", c.err)
		}
	}

	// Real parsers' refusals: a container that is not a ZIP, one whose manifest is not
	// XML, a CMS cut short. None of their words reach the client.
	for name, b := range map[string][]byte{
		"not a zip": []byte("PK\x03\x04 not really"),
		"garbage":   bytes.Repeat([]byte{0x30}, 64),
	} {
		_, err := ReadASiC(b, Limits{})
		p := problem.From(Problem(err))
		if p.Code == "" || p.Status != 422 {
			t.Fatalf("%s: %v -> %d %s", name, err, p.Status, p.Code)
		}
		for _, leak := range []string{"zip", "asn1", "xml"} {
			if strings.Contains(p.Detail, leak) {
				t.Errorf("%s: the detail %q carries %q", name, p.Detail, leak)
			}
		}
	}
}

// rule DC-6: an upload over the limit is archive.upload.too_large (413), its own code;
// a container whose entries expand beyond the limits keeps the ZIP-bomb code
// archive.asic.too_large (413). Before, an oversize upload was called a ZIP bomb.
// Nothing is stored either way.
func TestImportTooLarge(t *testing.T) {
	db := storetest.Open(t)
	w := newWorld(t)
	svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Trust: w.trust(), Now: func() time.Time { return w.clock },
		MaxDocument: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(rw, r.WithContext(orgauth.WithCaller(r.Context(), &orgauth.Caller{BIN: "900140000009"})))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		body []byte
		code string
	}{
		{"over the upload limit", make([]byte, 2<<20+1), "archive.upload.too_large"},
		{"a zip bomb", container(t, entry{"mimetype", []byte(MimeTypeASiCE), 0}, entry{"a.txt", make([]byte, 100<<20), 8},
			entry{"META-INF/signature001.p7s", []byte{0x30, 0}, 8}), "archive.asic.too_large"},
	} {
		resp, err := http.Post(srv.URL+"/v1/archive/containers", MimeTypeASiCE, bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != 413 || m["code"] != tc.code {
			t.Errorf("%s: %d %v, want 413 %s", tc.name, resp.StatusCode, m, tc.code)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM archive_documents`); n != 0 {
		t.Fatalf("%d documents stored", n)
	}
}

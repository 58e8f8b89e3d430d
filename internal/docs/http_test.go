package docs_test

import (
	"bytes"
	"encoding/json"
	"github.com/senimkz/senim/internal/verifycmd"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store/storetest"
)

type apiResult struct {
	status int
	body   []byte
	code   string
}

func (f *fixture) api(t *testing.T, bin, method, path, body string) apiResult {
	t.Helper()
	mux := http.NewServeMux()
	f.svc.Register(mux.Handle)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bin != "" {
		req = req.WithContext(orgauth.WithCaller(req.Context(), &orgauth.Caller{BIN: bin}))
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	var p struct{ Code string }
	json.Unmarshal(rec.Body.Bytes(), &p)
	return apiResult{rec.Code, rec.Body.Bytes(), p.Code}
}

// rule DD-7: a bank's information system, authenticated by its EDS, redeems a short
// code or a QR token and gets the document as structured JSON with the signed record;
// only it can list its views and download their records; without a certificate
// nothing answers, and bad bodies get their problem code and change nothing.
func TestAPI(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	bank, insurer := f.pop.Organizations[0].BIN, f.pop.Organizations[1].BIN
	op := f.open(t, f.owner, docs.KindIdentityCard)
	r := f.api(t, bank, "POST", "/v1/documents/redeem", `{"code":"`+strings.ToLower(op.Code)+`"}`)
	if r.status != 200 {
		t.Fatalf("redeem: %d %s", r.status, r.body)
	}
	var out docs.RedeemResponse
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Document.Type != "identity_card/v1" || out.Document.Fields["iin"] != f.owner.IIN || out.Document.Title["kk"] != "Жеке куәлік" || out.Share != op.Share.ID {
		t.Fatalf("answer %+v", out)
	}
	c, err := docs.VerifyRecord(out.Record, f.key.jwks())
	if err != nil || c.Verifier.BIN != bank || c.Verifier.Kind != docs.VerifierSystem || c.ID != out.View {
		t.Fatalf("record %+v %v", c, err)
	}
	op2 := f.open(t, f.owner, docs.KindAddressRegistration)
	if r := f.api(t, bank, "POST", "/v1/documents/redeem", `{"url":"`+op2.URL+`"}`); r.status != 200 {
		t.Fatalf("redeem by URL: %d %s", r.status, r.body)
	}
	f.syncLog(t)
	if r := f.api(t, bank, "GET", "/v1/documents/views/"+out.View+"/information", ""); r.status != 200 || !bytes.Contains(r.body, []byte(docs.InformationFormat)) {
		t.Fatalf("information: %d %s", r.status, r.body)
	}
	var list struct{ Views []docs.APIView }
	if r := f.api(t, bank, "GET", "/v1/documents/views", ""); json.Unmarshal(r.body, &list) != nil || len(list.Views) != 2 {
		t.Fatalf("views: %s", r.body)
	}

	op3 := f.open(t, f.owner, docs.KindBirthCertificate)
	for _, tc := range []struct {
		name, bin, method, path, body string
		status                        int
		code                          string
	}{
		{"no certificate redeems", "", "POST", "/v1/documents/redeem", `{"token":"` + op3.Token + `"}`, 401, "auth.unauthenticated"},
		{"no certificate lists", "", "GET", "/v1/documents/views", "", 401, "auth.unauthenticated"},
		{"no certificate downloads", "", "GET", "/v1/documents/views/" + out.View + "/information", "", 401, "auth.unauthenticated"},
		{"another organisation downloads", insurer, "GET", "/v1/documents/views/" + out.View + "/information", "", 404, "docs.not_found"},
		{"another organisation redeems a used share", insurer, "POST", "/v1/documents/redeem", `{"token":"` + op.Token + `"}`, 409, "docs.share.used"},
		{"two secrets", insurer, "POST", "/v1/documents/redeem", `{"token":"` + op3.Token + `","code":"` + op3.Code + `"}`, 400, "docs.secret.invalid"},
		{"no secret", insurer, "POST", "/v1/documents/redeem", `{}`, 400, "docs.secret.invalid"},
		{"URL without token", insurer, "POST", "/v1/documents/redeem", `{"url":"https://senim.test/documents/verify"}`, 400, "docs.secret.invalid"},
		{"unknown field", insurer, "POST", "/v1/documents/redeem", `{"iin":"x"}`, 400, "request.unknown_field"},
		{"not JSON", insurer, "POST", "/v1/documents/redeem", `code=1`, 400, "request.malformed_json"},
		{"forged token", insurer, "POST", "/v1/documents/redeem", `{"token":"AAAAAAAAAAAAAAAAAAAAAA"}`, 404, "docs.share.not_found"},
	} {
		r := f.api(t, tc.bin, tc.method, tc.path, tc.body)
		if r.status != tc.status || r.code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.code, tc.status, tc.code)
		}
	}
	if l, _ := f.svc.ViewsAsVerifier(t.Context(), "org:"+insurer); len(l) != 0 {
		t.Errorf("refused requests recorded %d views", len(l))
	}
	if sh, _ := f.svc.Share(t.Context(), f.owner.Ref, op3.Share.ID); sh.Verifier != "" {
		t.Errorf("refused requests bound the share to %s", sh.Verifier)
	}
}

// rule DC-8: senim docs verify checks a downloaded bundle offline: 0 when valid, 1 when
// forged, 2 when it cannot be used.
func TestVerifyCmd(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	op := f.open(t, f.owner, docs.KindIdentityCard)
	v, err := f.svc.Redeem(t.Context(), f.clerk, docs.Secret{Token: op.Token})
	if err != nil {
		t.Fatal(err)
	}
	f.syncLog(t)
	b, err := f.svc.Information(t.Context(), f.clerk.Subject, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	bundle, jwks := write("info.json", b), write("jwks.json", f.key.jwks())
	key := f.vkey
	forged := write("forged.json", bytes.Replace(b, []byte(`"record": "`), []byte(`"record": "x`), 1))
	var info docs.Information
	json.Unmarshal(b, &info)
	info.Key, info.RecordEvidence = nil, nil
	stripped, _ := json.Marshal(info)
	bare := write("bare.json", stripped) // without the key and the record's log entry
	// The keys as a Senim serves them: --jwks and --key may name its URLs.
	served := map[string]string{"/.well-known/jwks.json": string(f.key.jwks()), "/log/key": key + "\n"}
	senim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	defer senim.Close()
	for _, tc := range []struct {
		args []string
		want int
		out  string
	}{
		{[]string{bundle, "--jwks", jwks, "--key", key}, 0, "identity_card/v1 of IIN " + f.owner.IIN + " shown to employee IIN " + f.clerk.IIN + " BIN " + f.clerk.BIN},
		{[]string{bundle, "--jwks", jwks, "--key", key}, 0, "of the JWK set\n"},
		{[]string{forged, "--jwks", jwks, "--key", key}, 1, ""},
		// A JWK set without the record's key: the log vouches for the record through the
		// key and the record's own entry the bundle carries (rule DC-8), and nothing else.
		{[]string{bundle, "--jwks", write("other.json", newSigner(t).jwks()), "--key", key}, 0, "no longer in the JWK set: checked under the key the bundle carries"},
		{[]string{bare, "--jwks", write("other2.json", newSigner(t).jwks()), "--key", key}, 1, ""},
		{[]string{bare, "--jwks", jwks, "--key", key}, 0, "identity_card/v1 of IIN " + f.owner.IIN},
		{[]string{bundle, "--jwks", senim.URL + "/.well-known/jwks.json", "--key", senim.URL + "/log/key"}, 0, "identity_card/v1 of IIN " + f.owner.IIN},
		{[]string{forged, "--jwks", senim.URL + "/.well-known/jwks.json", "--key", senim.URL + "/log/key"}, 1, ""},
		{[]string{bundle, "--jwks", jwks, "--key", senim.URL + "/no/key"}, 2, ""},
		{[]string{bundle, "--jwks", jwks}, 2, ""},
		{[]string{filepath.Join(dir, "missing"), "--jwks", jwks, "--key", key}, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		if got := verifycmd.Docs(t.Context(), tc.args, &stdout, &stderr); got != tc.want || !strings.Contains(stdout.String(), tc.out) {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, got, tc.want, stdout.String(), stderr.String())
		}
	}
}

// The QR code's SVG and PNG have the code's size with a quiet zone, and its finder
// pattern where a reader looks for it.
func TestQR(t *testing.T) {
	q, err := docs.NewQR("https://senim.test/documents/verify#t=" + strings.Repeat("A", 22))
	if err != nil {
		t.Fatal(err)
	}
	n := q.Size()
	if (n-8-21)%4 != 0 || n < 29 {
		t.Fatalf("size %d is not a QR version's plus the quiet zone", n)
	}
	svg := q.SVG("QR <code>")
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "<title>QR &lt;code&gt;</title>") || !strings.Contains(svg, "M4 4h1v1h-1z") {
		t.Fatalf("svg %.200s", svg)
	}
	b, err := q.PNG(4)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 4*n {
		t.Fatalf("png %v %v", img.Bounds(), err)
	}
	dark := func(x, y int) bool { r, _, _, _ := img.At(x*4+1, y*4+1).RGBA(); return r < 0x8000 }
	for i := 0; i < 7; i++ { // the top-left finder's outer ring
		if !dark(4+i, 4) || !dark(4, 4+i) || !dark(10, 4+i) || !dark(4+i, 10) {
			t.Fatalf("finder pattern missing at %d", i)
		}
	}
	if dark(3, 3) || dark(5, 5) {
		t.Fatal("quiet zone or finder's inner ring is dark")
	}
	if _, err := q.PNG(0); err == nil {
		t.Fatal("scale 0 accepted")
	}
}

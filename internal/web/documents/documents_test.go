package documents

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/verifycmd"
	"github.com/senimkz/senim/internal/web/webtest"
)

type keySigner struct{ priv *ecdsa.PrivateKey }

func (k keySigner) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"`+typ+`"}`)) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + enc.EncodeToString(sig[:]), nil
}

type env struct {
	h     *webtest.Harness
	svc   *docs.Service
	log   *auditlog.Log
	pop   sandbox.Population
	senim *httptest.Server // serves the JWK set and the log's key, at Config.PublicURL
}

// jwks is k's public key as Senim's JWK set.
func (k keySigner) jwks() []byte {
	enc := base64.RawURLEncoding
	pt, _ := k.priv.PublicKey.Bytes() // 0x04 || X || Y
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
		"x": enc.EncodeToString(pt[1:33]), "y": enc.EncodeToString(pt[33:65])}}})
	return b
}

func mount(t *testing.T) *env {
	t.Helper()
	db := storetest.Open(t)
	skey, vkey, _ := note.GenerateKey(rand.Reader, "senim.test/log")
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	l, err := auditlog.New(t.Context(), auditlog.Config{DB: db, Signer: signer, Verifier: verifier, Origin: "senim.test/log"})
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pop := sandbox.Demo()
	svc, err := docs.New(docs.Config{DB: db, Source: sandbox.NewDocuments(pop), Signer: keySigner{priv}, Log: l,
		Issuer: "https://senim.test", VerifyURL: "https://senim.test/documents/verify"})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string][]byte{"/.well-known/jwks.json": keySigner{priv}.jwks(), "/log/key": []byte(vkey + "\n")}
	senim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := served[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(senim.Close)
	h := webtest.New(t)
	if err := Mount(h.Shell, Config{Docs: svc, PublicURL: senim.URL, OrgName: func(context.Context, string) string { return "Demo Bank JSC" }}); err != nil {
		t.Fatal(err)
	}
	return &env{h: h, svc: svc, log: l, pop: pop, senim: senim}
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	webtest.CheckGuards(t, mount(t).h)
}

// The vendored QR decoder is the file its VENDOR.md names, byte for byte, and is served
// with its hashed name, its type and immutable caching.
func TestVendored(t *testing.T) {
	b, err := os.ReadFile("assets/jsQR-1.4.0.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	md, _ := os.ReadFile("assets/VENDOR.md")
	if !strings.Contains(string(md), hex.EncodeToString(sum[:])) {
		t.Errorf("assets/jsQR-1.4.0.js (sha256 %x) is not the file VENDOR.md names", sum)
	}
	e := mount(t)
	w := e.h.Get("/documents/assets/"+jsQRName, nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Body.Len() != len(b) {
		t.Errorf("asset %d %v", w.Code, w.Header())
	}
	if w := e.h.Get("/documents/assets/jsQR.js", nil); w.Code != http.StatusNotFound {
		t.Errorf("an unhashed asset name: %d", w.Code)
	}
}

var codeRe = regexp.MustCompile(`id="short-code">([A-Z0-9 ]+)<`)

// rules DD-2, DD-3, DD-4, DD-5: the owner opens access and sees the QR code (inline
// SVG, a PNG to download), the short code once and a countdown; a verifier types the
// code and sees the live document with the time it was formed and the live seal; both
// cabinets then list the view with its record to download; a second verifier, and
// anyone but the owner, sees nothing.
func TestOpenAndVerify(t *testing.T) {
	e := mount(t)
	c := e.pop.Citizens
	owner := e.h.Citizen(c[0].IIN, c[0].Name)
	clerk := e.h.Login(identity.Session{Citizen: &identity.Citizen{IIN: c[3].IIN, Name: c[3].Name, Lang: "ru"}, Method: identity.MethodEDS, OrgBIN: e.pop.Organizations[0].BIN})
	other := e.h.Citizen(c[2].IIN, c[2].Name)

	w := e.h.Post("/documents/shares", url.Values{"kind": {docs.KindIdentityCard}}, owner)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.Contains(body, `href="data:image/png;base64,`) ||
		!strings.Contains(body, `id="countdown"`) || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("share page %d:\n%s", w.Code, body)
	}
	m := codeRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no short code on the page:\n%s", body)
	}
	shares, _ := e.svc.Shares(t.Context(), owner.Session.Citizen.Ref())
	if len(shares) != 1 {
		t.Fatalf("%d shares", len(shares))
	}
	id := shares[0].ID
	// The share's own page later shows its state and the countdown, never the secrets.
	if w := e.h.Get("/documents/shares/"+id, owner); w.Code != 200 || codeRe.MatchString(w.Body.String()) || strings.Contains(w.Body.String(), "<svg") {
		t.Errorf("share page afterwards %d:\n%s", w.Code, w.Body.String())
	}

	w = e.h.Post("/documents/verify", url.Values{"code": {strings.ToLower(m[1])}}, clerk)
	body = w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Удостоверение личности") || !strings.Contains(body, c[0].IIN) || !strings.Contains(body, `id="seal-disc"`) ||
		!strings.Contains(body, `id="formed-at"`) || !strings.Contains(w.Header().Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Fatalf("verified view %d:\n%s", w.Code, body)
	}
	views, _ := e.svc.ViewsAsOwner(t.Context(), owner.Session.Citizen.Ref())
	if len(views) != 1 || views[0].VerifierName != c[3].Name+", Demo Bank JSC" || views[0].VerifierKind != docs.VerifierEmployee {
		t.Fatalf("views %+v", views)
	}
	vid := views[0].ID
	var seal map[string]any
	if w := e.h.Get("/documents/views/"+vid+"/seal", clerk); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &seal) != nil || seal["live"] != true {
		t.Fatalf("seal %d %s", w.Code, w.Body.String())
	}
	if w := e.h.Get("/documents/views/"+vid+"/seal", owner); w.Code != http.StatusNotFound {
		t.Errorf("the owner reads the verifier's seal: %d", w.Code)
	}
	// A second verifier is refused with a page in their language.
	w = e.h.Post("/documents/verify", url.Values{"code": {m[1]}}, other)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "Another verifier has already used this access") || strings.Contains(w.Body.String(), c[0].IIN) {
		t.Errorf("second verifier %d:\n%s", w.Code, w.Body.String())
	}
	// Both cabinets list the view.
	if w := e.h.Get("/documents", owner); !strings.Contains(w.Body.String(), `id="mine-`+vid+`"`) || !strings.Contains(w.Body.String(), "Demo Bank JSC") {
		t.Errorf("owner's cabinet:\n%s", w.Body.String())
	}
	if w := e.h.Get("/documents", clerk); !strings.Contains(w.Body.String(), `id="seen-`+vid+`"`) {
		t.Errorf("verifier's cabinet:\n%s", w.Body.String())
	}
	// The record downloads for both once logged, for nobody else.
	if _, err := e.log.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*webtest.Login{owner, clerk} {
		if w := e.h.Get("/documents/views/"+vid+"/information.json", l); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
			t.Errorf("download %d", w.Code)
		}
	}
	// rule DC-8: the verifier's page names the command that checks a downloaded record,
	// with this Senim's keys; run on the record it verifies, on a changed one it does not.
	hint := regexp.MustCompile(`<code id="record-verify"[^>]*>([^<]*)</code>`).FindStringSubmatch(e.h.Get("/documents?lang=ru", clerk).Body.String())
	if hint == nil {
		t.Fatal("no verification command on the verifier's page")
	}
	args := strings.Fields(html.UnescapeString(hint[1]))
	if len(args) != 8 || strings.Join(args[:4], " ") != "senim docs verify FILE" {
		t.Fatalf("the hint's command %q", args)
	}
	record := e.h.Get("/documents/views/"+vid+"/information.json", clerk).Body.Bytes()
	file := filepath.Join(t.TempDir(), "record.json")
	for _, tc := range []struct {
		body []byte
		want int
	}{{record, 0}, {bytes.Replace(record, []byte(`"record": "`), []byte(`"record": "x`), 1), 1}} {
		os.WriteFile(file, tc.body, 0o600)
		var out, errb bytes.Buffer
		if code := verifycmd.Docs(t.Context(), append([]string{file}, args[4:]...), &out, &errb); code != tc.want {
			t.Errorf("%q on the record: exit %d, want %d\n%s%s", args, code, tc.want, out.String(), errb.String())
		}
	}
	// Another citizen: nothing of the owner's.
	for _, w := range []interface{ Result() *http.Response }{
		e.h.Get("/documents/shares/"+id, other),
		e.h.Post("/documents/shares/"+id+"/cancel", nil, other),
		e.h.Get("/documents/views/"+vid+"/information.json", other),
		e.h.Get("/documents/views/"+vid+"/seal", other),
	} {
		if s := w.Result().StatusCode; s != http.StatusNotFound {
			t.Errorf("another citizen: %d", s)
		}
	}
	// The owner cancels a second share; its code then shows nothing.
	w = e.h.Post("/documents/shares", url.Values{"kind": {docs.KindAddressRegistration}}, owner)
	m2 := codeRe.FindStringSubmatch(w.Body.String())
	shares, _ = e.svc.Shares(t.Context(), owner.Session.Citizen.Ref())
	if w := e.h.Post("/documents/shares/"+shares[0].ID+"/cancel", nil, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel %d", w.Code)
	}
	if w := e.h.Post("/documents/verify", url.Values{"code": {m2[1]}}, other); w.Code != http.StatusGone {
		t.Errorf("cancelled share: %d", w.Code)
	}
	// Bad input: an empty form re-renders with the error next to the field; a code of
	// the wrong shape is a page, not a panic; an unknown kind too.
	if w := e.h.Post("/documents/verify", url.Values{"code": {""}}, other); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Type the code the owner told you") {
		t.Errorf("empty code %d", w.Code)
	}
	if w := e.h.Post("/documents/verify", url.Values{"token": {"https://evil.example/#t=zz"}}, other); w.Code != http.StatusBadRequest {
		t.Errorf("bad token %d", w.Code)
	}
	if w := e.h.Post("/documents/shares", url.Values{"kind": {"passport"}}, owner); w.Code != http.StatusNotFound {
		t.Errorf("unknown kind %d", w.Code)
	}
}

// Every page renders in kk, ru and en with no raw key, event code or English leak.
func TestReadable(t *testing.T) {
	e := mount(t)
	c := e.pop.Citizens
	for _, lang := range i18n.Langs {
		owner := e.h.Citizen(c[0].IIN, c[0].Name)
		owner.Session.Citizen.Lang = lang
		verifier := e.h.Citizen(c[1].IIN, c[1].Name)
		verifier.Session.Citizen.Lang = lang
		q := "?lang=" + lang
		share := e.h.Post("/documents/shares"+q, url.Values{"kind": {docs.KindDrivingLicence}}, owner)
		m := codeRe.FindStringSubmatch(share.Body.String())
		if m == nil {
			t.Fatalf("%s: no code", lang)
		}
		view := e.h.Post("/documents/verify"+q, url.Values{"code": {m[1]}}, verifier)
		shares, _ := e.svc.Shares(t.Context(), owner.Session.Citizen.Ref())
		pages := map[string]string{
			"share":    share.Body.String(),
			"view":     view.Body.String(),
			"list":     e.h.Get("/documents"+q, owner).Body.String(),
			"listv":    e.h.Get("/documents"+q, verifier).Body.String(),
			"mine":     e.h.Get("/documents/mine/"+docs.KindVehicleRegistration+q, owner).Body.String(),
			"status":   e.h.Get("/documents/shares/"+shares[0].ID+q, owner).Body.String(),
			"verify":   e.h.Get("/documents/verify"+q, verifier).Body.String(),
			"used":     e.h.Post("/documents/verify"+q, url.Values{"code": {m[1]}}, e.h.Citizen(c[2].IIN, c[2].Name)).Body.String(),
			"notfound": e.h.Post("/documents/verify"+q, url.Values{"code": {"ZZZZZZZZZZ"}}, verifier).Body.String(),
		}
		for name, page := range pages {
			webtest.Readable(t, name, lang, page, "document", "verify", "access", "code")
		}
	}
}

var showRe = regexp.MustCompile(`href="(/documents/mine/[a-z_]+)"`)

// The list offers only the documents the source holds for the citizen, and each of
// them opens: the second demo citizen has no vehicle registration certificate, the
// first has one.
func TestListsOnlyHeld(t *testing.T) {
	e := mount(t)
	c := e.pop.Citizens
	for _, tc := range []struct {
		who     int
		vehicle bool
	}{{0, true}, {1, false}} {
		l := e.h.Citizen(c[tc.who].IIN, c[tc.who].Name)
		body := e.h.Get("/documents", l).Body.String()
		links := showRe.FindAllStringSubmatch(body, -1)
		if len(links) < 4 {
			t.Fatalf("citizen %d: %d documents listed:\n%s", tc.who, len(links), body)
		}
		if got := strings.Contains(body, `id="show-`+docs.KindVehicleRegistration+`"`); got != tc.vehicle {
			t.Errorf("citizen %d: vehicle registration listed %v, want %v", tc.who, got, tc.vehicle)
		}
		for _, m := range links {
			if w := e.h.Get(m[1], l); w.Code != http.StatusOK {
				t.Errorf("citizen %d: %s listed but answers %d", tc.who, m[1], w.Code)
			}
		}
	}
}

// A refused code comes back in the form, as typed, with the reason next to the field
// (aria-invalid, aria-describedby) and in the summary that links to it, so the
// verifier corrects it instead of starting again.
func TestVerifyRefusalKeepsForm(t *testing.T) {
	e := mount(t)
	c := e.pop.Citizens
	verifier := e.h.Citizen(c[1].IIN, c[1].Name)
	for _, tc := range []struct {
		code   string
		status int
		msg    string
	}{
		{"ZZZZ-ZZZZZZ", http.StatusNotFound, "There is no such code or QR code."},
		{"", http.StatusUnprocessableEntity, "Type the code the owner told you"},
	} {
		w := e.h.Post("/documents/verify", url.Values{"code": {tc.code}}, verifier)
		body := w.Body.String()
		if w.Code != tc.status {
			t.Errorf("%q: status %d, want %d", tc.code, w.Code, tc.status)
		}
		input := regexp.MustCompile(`<input id="code"[^>]*>`).FindString(body)
		for _, want := range []string{`value="` + tc.code + `"`, `aria-invalid="true"`, `aria-describedby="code-error"`} {
			if !strings.Contains(input, want) {
				t.Errorf("%q: the field %s lacks %s", tc.code, input, want)
			}
		}
		if !regexp.MustCompile(`<p class="field-error" id="code-error">`+regexp.QuoteMeta(tc.msg)).MatchString(body) ||
			!strings.Contains(body, `id="code-form"`) || !strings.Contains(body, `<a href="#code">`+tc.msg) {
			t.Errorf("%q: no form with the error next to the field and in the summary:\n%s", tc.code, body)
		}
	}
	// Locked out after too many wrong codes: the form says so and the answer says when
	// to come back (Retry-After), as the API's does.
	var w *httptest.ResponseRecorder
	for range 6 {
		w = e.h.Post("/documents/verify", url.Values{"code": {"ZZZZ-ZZZZZZ"}}, verifier)
	}
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `id="code-form"`) {
		t.Errorf("locked out: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// A field without an error is not marked invalid.
	if body := e.h.Get("/documents/verify", verifier).Body.String(); strings.Contains(body, "aria-invalid") || strings.Contains(body, "code-error") {
		t.Errorf("the empty form is marked invalid:\n%s", body)
	}
}

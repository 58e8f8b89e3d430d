package app

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web/sandboxui"
)

type started struct {
	Link, Events string
	QR           []string
}

// phone calls the eGov Mobile API as the app does and returns the status and the
// problem code or decoded body.
func phone(t *testing.T, method, u, token string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(string(body)))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json") // as eGov mobile sends API-2's PUT
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func putBody(method string, der []byte) []byte {
	b, _ := json.Marshal(mobilesign.Documents{SignMethod: method, DocumentsToSign: []mobilesign.Document{{ID: 1,
		Document: mobilesign.DocumentFile{File: mobilesign.File{Mime: "application/pkcs7-signature", Data: base64.StdEncoding.EncodeToString(der)}}}}})
	return b
}

// readEvent reads Server-Sent Events until one named name, returning its data.
func readEvent(t *testing.T, c *http.Client, u, name string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		} else if v, ok := strings.CutPrefix(line, "data: "); ok && event == name {
			return v
		} else if ok && (event == "gone") {
			t.Fatalf("event gone while waiting for %s", name)
		}
	}
	t.Fatalf("stream ended without %s", name)
	return ""
}

// EDS login through eGov Mobile's QR flow, with every bad input refused with its code
// and nothing changed: a reused link, a missing token, a signature over another text,
// then the good one, taken once by the page and checked by the login endpoint.
// rule DC-1 (a signature is checked against what was asked) — the login accepts the
// signature only through the same verification as a pasted one.
func TestMobileSignLogin(t *testing.T) {
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[2]
	b := newBrowser(t, srv.URL)
	_, page := b.get("/login/eds")
	if !strings.Contains(page, `id="sign-mobile"`) || !strings.Contains(page, `id="sign-ncalayer"`) {
		t.Fatalf("the EDS login page offers no NCALayer or eGov Mobile:\n%s", page)
	}
	csrf := csrfOf(t, page)
	text := challengeRE.FindStringSubmatch(page)[1]
	st, body := b.post("/login/eds/mobile", url.Values{"csrf": {csrf}})
	var s started
	if err := json.Unmarshal([]byte(body), &s); st != 200 || err != nil || !strings.HasPrefix(s.Link, "mobileSign:"+srv.URL+"/mobile-sign/") || len(s.QR) < 21 {
		t.Fatalf("start: %d %s", st, body)
	}
	// Without the CSRF token nobody starts one.
	if st, _ := b.post("/login/eds/mobile", url.Values{}); st != 403 {
		t.Errorf("start without csrf: %d", st)
	}
	link := strings.TrimPrefix(s.Link, "mobileSign:")

	st, info := phone(t, "GET", link, "", nil)
	doc, _ := info["document"].(map[string]any)
	if st != 200 || doc == nil || doc["auth_type"] != "Token" || info["description"] == "" {
		t.Fatalf("API-1: %d %v", st, info)
	}
	if org, _ := info["organisation"].(map[string]any); org["nameKz"] == "" {
		t.Errorf("API-1 names no organisation: %v", info)
	}
	uri, token := doc["uri"].(string), doc["auth_token"].(string)
	// Single use: a second read of the link is refused.
	if st, m := phone(t, "GET", link, "", nil); st != 410 || m["code"] != "mobilesign.link_used" {
		t.Errorf("reused link: %d %v", st, m)
	}
	if st, m := phone(t, "GET", uri, "wrong", nil); st != 401 || m["code"] != "mobilesign.auth" {
		t.Errorf("API-2 with a wrong token: %d %v", st, m)
	}
	st, docs := phone(t, "GET", uri, token, nil)
	if st != 200 || docs["signMethod"] != mobilesign.CMSWithData {
		t.Fatalf("API-2: %d %v", st, docs)
	}

	sign := func(ref, content string, attach bool) []byte {
		der, err := a.Keys.SignCMS(t.Context(), ref, []byte(content), attach)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	// A signature over another text (a tampered document) is refused, and the
	// request stays open.
	if st, m := phone(t, "PUT", uri, token, putBody(mobilesign.CMSWithData, sign("citizen:"+c.IIN, text+" and more", true))); st != 422 || m["code"] != "mobilesign.tampered" {
		t.Errorf("tampered document: %d %v", st, m)
	}
	// A detached signature when the data was asked for: malformed.
	if st, m := phone(t, "PUT", uri, token, putBody(mobilesign.CMSWithData, sign("citizen:"+c.IIN, text, false))); st != 400 || m["code"] != "mobilesign.malformed" {
		t.Errorf("wrong CMS form: %d %v", st, m)
	}
	if st, m := phone(t, "PUT", uri, token, []byte(`{"signMethod":"CMS_WITH_DATA","documentsToSign":[{"id":1,"document":{"file":{"data":"!!"}}}]}`)); st != 400 || m["code"] != "mobilesign.malformed" {
		t.Errorf("garbage: %d %v", st, m)
	}
	good := sign("citizen:"+c.IIN, text, true)
	if st, m := phone(t, "PUT", uri, token, putBody(mobilesign.CMSWithData, good)); st != 200 {
		t.Fatalf("good PUT: %d %v", st, m)
	}
	if st, m := phone(t, "PUT", uri, token, putBody(mobilesign.CMSWithData, good)); st != 409 || m["code"] != "mobilesign.already_signed" {
		t.Errorf("second PUT: %d %v", st, m)
	}
	// The page learns it, once.
	got := readEvent(t, b.c, srv.URL+s.Events, "signed")
	if got != base64.StdEncoding.EncodeToString(good) {
		t.Fatal("the page got another signature")
	}
	if st, _ := b.get(s.Events); st != 200 {
		t.Errorf("events after take: %d", st)
	}
	if gone := readEvent(t, b.c, srv.URL+s.Events, "gone"); gone != "" {
		t.Errorf("gone event data %q", gone)
	}
	// The login endpoint checks it as it checks a pasted one.
	st, home := b.post("/login/eds", url.Values{"csrf": {csrf}, "cms": {got}})
	if st != 200 || !strings.Contains(home, `id="logout"`) {
		t.Fatalf("login with the phone's signature: %d\n%s", st, home)
	}
}

// The eGov Mobile service refuses a signer who is not the one the page expects and a
// revoked key, with stable codes, and the request stays open for the right signature.
// rule PD-6.1.1 (a consent is confirmed by the citizen's own EDS signature).
func TestMobileSignWrongSignerAndRevoked(t *testing.T) {
	a, _ := newSandbox(t, "")
	me, other := a.Pop.Citizens[3], a.Pop.Citizens[5]
	svc, err := mobilesign.New(mobilesign.Config{DB: a.DB, Validator: a.Trust, Now: a.Config.Now, Revocation: []pki.RevocationMethod{pki.RevocationCRL}})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte("I consent, as a test of PD-6.1.1")
	st, err := svc.Start(t.Context(), "http://x", mobilesign.Request{Document: doc, Method: mobilesign.CMSSignOnly, ExpectIIN: me.IIN,
		Description: map[string]string{"ru": "тест"}})
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimPrefix(st.Link, "http://x/mobile-sign/")
	info, err := svc.Open(t.Context(), link, "http://x", "ru")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(info)
	var li struct {
		Document struct {
			AuthToken string `json:"auth_token"`
		} `json:"document"`
	}
	json.Unmarshal(b, &li)
	token := li.Document.AuthToken
	put := func(ref string) error {
		der, err := a.Keys.SignCMS(t.Context(), ref, doc, false)
		if err != nil {
			t.Fatal(err)
		}
		return svc.Accept(t.Context(), link, token, putBody(mobilesign.CMSSignOnly, der))
	}
	if err := put("citizen:" + other.IIN); !isCode(err, "mobilesign.wrong_signer") {
		t.Errorf("another citizen's signature: %v", err)
	}
	if w, _ := svc.Watch(t.Context(), st.Watch); w.State != mobilesign.StateOpened || w.Refusal != "mobilesign.wrong_signer" {
		t.Errorf("after a refusal: %+v", w)
	}
	// Revoke my key: my signature is refused as invalid.
	p12, _ := a.Keys.P12("citizen", me.IIN, ca.GOST2015)
	f, err := pkcs12.Decode(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CA.Revoke(f.Entries[0].Certificate.SerialNumber, pki.ReasonKeyCompromise, testNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	crls, err := a.CA.CRLs()
	if err != nil {
		t.Fatal(err)
	}
	a.Trust.SetCRLs(crls)
	if err := put("citizen:" + me.IIN); !isCode(err, "mobilesign.invalid") {
		t.Errorf("revoked key: %v", err)
	}
	if w, _ := svc.Watch(t.Context(), st.Watch); w.State != mobilesign.StateOpened {
		t.Errorf("a refused signature changed the request: %+v", w)
	}
	// An unknown watch token learns nothing.
	if w, _ := svc.Watch(t.Context(), "nobody"); w.State != mobilesign.StateGone {
		t.Errorf("unknown watch: %+v", w)
	}
	if _, err := svc.Take(t.Context(), st.Watch); !isCode(err, "mobilesign.link_gone") {
		t.Errorf("take before signing: %v", err)
	}
}

func isCode(err error, code string) bool { return err != nil && problem.From(err).Code == code }

// The sandbox's simulators are never mounted in production: no phone page, and the
// signing page links to no simulator.
func TestSignSimulatorsNotInProduction(t *testing.T) {
	a, err := New(t.Context(), Config{DataDir: t.TempDir(), KEKFile: kekFile(t), Now: func() time.Time { return testNow }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	if st, _ := b.get(sandboxui.PhonePath); st != 404 {
		t.Errorf("sandbox phone page in production: %d", st)
	}
	st, page := b.get("/login/eds")
	if st != 200 || strings.Contains(page, "sign-nca-window") || strings.Contains(page, "sign-phone") || strings.Contains(page, "eds-how") {
		t.Errorf("production EDS page shows a sandbox way: %d\n%s", st, page)
	}
	if !strings.Contains(page, `data-ncalayer="wss://127.0.0.1:13579"`) {
		t.Error("production EDS page does not use NCALayer's address")
	}
}

// The file path of EDS login: challenge.txt that gained a line end in an editor
// before it was signed is the same answer, attached or detached; any other extra text
// is not. rule DC-1
func TestEDSLoginChallengeWithLineEnd(t *testing.T) {
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[4]
	for _, tc := range []struct {
		name, suffix string
		attach, ok   bool
	}{
		{"attached, LF", "\n", true, true},
		{"detached, LF", "\n", false, true},
		{"detached, CRLF", "\r\n", false, true},
		{"attached, two LF", "\n\n", true, false},
		{"detached, a space", " ", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, srv.URL)
			_, page := b.get("/login/eds?lang=en")
			csrf := csrfOf(t, page)
			_, text := b.get("/login/eds/challenge.txt")
			der, err := a.Keys.SignCMS(t.Context(), "citizen:"+c.IIN, []byte(text+tc.suffix), tc.attach)
			if err != nil {
				t.Fatal(err)
			}
			st, home := b.post("/login/eds?lang=en", url.Values{"csrf": {csrf}, "cms": {base64.StdEncoding.EncodeToString(der)}})
			if got := st == 200 && strings.Contains(home, `id="logout"`); got != tc.ok {
				t.Fatalf("logged in %v, want %v: %d", got, tc.ok, st)
			}
			if !tc.ok && !strings.Contains(home, html.EscapeString(i18n.T("en", "error.identity.eds.wrong_challenge"))) {
				t.Errorf("the refusal does not say the text differs:\n%s", home)
			}
		})
	}
}

// The regulator's employee logs in through eGov Mobile with their employee key and
// is staff, with no terminal. rule DC-1
func TestMobileSignEmployeeLogin(t *testing.T) {
	a, srv := newSandbox(t, "")
	var iin string
	for e := range sandbox.Staff(a.Pop) {
		iin = e
	}
	b := newBrowser(t, srv.URL)
	_, page := b.get("/login/eds?lang=en")
	csrf := csrfOf(t, page)
	_, body := b.post("/login/eds/mobile", url.Values{"csrf": {csrf}})
	var s started
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	_, info := phone(t, "GET", strings.TrimPrefix(s.Link, "mobileSign:"), "", nil)
	doc := info["document"].(map[string]any)
	uri, token := doc["uri"].(string), doc["auth_token"].(string)
	_, docs := phone(t, "GET", uri, token, nil)
	text, _ := base64.StdEncoding.DecodeString(docs["documentsToSign"].([]any)[0].(map[string]any)["document"].(map[string]any)["file"].(map[string]any)["data"].(string))
	der, err := a.Keys.SignCMS(t.Context(), "employee:"+iin, text, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, m := phone(t, "PUT", uri, token, putBody(mobilesign.CMSWithData, der)); st != 200 {
		t.Fatalf("PUT: %d %v", st, m)
	}
	got := readEvent(t, b.c, srv.URL+s.Events, "signed")
	st, home := b.post("/login/eds?lang=en", url.Values{"csrf": {csrf}, "cms": {got}})
	if st != 200 || !strings.Contains(home, `id="logout"`) || !strings.Contains(home, `href="/console"`) {
		t.Fatalf("employee login through eGov Mobile: %d\n%s", st, home)
	}
}

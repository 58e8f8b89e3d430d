package app

import (
	"encoding/pem"
	"html"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/sandbox"
)

var challengeRE = regexp.MustCompile(`<pre id="eds-challenge"[^>]*>([^<]*)</pre>`)

func signPEM(t *testing.T, p12 []byte, password, text string) string {
	t.Helper()
	f, err := pkcs12.Decode(p12, password)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	der, err := cms.Sign(t.Context(), []byte(text), []cms.SignerSpec{{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}}, cms.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: der}))
}

func TestEDSLogin(t *testing.T) {
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[1]
	key, err := a.Keys.P12("citizen", c.IIN, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	challenge := func(b *browser) (string, string) {
		t.Helper()
		st, page := b.get("/login/eds")
		m := challengeRE.FindStringSubmatch(page)
		if st != 200 || m == nil {
			t.Fatalf("EDS login page: %d\n%s", st, page)
		}
		return html.UnescapeString(m[1]), csrfOf(t, page)
	}

	b := newBrowser(t, srv.URL)
	if _, page := b.get("/login"); !strings.Contains(page, `id="login-eds"`) {
		t.Error("the login page does not offer EDS login")
	}
	text, csrf := challenge(b)
	// The challenge can also be downloaded as a file to sign.
	if st, body := b.get("/login/eds/challenge.txt"); st != 200 || body != text {
		t.Errorf("challenge.txt: %d %q, want %q", st, body, text)
	}
	st, home := b.post("/login/eds", url.Values{"csrf": {csrf}, "cms": {signPEM(t, key, sandbox.KeyPassword, text)}})
	if st != 200 || !strings.Contains(home, c.Name) || !strings.Contains(home, "электрондық цифрлық қолтаңба") {
		t.Fatalf("EDS login: %d\n%s", st, home)
	}
	var method string
	a.DB.QueryRowContext(t.Context(), `SELECT method FROM sessions`).Scan(&method)
	if method != "eds" {
		t.Errorf("session method %q, want eds", method)
	}
	// The challenge was spent.
	if st, _ := b.post("/login/eds", url.Values{"csrf": {csrf}, "cms": {signPEM(t, key, sandbox.KeyPassword, text)}}); st != 401 {
		t.Errorf("challenge reused: %d, want 401", st)
	}

	nca := func(p string) []byte {
		b, err := os.ReadFile("../../testdata/nca-gost2022/" + p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		cms  func(text string) string
		code string
	}{
		{"another text signed", func(string) string { return signPEM(t, key, sandbox.KeyPassword, "Senim login something else") }, "identity.eds.wrong_challenge"},
		{"garbage", func(string) string { return "not a signature" }, "identity.eds.malformed"},
		// A valid NCA test signature whose certificate's IIN fails the check digit.
		{"NCA test key: IIN fails the check digit", func(text string) string {
			return signPEM(t, nca("individual/valid/individual_valid.p12"), "Qwerty12", text)
		}, "identity.eds.iin_invalid"},
		// Revoked on 2026-06-02 although filed under valid/.
		{"revoked certificate", func(text string) string { return signPEM(t, nca("legal/valid/employee.p12"), "Qwerty12", text) }, "identity.eds.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, srv.URL)
			text, csrf := challenge(b)
			st, page := b.post("/login/eds?lang=en", url.Values{"csrf": {csrf}, "cms": {tt.cms(text)}})
			if st < 400 || strings.Contains(page, `id="welcome"`) {
				t.Fatalf("%d: logged in\n%s", st, page)
			}
			if want := html.EscapeString(i18n.T("en", "error."+tt.code)); !strings.Contains(page, want) {
				t.Errorf("page does not say %q:\n%s", want, page)
			}
			// The page stays usable: a new challenge is shown.
			if challengeRE.FindStringSubmatch(page) == nil {
				t.Error("no challenge on the error page")
			}
		})
	}
}

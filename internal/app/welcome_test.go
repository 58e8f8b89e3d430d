package app

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web/webtest"
)

// Issue 10 item 8: the demo logins printed at start include the regulator's employee and
// how she opens the console; the demo population is a page too (HTML for a browser, in
// every language, JSON otherwise), marking her.
func TestSandboxWelcomeAndPopulationPage(t *testing.T) {
	a, srv := newSandbox(t, "")
	var out bytes.Buffer
	a.PrintSandboxWelcome(&out, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	staff := sandbox.Staff(a.Pop)
	var olga sandbox.Citizen
	for _, c := range a.Pop.Citizens {
		if staff[c.IIN] != "" {
			olga = c
		}
	}
	for _, want := range []string{olga.IIN, olga.Password, olga.Name, "/console", "/login/eds", "employee key", sandbox.KeyPassword, "/sandbox/population"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the welcome lacks %q:\n%s", want, out.String())
		}
	}
	b := newBrowser(t, srv.URL)
	for _, lang := range []string{"kk", "ru", "en"} {
		st, page := b.get("/sandbox/population?lang=" + lang)
		if st != 200 || !strings.Contains(page, `id="staff-`+olga.IIN+`"`) || !strings.Contains(page, olga.Password) || !strings.Contains(page, `id="people"`) {
			t.Errorf("%s population page: %d", lang, st)
		}
		webtest.Readable(t, "/sandbox/population", lang, page)
	}
	_, page := b.get("/sandbox/population?lang=kk")
	if !strings.Contains(page, "«Демо Банк» АҚ") {
		t.Error("the organizations are not named in Kazakh")
	}
	res, err := http.Get(srv.URL + "/sandbox/population")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("an API client gets %q", ct)
	}
}

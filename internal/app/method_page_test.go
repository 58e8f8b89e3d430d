package app

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/i18n"
)

// Browsers get HTML error pages in their language — a method the path does not serve
// too. A form's answer is shown at the form's address (POST /logout, /consents/{id}/revoke,
// /inbox/{ref}/acknowledge …); opened again by that address (a restored tab, the
// history) a browser got an English problem+json "Method not allowed". It now gets the
// cabinet's page in its language, still 405 with the Allow header; an API client
// still gets problem+json.
func TestMethodNotAllowedPageInHerLanguage(t *testing.T) {
	_, srv := newSandbox(t, "")
	for _, lang := range i18n.Langs {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/logout?lang="+lang, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := html.UnescapeString(string(b))
		if res.StatusCode != http.StatusMethodNotAllowed || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Allow") != "POST" ||
			!strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, i18n.T(lang, "error.http.method_not_allowed")) {
			t.Errorf("%s browser: %d %q Allow %q:\n%s", lang, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Allow"), body)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/logout", nil)
	req.Header.Set("Accept", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct{ Code string }
	json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Content-Type") != "application/problem+json" || p.Code != "http.method_not_allowed" {
		t.Errorf("API client: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), p.Code)
	}
}

package inbox

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
)

// sendNamed sends alice a notice from a state body named in each language.
func sendNamed(t *testing.T, svc *notify.Service, subject string, names pd.Titles, significant bool, content map[string]notify.Text) *notify.Notice {
	t.Helper()
	n, err := svc.Send(t.Context(), notify.Message{Subject: subject, Sender: names.EN, SenderNames: names, Significant: significant, Content: content})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	revenue = pd.Titles{KK: "Мемлекеттік кірістер комитеті", RU: "Комитет государственных доходов", EN: "State Revenue Committee"}
	kkRU    = map[string]notify.Text{"kk": {Title: "Салық", Body: "Салықты төлеңіз."}, "ru": {Title: "Налог", Body: "Оплатите налог."}}
)

// rule DC-2: the sender is named in the page's language on the inbox list, on the
// acknowledgement screen and in the notice — not in one language for every reader.
func TestSenderNamedInReadersLanguage(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	n := sendNamed(t, svc, alice.Session.Citizen.Ref(), revenue, true, kkRU)
	for lang, want := range map[string]string{"kk": revenue.KK, "ru": revenue.RU, "en": revenue.EN} {
		for _, path := range []string{"/inbox?lang=" + lang, "/inbox/" + n.Ref + "?lang=" + lang} {
			w := h.Get(path, alice)
			body := html.UnescapeString(w.Body.String())
			if w.Code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s: the sender is not named %q:\n%s", path, want, body)
			}
			for other, name := range map[string]string{"kk": revenue.KK, "ru": revenue.RU, "en": revenue.EN} {
				if other != lang && strings.Contains(body, name) {
					t.Errorf("%s: the sender is named in %s too (%q)", path, other, name)
				}
			}
		}
	}
	// Opened in Kazakh, the content names it in Kazakh.
	w := h.Post("/inbox/"+n.Ref+"/acknowledge?lang=kk", nil, alice)
	if body := html.UnescapeString(w.Body.String()); w.Code != http.StatusOK || !strings.Contains(body, "Жіберуші: "+revenue.KK) {
		t.Errorf("the opened notice does not name the sender in Kazakh:\n%s", body)
	}
}

// The notice's content carries the language it is in: an English page showing the
// Russian text it fell back to says lang="ru" on the content (so a screen reader reads
// it as Russian) and keeps the page's own words in English; a Kazakh page of a Kazakh
// text says lang="kk".
func TestNoticeContentLang(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	for _, tc := range []struct{ page, content string }{{"en", "ru"}, {"kk", "kk"}, {"ru", "ru"}} {
		n := sendNamed(t, svc, alice.Session.Citizen.Ref(), revenue, false, kkRU)
		w := h.Get("/inbox/"+n.Ref+"?lang="+tc.page, alice)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `<article id="notice-content" data-ref="`+n.Ref+`" lang="`+tc.content+`">`) {
			t.Errorf("%s page: the content does not say lang=%q:\n%s", tc.page, tc.content, body)
		}
		if !strings.Contains(body, `<p class="hint" lang="`+tc.page+`">`) {
			t.Errorf("%s page: the page's own words inside the content do not say lang=%q", tc.page, tc.page)
		}
	}
}

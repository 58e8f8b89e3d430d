package inbox

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
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

// citizensOf finds the harness's logins by IIN, for the sending API.
type citizensOf map[string]*webtest.Login

func (m citizensOf) CitizenByIIN(_ context.Context, iin string) (*identity.Citizen, error) {
	if l, ok := m[iin]; ok {
		return l.Session.Citizen, nil
	}
	return nil, identity.ErrNotFound
}

func (m citizensOf) CitizenByID(_ context.Context, id int64) (*identity.Citizen, error) {
	for _, l := range m {
		if l.Session.Citizen.ID == id {
			return l.Session.Citizen, nil
		}
	}
	return nil, identity.ErrNotFound
}

// namedOrg names the sending state body in each language.
type namedOrg struct{}

func (namedOrg) OrganizationByBIN(_ context.Context, bin string) (*identity.Organization, error) {
	return &identity.Organization{BIN: bin, Name: revenue.EN, Names: identity.Names{KK: revenue.KK, RU: revenue.RU, EN: revenue.EN}}, nil
}

// mountSender is mount with the sending API's collaborators: alice is a citizen the
// API finds by IIN and senderBIN a state body with a sender permission.
func mountSender(t *testing.T) (*webtest.Harness, *notify.Service, *webtest.Login) {
	t.Helper()
	h, svc, alice, _ := mountSenderClock(t)
	return h, svc, alice
}

// mountSenderClock is mountSender with the service's clock, which the test may move.
func mountSenderClock(t *testing.T) (*webtest.Harness, *notify.Service, *webtest.Login, *time.Time) {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := webtest.New(t)
	alice := h.Citizen(iinAlice, "Alice")
	now := new(time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC))
	svc, err := notify.New(notify.Config{DB: storetest.Open(t), Directory: noDir{}, Organizations: namedOrg{}, Signer: keySigner{priv},
		Issuer: "https://senim.test", Citizens: citizensOf{iinAlice: alice}, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := Mount(h.Shell, Config{Notices: svc, StreamFor: 5 * time.Second, Poll: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetSender(t.Context(), "admin:test", senderBIN, []string{"tax"}); err != nil {
		t.Fatal(err)
	}
	return h, svc, alice, now
}

var senderBIN = mkIIN("99014000001")

func submit(t *testing.T, svc *notify.Service, readBy *time.Time, key string) *notify.Accepted {
	t.Helper()
	acc, err := svc.Submit(t.Context(), senderBIN, notify.Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, ReadBy: readBy,
		Content: kkRU}, &notify.IdemKey{Key: key, Body: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// rule DC-2: the acknowledgement screen of a legally significant notice with a read-by
// deadline says until when to read it, in Astana time and the page's language; one
// without a deadline says none.
func TestAcknowledgementShowsReadBy(t *testing.T) {
	h, svc, alice := mountSender(t)
	readBy := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC) // 05:00 in Astana
	with, without := submit(t, svc, &readBy, "k1"), submit(t, svc, nil, "k2")
	for _, lang := range []string{"kk", "ru", "en"} {
		body := html.UnescapeString(h.Get("/inbox/"+with.ID+"?lang="+lang, alice).Body.String())
		want := i18n.T(lang, "inbox.ack.read_by", i18n.When(lang, readBy))
		if !strings.Contains(body, `id="ack-read-by"`) || !strings.Contains(body, want) || !strings.Contains(body, "05:00") {
			t.Errorf("%s: the acknowledgement screen does not say %q:\n%s", lang, want, body)
		}
		if body := h.Get("/inbox/"+without.ID+"?lang="+lang, alice).Body.String(); !strings.Contains(body, `id="acknowledge"`) || strings.Contains(body, `id="ack-read-by"`) {
			t.Errorf("%s: a notice without a deadline shows one, or no acknowledgement screen:\n%s", lang, body)
		}
	}
}

var badgeLabel = regexp.MustCompile(`<span class="visually-hidden" id="nav-inbox-label" data-label="([^"]*)" aria-live="polite">([^<]*)</span>`)

// The header's unread count is announced with words in the page's language, not as a
// bare number: the number itself is hidden from screen readers, and a live update
// rewrites the words from the same catalog text.
func TestUnreadBadgeAccessibleLabel(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	for range 3 {
		send(t, svc, alice, false)
	}
	for lang, want := range map[string]string{"kk": "Оқылмаған хабарламалар: 3", "ru": "Непрочитанных уведомлений: 3", "en": "Unread notices: 3"} {
		body := html.UnescapeString(h.Get("/inbox/settings?lang="+lang, alice).Body.String())
		m := badgeLabel.FindStringSubmatch(body)
		if m == nil || m[2] != want || !strings.Contains(m[1], "%s") || strings.Replace(m[1], "%s", "3", 1) != want {
			t.Errorf("%s: the badge's label is %q, want %q:\n%s", lang, m, want, body)
		}
		if !strings.Contains(body, `id="nav-inbox-count" data-live="/inbox/events" aria-hidden="true">3</span>`) {
			t.Errorf("%s: the bare number is not hidden from screen readers", lang)
		}
	}
}

// rule DC-2: a notice whose receipt was issued before Senim kept the content shown
// (migration 0026), reopened after the wording of notices changed, shows today's
// rendering — and says, in the page's language, that the receipt covers the text as it
// was shown then. A receipt whose content is kept shows no such note.
func TestRewordedReceiptSaysSo(t *testing.T) {
	db := storetest.Open(t)
	h, svc, _ := mountOn(t, db)
	alice := h.Citizen(iinAlice, "Alice")
	n := send(t, svc, alice, true)
	if w := h.Post("/inbox/"+n.Ref+"/acknowledge", nil, alice); w.Code != http.StatusOK {
		t.Fatalf("acknowledge: %d", w.Code)
	}
	if body := h.Get("/inbox/"+n.Ref, alice).Body.String(); strings.Contains(body, `id="receipt-reworded"`) {
		t.Fatalf("a kept content is marked reworded:\n%s", body)
	}
	// An old receipt (no content kept) whose hash is not today's rendering's.
	if _, err := db.ExecContext(t.Context(), `UPDATE notify_receipts SET content = NULL, content_hash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'`); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{
		"kk": "хабарламалардың мәтіні өзгерді",
		"ru": "Формулировки уведомлений изменились",
		"en": "The wording of notices has changed",
	} {
		w := h.Get("/inbox/"+n.Ref+"?lang="+lang, alice)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, `id="receipt-reworded"`) || !strings.Contains(body, want) ||
			!strings.Contains(body, `id="notice-content"`) {
			t.Errorf("%s: %d, no note that the receipt covers another wording:\n%s", lang, w.Code, body)
		}
	}
}

// A row of the inbox says the language of its title where it is not the page's: an
// English page lists a kk+ru notice by its Russian title, which says lang="ru" (a
// screen reader read it with English sounds), as the notice's own page does. A row in
// the page's language — a Kazakh page, or the "legally significant notice from …" of
// one not yet acknowledged — says nothing more. The live stream's row carries the
// same language.
func TestInboxRowLang(t *testing.T) {
	h, svc, alice := mountSender(t)
	plain := sendNamed(t, svc, alice.Session.Citizen.Ref(), revenue, false, kkRU)
	legal := sendNamed(t, svc, alice.Session.Citizen.Ref(), revenue, true, kkRU)
	rowOpen := func(n *notify.Notice) string { return `<a href="/inbox/` + n.Ref + `" id="notice-` + n.Ref + `"` }
	for _, tc := range []struct{ page, plainAttr string }{{"en", ` lang="ru">Налог</a>`}, {"kk", `>Салық</a>`}, {"ru", `>Налог</a>`}} {
		body := h.Get("/inbox?lang="+tc.page, alice).Body.String()
		if !strings.Contains(body, rowOpen(plain)+tc.plainAttr) {
			t.Errorf("%s page: the row of a kk+ru notice is not %q:\n%s", tc.page, rowOpen(plain)+tc.plainAttr, body)
		}
		if !strings.Contains(body, rowOpen(legal)+`>`) {
			t.Errorf("%s page: the row of an unacknowledged notice, named in the page's language, says another:\n%s", tc.page, body)
		}
	}
	// The live stream: the harness's citizen reads English.
	srv := httptest.NewServer(h.Shell.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/inbox/events?lang=en", nil)
	req.AddCookie(&http.Cookie{Name: web.CookieSession, Value: alice.Token})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() { // up to the first count
		if strings.HasPrefix(sc.Text(), "data: ") {
			break
		}
	}
	live := sendNamed(t, svc, alice.Session.Citizen.Ref(), revenue, false, kkRU)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(data, live.Ref) {
			var row struct{ Title, Lang string }
			if err := json.Unmarshal([]byte(data), &row); err != nil || row.Title != "Налог" || row.Lang != "ru" {
				t.Errorf("live row %s: %+v, %v", data, row, err)
			}
			return
		}
	}
	t.Errorf("no live row of %s: %v", live.Ref, sc.Err())
}

// rule DC-2: when the policy deems a legally significant notice delivered (the tax
// category: on the third day unread, as Austria and Germany do), the sender's status
// says deemed_delivered — and the addressee, who had no word of it, is now told on the
// acknowledgement screen since when, in Astana time and the page's language, and on
// the notice once opened. A notice not deemed delivered says nothing of it.
func TestDeemedDeliveryShownToTheAddressee(t *testing.T) {
	h, svc, alice, now := mountSenderClock(t)
	deemed, fresh := submit(t, svc, nil, "k1"), (*notify.Accepted)(nil)
	*now = now.Add(73 * time.Hour)
	fresh = submit(t, svc, nil, "k2") // sent now: not deemed yet
	if _, err := svc.Escalate(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := svc.NoticeStatus(t.Context(), senderBIN, deemed.ID)
	if err != nil || st.State != notify.StateDeemed || st.DeemedAt == nil {
		t.Fatalf("the sender's status: %+v, %v", st, err)
	}
	for _, lang := range []string{"kk", "ru", "en"} {
		want := i18n.T(lang, "inbox.deemed", i18n.When(lang, *st.DeemedAt))
		body := html.UnescapeString(h.Get("/inbox/"+deemed.ID+"?lang="+lang, alice).Body.String())
		if !strings.Contains(body, `id="acknowledge"`) || !strings.Contains(body, `id="ack-deemed"`) || !strings.Contains(body, want) ||
			!strings.Contains(body, i18n.T(lang, "inbox.deemed.hint")) || !strings.Contains(body, "5 "+map[string]string{"kk": "наурыз", "ru": "марта", "en": "March"}[lang]) || !strings.Contains(body, "13:30") {
			t.Errorf("%s: the acknowledgement screen does not say %q:\n%s", lang, want, body)
		}
		if body := h.Get("/inbox/"+fresh.ID+"?lang="+lang, alice).Body.String(); !strings.Contains(body, `id="acknowledge"`) || strings.Contains(body, `deemed`) {
			t.Errorf("%s: a notice not deemed delivered says it is:\n%s", lang, body)
		}
	}
	body := html.UnescapeString(h.Post("/inbox/"+deemed.ID+"/acknowledge?lang=ru", nil, alice).Body.String())
	if !strings.Contains(body, `id="notice-deemed"`) || !strings.Contains(body, i18n.T("ru", "inbox.deemed", i18n.When("ru", *st.DeemedAt))) {
		t.Errorf("the opened notice does not say since when it is deemed delivered:\n%s", body)
	}
}

// rule DC-2: the acknowledgement screen of a notice whose read-by deadline has passed
// no longer tells the citizen to read it by a date already gone ("Read it by 9 March"
// on 12 March, while the SMS fallback told her that time had passed): it says the
// time to read it ended, and when, in her language. Before the deadline — to the
// last moment before it — it still says by when.
func TestAcknowledgementAfterTheDeadline(t *testing.T) {
	h, svc, alice, now := mountSenderClock(t)
	readBy := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC) // 05:00 in Astana
	n := submit(t, svc, &readBy, "k1")
	for _, tc := range []struct {
		at      time.Time
		overdue bool
	}{{readBy.Add(-time.Second), false}, {readBy, true}, {readBy.Add(72 * time.Hour), true}} {
		*now = tc.at
		for _, lang := range []string{"kk", "ru", "en"} {
			body := html.UnescapeString(h.Get("/inbox/"+n.ID+"?lang="+lang, alice).Body.String())
			key, other := "inbox.ack.read_by", "inbox.ack.read_by_passed"
			if tc.overdue {
				key, other = other, key
			}
			want, not := i18n.T(lang, key, i18n.When(lang, readBy)), i18n.T(lang, other, i18n.When(lang, readBy))
			if !strings.Contains(body, `id="acknowledge"`) || !strings.Contains(body, want) || strings.Contains(body, not) {
				t.Errorf("%s at %s: the screen does not say %q alone:\n%s", lang, tc.at, want, body)
			}
		}
	}
}

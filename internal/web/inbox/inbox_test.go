package inbox

import (
	"bufio"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

var (
	iinAlice = mkIIN("90010130001")
	iinBob   = mkIIN("85050540001")
)

func mkIIN(first11 string) string {
	for s := first11; ; s = s[:10] + string(s[10]+1) {
		if d, ok := kzid.CheckDigit(s); ok {
			return s + string('0'+d)
		}
	}
}

type noDir struct{}

func (noDir) DataOwners(context.Context) ([]pd.DataOwner, error)     { return nil, nil }
func (noDir) Grounds(context.Context) ([]pd.Ground, error)           { return nil, nil }
func (noDir) ServiceCodes(context.Context) ([]pd.ServiceCode, error) { return nil, nil }

type noOrgs struct{}

func (noOrgs) OrganizationByBIN(context.Context, string) (*identity.Organization, error) {
	return nil, identity.ErrNotFound
}

// keySigner signs like pd.Service.SignJWS with a key of the test.
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

func (k keySigner) jwks() []byte {
	b, _ := k.priv.PublicKey.Bytes()
	enc := base64.RawURLEncoding
	return []byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"` + enc.EncodeToString(b[1:33]) + `","y":"` + enc.EncodeToString(b[33:]) + `"}]}`)
}

func mount(t testing.TB) (*webtest.Harness, *notify.Service, keySigner) {
	return mountOn(t, storetest.Open(t))
}

// mountOn is mount on the database db, with the harness's options.
func mountOn(t testing.TB, db *store.DB, opts ...webtest.Option) (*webtest.Harness, *notify.Service, keySigner) {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key := keySigner{priv}
	svc, err := notify.New(notify.Config{DB: db, Directory: noDir{}, Organizations: noOrgs{}, Signer: key, Issuer: "https://senim.test"})
	if err != nil {
		t.Fatal(err)
	}
	h := webtest.New(t, opts...)
	if err := Mount(h.Shell, Config{Notices: svc, StreamFor: 5 * time.Second, Poll: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return h, svc, key
}

func send(t *testing.T, svc *notify.Service, l *webtest.Login, significant bool) *notify.Notice {
	t.Helper()
	n, err := svc.Send(t.Context(), notify.Message{Subject: l.Session.Citizen.Ref(), Sender: "Ministry of Justice", Significant: significant,
		Content: map[string]notify.Text{
			"kk": {Title: "Сот шақыруы", Body: "Сізді сотқа шақырамыз."},
			"ru": {Title: "Повестка", Body: "Вас вызывают в суд."},
			"en": {Title: "Summons", Body: "You are summoned to court on 10 March."},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, _, _ := mount(t)
	webtest.CheckGuards(t, h)
}

func badge(body string) string {
	_, after, ok := strings.Cut(body, `id="nav-inbox-count"`)
	if !ok {
		return "none"
	}
	_, after, _ = strings.Cut(after, ">")
	n, _, _ := strings.Cut(after, "<")
	return n
}

// The inbox lists the citizen's notices with the unread count in the header of every
// page; opening one reads it.
func TestInboxAndBadge(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	n := send(t, svc, alice, false)
	w := h.Get("/inbox", alice)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="notice-`+n.Ref+`">Summons</a>`) || badge(w.Body.String()) != "1" {
		t.Fatalf("inbox %d, badge %q:\n%s", w.Code, badge(w.Body.String()), w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'nonce-") {
		t.Errorf("CSP %q", csp)
	}
	w = h.Get("/inbox/"+n.Ref, alice)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "You are summoned to court on 10 March.") || badge(w.Body.String()) != "0" {
		t.Errorf("notice %d, badge %q:\n%s", w.Code, badge(w.Body.String()), w.Body.String())
	}
	if strings.Contains(w.Body.String(), `id="receipt"`) {
		t.Error("a notice that is not legally significant offers a receipt")
	}
}

// rule DC-2: a legally significant notice shows the acknowledgement screen, not its
// content; acknowledging opens it and offers the signed receipt, which verifies against
// the JWKS and covers the content shown.
func TestAcknowledgeAndReceipt(t *testing.T) {
	h, svc, key := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	n := send(t, svc, alice, true)
	if w := h.Get("/inbox", alice); strings.Contains(w.Body.String(), "Summons") || !strings.Contains(w.Body.String(), "Legally significant notice from Ministry of Justice") {
		t.Errorf("the list shows a legally significant notice's content before acknowledgement:\n%s", w.Body.String())
	}
	w := h.Get("/inbox/"+n.Ref, alice)
	if body := w.Body.String(); w.Code != http.StatusOK || strings.Contains(body, "summoned") || !strings.Contains(body, `id="acknowledge"`) {
		t.Fatalf("acknowledgement screen %d:\n%s", w.Code, body)
	}
	if w := h.Get("/inbox/"+n.Ref+"/receipt.json", alice); w.Code != http.StatusConflict {
		t.Errorf("receipt before acknowledgement: %d", w.Code)
	}
	w = h.Post("/inbox/"+n.Ref+"/acknowledge", nil, alice)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "You are summoned to court on 10 March.") || !strings.Contains(body, `id="receipt"`) {
		t.Fatalf("after acknowledgement %d:\n%s", w.Code, body)
	}
	if b := badge(w.Body.String()); b != "0" {
		t.Errorf("the header counts %q unread notices after the only one was acknowledged, want 0 (counted after the read)", b)
	}
	w = h.Get("/inbox/"+n.Ref+"/receipt.json", alice)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("receipt download %d %q", w.Code, w.Header().Get("Content-Disposition"))
	}
	var rc notify.Receipt
	if err := json.Unmarshal(w.Body.Bytes(), &rc); err != nil {
		t.Fatal(err)
	}
	c, err := notify.VerifyReceipt(rc.JWS, key.jwks())
	if err != nil {
		t.Fatal(err)
	}
	shown := n.Content("en")
	if c.Notice != n.Ref || c.ContentSHA256 != shown.Hash() || c.AuthMethod != string(identity.MethodPasswordSMS) ||
		c.Session != SessionRef(alice.Session) || !c.CheckCommit(rc.IINSalt, iinAlice) {
		t.Errorf("receipt claims %+v", c)
	}
	// The citizen's download carries the content as shown, and it is what the receipt covers.
	if v, err := notify.VerifyReceiptBundle(&rc, key.jwks(), nil); err != nil || v.Content == nil || v.Content.Title != shown.Title {
		t.Errorf("the download's content: %+v %v", v, err)
	}
}

// A second citizen can neither read, acknowledge nor download the first one's notice
// or receipt, and trying changes nothing.
func TestAnotherCitizen(t *testing.T) {
	h, svc, _ := mount(t)
	alice, bob := h.Citizen(iinAlice, "Alice"), h.Citizen(iinBob, "Bob")
	plain, legal := send(t, svc, alice, false), send(t, svc, alice, true)
	for _, w := range []*httptest.ResponseRecorder{
		h.Get("/inbox/"+plain.Ref, bob),
		h.Get("/inbox/"+legal.Ref, bob),
		h.Post("/inbox/"+legal.Ref+"/acknowledge", nil, bob),
		h.Get("/inbox/"+legal.Ref+"/receipt.json", bob),
	} {
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "summoned") {
			t.Errorf("bob got %d:\n%s", w.Code, w.Body.String())
		}
	}
	if w := h.Get("/inbox", bob); strings.Contains(w.Body.String(), plain.Ref) || badge(w.Body.String()) != "0" {
		t.Errorf("bob's inbox shows alice's notices")
	}
	if n, _, _ := svc.Unread(t.Context(), alice.Session.Citizen.Ref()); n != 2 {
		t.Errorf("bob's attempts changed alice's notices: %d unread", n)
	}
	// Alice's receipt exists only after her own acknowledgement.
	h.Post("/inbox/"+legal.Ref+"/acknowledge", nil, alice)
	if w := h.Get("/inbox/"+legal.Ref+"/receipt.json", bob); w.Code != http.StatusNotFound {
		t.Errorf("bob downloaded alice's receipt: %d", w.Code)
	}
}

// The live stream tells the browser the unread count at once and a new notice as soon
// as it is delivered, without a reload.
func TestLiveEvents(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	srv := httptest.NewServer(h.Shell.Handler())
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/inbox/events", nil)
	req.AddCookie(&http.Cookie{Name: web.CookieSession, Value: alice.Token})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("%d %q", resp.StatusCode, ct)
	}
	events := make(chan [2]string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{ev, v}
			}
		}
		close(events)
	}()
	next := func() [2]string {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(3 * time.Second):
			t.Fatal("no event within 3s")
		}
		return [2]string{}
	}
	if e := next(); e != [2]string{"count", "0"} {
		t.Fatalf("first event %v", e)
	}
	n := send(t, svc, alice, false)
	if e := next(); e[0] != "notice" || !strings.Contains(e[1], n.Ref) || !strings.Contains(e[1], "Summons") ||
		!strings.Contains(e[1], `"unread":true`) || !strings.Contains(e[1], `"legal":false`) {
		t.Errorf("notice event %v", e)
	}
	if e := next(); e != [2]string{"count", "1"} {
		t.Errorf("count event %v", e)
	}
	// A legally significant one carries that mark, as the list's row does (the page's
	// script writes both marks with the words the list carries: data-unread, data-legal).
	n = send(t, svc, alice, true)
	if e := next(); e[0] != "notice" || !strings.Contains(e[1], n.Ref) || !strings.Contains(e[1], `"unread":true`) || !strings.Contains(e[1], `"legal":true`) {
		t.Errorf("notice event %v", e)
	}
	if body := h.Get("/inbox?lang=ru", alice).Body.String(); !strings.Contains(body, `data-unread="не прочитано" data-legal="юридически значимое"`) {
		t.Errorf("the list does not carry the marks' words for live rows:\n%s", body)
	}
}

// Every inbox page reads in kk, ru and en: the list, a notice, and the acknowledgement
// screen of a legally significant one (issue 10: nothing untranslated).
func TestInboxReadable(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	plain := send(t, svc, alice, false)
	legal := send(t, svc, alice, true)
	for _, lang := range i18n.Langs {
		for _, path := range []string{"/inbox", "/inbox/" + legal.Ref, "/inbox/" + plain.Ref} {
			w := h.Get(path+"?lang="+lang, alice)
			if w.Code != http.StatusOK {
				t.Fatalf("%s (%s): %d", path, lang, w.Code)
			}
			webtest.Readable(t, path, lang, w.Body.String())
		}
	}
}

// The citizen chooses her channels; a wrong e-mail address is refused next to its field
// with the catalog's message and changes nothing; the page says legally significant
// notices cannot be switched off (DC-2) and reads in every language.
func TestSettings(t *testing.T) {
	h, svc, _ := mount(t)
	alice, bob := h.Citizen(iinAlice, "Alice"), h.Citizen(iinBob, "Bob")
	for _, lang := range i18n.Langs {
		w := h.Get("/inbox/settings?lang="+lang, alice)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="settings-legal"`) {
			t.Fatalf("%s: settings %d", lang, w.Code)
		}
		webtest.Readable(t, "/inbox/settings", lang, w.Body.String())
	}
	w := h.Post("/inbox/settings?lang=en", url.Values{"sms": {"on"}, "email": {"on"}, "address": {"alice@example.kz\r\nBcc: x"}}, alice)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Check the e-mail address") {
		t.Errorf("a bad address: %d\n%s", w.Code, w.Body.String())
	}
	webtest.Readable(t, "/inbox/settings", "en", w.Body.String())
	if p, _ := svc.Prefs(t.Context(), alice.Session.Citizen.Ref()); p[notify.ChannelSMS].Enabled || p[notify.ChannelEmail].Enabled {
		t.Errorf("a refused form changed the preferences: %+v", p)
	}
	w = h.Post("/inbox/settings?lang=en", url.Values{"sms": {"on"}, "email": {"on"}, "address": {"alice@example.kz"}}, alice)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Your choices are saved.") || !strings.Contains(w.Body.String(), `value="alice@example.kz"`) {
		t.Errorf("save: %d\n%s", w.Code, w.Body.String())
	}
	p, _ := svc.Prefs(t.Context(), alice.Session.Citizen.Ref())
	if !p[notify.ChannelSMS].Enabled || !p[notify.ChannelEmail].Enabled || p[notify.ChannelEmail].Address != "alice@example.kz" || p[notify.ChannelPush].Enabled {
		t.Errorf("saved %+v", p)
	}
	// Bob's page is his own: nothing of Alice's shows.
	if w := h.Get("/inbox/settings?lang=en", bob); strings.Contains(w.Body.String(), "alice@example.kz") {
		t.Error("bob sees alice's address")
	}
	if w := h.Post("/inbox/settings", url.Values{"email": {"on"}, "address": {"x@example.kz"}, "csrf": {"forged"}}, bob); w.Code != http.StatusForbidden {
		t.Errorf("a forged form: %d", w.Code)
	}
}

// A browser's Web Push subscription is stored for the session's citizen only; a
// malformed one is refused and stores nothing; the service worker is served as
// JavaScript; the settings page may register it (worker-src 'self').
func TestPushSubscription(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	ua, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	enc := base64.RawURLEncoding
	good := `{"endpoint":"https://push.example/send/abc","keys":{"p256dh":"` + enc.EncodeToString(ua.PublicKey().Bytes()) + `","auth":"` + enc.EncodeToString(auth) + `"}}`
	for name, sub := range map[string]string{
		"not JSON":       "{",
		"http endpoint":  strings.Replace(good, "https://", "http://", 1),
		"loopback":       strings.Replace(good, "push.example", "127.0.0.1", 1),
		"not a key":      strings.Replace(good, enc.EncodeToString(ua.PublicKey().Bytes()), "AAAA", 1),
		"short auth":     strings.Replace(good, enc.EncodeToString(auth), "AAAA", 1),
		"internal port?": strings.Replace(good, "push.example", "push.example:99999", 1),
	} {
		if w := h.Post("/inbox/settings/push", url.Values{"subscription": {sub}}, alice); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	if subs, _ := svc.PushSubscriptions(t.Context(), alice.Session.Citizen.Ref()); len(subs) != 0 {
		t.Fatalf("refused subscriptions were stored: %+v", subs)
	}
	if w := h.Post("/inbox/settings/push", url.Values{"subscription": {good}}, alice); w.Code != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", w.Code, w.Body.String())
	}
	subs, _ := svc.PushSubscriptions(t.Context(), alice.Session.Citizen.Ref())
	if len(subs) != 1 || subs[0].Endpoint != "https://push.example/send/abc" {
		t.Errorf("stored %+v", subs)
	}
	w := h.Get("/inbox/settings?lang=en", alice)
	if !strings.Contains(w.Body.String(), "Browsers allowed: 1") || !strings.Contains(w.Header().Get("Content-Security-Policy"), "worker-src 'self'") {
		t.Errorf("settings after subscribing: %s\n%s", w.Header().Get("Content-Security-Policy"), w.Body.String())
	}
	if w := h.Post("/inbox/settings/push/remove", nil, alice); w.Code != http.StatusOK {
		t.Errorf("remove: %d", w.Code)
	}
	if subs, _ := svc.PushSubscriptions(t.Context(), alice.Session.Citizen.Ref()); len(subs) != 0 {
		t.Errorf("after remove: %+v", subs)
	}
	sw := h.Get("/inbox/sw.js", nil)
	if sw.Code != http.StatusOK || !strings.HasPrefix(sw.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(sw.Body.String(), "showNotification") {
		t.Errorf("service worker %d %q", sw.Code, sw.Header().Get("Content-Type"))
	}
}

// A notice about a consent links to the consent on the consents page and does not
// print the consent's id as text.
func TestConsentNoticeLinks(t *testing.T) {
	db := storetest.Open(t)
	h, svc, _ := mountOn(t, db)
	alice := h.Citizen(iinAlice, "Alice")
	const id = "c_5f0e9b1a7c3d4e2f"
	b, _ := json.Marshal(map[string]any{"id": id, "initiator": "100000000001", "owner": "100000000002", "data_sets": []string{"identity"},
		"purpose": "loan", "decision": "given", "valid_until": "2027-03-02T00:00:00Z"})
	if err := db.Tx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Emit(t.Context(), store.Event{Type: pd.EvConsentGiven, Actor: alice.Session.Citizen.Ref(), Subject: alice.Session.Citizen.Ref(), Payload: b})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, err := svc.Inbox(t.Context(), alice.Session.Citizen.Ref())
	if err != nil || len(list) != 1 {
		t.Fatalf("%d notices, %v", len(list), err)
	}
	body := h.Get("/inbox/"+list[0].Ref+"?lang=en", alice).Body.String()
	link := `<a href="/consents#consent-` + id + `" id="notice-link">Open this consent in My consents</a>`
	if !strings.Contains(body, link) || strings.Count(body, id) != 1 {
		t.Errorf("the notice does not link to the consent, or prints its id:\n%s", body)
	}
}

// The inbox writes times as every other page does (i18n.When): Kazakhstan's time in
// the reader's language, with the zone named.
func TestInboxTimesAsPages(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	n := send(t, svc, alice, false)
	for _, lang := range i18n.Langs {
		want := i18n.When(lang, n.DeliveredAt)
		if body := html.UnescapeString(h.Get("/inbox?lang="+lang, alice).Body.String()); !strings.Contains(body, ">"+want+"</time>") {
			t.Errorf("%s: the list lacks %q:\n%s", lang, want, body)
		}
		if body := html.UnescapeString(h.Get("/inbox/"+n.Ref+"?lang="+lang, alice).Body.String()); !strings.Contains(body, want) {
			t.Errorf("%s: the notice lacks %q:\n%s", lang, want, body)
		}
	}
}

// rule DC-2: the acknowledgement's answer is shown at /inbox/{ref}/acknowledge; opened
// again by address (a browser restoring its tabs, the history, a bookmark) it answered
// an English problem+json "Method not allowed" in place of the notice. It now leads to
// the notice's page: the content once acknowledged, the acknowledgement screen before
// — opening it never acknowledges, and another citizen still finds nothing there.
func TestAcknowledgedAddressReopens(t *testing.T) {
	h, svc, _ := mount(t)
	alice, bob := h.Citizen(iinAlice, "Alice"), h.Citizen(iinBob, "Bob")
	n := send(t, svc, alice, true)
	// Before the acknowledgement: the screen, and still no receipt.
	w := h.Get("/inbox/"+n.Ref+"/acknowledge", alice)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/"+n.Ref {
		t.Fatalf("GET acknowledge before: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	if page := h.Get(w.Header().Get("Location"), alice).Body.String(); !strings.Contains(page, `id="acknowledge"`) || strings.Contains(page, "summoned") {
		t.Errorf("before the acknowledgement the address does not lead to the screen:\n%s", page)
	}
	if _, err := svc.Receipt(t.Context(), alice.Session.Citizen.Ref(), n.Ref); !errors.Is(err, notify.ErrNotAcknowledged) {
		t.Fatalf("opening the address acknowledged the notice: %v", err)
	}
	h.Post("/inbox/"+n.Ref+"/acknowledge", nil, alice)
	w = h.Get("/inbox/"+n.Ref+"/acknowledge", alice)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/"+n.Ref {
		t.Fatalf("GET acknowledge after: %d %q", w.Code, w.Header().Get("Location"))
	}
	if page := h.Get(w.Header().Get("Location"), alice).Body.String(); !strings.Contains(page, `id="receipt"`) || !strings.Contains(page, "You are summoned to court on 10 March.") {
		t.Errorf("after the acknowledgement the address does not lead to the notice:\n%s", page)
	}
	// Bob: the address leads to a page that shows him nothing of alice's.
	if w := h.Get("/inbox/"+n.Ref+"/acknowledge", bob); w.Code != http.StatusSeeOther {
		t.Errorf("bob: %d", w.Code)
	} else if page := h.Get(w.Header().Get("Location"), bob); page.Code != http.StatusNotFound || strings.Contains(page.Body.String(), "summoned") {
		t.Errorf("bob reached alice's notice: %d", page.Code)
	}
}

// "Turn off notifications in every browser" shows its answer at
// /inbox/settings/push/remove; opened again by address it answered an English
// problem+json "Method not allowed". It now leads to the settings page, and removes
// nothing: only the form's button does.
func TestRemovePushAddressReopens(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	ua, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	enc := base64.RawURLEncoding
	sub := `{"endpoint":"https://push.example/send/abc","keys":{"p256dh":"` + enc.EncodeToString(ua.PublicKey().Bytes()) + `","auth":"` + enc.EncodeToString(auth) + `"}}`
	if w := h.Post("/inbox/settings/push", url.Values{"subscription": {sub}}, alice); w.Code != http.StatusCreated {
		t.Fatalf("subscribe: %d", w.Code)
	}
	w := h.Get("/inbox/settings/push/remove", alice)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/settings" {
		t.Fatalf("GET remove: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	if subs, _ := svc.PushSubscriptions(t.Context(), alice.Session.Citizen.Ref()); len(subs) != 1 {
		t.Errorf("opening the address removed the browsers: %+v", subs)
	}
	if w := h.Get("/inbox/settings/push/remove", nil); w.Code == http.StatusSeeOther && w.Header().Get("Location") == "/inbox/settings" {
		t.Error("an anonymous visitor is sent to the settings, not to log in")
	}
}

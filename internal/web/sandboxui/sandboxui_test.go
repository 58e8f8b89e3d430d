package sandboxui

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/mobilesign"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/web/webtest"
)

func mount(t *testing.T) (*webtest.Harness, *UI, *[]string) {
	t.Helper()
	h := webtest.New(t, webtest.Sandbox)
	var issued []string
	ui, err := Mount(h.Shell, Config{
		KeyPassword: "demo-pass",
		CitizenKey: func(iin, alg string) ([]byte, error) {
			issued = append(issued, iin+"/"+alg)
			return []byte("p12:" + iin + ":" + alg), nil
		},
		EmployeeKey: func(iin string) ([]byte, error) {
			if iin != "900101300001" {
				return nil, problem.NotFound
			}
			issued = append(issued, iin+"/employee")
			return []byte("employee"), nil
		},
		EmployerOf: func(iin string) string {
			if iin == "900101300001" {
				return "Bank of Tests"
			}
			return ""
		},
		Signers: func() []sandbox.DemoSigner {
			return []sandbox.DemoSigner{{Ref: "citizen:900101300001", IIN: "900101300001", Name: "Test Citizen"}}
		},
		SignCMS: func(context.Context, string, []byte, bool) ([]byte, error) {
			issued = append(issued, "signature")
			return nil, problem.NotFound
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, ui, &issued
}

func TestCatalog(t *testing.T) {
	if err := i18n.Check(catalog); err != nil {
		t.Error(err)
	}
}

func TestGuards(t *testing.T) {
	h, _, issued := mount(t)
	webtest.CheckGuards(t, h)
	if len(*issued) != 0 {
		t.Errorf("keys issued behind refusing guards: %q", *issued)
	}
}

// TestKeys: a citizen downloads only their own keys; there is no way to name another's.
func TestKeys(t *testing.T) {
	h, _, issued := mount(t)
	emp, plain := h.Citizen("900101300001", "Employee"), h.Citizen("900101300002", "Plain")
	home := h.Get("/?lang=en", emp).Body.String()
	for _, want := range []string{`id="keys"`, `id="key-gost2015"`, `id="key-p256"`, `id="key-employee"`, "demo-pass", "Bank of Tests", `id="sandbox-banner"`} {
		if !strings.Contains(home, want) {
			t.Errorf("home has no %s", want)
		}
	}
	if home := h.Get("/", plain).Body.String(); !strings.Contains(home, `id="key-p256"`) || strings.Contains(home, `id="key-employee"`) {
		t.Error("a non-employee is offered an employee key, or no citizen key")
	}
	w := h.Get("/keys/p256.p12", plain)
	if w.Code != 200 || w.Body.String() != "p12:900101300002:p256" || w.Header().Get("Content-Type") != "application/x-pkcs12" {
		t.Errorf("own key: %d %q", w.Code, w.Body)
	}
	for _, p := range []string{"/keys/rsa.p12", "/keys/p256.pem", "/keys/900101300001.p12"} {
		if w := h.Get(p, plain); w.Code != 404 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	if w := h.Get("/keys/employee.p12", plain); w.Code != 404 {
		t.Errorf("employee key of a non-employee: %d", w.Code)
	}
	if w := h.Get("/keys/employee.p12", emp); w.Code != 200 || w.Body.String() != "employee" {
		t.Errorf("employee key: %d", w.Code)
	}
	if len(*issued) != 2 {
		t.Errorf("issued %q", *issued)
	}
}

func TestSMSPage(t *testing.T) {
	_, ui, _ := mount(t)
	r := httptest.NewRequest("GET", "/sandbox/sms?lang=en", nil)
	w := httptest.NewRecorder()
	msgs := []sandbox.Message{{Phone: "+77990001000", Text: "code <123456>", SentAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	if err := ui.SMSPage(w, r, "+77990001000", msgs); err != nil {
		t.Fatal(err)
	}
	if page := w.Body.String(); !strings.Contains(page, `id="sms"`) || !strings.Contains(page, "code &lt;123456&gt;") || !strings.Contains(page, `<html lang="en">`) {
		t.Errorf("SMS page:\n%s", page)
	}
}

// TestSMSPageReadable: the outbox page reads in every language, in Astana time.
func TestSMSPageReadable(t *testing.T) {
	_, ui, _ := mount(t)
	msgs := []sandbox.Message{{Phone: "+77990001000", Text: "Senim: 123456", SentAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	for _, lang := range i18n.Langs {
		w := httptest.NewRecorder()
		if err := ui.SMSPage(w, httptest.NewRequest("GET", "/sandbox/sms?lang="+lang, nil), "", msgs); err != nil {
			t.Fatal(err)
		}
		webtest.Readable(t, "/sandbox/sms", lang, w.Body.String())
		if !strings.Contains(w.Body.String(), i18n.When(lang, msgs[0].SentAt)) {
			t.Errorf("%s: the time is not in Astana time", lang)
		}
	}
}

// The e-mail and Web Push outbox pages read in every language and escape what the
// messages say.
func TestMailAndPushPages(t *testing.T) {
	_, ui, _ := mount(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mails := []sandbox.Mail{{To: "alice@example.kz", Subject: "Senim: <new>", Text: "Senim\nhttps://senim.test/inbox/n_1", TLS: true, ReceivedAt: at}}
	pushes := []sandbox.Push{{Service: "https://push.example", Title: "Senim: <new>", Text: "x", URL: "https://senim.test/inbox/n_1", Result: "accepted", SentAt: at},
		{Service: "https://push.example", Title: "t", Result: "push_503", SentAt: at}}
	for _, lang := range i18n.Langs {
		w := httptest.NewRecorder()
		if err := ui.MailPage(w, httptest.NewRequest("GET", "/sandbox/mail?lang="+lang, nil), "", mails); err != nil {
			t.Fatal(err)
		}
		page := w.Body.String()
		webtest.Readable(t, "/sandbox/mail", lang, page)
		if !strings.Contains(page, `id="mail"`) || !strings.Contains(page, "Senim: &lt;new&gt;") || !strings.Contains(page, i18n.When(lang, at)) {
			t.Errorf("%s mail page:\n%s", lang, page)
		}
		w = httptest.NewRecorder()
		if err := ui.PushPage(w, httptest.NewRequest("GET", "/sandbox/push?lang="+lang, nil), pushes); err != nil {
			t.Fatal(err)
		}
		page = w.Body.String()
		webtest.Readable(t, "/sandbox/push", lang, page)
		if !strings.Contains(page, `id="push"`) || !strings.Contains(page, "push_503") || !strings.Contains(page, "Senim: &lt;new&gt;") {
			t.Errorf("%s push page:\n%s", lang, page)
		}
	}
}

// TestPhonePage: the sandbox's eGov Mobile reads in every language, is labelled
// SANDBOX, and follows only a mobileSign: link of this Senim — another host's link is
// refused before anything is fetched or signed.
func TestPhonePage(t *testing.T) {
	h, ui, issued := mount(t)
	for _, lang := range i18n.Langs {
		w := h.Get(PhonePath+"?lang="+lang, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `id="phone-link-form"`) || !strings.Contains(w.Body.String(), `id="phone-sandbox"`) {
			t.Fatalf("%s: %d\n%s", lang, w.Code, w.Body.String())
		}
		webtest.Readable(t, PhonePath, lang, w.Body.String())
		// A document to sign, as API-1 and API-2 describe it.
		p := ui.s.Page(httptest.NewRecorder(), httptest.NewRequest("GET", PhonePath+"?lang="+lang, nil), nil)
		d := &phoneData{Signers: ui.cfg.Signers(), Document: i18n.T(lang, "sandbox.phone.intro"), Info: &phoneInfo{Description: i18n.T(lang, "sandbox.phone.request"), ExpiryDate: time.Now()}}
		d.Info.Org.NameKz, d.Info.Org.NameRu, d.Info.Org.NameEn = "Senim", "Senim", "Senim"
		p.Data = d
		rw := httptest.NewRecorder()
		if err := ui.s.Render(rw, httptest.NewRequest("GET", PhonePath, nil), 200, phoneView, p); err != nil {
			t.Fatal(err)
		}
		webtest.Readable(t, PhonePath+" (document)", lang, rw.Body.String())
		if !strings.Contains(rw.Body.String(), `id="phone-sign-form"`) {
			t.Errorf("%s: no signing form:\n%s", lang, rw.Body.String())
		}
	}
	for _, link := range []string{
		"mobileSign:https://evil.example/mobile-sign/abc",
		"https://example.com/mobile-sign/abc",
		"mobileSign:http://example.com/mobile-sign/abc?x=1",
		"mobileSign:http://example.com/other/abc",
	} {
		w := h.Get(PhonePath+"?lang=en&link="+url.QueryEscape(link), nil)
		if w.Code != 400 || !strings.Contains(w.Body.String(), i18n.T("en", "error.sandbox.phone.link")) {
			t.Errorf("%s: %d\n%s", link, w.Code, w.Body.String())
		}
	}
	if len(*issued) != 0 {
		t.Errorf("something was signed: %q", *issued)
	}
}

// phoneDocument reads what API-2 gives as the app does: the XML itself for signMethod
// XML, base64 otherwise; a missing or broken document is errPhoneAPI.
func TestPhoneDocument(t *testing.T) {
	xml := &mobilesign.Documents{SignMethod: mobilesign.XML, DocumentsToSign: []mobilesign.Document{{ID: 1, DocumentXML: "<a/>"}}}
	if b, err := phoneDocument(xml); err != nil || string(b) != "<a/>" {
		t.Errorf("XML: %q %v", b, err)
	}
	cms := &mobilesign.Documents{SignMethod: mobilesign.CMSWithData, DocumentsToSign: []mobilesign.Document{{ID: 1,
		Document: mobilesign.DocumentFile{File: mobilesign.File{Data: "eA=="}}}}}
	if b, err := phoneDocument(cms); err != nil || string(b) != "x" {
		t.Errorf("CMS: %q %v", b, err)
	}
	for _, bad := range []*mobilesign.Documents{
		{SignMethod: mobilesign.XML, DocumentsToSign: []mobilesign.Document{{ID: 1}}},
		{SignMethod: mobilesign.CMSSignOnly, DocumentsToSign: []mobilesign.Document{{ID: 1, Document: mobilesign.DocumentFile{File: mobilesign.File{Data: "***"}}}}},
		{SignMethod: mobilesign.XML},
	} {
		if _, err := phoneDocument(bad); err != errPhoneAPI {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// A push whose notification has no text under its title (an ordinary notice: the
// title says it all, notify.PushBody) is shown as its title and its link, line by
// line, without an empty line between them; one with a text shows the three.
func TestPushPageLines(t *testing.T) {
	_, ui, _ := mount(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pushes := []sandbox.Push{{Service: "https://push.example", Title: "Senim: a new notice", URL: "https://senim.test/inbox/n_1", Result: "accepted", SentAt: at},
		{Service: "https://push.example", Title: "Senim: another", Text: "Legally significant.", URL: "https://senim.test/inbox/n_2", Result: "accepted", SentAt: at}}
	w := httptest.NewRecorder()
	if err := ui.PushPage(w, httptest.NewRequest("GET", "/sandbox/push?lang=en", nil), pushes); err != nil {
		t.Fatal(err)
	}
	page := w.Body.String()
	for _, want := range []string{">Senim: a new notice\nhttps://senim.test/inbox/n_1</td>", ">Senim: another\nLegally significant.\nhttps://senim.test/inbox/n_2</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the push page does not show %q:\n%s", want, page)
		}
	}
}

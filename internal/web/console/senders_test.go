package console

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

var senderCategories = []string{"court", "general", "tax"}

func (f *fakeDirs) Senders(context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for b, cs := range f.senders {
		if len(cs) > 0 {
			out[b] = cs
		}
	}
	return out, nil
}

// SetSender checks as the domain does (notify's own tests prove the domain).
func (f *fakeDirs) SetSender(_ context.Context, actor, bin string, cats []string) error {
	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(bin) {
		return notify.ErrSenderDirectory.WithDetail("invalid BIN")
	}
	for _, c := range cats {
		if !slices.Contains(senderCategories, c) {
			return notify.ErrCategoryUnknown
		}
	}
	if f.senders == nil {
		f.senders, f.senderLog = map[string][]string{}, map[string][]notify.SenderChange{}
	}
	f.senders[bin] = cats
	f.senderLog[bin] = append(f.senderLog[bin], notify.SenderChange{Categories: cats, Actor: actor, At: time.Date(2026, 3, 2, 10, len(f.writes), 0, 0, time.UTC)})
	f.writes = append(f.writes, actor+": sender "+bin+" "+strings.Join(cats, ","))
	return nil
}

func (f *fakeDirs) SenderHistories(context.Context) (map[string][]notify.SenderChange, error) {
	return f.senderLog, nil
}

func (f *fakeDirs) Categories() []string { return senderCategories }
func (f *fakeDirs) CategoryTitle(code, lang string) string {
	t := map[string]pd.Titles{"court": {KK: "Сот", RU: "Суд", EN: "Courts"}, "general": {KK: "Жалпы", RU: "Общие"}, "tax": {KK: "Салық", RU: "Налоги", EN: "Taxes"}}
	if n, ok := t[code]; ok {
		return n.In(lang)
	}
	return code
}

// TestConsoleSenders: staff grant an organisation categories of notices, change and
// withdraw them, and see each change with who made it; a bad BIN or an unknown
// category is refused with the form as typed and changes nothing; a citizen is
// refused. rule DC-2 (the sender-permission directory).
func TestConsoleSenders(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	actor := "admin:" + strconv.FormatInt(s.Session.CitizenID, 10) + "@" + webtest.RegulatorBIN
	if page := h.Get("/console?lang=en", s).Body.String(); !strings.Contains(page, `href="/console/senders"`) {
		t.Error("the console does not link the senders page")
	}
	if page := h.Get("/console/senders?lang=en", s).Body.String(); !strings.Contains(page, `id="senders-none"`) {
		t.Errorf("empty directory:\n%s", page)
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		write  string
	}{
		{url.Values{"bin": {"100000000001"}, "categories": {"tax", "general"}}, 200, actor + ": sender 100000000001 tax,general"},
		{url.Values{"bin": {"100000000009"}, "categories": {"court"}}, 200, actor + ": sender 100000000009 court"},
		{url.Values{"bin": {"100000000001"}, "categories": {"tax"}}, 200, actor + ": sender 100000000001 tax"},
		{url.Values{"bin": {"100000000009"}, "categories": {"court"}, "withdraw": {"yes"}}, 200, actor + ": sender 100000000009 "},
		{url.Values{"bin": {"12345"}, "categories": {"tax"}}, 422, ""},
		{url.Values{"bin": {"100000000002"}, "categories": {"lottery"}}, 422, ""},
	} {
		n := len(f.writes)
		w := h.Post("/console/senders?lang=en", tc.form, s)
		if w.Code != tc.status {
			t.Errorf("%v: %d, want %d", tc.form, w.Code, tc.status)
		}
		if tc.write == "" && len(f.writes) != n || tc.write != "" && (len(f.writes) != n+1 || f.writes[n] != tc.write) {
			t.Errorf("%v: writes %q", tc.form, f.writes[n:])
		}
		if tc.status != 200 {
			page := w.Body.String()
			if !strings.Contains(page, `class="field has-error"`) && !strings.Contains(page, `has-error`) {
				t.Errorf("%v: no error by the field:\n%s", tc.form, page)
			}
			if bin := tc.form.Get("bin"); !strings.Contains(page, `value="`+bin+`"`) {
				t.Errorf("%v: the typed BIN is lost", tc.form)
			}
		}
	}
	page := h.Get("/console/senders?lang=en", s).Body.String()
	for _, want := range []string{`id="sender-100000000001"`, "Bank of Tests", `id="cat-100000000001-tax" checked`, `id="sender-history-100000000001"`,
		i18n.T("en", "console.actor.staff", strconv.FormatInt(s.Session.CitizenID, 10)+"@"+webtest.RegulatorBIN)} {
		if !strings.Contains(page, want) {
			t.Errorf("senders page: no %q", want)
		}
	}
	if strings.Contains(page, `id="cat-100000000001-general" checked`) || strings.Contains(page, `id="sender-100000000009"`) {
		t.Error("the page shows a permission that was changed or withdrawn")
	}
	if hist := regexp.MustCompile(`(?s)id="sender-history-100000000001">(.*?)</ol>`).FindStringSubmatch(page); hist == nil || strings.Count(hist[1], "<li>") != 2 {
		t.Errorf("history of 100000000001: %v", hist)
	}
	c := h.Citizen("900101300001", "A")
	n := len(f.writes)
	if w := h.Get("/console/senders", c); w.Code != 403 {
		t.Errorf("a citizen at the senders page: %d", w.Code)
	}
	if w := h.Post("/console/senders", url.Values{"bin": {"100000000001"}, "categories": {"court"}}, c); w.Code != 403 || len(f.writes) != n {
		t.Errorf("a citizen granted a permission: %d", w.Code)
	}
}

func TestConsoleSendersReadable(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	f.SetSender(t.Context(), "admin:3@100000000009", "100000000001", []string{"tax"})
	f.SetSender(t.Context(), "sandbox", "100000000009", []string{"court", "general"})
	for _, lang := range i18n.Langs {
		w := h.Get("/console/senders?lang="+lang, s)
		if w.Code != 200 {
			t.Errorf("%s: %d", lang, w.Code)
		}
		webtest.Readable(t, "senders", lang, w.Body.String())
		webtest.Readable(t, "senders refused", lang, h.Post("/console/senders?lang="+lang, url.Values{"bin": {"1"}}, s).Body.String())
		// Categories are named in the page's language, the code beside the name; the
		// history names them too.
		page := w.Body.String()
		tax := (&fakeDirs{}).CategoryTitle("tax", lang)
		if !strings.Contains(page, `id="cat-100000000001-tax" checked> `+tax+` <span class="secondary">(tax)</span>`) ||
			!strings.Contains(page, `id="new-cat-court"> `+(&fakeDirs{}).CategoryTitle("court", lang)+` <span`) {
			t.Errorf("%s: the categories are not named:\n%s", lang, page)
		}
		if hist := regexp.MustCompile(`(?s)id="sender-history-100000000001">(.*?)</ol>`).FindStringSubmatch(page); hist == nil || !strings.Contains(hist[1], ": "+tax+" ") {
			t.Errorf("%s: history does not name the category: %v", lang, hist)
		}
	}
}

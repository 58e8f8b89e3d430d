package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: what the citizen is shown of a notice is what its receipt's hash covers.
// A title or body holding a bidirectional override (U+202E …) is shown reordered —
// "Төлем \u202e000 21" reads "Төлем 12 000" in the inbox — so the citizen saw one text
// and acknowledged the hash of another; control characters (NUL, BEL, ESC …) were
// stored and hashed as sent. Each is now refused with
// notify.content.invalid_character, naming where, and nothing is stored; line breaks
// and tabs, and the harmless direction marks (U+200E, U+200F), still pass.
func TestContentCharacters(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	with := func(lang, title, body string) map[string]any {
		m := submission(iinAlice)
		m["content"].(map[string]any)[lang] = map[string]string{"title": title, "body": body}
		return m
	}
	for i, tc := range []struct {
		name         string
		body         map[string]any
		status       int
		code, detail string
	}{
		{"override in a title", with("kk", "Төлем \u202e000 21", "Төлеңіз."), 422, "notify.content.invalid_character", "content.kk.title: U+202E"},
		{"isolate in a body", with("ru", "Налог", "Сумма: \u2067000 21\u2069"), 422, "notify.content.invalid_character", "content.ru.body: U+2067"},
		{"NUL in a body", with("en", "Tax", "a\x00b"), 422, "notify.content.invalid_character", "content.en.body: U+0000"},
		{"escape in a body", with("ru", "Налог", "\x1b[31mкрасный"), 422, "notify.content.invalid_character", "content.ru.body: U+001B"},
		{"C1 control", with("kk", "Салық\u0085", "Төлеңіз."), 422, "notify.content.invalid_character", "content.kk.title: U+0085"},
		{"line breaks and tabs in a body", with("ru", "Налог", "Сумма:\t12 000 тенге.\r\nСрок: 1 апреля."), 201, "", ""},
		{"direction marks", with("en", "Tax\u200e", "Pay by 1 April.\u200f"), 201, "", ""},
	} {
		r := a.do(t, binTax, "POST", "/v1/notices", "chars-"+string(rune('a'+i)), tc.body)
		if r.status != tc.status || tc.code != "" && (r.body["code"] != tc.code || !strings.Contains(r.body["detail"].(string), tc.detail)) {
			t.Errorf("%s: %d %v %v, want %d %s %q", tc.name, r.status, r.body["code"], r.body["detail"], tc.status, tc.code, tc.detail)
		}
	}
	var n int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&n)
	if n != 2 {
		t.Errorf("%d notices stored, want the 2 accepted", n)
	}
	// The domain's own send checks the same.
	if _, err := a.svc.Send(t.Context(), Message{Subject: alice, Sender: "Court", Content: map[string]Text{
		"kk": {Title: "Шақыру", Body: "\u202e"}, "ru": {Title: "Повестка", Body: "Явка."}}}); err == nil || !strings.Contains(err.Error(), "invalid_character") {
		t.Errorf("Send took an override: %v", err)
	}
}

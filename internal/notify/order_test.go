package notify

import (
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: an organisation without a sender permission is refused with 403
// notify.sender.not_permitted before anything of its request is looked at — the key,
// the body, the category, the content — so a refusal never tells it which categories
// exist or what a valid notice is. A sender whose permission was withdrawn is refused
// the same way. A sender with a permission gets the validation errors as before.
func TestSenderNotPermittedBeforeValidation(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	if err := a.svc.SetSender(t.Context(), "admin:test", binCourt, nil); err != nil { // withdrawn
		t.Fatal(err)
	}
	unknownCat := submission(iinAlice)
	unknownCat["category"] = "lottery"
	noContent := submission(iinAlice)
	delete(noContent, "content")
	for _, tc := range []struct {
		name, path, idem string
		body             any
	}{
		{"unknown category", "/v1/notices", "a", unknownCat},
		{"no content", "/v1/notices", "b", noContent},
		{"no idempotency key", "/v1/notices", "", submission(iinAlice)},
		{"not JSON", "/v1/notices", "c", "{"},
		{"unknown field", "/v1/notices", "d", map[string]any{"x": 1}},
		{"empty batch", "/v1/notices:batch", "", map[string]any{"notices": []any{}}},
		{"batch, unknown category", "/v1/notices:batch", "", map[string]any{"notices": []any{batchItem("e", unknownCat)}}},
		{"batch, not JSON", "/v1/notices:batch", "", "{"},
	} {
		for _, bin := range []string{binOther, binCourt} {
			r := a.do(t, bin, "POST", tc.path, tc.idem, tc.body)
			if r.status != 403 || r.body["code"] != "notify.sender.not_permitted" {
				t.Errorf("%s, %s: %d %v, want 403 notify.sender.not_permitted", tc.name, bin, r.status, r.body["code"])
			}
		}
	}
	// Negative: a permitted sender is told what is wrong with its request.
	for _, tc := range []struct {
		name, path, idem string
		body             any
		status           int
		code             string
	}{
		{"unknown category", "/v1/notices", "a", unknownCat, 422, "notify.category.unknown"},
		{"no idempotency key", "/v1/notices", "", submission(iinAlice), 400, "notify.idempotency.key_required"},
		{"not JSON", "/v1/notices", "c", "{", 400, "request.malformed_json"},
		{"empty batch", "/v1/notices:batch", "", map[string]any{"notices": []any{}}, 422, "notify.batch.empty"},
	} {
		if r := a.do(t, binTax, "POST", tc.path, tc.idem, tc.body); r.status != tc.status || r.body["code"] != tc.code {
			t.Errorf("permitted, %s: %d %v, want %d %s", tc.name, r.status, r.body["code"], tc.status, tc.code)
		}
	}
	var k int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&k)
	if k != 0 {
		t.Errorf("refused requests left %d notices", k)
	}
}

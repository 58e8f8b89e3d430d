package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DD-6: the owner learns that someone viewed their digital document: the view's
// outbox event becomes a notice naming the document and the organisation (or "a
// citizen"), in each language; a view event without a readable payload fails the
// batch rather than losing the notice.
func TestDocumentViewedNotice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.emit(t, "docs.view.recorded", alice, map[string]string{"view": "v_x", "share": "s_x", "type": "identity_card/v1",
			"verifier_kind": "employee", "verifier_bin": binBank, "viewed_at": "2026-03-02T07:31:00.5Z"})
		f.emit(t, "docs.view.recorded", bob, map[string]string{"view": "v_y", "share": "s_y", "type": "driving_licence/v1",
			"verifier_kind": "citizen", "viewed_at": "2026-03-02T07:32:00Z"})
		f.sync(t)
		list, err := f.svc.Inbox(t.Context(), alice)
		if err != nil || len(list) != 1 || list[0].Kind != KindDocumentViewed {
			t.Fatalf("alice's inbox %+v %v", list, err)
		}
		for lang, want := range map[string][]string{
			"ru": {"Ваш цифровой документ просмотрели", "Удостоверение личности", "Halyk Bank (БИН " + binBank + ")", "2 марта 2026 г., 12:31 (время Астаны, UTC+5)"},
			"kk": {"Сіздің цифрлық құжатыңыз қаралды", "Жеке куәлік"},
			"en": {"Your digital document was viewed", "Identity card", "Viewed by"},
		} {
			c := list[0].Content(lang)
			for _, w := range want {
				if !strings.Contains(body(&c), w) {
					t.Errorf("%s notice lacks %q:\n%s", lang, w, body(&c))
				}
			}
		}
		bl, _ := f.svc.Inbox(t.Context(), bob)
		if len(bl) != 1 {
			t.Fatalf("bob's inbox %+v", bl)
		}
		if c := bl[0].Content("en"); !strings.Contains(body(&c), "Driving licence") || !strings.Contains(body(&c), "a citizen") {
			t.Errorf("citizen verifier:\n%s", body(&c))
		}
		f.emit(t, "docs.view.recorded", alice, "not an object")
		if _, err := f.svc.Sync(t.Context()); err == nil {
			t.Error("an unreadable view event was skipped")
		}
	})
}

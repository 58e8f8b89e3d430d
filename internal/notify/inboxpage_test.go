package notify

import (
	"errors"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: the inbox is read a page at a time, newest first, and every notice is on
// exactly one page: the pages after the last notice of the one before reach the
// oldest, and say when none follow. A page may start only after a notice of the
// addressee's own (another's, or none, is ErrNotFound). Both engines.
func TestInboxPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var sent []string
		for range 7 {
			n, err := f.svc.Send(t.Context(), message(alice, false))
			if err != nil {
				t.Fatal(err)
			}
			sent = append(sent, n.Ref)
		}
		other, err := f.svc.Send(t.Context(), message(bob, false))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		before, pages := "", 0
		for {
			page, more, err := f.svc.InboxPage(t.Context(), alice, before, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, n := range page {
				got = append(got, n.Ref)
			}
			if !more {
				break
			}
			if len(page) != 3 || pages > 3 {
				t.Fatalf("page %d: %d notices, more %v", pages, len(page), more)
			}
			before = page[len(page)-1].Ref
		}
		if pages != 3 || len(got) != len(sent) {
			t.Fatalf("%d notices on %d pages, want 7 on 3", len(got), pages)
		}
		for i, ref := range got {
			if want := sent[len(sent)-1-i]; ref != want {
				t.Errorf("notice %d is %s, want %s (newest first)", i, ref, want)
			}
		}
		// Exactly a page's worth: no "more".
		if page, more, err := f.svc.InboxPage(t.Context(), alice, sent[3], 3); err != nil || len(page) != 3 || more {
			t.Errorf("the last full page: %d notices, more %v, %v", len(page), more, err)
		}
		for _, before := range []string{other.Ref, "n_AAAAAAAAAAAAAAAAAAAAAA", "x"} {
			if page, _, err := f.svc.InboxPage(t.Context(), alice, before, 3); !errors.Is(err, ErrNotFound) || len(page) != 0 {
				t.Errorf("a page after %q: %d notices, %v", before, len(page), err)
			}
		}
	})
}

package inbox

import (
	"errors"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/notify"
)

// olderLink is the inbox page's link to its next, older page.
var olderLink = regexp.MustCompile(`href="(/inbox\?before=[^"]+)" id="inbox-older"`)

// rule DC-2: no notice falls out of the inbox. Notices are never deleted, so a
// citizen whose data is read often has hundreds; the inbox listed its newest 500 and
// nothing led further, so an older notice — here a legally significant one still
// unread, which the header's count still counted — could not be found in it. Now
// "Older notices" leads page by page to every notice, the last page has no such link,
// and the first page alone says the inbox is empty.
func TestInboxReachesEveryNotice(t *testing.T) {
	h, svc, _ := mount(t)
	alice, bob := h.Citizen(iinAlice, "Alice"), h.Citizen(iinBob, "Bob")
	oldest := send(t, svc, alice, true)
	for range 500 { // a page's worth (defaultPageSize)
		send(t, svc, alice, false)
	}
	seen := map[string]bool{}
	path, pages := "/inbox", 0
	for path != "" {
		pages++
		if pages > 3 {
			t.Fatal("the inbox's pages do not end")
		}
		w := h.Get(path, alice)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, w.Code, body)
		}
		if strings.Contains(body, `id="inbox-empty"`) {
			t.Errorf("%s says the inbox is empty", path)
		}
		for _, m := range regexp.MustCompile(`id="notice-(n_[A-Za-z0-9_-]{22})"`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("%s lists %s again", path, m[1])
			}
			seen[m[1]] = true
		}
		if pages > 1 && !strings.Contains(body, `href="/inbox" id="inbox-newest"`) {
			t.Errorf("%s has no way back to the newest notices", path)
		}
		path = ""
		if m := olderLink.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if !seen[oldest.Ref] {
		t.Errorf("the oldest notice, legally significant and unread, is on no page of the inbox (%d notices on %d pages)", len(seen), pages)
	}
	if len(seen) != 501 || pages != 2 {
		t.Errorf("%d notices on %d pages, want 501 on 2", len(seen), pages)
	}
	// The first page has no link back to itself.
	if w := h.Get("/inbox", alice); strings.Contains(w.Body.String(), `id="inbox-newest"`) {
		t.Error("the first page links to the newest notices")
	}
	// A page that starts after another citizen's notice, or after no notice, is not
	// found, and shows none of alice's notices to bob.
	for _, before := range []string{oldest.Ref, "n_AAAAAAAAAAAAAAAAAAAAAA", "x"} {
		w := h.Get("/inbox?before="+before, bob)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), `id="notice-n_`) {
			t.Errorf("bob's inbox after %q: %d\n%s", before, w.Code, w.Body.String())
		}
	}
}

// An inbox that fits on one page has no page links and, empty, says so.
func TestInboxOnePage(t *testing.T) {
	h, svc, _ := mount(t)
	alice := h.Citizen(iinAlice, "Alice")
	if w := h.Get("/inbox", alice); !strings.Contains(w.Body.String(), `id="inbox-empty"`) || strings.Contains(w.Body.String(), `id="inbox-pages"`) {
		t.Errorf("empty inbox:\n%s", w.Body.String())
	}
	send(t, svc, alice, false)
	if w := h.Get("/inbox", alice); strings.Contains(w.Body.String(), `id="inbox-empty"`) || strings.Contains(w.Body.String(), `id="inbox-pages"`) {
		t.Errorf("inbox of one notice:\n%s", w.Body.String())
	}
	list, more, err := svc.InboxPage(t.Context(), alice.Session.Citizen.Ref(), "", 1)
	if err != nil || len(list) != 1 || more {
		t.Errorf("a page of one: %d notices, more %v, %v", len(list), more, err)
	}
	if _, _, err := svc.InboxPage(t.Context(), alice.Session.Citizen.Ref(), list[0].Ref, 1); err != nil {
		t.Errorf("the page after the last notice: %v", err)
	}
	// Another citizen's notice starts no page of hers.
	bob := h.Citizen(iinBob, "Bob")
	if _, _, err := svc.InboxPage(t.Context(), bob.Session.Citizen.Ref(), list[0].Ref, 1); !errors.Is(err, notify.ErrNotFound) {
		t.Errorf("bob's page after alice's notice: %v", err)
	}
}

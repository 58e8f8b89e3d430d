package web

import (
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
)

// A time on a page is a <time> element with the instant for machines and i18n.When's
// text for people.
func TestTimeHTML(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := string(timeHTML(i18n.When("en", at), at))
	if !strings.Contains(h, `datetime="2026-01-02T03:04:05Z"`) || !strings.Contains(h, ">2 January 2026, 08:04 (Astana time, UTC+5)</time>") {
		t.Errorf("timeHTML = %s", h)
	}
}

package i18n

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogsInStep(t *testing.T) {
	en := Keys("en")
	sort.Strings(en)
	for _, l := range Langs {
		k := Keys(l)
		sort.Strings(k)
		if d := cmp.Diff(en, k); d != "" {
			t.Errorf("catalog %s differs from en in keys (-en +%s):\n%s", l, l, d)
		}
		for _, key := range k {
			v := T(l, key)
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", l, key)
			}
			if strings.Count(v, "%") != strings.Count(T("en", key), "%") {
				t.Errorf("%s: %s has other format verbs than en", l, key)
			}
		}
	}
}

func TestT(t *testing.T) {
	if got := T("ru", "home.title", "Анна"); got != "Добро пожаловать, Анна" {
		t.Errorf("T = %q", got)
	}
	if got := T("xx", "nav.home"); got != T(Default, "nav.home") {
		t.Errorf("unknown language: %q", got)
	}
	if got := T("en", "no.such.key"); got != "[no.such.key]" {
		t.Errorf("missing key: %q", got)
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		query, cookie, pref, accept, want string
	}{
		{"", "", "", "", "kk"},
		{"", "", "", "en-US,en;q=0.9", "en"},
		{"", "", "", "de-DE, ru;q=0.8", "ru"},
		{"", "", "ru", "en", "ru"},
		{"", "en", "ru", "kk", "en"},
		{"ru", "en", "kk", "kk", "ru"},
		{"xx", "yy", "", "", "kk"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/?lang="+tt.query, nil)
		if tt.cookie != "" {
			r.Header.Set("Cookie", "lang="+tt.cookie)
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := Negotiate(r, "lang", tt.pref); got != tt.want {
			t.Errorf("%+v: got %s", tt, got)
		}
	}
}

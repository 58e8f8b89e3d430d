package i18n

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogsInStep(t *testing.T) {
	// The merged catalogs: the shell's own and every fragment registered so far.
	if err := inStep(catalogs); err != nil {
		t.Error(err)
	}
	en := Keys("en")
	sort.Strings(en)
	for _, l := range Langs {
		k := Keys(l)
		sort.Strings(k)
		if d := cmp.Diff(en, k); d != "" {
			t.Errorf("catalog %s differs from en in keys (-en +%s):\n%s", l, l, d)
		}
	}
}

func TestCheckFragment(t *testing.T) {
	frag := func(kk, ru, en string) fstest.MapFS {
		return fstest.MapFS{"kk.json": {Data: []byte(kk)}, "ru.json": {Data: []byte(ru)}, "en.json": {Data: []byte(en)}}
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string // "" when in step
	}{
		{"in step", frag(`{"a.b":"Сәлем %s"}`, `{"a.b":"Привет %s"}`, `{"a.b":"Hello %s"}`), ""},
		{"missing key", frag(`{}`, `{"a.b":"Привет"}`, `{"a.b":"Hello"}`), "kk: a.b is missing"},
		{"extra key", frag(`{"a.b":"x","a.c":"y"}`, `{"a.b":"x"}`, `{"a.b":"x"}`), "kk: a.c is not in en"},
		{"empty", frag(`{"a.b":" "}`, `{"a.b":"x"}`, `{"a.b":"x"}`), "kk: a.b is empty"},
		{"other verbs", frag(`{"a.b":"%d"}`, `{"a.b":"%s"}`, `{"a.b":"%s"}`), "kk: a.b has other format verbs"},
		{"no file", fstest.MapFS{"en.json": {Data: []byte(`{}`)}}, "catalog kk"},
		{"bad json", frag(`{`, `{}`, `{}`), "catalog kk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.fsys)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMustRegisterRefusesDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a key the catalog already has did not panic")
		}
	}()
	MustRegister(fstest.MapFS{"kk.json": {Data: []byte(`{"nav.home":"x"}`)}, "ru.json": {Data: []byte(`{"nav.home":"x"}`)}, "en.json": {Data: []byte(`{"nav.home":"x"}`)}})
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

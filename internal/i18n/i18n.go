// Package i18n holds the cabinet's message catalogs in Kazakh, Russian and English and
// picks a language for a request. Every string a citizen reads comes from a catalog;
// a test keeps the three catalogs in step.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
)

//go:embed catalog/*.json
var files embed.FS

// Langs are the supported languages, the default first.
var Langs = []string{"kk", "ru", "en"}

// Default is the language used when nothing else decides.
const Default = "kk"

var catalogs = map[string]map[string]string{}

func init() {
	sub, err := fs.Sub(files, "catalog")
	if err != nil {
		panic(err)
	}
	for l, m := range mustLoad(sub) {
		catalogs[l] = m
	}
}

// load reads kk.json, ru.json and en.json from the root of fsys.
func load(fsys fs.FS) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, l := range Langs {
		b, err := fs.ReadFile(fsys, l+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: catalog %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: catalog %s: %w", l, err)
		}
		out[l] = m
	}
	return out, nil
}

func mustLoad(fsys fs.FS) map[string]map[string]string {
	m, err := load(fsys)
	if err != nil {
		panic(err)
	}
	return m
}

// MustRegister merges an area's catalog fragment (kk.json, ru.json and en.json at the
// root of fsys) into the catalogs. Each web area calls it once, from a package-level
// variable, so its messages exist before any template runs; a key that another
// catalog already holds, or a fragment that does not load, stops the program at
// start-up. Check is the test that keeps a fragment's languages in step.
func MustRegister(fsys fs.FS) struct{} {
	frag := mustLoad(fsys)
	for _, l := range Langs {
		for k := range frag[l] {
			if _, dup := catalogs[l][k]; dup {
				panic(fmt.Sprintf("i18n: key %q (%s) is registered twice", k, l))
			}
		}
	}
	for _, l := range Langs {
		for k, v := range frag[l] {
			catalogs[l][k] = v
		}
	}
	return struct{}{}
}

// Check reports how the catalog fragment in fsys is out of step: a key missing from a
// language, an empty message, or other format verbs than the English one.
func Check(fsys fs.FS) error {
	m, err := load(fsys)
	if err != nil {
		return err
	}
	return inStep(m)
}

// inStep compares every language's catalog with the English one.
func inStep(cats map[string]map[string]string) error {
	var errs []error
	for _, l := range Langs {
		for k := range cats["en"] {
			if _, ok := cats[l][k]; !ok {
				errs = append(errs, fmt.Errorf("%s: %s is missing", l, k))
			}
		}
		keys := make([]string, 0, len(cats[l]))
		for k := range cats[l] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := cats[l][k]
			en, ok := cats["en"][k]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: %s is not in en", l, k))
			case strings.TrimSpace(v) == "":
				errs = append(errs, fmt.Errorf("%s: %s is empty", l, k))
			case verbs(v) != verbs(en):
				errs = append(errs, fmt.Errorf("%s: %s has other format verbs than en", l, k))
			}
		}
	}
	return errors.Join(errs...)
}

// verbs lists the format verbs of a message in order, e.g. "%s%d".
func verbs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '%' {
			b.WriteByte('%')
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String()
}

// Supported reports whether l is a supported language.
func Supported(l string) bool { _, ok := catalogs[l]; return ok }

// T returns the message key in lang, formatted with args. A missing key shows as the
// key itself in brackets so it is noticed, never as an empty string.
func T(lang, key string, args ...any) string {
	m, ok := catalogs[lang]
	if !ok {
		m = catalogs[Default]
	}
	s, ok := m[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key exists in lang's catalog.
func Has(lang, key string) bool { _, ok := catalogs[lang][key]; return ok }

// Keys returns the keys of lang's catalog.
func Keys(lang string) []string {
	out := make([]string, 0, len(catalogs[lang]))
	for k := range catalogs[lang] {
		out = append(out, k)
	}
	return out
}

// Negotiate picks the language for a request: an explicit choice (the "lang" query
// parameter, then the cookie), then the preference of a logged-in citizen (pref), then
// Accept-Language, then Default.
func Negotiate(r *http.Request, cookie, pref string) string {
	if l := r.URL.Query().Get("lang"); Supported(l) {
		return l
	}
	if c, err := r.Cookie(cookie); err == nil && Supported(c.Value) {
		return c.Value
	}
	if Supported(pref) {
		return pref
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		base := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
		if Supported(base) {
			return base
		}
	}
	return Default
}

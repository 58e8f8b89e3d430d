// Package i18n holds the cabinet's message catalogs in Kazakh, Russian and English and
// picks a language for a request. Every string a citizen reads comes from a catalog;
// a test keeps the three catalogs in step.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
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
	for _, l := range Langs {
		b, err := files.ReadFile("catalog/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n: catalog %s: %v", l, err))
		}
		catalogs[l] = m
	}
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

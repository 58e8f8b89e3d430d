package webtest

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

// Leaks are English words that have shown through Kazakh and Russian pages: enum
// values, statuses and labels. Readable fails a kk or ru page that shows one outside an
// element marked lang="en". Areas add their own.
var Leaks = []string{
	"consent", "refusal", "given", "refused", "active", "revoked", "expired", "suspended", "trusted",
	"proactive", "protocol", "token", "identity", "address", "family", "view", "change", "addition",
	"transfer", "blocking", "deletion", "automated", "now", "until", "period", "platform", "messenger",
	"information_system", "biometric", "eds", "paper", "cabinet", "initiator", "owner", "status",
	"verified", "evidence", "log out", "home", "error", "true", "false", "api",
}

var (
	tagRe     = regexp.MustCompile(`(?s)<(/?)([a-zA-Z0-9]+)([^>]*)>`)
	commentRe = regexp.MustCompile(`(?s)<!--.*?-->|<![^>]*>`)
	attrRe    = regexp.MustCompile(`\b(title|aria-label|placeholder|alt|data-label)="([^"]*)"`)
	langEnRe  = regexp.MustCompile(`\blang="en"`)
	rawKeyRe  = regexp.MustCompile(`\[[a-z0-9_]+(\.[a-z0-9_+-]+)+\]`)
	eventRe   = regexp.MustCompile(`\b(pd|identity|auditlog|edslogin|consent|console)\.[a-z_]+\.[a-z_.]+\b`)
	snakeRe   = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)
	voidTags  = map[string]bool{"input": true, "br": true, "meta": true, "link": true, "img": true, "hr": true}
)

// Text is what a person reads on page: the text outside tags (not in script or style)
// and the attributes a screen reader or a tooltip shows, with the entities decoded.
// Elements marked lang="en" are left out when skipEnglish is set.
func Text(page string, skipEnglish bool) string {
	page = commentRe.ReplaceAllString(page, " ")
	var b strings.Builder
	skipTag, depth := "", 0
	last := 0
	for _, m := range tagRe.FindAllStringSubmatchIndex(page, -1) {
		closing, name, attrs := page[m[2]:m[3]] == "/", strings.ToLower(page[m[4]:m[5]]), page[m[6]:m[7]]
		if skipTag == "" {
			b.WriteString(page[last:m[0]])
			b.WriteByte(' ')
		}
		last = m[1]
		switch {
		case skipTag != "":
			if name == skipTag && !voidTags[name] {
				if closing {
					depth--
				} else {
					depth++
				}
				if depth == 0 {
					skipTag = ""
				}
			}
		case closing:
		case name == "script" || name == "style":
			skipTag, depth = name, 1
		case skipEnglish && name != "html" && langEnRe.MatchString(attrs):
			if !voidTags[name] {
				skipTag, depth = name, 1
			}
		default:
			for _, a := range attrRe.FindAllStringSubmatch(attrs, -1) {
				b.WriteString(" " + a[2] + " ")
			}
		}
	}
	if skipTag == "" {
		b.WriteString(page[last:])
	}
	return html.UnescapeString(b.String())
}

// Readable fails t when page, rendered in lang, shows a raw catalog key
// ("[consent.decision.given]"), an event code ("pd.token.issued"), a snake_case enum
// value ("information_system"), or — in a Kazakh or Russian page — one of leaks (or
// Leaks when none are given) outside an element marked lang="en".
func Readable(t testing.TB, name, lang, page string, leaks ...string) {
	t.Helper()
	all := Text(page, false)
	if k := rawKeyRe.FindString(all); k != "" {
		t.Errorf("%s (%s): raw catalog key %s", name, lang, k)
	}
	if e := eventRe.FindString(all); e != "" {
		t.Errorf("%s (%s): event code %s", name, lang, e)
	}
	text := Text(page, lang != "en")
	if e := snakeRe.FindString(text); e != "" {
		t.Errorf("%s (%s): raw enum value %q", name, lang, e)
	}
	if lang == "en" {
		return
	}
	if len(leaks) == 0 {
		leaks = Leaks
	}
	lower := strings.ToLower(text)
	for _, w := range leaks {
		if re := regexp.MustCompile(`(^|[^\p{L}_])` + regexp.QuoteMeta(w) + `($|[^\p{L}_])`); re.MatchString(lower) {
			i := re.FindStringIndex(lower)
			before, after := []rune(lower[:i[0]]), []rune(lower[i[1]:])
			ctx := string(before[max(0, len(before)-30):]) + lower[i[0]:i[1]] + string(after[:min(len(after), 30)])
			t.Errorf("%s (%s): English %q shows: …%s…", name, lang, w, strings.Join(strings.Fields(ctx), " "))
		}
	}
}

package webtest

import "testing"

// rec records what Readable reports, so the checker itself can be tested.
type rec struct {
	testing.TB
	errs []string
}

func (r *rec) Helper()               {}
func (r *rec) Errorf(string, ...any) { r.errs = append(r.errs, "x") }

func TestReadable(t *testing.T) {
	for _, c := range []struct {
		lang, page string
		bad        bool
	}{
		{"kk", `<p>Келісім берілді</p>`, false},
		{"kk", `<p>[consent.decision.given]</p>`, true},
		{"ru", `<td>pd.token.issued</td>`, true},
		{"en", `<td>pd.token.issued</td>`, true},
		{"ru", `<td>information_system</td>`, true},
		{"ru", `<td>proactive</td>`, true},
		{"ru", `<td data-label="Status">x</td>`, true},
		{"ru", `<td title="trusted">x</td>`, true},
		{"ru", `<pre lang="en">SENIM CONSENT v1 initiator BIN</pre><p>Согласие</p>`, false},
		{"ru", `<div lang="en"><div>token</div></div><p>token</p>`, true},
		{"ru", `<script>var token = 1</script><p>ок</p>`, false},
		{"en", `<td>proactive</td>`, false},
		{"kk", `<a href="?lang=en" lang="en">English</a>`, false},
	} {
		r := &rec{TB: t}
		Readable(r, "page", c.lang, c.page)
		if got := len(r.errs) > 0; got != c.bad {
			t.Errorf("%s %q: reported %v, want %v", c.lang, c.page, got, c.bad)
		}
	}
}

package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

// A catalog with characters every context escapes differently.
var _ = i18n.MustRegister(fstest.MapFS{
	"kk.json": {Data: []byte(`{"test.bake.tricky": "<b>&amp; \"қ\" 'single' a+b % %s", "test.bake.args": "kk: %s"}`)},
	"ru.json": {Data: []byte(`{"test.bake.tricky": "<b>&amp; \"р\" 'single' a+b % %s", "test.bake.args": "ru: %s"}`)},
	"en.json": {Data: []byte(`{"test.bake.tricky": "<b>&amp; \"e\" 'single' a+b % %s", "test.bake.args": "en: %s"}`)},
})

// bakeContent puts {{t}} in every context html/template knows, constant or not.
const bakeContent = `{{define "content"}}
<p id="a">{{t "test.bake.tricky"}}</p>
<p title="{{t "test.bake.tricky"}}" aria-label="{{t "nav.skip"}}">{{t "session.warning"}}</p>
<p data-x='{{t "test.bake.tricky"}}' data-y={{t "test.bake.tricky"}}>{{t "app.tagline"}}</p>
<a href="/x?q={{t "test.bake.tricky"}}">{{t "nav.logout"}}</a><a href="{{t "test.bake.tricky"}}">u</a>
<textarea>{{t "test.bake.tricky"}}</textarea>
<script nonce="{{.Nonce}}">var s = {{t "test.bake.tricky"}}; var q = "{{t "test.bake.tricky"}}";</script>
<p style="color: {{t "test.bake.tricky"}}">{{t "test.bake.args" "x<y"}}{{$k := "nav.home"}}{{t $k}}</p>
{{if .Session}}<p>{{t "nav.logout"}}</p>{{else}}<p>{{t "nav.home"}}</p>{{end}}
{{range .Langs}}<i title="{{t "nav.language"}}">{{t "nav.main"}}</i>{{else}}{{t "nav.home"}}{{end}}
{{with .Lang}}<b>{{t "nav.main"}}</b>{{end}}
<p>{{t "test.bake.no.such.key"}}</p>
{{end}}`

// Baking the constant translations into the templates changes no byte of any page:
// the shell's layout and a view with {{t}} in every context (text, quoted and unquoted
// attributes, URL, RCDATA, script, style, branches, a variable key, arguments, a key
// no catalog has), in every language, signed in and not, rendered from templates
// parsed with baking and without. Baking did take place, and not everywhere.
func TestBakedTranslationsRenderTheSame(t *testing.T) {
	render := func(bake bool) (map[string]string, map[string]int) {
		was := web.SetBake(bake)
		defer web.SetBake(was)
		h := webtest.New(t)
		vs := web.NewViews(fstest.MapFS{"templates/bake.html": {Data: []byte(bakeContent)}})
		v := vs.Add("bake", "test.bake.tricky", web.Needs{Script: true})
		if err := h.Shell.Parse(vs); err != nil {
			t.Fatal(err)
		}
		page := func(w http.ResponseWriter, r *http.Request, sess *identity.Session) error {
			return h.Shell.Render(w, r, http.StatusOK, v, h.Shell.Page(w, r, sess))
		}
		h.Shell.Handle("GET /bake", web.Public(page))
		h.Shell.Handle("GET /mine/bake", web.Citizen(page))
		h.Shell.Nav(web.NavItem{Place: web.NavMain, Href: "/mine/bake", ID: "nav-bake", Key: "test.bake.tricky"})
		h.Shell.Nav(web.NavItem{Place: web.NavFooter, Href: "/bake", ID: "nav-foot", Key: "nav.home"})
		h.Shell.Badge(web.Badge{ID: "nav-count", Href: "/mine/bake", Key: "test.bake.tricky", Cap: 100,
			Count: func(*http.Request, *identity.Session) (int, error) { return 100, nil }})
		pages, baked := map[string]string{}, map[string]int{}
		for _, lang := range i18n.Langs {
			baked[lang] = web.Baked(v, lang)
			l := h.Login(identity.Session{Citizen: &identity.Citizen{IIN: "900101300021", Name: "Айгерім", Lang: lang}, Method: identity.MethodPasswordSMS})
			for _, c := range []struct {
				path  string
				login *webtest.Login
			}{{"/bake?lang=" + lang, nil}, {"/mine/bake?lang=" + lang, l}} {
				w := h.Get(c.path, c.login)
				if w.Code != http.StatusOK {
					t.Fatalf("%s: %d", c.path, w.Code)
				}
				pages[lang+" "+c.path[:5]] = w.Body.String()
			}
		}
		return pages, baked
	}
	plain, none := render(false)
	baked, count := render(true)
	// What differs from one render to the next by design: nonces, anti-forgery tokens,
	// the session's end.
	random := regexp.MustCompile(`nonce="[^"]*"|name="csrf" value="[^"]*"|data-(warn|end)-in="[^"]*"|<time datetime="[^"]*">[^<]*</time>`)
	for k, want := range plain {
		got := baked[k]
		if random.ReplaceAllString(got, "") != random.ReplaceAllString(want, "") {
			t.Errorf("%s: baked page differs:\n%s\n--- unbaked:\n%s", k, got, want)
		}
		if !strings.Contains(want, "&lt;b&gt;&amp;amp;") {
			t.Errorf("%s: the tricky translation is not on the page", k)
		}
	}
	for _, lang := range i18n.Langs {
		if none[lang] != 0 || count[lang] < 20 {
			t.Errorf("%s: %d actions baked (%d with baking off); want at least 20, and none off", lang, count[lang], none[lang])
		}
	}
}

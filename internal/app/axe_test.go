package app

import (
	"context"
	_ "embed"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/sandbox"
)

// axeSource is axe-core, vendored from the npm registry into the test data with its
// licence and pinned version (testdata/axe/VERSION). It is test data: the server never
// serves it.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeViolation is one rule axe-core found broken on a page, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeRun is the script that runs axe-core on the whole document (WCAG 2.0–2.2 A and
// AA rules and axe's best practices) and returns its violations.
const axeRun = `axe.run(document, {resultTypes: ['violations'],
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
	.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, html: n.html.slice(0, 200)}))})))`

// Axe runs axe-core in the page the browser shows now and fails t on every violation
// of serious or critical impact; where names the page in the message. Any browser test
// may call it after navigating. axe-core is injected through the DevTools protocol, so
// the page's Content-Security-Policy (which allows no such script) stays as it is.
func Axe(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	vs, err := axeSerious(ctx)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, v := range vs {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("%v %s", n.Target, n.HTML))
		}
		t.Errorf("%s: axe %s (%s): %s\n\t%s", where, v.ID, v.Impact, v.Help, strings.Join(nodes, "\n\t"))
	}
}

// axeSerious runs axe-core in the page behind ctx and returns its violations of serious
// or critical impact.
func axeSerious(ctx context.Context) ([]axeViolation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return nil, fmt.Errorf("loading axe-core: %w", err)
		}
	}
	all, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("running axe-core: %w", err)
	}
	var out []axeViolation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out, nil
}

// setCookies gives the Chromium behind ctx the cookies b holds for base: a session
// made by the test's HTTP client (an EDS login, which the browser cannot sign without
// NCALayer) continues in the browser.
func setCookies(t *testing.T, ctx context.Context, b *browser) {
	t.Helper()
	u, _ := url.Parse(b.base)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			return err
		}
		for _, c := range b.c.Jar.Cookies(u) {
			if _, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: b.base + "/"}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
}

// staffBrowser logs the sandbox's regulator employee in with her employee EDS key, as
// TestConsole does, and returns her HTTP client.
func staffBrowser(t *testing.T, a *App, base string) (*browser, sandbox.Citizen) {
	t.Helper()
	staff := sandbox.Staff(a.Pop)
	var olga sandbox.Citizen
	for _, c := range a.Pop.Citizens {
		if staff[c.IIN] != "" {
			olga = c
		}
	}
	p12, err := a.Keys.P12("employee", olga.IIN, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, base)
	_, page := b.get("/login/eds")
	text := html.UnescapeString(challengeRE.FindStringSubmatch(page)[1])
	st, page := b.post("/login/eds", url.Values{"csrf": {csrfOf(t, page)}, "cms": {signPEM(t, p12, sandbox.KeyPassword, text)}})
	if st != 200 || !strings.Contains(page, `id="nav-console"`) {
		t.Fatalf("EDS login of the regulator's employee: %d\n%s", st, page)
	}
	return b, olga
}

// accessed runs flow 1 for citizen c: the sandbox bank records her consent and gets a
// token with it. It returns the consent's id and the bank's BIN.
func accessed(t *testing.T, a *App, base string, c sandbox.Citizen) (consent, bankBIN string) {
	t.Helper()
	var register string
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "bank":
			bankBIN = o.BIN
		case "state_body":
			register = o.BIN
		}
	}
	p12, err := a.Keys.P12("org", bankBIN, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := client.New(client.Config{BaseURL: base, Key: key, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := bank.RecordConsent(t.Context(), client.ConsentRecord{Subject: c.IIN, Owner: register, DataSets: []string{"identity"},
		Purpose: "Несие алу үшін", ValidUntil: testNow.Add(24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	vt, err := key.ProactiveToken(c.IIN, "LOAN-KYC", register, []string{"identity"}, "biometric", cons.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bank.Proactive(t.Context(), vt); err != nil {
		t.Fatalf("flow 1: %v", err)
	}
	if _, err := a.Log.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return cons.ID, bankBIN
}

var accessLinkRE = regexp.MustCompile(`href="(/access/\d+)"`)

// TestBrowserAxe runs axe-core in Chromium on every page of the cabinet and the console
// in Kazakh, Russian and English, signed out, as a citizen with a consent and an access
// on record, and as the regulator's employee: no violation of serious or critical
// impact (issue 10, checks in the browser).
func TestBrowserAxe(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	alice := a.Pop.Citizens[0]
	consent, _ := accessed(t, a, srv.URL, alice)
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	_, access := ba.get("/access")
	one := accessLinkRE.FindStringSubmatch(access)
	if one == nil {
		t.Fatalf("no access on the access page:\n%s", access)
	}
	ev, _ := strconv.ParseInt(strings.TrimPrefix(one[1], "/access/"), 10, 64)
	cp, err := a.PD.FileComplaint(t.Context(), alice.IIN, ev, "Бұл мен емес")
	if err != nil {
		t.Fatal(err)
	}
	// A refusal withdrawn: its revoke page says it is already revoked.
	list, err := a.PD.ListConsents(t.Context(), alice.IIN)
	if err != nil || len(list) == 0 {
		t.Fatalf("consents %v %v", list, err)
	}
	refusal, err := a.PD.RefuseConsent(t.Context(), pd.ConsentRequest{SubjectIIN: alice.IIN, Initiator: list[0].Initiator, Owner: list[0].Owner,
		DataSets: list[0].DataSets, Purpose: "Несие алу үшін", ValidUntil: testNow.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PD.RevokeConsent(t.Context(), alice.IIN, alice.IIN, refusal.ID); err != nil {
		t.Fatal(err)
	}
	staff, _ := staffBrowser(t, a, srv.URL)
	ctx := chromeContext(t, bin)

	// The check can fail: a page with no language and an image with no text is caught.
	bad := srv.URL + "/no-such-page"
	if err := chromedp.Do(ctx, chromedp.Navigate(bad), chromedp.WaitVisible(chromedp.CSS(`main`)),
		chromedp.Evaluate[chromedp.Void](`document.documentElement.removeAttribute('lang'); document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))`)); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	if vs, err := axeSerious(ctx); err != nil {
		t.Fatal(err)
	} else {
		for _, v := range vs {
			found[v.ID] = true
		}
	}
	if !found["html-has-lang"] || !found["image-alt"] {
		t.Fatalf("axe-core missed a broken page: %v", found)
	}

	signedIn := false
	visit := func(who string, pages []string) {
		t.Helper()
		for _, lang := range []string{"kk", "ru", "en"} {
			for _, p := range pages {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p+sep+"lang="+lang), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
					t.Fatalf("%s %s: %v", who, p, err)
				}
				if signedIn {
					if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('logout') !== null`)); err != nil || !ok {
						t.Fatalf("%s %s: not signed in in the browser (%v)", who, p, err)
					}
				}
				Axe(t, ctx, who+" "+lang+" "+p)
			}
		}
	}
	visit("signed out", []string{"/login", "/login/eds", "/login/passkey", "/directories", "/no-such-page", "/sandbox/population", "/sandbox/sms", "/sandbox/mail", "/sandbox/push"})
	setCookies(t, ctx, ba)
	signedIn = true
	visit("citizen", append(citizenPages(consent, one[1]), one[1]+"/complaint", "/complaints", "/complaints/"+cp.ID, "/consents/"+refusal.ID+"/revoke"))
	setCookies(t, ctx, staff)
	visit("staff", append(staffPages(), "/console/complaints", "/console/complaints/"+cp.ID, "/console/senders",
		"/console/organizations", "/console/organizations?bin="+sandbox.RegisterBIN()))
}

// citizenPages are the cabinet's pages a citizen with consent and the access one sees;
// the browser tests (phone widths, axe-core) visit each of them.
func citizenPages(consent, one string) []string {
	return []string{"/", "/consents", "/consents/new", "/consents/" + consent + "/revoke", "/access", one,
		"/access?org=&from=&to=", "/history", "/inbox", "/inbox/settings", "/confirm", "/passkeys", "/directories", "/sandbox/sms"}
}

// staffPages are the console's pages.
func staffPages() []string {
	return []string{"/", "/console", "/console/tr2", "/directories", "/console/entries/ground/" + pd.SandboxGround,
		"/console/entries/service/" + pd.SandboxServiceCode, "/console/entries/service/new", "/console/entries/owner/new",
		"/console/entries/permission/new", "/console/entries/object/new", "/console/entries/ground/" + pd.SandboxGround + "/delete"}
}

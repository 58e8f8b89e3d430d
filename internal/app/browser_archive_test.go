package app

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// rule DC-6: on a phone, a citizen writes a document in "my archive", checks the exact
// text, signs it with her key through NCALayer (the sandbox simulator, over a real TLS
// WebSocket) and lands on the document's page with a valid signature; the archive holds
// the text exactly as she typed and signed it, her as its owner. Both steps pass
// axe-core at 390 px.
func TestBrowserArchiveSignHere(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandboxNCALayer(t)
	alice := a.Pop.Citizens[0]
	spki := sha256.Sum256(a.NCALayerTLS.Leaf.RawSubjectPublicKeyInfo)
	ctx := chromeContext(t, bin, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	chromeLogin(t, ctx, srv.URL, alice)
	text := "Расписка\nЯ получила от Болата 150 000 тенге и верну их до 1 июня 2027 года."
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/archive?lang=ru"),
		chromedp.WaitVisible(q(`#sign-link`)),
		chromedp.Click(q(`#sign-link`)),
		chromedp.WaitVisible(q(`#write-form`)),
	); err != nil {
		t.Fatalf("my archive: %v", err)
	}
	Axe(t, ctx, "/archive/sign")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(q(`#name`), "Расписка"),
		chromedp.SendKeys(q(`#text`), text),
		chromedp.Click(q(`#write-submit`)),
		chromedp.WaitVisible(q(`#archive-sign-form`)),
	); err != nil {
		t.Fatalf("writing: %v", err)
	}
	Axe(t, ctx, "/archive/sign (the signing step)")
	shown, err := chromedp.Run(ctx, chromedp.Text(q(`#archive-text`)))
	if err != nil || !strings.Contains(shown, "150 000 тенге") {
		t.Fatalf("the text to sign shows %q (%v)", shown, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(q(`#sign-ncalayer`)),
		chromedp.WaitVisible(q(`#sign-status[data-state="sign.nca.choose"]`)),
	); err != nil {
		t.Fatalf("NCALayer: %v", err)
	}
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(tab,
		chromedp.Navigate("https://"+strings.TrimPrefix(a.Config.SandboxNCALayer, "wss://")+"/"),
		chromedp.WaitVisible(q(`form.request select`)),
		chromedp.Click(q(`form.request button[value="sign"]`)),
		chromedp.WaitVisible(q(`#notice`)),
	); err != nil {
		t.Fatalf("the simulator: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(q(`#verdict.ok`))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(q(`main`)))
		t.Fatalf("after signing: %v\n%s", err, page)
	}
	ref, err := a.Identity.SubjectRef(t.Context(), alice.IIN)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := a.Archive.List(t.Context(), ref)
	if err != nil || len(docs) != 1 || docs[0].Name != "Расписка" {
		t.Fatalf("her archive: %+v %v", docs, err)
	}
	d, _, err := a.Archive.Open(t.Context(), ref, docs[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	// The browser sends line breaks as CRLF; that is what was shown, signed and kept.
	if want := strings.ReplaceAll(text, "\n", "\r\n"); string(d.Content) != want {
		t.Fatalf("kept %q, signed text was %q", d.Content, want)
	}
}

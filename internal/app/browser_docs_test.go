package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/sandbox"
)

// writeY4M writes img as a one-frame YUV4MPEG2 video (4:2:0, grey: U and V at 128)
// of w×h, the image centred on white; Chromium's fake camera plays it in a loop.
func writeY4M(out io.Writer, img image.Image, w, h int) error {
	b := img.Bounds()
	ox, oy := (w-b.Dx())/2, (h-b.Dy())/2
	bw := bufio.NewWriter(out)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			luma := byte(235)
			if sx, sy := x-ox+b.Min.X, y-oy+b.Min.Y; image.Pt(sx, sy).In(b) {
				r, g, bl, _ := img.At(sx, sy).RGBA()
				luma = byte(16 + (66*int(r>>8)+129*int(g>>8)+25*int(bl>>8)+128)>>8) // BT.601
			}
			bw.WriteByte(luma)
		}
	}
	chroma := bytes.Repeat([]byte{128}, (w/2)*(h/2))
	bw.Write(chroma)
	bw.Write(chroma)
	return bw.Flush()
}

// newLiveSandbox is newSandbox with a clock that runs: the live seal and the countdown
// follow the server's time.
func newLiveSandbox(t *testing.T) (*App, *httptest.Server) {
	t.Helper()
	start := time.Now()
	cfg := Config{Sandbox: true, Now: func() time.Time { return testNow.Add(time.Since(start)) }, SandboxCADir: sharedCADir,
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000, RateBurst: 1000, DataDir: t.TempDir()}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	return a, srv
}

func docsChrome(t *testing.T, bin string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("accept-lang", "en"), chromedp.WindowSize(800, 1000),
	}, extra...)
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func chromeLogin(t *testing.T, ctx context.Context, base string, c sandbox.Citizen) {
	t.Helper()
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login?lang=en"),
		chromedp.WaitVisible(q(`#login-form`)),
		chromedp.SendKeys(q(`#iin`), c.IIN),
		chromedp.SendKeys(q(`#password`), c.Password),
		chromedp.Click(q(`#login-submit`)),
		chromedp.WaitVisible(q(`#code-form`)),
	)
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.SendKeys(q(`#code`), lastCode(t, base, c.Phone)),
			chromedp.Click(q(`#code-submit`)),
			chromedp.WaitVisible(q(`#welcome`)),
		)
	}
	if err != nil {
		t.Fatalf("login of %s: %v", c.Name, err)
	}
}

// TestBrowserDocuments drives two headless Chromiums (rules DD-1 to DD-6): the owner
// opens access to her identity card; the verifier's page scans the QR code from a
// screenshot of the owner's page, played by Chromium's fake camera, decodes it in the
// browser with jsQR and shows the live document with a live seal whose time moves;
// a second share goes by the typed short code; both cabinets then list both views, and
// the owner's inbox has the notices.
func TestBrowserDocuments(t *testing.T) {
	bin := chromium(t)
	a, srv := newLiveSandbox(t)
	ownerC, verC := a.Pop.Citizens[0], a.Pop.Citizens[2]
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	owner := docsChrome(t, bin)
	chromeLogin(t, owner, srv.URL, ownerC)
	var shot []byte
	step, stopStep := context.WithTimeout(owner, 30*time.Second)
	err := chromedp.Do(step,
		chromedp.Navigate(srv.URL+"/documents?lang=en"),
		chromedp.Click(q(`#open-identity_card`)),
		chromedp.WaitVisible(q(`#qr svg`)),
	)
	stopStep()
	if err != nil {
		page, _ := chromedp.Run(owner, chromedp.Text(q(`body`)))
		t.Fatalf("owner opens access: %v\n%s", err, page)
	}
	if err == nil {
		shot, err = chromedp.Run(owner, chromedp.Screenshot(q(`#qr`), chromedp.NodeVisible))
	}
	if err != nil {
		t.Fatalf("owner opens access: %v", err)
	}
	countdown, err := chromedp.Run(owner, chromedp.Text(q(`#countdown`)))
	if err != nil || !strings.Contains(countdown, ":") {
		t.Fatalf("countdown %q %v", countdown, err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	y4m := filepath.Join(t.TempDir(), "qr.y4m")
	f, err := os.Create(y4m)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeY4M(f, img, 640, 480); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ver := docsChrome(t, bin, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", y4m))
	chromeLogin(t, ver, srv.URL, verC)
	err = chromedp.Do(ver,
		chromedp.Navigate(srv.URL+"/documents/verify?lang=en"),
		chromedp.Click(q(`#scan`)),
		chromedp.WaitVisible(q(`#document`)),
	)
	if err != nil {
		status, _ := chromedp.Run(ver, chromedp.Text(q(`body`)))
		t.Fatalf("scan: %v\n%s", err, status)
	}
	doc, err := chromedp.Run(ver, chromedp.Text(q(`#document`)))
	if err != nil || !strings.Contains(doc, "Identity card") || !strings.Contains(doc, ownerC.IIN) || !strings.Contains(doc, "Formed from its source") {
		t.Fatalf("scanned document %q %v", doc, err)
	}
	// The live seal: it turns, and its time moves with the server's.
	wait, stop := context.WithTimeout(ver, 10*time.Second)
	first := ""
	_, err = chromedp.Run(wait, chromedp.Poll[bool](`document.getElementById("seal-time").textContent !== ""`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if err == nil {
		first, err = chromedp.Run(wait, chromedp.Text(q(`#seal-time`)))
	}
	if err == nil {
		_, err = chromedp.Run(wait, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("seal-time").textContent !== %q`, first), chromedp.WithPollingInterval(200*time.Millisecond)))
	}
	stop()
	if err != nil {
		t.Fatalf("the live seal's time %q does not move: %v", first, err)
	}
	// The verifier's page fits a 390 px phone.
	if err := chromedp.Do(ver, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(ver, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the verified document is %v px wide on a 390 px phone (%v)", w, err)
	}
	anim, err := chromedp.Run(ver, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("seal-disc")).animationName`))
	if err != nil || anim != "seal-spin" {
		t.Errorf("the seal does not turn: %q %v", anim, err)
	}

	// A second share, by the typed short code.
	var code string
	err = chromedp.Do(owner,
		chromedp.Navigate(srv.URL+"/documents?lang=en"),
		chromedp.Click(q(`#open-address_registration`)),
		chromedp.WaitVisible(q(`#short-code`)),
	)
	if err == nil {
		code, err = chromedp.Run(owner, chromedp.Text(q(`#short-code`)))
	}
	if err != nil {
		t.Fatalf("second share: %v", err)
	}
	if err := chromedp.Do(owner, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(owner, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the share page is %v px wide on a 390 px phone (%v)", w, err)
	}
	err = chromedp.Do(ver,
		chromedp.Navigate(srv.URL+"/documents/verify?lang=en"),
		chromedp.SendKeys(q(`#code`), strings.ToLower(code)),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#document`)),
	)
	if err != nil {
		t.Fatalf("typed code: %v", err)
	}
	if doc, _ := chromedp.Run(ver, chromedp.Text(q(`#document`))); !strings.Contains(doc, "Certificate of address registration") {
		t.Errorf("typed-code document %q", doc)
	}
	// The owner cancels: the document leaves the verifier's screen within seconds.
	if err := chromedp.Do(owner, chromedp.Click(q(`#cancel`)), chromedp.WaitVisible(q(`#share-state[data-state="cancelled"]`))); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	wait, stop = context.WithTimeout(ver, 10*time.Second)
	err = chromedp.Do(wait, chromedp.WaitVisible(q(`#gone`)))
	stop()
	if err != nil {
		t.Fatalf("the cancelled document stays on the verifier's screen: %v", err)
	}
	if n, err := chromedp.Run(ver, chromedp.Evaluate[int](`document.querySelectorAll("#document").length`)); err != nil || n != 0 {
		t.Errorf("the document is still in the page after cancellation (%d, %v)", n, err)
	}

	// A wrong code comes back in the form, as typed, with the reason next to the field;
	// the page fits the phone and passes axe-core.
	wait, stop = context.WithTimeout(ver, 20*time.Second)
	err = chromedp.Do(wait,
		chromedp.Navigate(srv.URL+"/documents/verify?lang=en"),
		chromedp.SendKeys(q(`#code`), "ZZZZ ZZZZZZ"),
		chromedp.Click(q(`#code-submit`)),
		chromedp.WaitVisible(q(`#code-error`)),
	)
	stop()
	if err != nil {
		t.Fatalf("a wrong code: %v", err)
	}
	if v, err := chromedp.Run(ver, chromedp.Evaluate[string](`document.getElementById("code").value + "|" + document.getElementById("code").getAttribute("aria-describedby")`)); err != nil || v != "ZZZZ ZZZZZZ|code-error" {
		t.Errorf("the refused form: %q %v", v, err)
	}
	if w, err := chromedp.Run(ver, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the refused form is %v px wide on a 390 px phone (%v)", w, err)
	}
	Axe(t, ver, "verifier's refused code")

	// A QR code read by the phone's own camera app opens the verifier page with the
	// token in the fragment; the page posts it at once.
	cit, err := a.Identity.CitizenByIIN(t.Context(), ownerC.IIN)
	if err != nil {
		t.Fatal(err)
	}
	op, err := a.Docs.Open(t.Context(), docs.Owner{Ref: cit.Ref(), IIN: ownerC.IIN}, docs.KindBirthCertificate)
	if err != nil {
		t.Fatal(err)
	}
	qrURL := strings.Replace(op.URL, strings.Split(op.URL, "/documents/")[0], srv.URL, 1)
	if err := chromedp.Do(ver, chromedp.Navigate(srv.URL+"/documents?lang=en"), chromedp.Navigate(qrURL), chromedp.WaitVisible(q(`#document`))); err != nil {
		t.Fatalf("opening the QR code's URL: %v", err)
	}
	if u, _ := chromedp.Run(ver, chromedp.Evaluate[string](`location.href`)); strings.Contains(u, op.Token) {
		t.Errorf("the token stays in the address bar: %s", u)
	}

	// Both cabinets show the views; the owner's inbox has the notices.
	if _, err := a.Notify.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows := func(ctx context.Context, sel string) int {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/documents?lang=en")); err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+sel+` tbody tr").length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(owner, "#views-mine"); n != 3 {
		t.Errorf("the owner's cabinet lists %d views, want 3", n)
	}
	if n := rows(ver, "#views-verifier"); n != 3 {
		t.Errorf("the verifier's cabinet lists %d views, want 3", n)
	}
	if err := chromedp.Do(owner, chromedp.Navigate(srv.URL+"/inbox?lang=en")); err != nil {
		t.Fatal(err)
	}
	inbox, err := chromedp.Run(owner, chromedp.Text(q(`#notices`)))
	if err != nil || strings.Count(inbox, "Your digital document was viewed") != 3 {
		t.Errorf("owner's inbox: %q %v", inbox, err)
	}
	// The owner's history shows the views, each verified against the log.
	if _, err := a.Log.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(owner, chromedp.Navigate(srv.URL+"/history?lang=en")); err != nil {
		t.Fatal(err)
	}
	if hist, err := chromedp.Run(owner, chromedp.Text(q(`main`))); err != nil || strings.Count(hist, "Your document was viewed") != 3 || !strings.Contains(hist, "You opened access to a document") {
		t.Errorf("owner's history: %q %v", hist, err)
	}
}

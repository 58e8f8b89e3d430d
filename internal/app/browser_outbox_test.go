package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/notify"
)

// The sandbox's outboxes show each message as the phone, the mail client or the
// browser shows it: line by line. The SMS of a legally significant notice is three
// lines (who sent it, that it is legally significant, the link), the push the title,
// the text and the link; the pages' text cells (class sms-text, on the push page too)
// had no style, so a browser ran the lines together into one. In Chromium the
// rendered text of the cell on the SMS and e-mail pages keeps its line breaks now.
func TestBrowserOutboxesKeepLines(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	c := a.Pop.Citizens[0]
	cit, err := a.Identity.CitizenByIIN(t.Context(), c.IIN)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Notify.SetPref(t.Context(), cit.Ref(), notify.ChannelEmail, true, "citizen@example.kz"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Notify.Send(t.Context(), notify.Message{Subject: cit.Ref(), Sender: "Ministry of Justice", Significant: true,
		Content: map[string]notify.Text{"kk": {Title: "Сот шақыруы", Body: "Сотқа шақыру."}, "ru": {Title: "Повестка", Body: "Вызов в суд."}}}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if n, err := a.Notify.Dispatch(t.Context()); err != nil || n == 0 {
			break
		}
	}
	ctx := chromeContext(t, bin)
	for _, page := range []string{"/sandbox/sms?phone=" + strings.ReplaceAll(c.Phone, "+", "%2B"), "/sandbox/mail"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.CSS(`.sms-text`))); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".sms-text").innerText`))
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) < 3 || !strings.Contains(lines[len(lines)-1], "/inbox/n_") {
			t.Errorf("%s shows the message as %d line(s): %q", page, len(lines), text)
		}
	}
}

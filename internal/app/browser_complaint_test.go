package app

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/senimkz/senim/internal/pd"
)

// TestBrowserComplaint: on a 390 px phone the citizen opens who accessed her data,
// says "this wasn't me" on the bank's access, and sees her complaint with its status;
// the regulator's employee finds it in the console, by the bank's name, and takes it
// into review; the citizen then sees the new status (issue 10, checks in the browser;
// rule PD-3.1).
func TestBrowserComplaint(t *testing.T) {
	bin := chromium(t)
	a, srv := newSandbox(t, "")
	alice := a.Pop.Citizens[0]
	accessed(t, a, srv.URL, alice)
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	staff, _ := staffBrowser(t, a, srv.URL)
	h, err := a.PD.AccessHistory(t.Context(), alice.IIN)
	if err != nil || len(h) == 0 {
		t.Fatalf("no access on record: %v", err)
	}
	ev := h[0].EventID
	var bankKK, bankRU string // the bank's name in Kazakh and Russian (issue 10 item 1)
	for _, o := range a.Pop.Organizations {
		if o.BIN == h[0].Initiator {
			bankKK, bankRU = o.Names.KK, o.Names.RU
		}
	}
	if bankKK == "" || bankRU == "" {
		t.Fatal("the sandbox bank has no names in Kazakh and Russian")
	}
	ctx := chromeContext(t, bin)
	setCookies(t, ctx, ba)
	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(q(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	const why = "Мен бұл банкке ешқашан жүгінген жоқпын"
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+"/access?lang=kk"),
		chromedp.Click(q(`#complain-`+strconv.FormatInt(ev, 10))),
		chromedp.WaitVisible(q(`#complaint-form`)),
		chromedp.SendKeys(q(`#text`), why),
		chromedp.Click(q(`#complaint-submit`)),
		chromedp.WaitVisible(q(`#complaints`)),
	)
	if err != nil {
		t.Fatalf("filing the complaint: %v", err)
	}
	list, err := a.PD.Complaints(t.Context(), alice.IIN)
	if err != nil || len(list) != 1 || list[0].Text != why || list[0].EventID != ev {
		t.Fatalf("complaints on record: %+v, %v", list, err)
	}
	id := list[0].ID
	if st := text(`#complaint-status-` + id); st != "қабылданды" {
		t.Errorf("status shown to the citizen: %q", st)
	}
	if row := text(`#complaint-` + id); !strings.Contains(row, bankKK) {
		t.Errorf("the complaint does not name the bank %q: %q", bankKK, row)
	}

	// The regulator's employee, in Russian.
	setCookies(t, ctx, staff)
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/console?lang=ru"),
		chromedp.Click(q(`#nav-complaints`)),
		chromedp.WaitVisible(q(`#console-complaints`)),
	)
	if err != nil {
		t.Fatalf("console complaints: %v", err)
	}
	if row := text(`#complaint-` + id); !strings.Contains(row, bankRU) || !strings.Contains(row, "получена") {
		t.Errorf("console row: %q", row)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(q(`#open-`+id)),
		chromedp.WaitVisible(q(`#complaint-form`)),
		chromedp.SetValue(q(`#status`), pd.ComplaintInReview),
		chromedp.SendKeys(q(`#note`), "Запрошены объяснения банка"),
		chromedp.Click(q(`#complaint-save`)),
		chromedp.WaitVisible(q(`#notice`)),
	)
	if err != nil {
		t.Fatalf("changing the status: %v", err)
	}
	if st := text(`#complaint-status`); st != "на рассмотрении" {
		t.Errorf("status after the change: %q", st)
	}
	if hist := text(`#complaint-history`); !strings.Contains(hist, "Запрошены объяснения банка") {
		t.Errorf("history: %q", hist)
	}

	// The citizen sees the new status.
	setCookies(t, ctx, ba)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/complaints/"+id+"?lang=kk"), chromedp.WaitVisible(q(`#complaint-status`))); err != nil {
		t.Fatal(err)
	}
	if st := text(`#complaint-status`); st != "қаралуда" {
		t.Errorf("the citizen sees status %q", st)
	}
}

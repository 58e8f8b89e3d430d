package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/sandbox"
)

// rule DC-2, end to end in the sandbox: the population register (a state body with a
// sender permission) sends a legally significant notice through POST /v1/notices with
// its EDS-signed client; it is in the citizen's inbox, goes out by SMS (it cannot be
// switched off) and by e-mail over the sandbox's SMTP server once she gives an address;
// she acknowledges it in the cabinet; the sender reads the status and downloads the
// receipt, which verifies offline against the published JWKS and opens to her IIN. An
// organisation without a sender permission is refused.
func TestSendingAPIEndToEnd(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	alice := a.Pop.Citizens[0]
	var register, police sandbox.Organization
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "state_body":
			register = o
		case "law_enforcement":
			police = o
		}
	}
	clientOf := func(o sandbox.Organization) *client.Client {
		p12, err := a.Keys.P12("org", o.BIN, ca.P256)
		if err != nil {
			t.Fatal(err)
		}
		key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	reg, pol := clientOf(register), clientOf(police)
	ba := newBrowser(t, srv.URL)
	ba.login(alice)
	cit, _ := a.Identity.CitizenByIIN(ctx, alice.IIN)
	if err := a.Notify.SetPref(ctx, cit.Ref(), notify.ChannelEmail, true, "alice@example.kz"); err != nil {
		t.Fatal(err)
	}

	readBy := testNow.Add(5 * 24 * time.Hour)
	n := client.Notice{SubjectIIN: alice.IIN, Category: "court", LegallySignificant: true, ReadBy: &readBy,
		Content: map[string]client.NoticeText{"kk": {Title: "Сот шақыруы", Body: "Сізді 10 наурызда сотқа шақырамыз."},
			"ru": {Title: "Повестка", Body: "Вас вызывают в суд 10 марта."}}}
	if _, err := pol.SendNotice(ctx, n, "p-1"); !errors.Is(err, &client.Error{Code: "notify.sender.not_permitted"}) {
		t.Errorf("the police sent without a sender permission: %v", err)
	}
	acc, err := reg.SendNotice(ctx, n, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pol.NoticeStatus(ctx, acc.ID); !errors.Is(err, &client.Error{Code: "notify.notice.not_found"}) {
		t.Errorf("another organisation read the status: %v", err)
	}
	if _, err := a.Notify.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := a.SMS.Messages(alice.Phone)
	if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "/inbox/"+acc.ID) || strings.Contains(msgs[0].Text, "суд") {
		t.Errorf("the SMS of the notice: %+v", msgs)
	}
	res, err := http.Get(srv.URL + "/sandbox/mail?to=" + url.QueryEscape("alice@example.kz"))
	if err != nil {
		t.Fatal(err)
	}
	var mails []sandbox.Mail
	json.NewDecoder(res.Body).Decode(&mails)
	res.Body.Close()
	if len(mails) != 1 || !mails[0].TLS || !strings.Contains(mails[0].Text, "/inbox/"+acc.ID) {
		t.Errorf("the e-mail of the notice: %+v", mails)
	}
	if st, page := ba.get("/sandbox/mail?lang=en"); st != 200 || !strings.Contains(page, `id="mail"`) {
		t.Errorf("mail page %d", st)
	}

	// She acknowledges it in the cabinet.
	_, page := ba.get("/inbox/" + acc.ID + "?lang=en")
	if !strings.Contains(page, `id="acknowledge"`) || strings.Contains(page, "10 марта") {
		t.Fatalf("not the acknowledgement screen:\n%s", page)
	}
	form := regexp.MustCompile(`action="(/inbox/[^"]+/acknowledge)"`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no acknowledgement form:\n%s", page)
	}
	if st, _ := ba.post(form[1], url.Values{"csrf": {csrfOf(t, page)}}); st != 200 && st != 303 {
		t.Fatalf("acknowledge: %d", st)
	}
	st, err := reg.NoticeStatus(ctx, acc.ID)
	if err != nil || st.State != "read" || st.ReceiptURL == "" {
		t.Fatalf("status after reading: %+v, %v", st, err)
	}
	bundle, err := reg.NoticeReceipt(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rc notify.Receipt
	json.Unmarshal(bundle, &rc)
	jwks, err := reg.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := notify.VerifyReceipt(rc.JWS, jwks)
	if err != nil || claims.Notice != acc.ID || !claims.CheckCommit(rc.IINSalt, alice.IIN) {
		t.Errorf("the sender's receipt: %+v, %v", claims, err)
	}
	if _, err := pol.NoticeReceipt(ctx, acc.ID); err == nil {
		t.Error("another organisation downloaded the receipt")
	}
}

// rule DC-2: a bulk send end to end in the sandbox, with the register's EDS-signed
// client: a notice refused (an IIN Senim does not know) does not hold back the others,
// each accepted notice is in its addressee's inbox, the same batch again sends nothing
// twice, a notice first sent alone is answered again when its key comes in a batch, and
// an organisation without a sender permission is refused as a whole.
func TestBulkSendEndToEnd(t *testing.T) {
	a, srv := newSandbox(t, "")
	ctx := t.Context()
	var register, police sandbox.Organization
	for _, o := range a.Pop.Organizations {
		switch o.Role {
		case "state_body":
			register = o
		case "law_enforcement":
			police = o
		}
	}
	clientOf := func(o sandbox.Organization) *client.Client {
		p12, err := a.Keys.P12("org", o.BIN, ca.P256)
		if err != nil {
			t.Fatal(err)
		}
		key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	reg, pol := clientOf(register), clientOf(police)
	notice := func(iin string) client.Notice {
		return client.Notice{SubjectIIN: iin, Category: "court",
			Content: map[string]client.NoticeText{"kk": {Title: "Хабарлама", Body: "Сот отырысы 10 наурызда."},
				"ru": {Title: "Уведомление", Body: "Заседание суда 10 марта."}}}
	}
	first, err := reg.SendNotice(ctx, notice(a.Pop.Citizens[0].IIN), "alone-1")
	if err != nil {
		t.Fatal(err)
	}
	items := []client.NoticeBatchItem{
		{IdempotencyKey: "b-1", Notice: notice(a.Pop.Citizens[0].IIN)},
		{IdempotencyKey: "b-2", Notice: notice("000000000000")},
		{IdempotencyKey: "b-3", Notice: notice(a.Pop.Citizens[1].IIN)},
		{IdempotencyKey: "alone-1", Notice: notice(a.Pop.Citizens[0].IIN)},
	}
	ans, err := reg.SendNotices(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Accepted != 2 || ans.Refused != 1 || ans.Replayed != 1 || len(ans.Results) != 4 {
		t.Fatalf("answer %+v", ans)
	}
	if r := ans.Results[1]; r.Status != 422 || r.Problem == nil || r.Problem.Code != "notify.subject.unknown" || r.Notice != nil {
		t.Errorf("the bad item: %+v", r)
	}
	if r := ans.Results[3]; !r.Replayed || r.Notice == nil || r.Notice.ID != first.ID {
		t.Errorf("the single send's key in the batch: %+v", r)
	}
	for _, i := range []int{0, 2} {
		r := ans.Results[i]
		if r.Status != 201 || r.Notice == nil {
			t.Fatalf("item %d: %+v", i, r)
		}
		cit, _ := a.Identity.CitizenByIIN(ctx, a.Pop.Citizens[i/2].IIN)
		list, _ := a.Notify.Inbox(ctx, cit.Ref())
		found := false
		for _, n := range list {
			found = found || n.Ref == r.Notice.ID
		}
		if !found {
			t.Errorf("item %d is not in its addressee's inbox", i)
		}
		if _, err := pol.NoticeStatus(ctx, r.Notice.ID); !errors.Is(err, &client.Error{Code: "notify.notice.not_found"}) {
			t.Errorf("another organisation read item %d's status: %v", i, err)
		}
	}
	again, err := reg.SendNotices(ctx, items)
	if err != nil || again.Accepted != 0 || again.Replayed != 3 || again.Results[0].Notice.ID != ans.Results[0].Notice.ID {
		t.Errorf("the batch again: %+v, %v", again, err)
	}
	if _, err := pol.SendNotices(ctx, items[:1]); !errors.Is(err, &client.Error{Code: "notify.sender.not_permitted"}) {
		t.Errorf("the police sent a batch without a sender permission: %v", err)
	}
	res, err := http.Post(srv.URL+"/v1/notices:batch", "application/json", strings.NewReader(`{"notices":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous bulk send: %d", res.StatusCode)
	}
}

package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// fakeChannel records what it is asked to send; fail, when set, answers instead.
type fakeChannel struct {
	name string
	mu   sync.Mutex
	sent []Outgoing
	fail func(m Outgoing) error
}

func (c *fakeChannel) Name() string { return c.name }

func (c *fakeChannel) Send(_ context.Context, m Outgoing) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		if err := c.fail(m); err != nil {
			return err
		}
	}
	c.sent = append(c.sent, m)
	return nil
}

func (c *fakeChannel) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sent)
}

// smsFixture is an API fixture whose SMS channel is the real SMSChannel over the
// sandbox gateway, and a fake e-mail channel.
func smsFixture(t *testing.T, db *store.DB) (*apiFixture, *sandbox.SMS, *fakeChannel) {
	gw := sandbox.NewSMS(nil)
	mail := &fakeChannel{name: ChannelEmail}
	phones := sandbox.Population{Citizens: []sandbox.Citizen{{IIN: iinAlice, Phone: "+77010000001"}, {IIN: iinBob, Phone: "+77010000002"}}}
	a := newAPIFixture(t, db, SMSChannel{Mobile: sandbox.NewMobileDB(phones), Gateway: gw}, mail)
	return a, gw, mail
}

func (a *apiFixture) dispatch(t *testing.T) int {
	t.Helper()
	n, err := a.svc.Dispatch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (a *apiFixture) escalate(t *testing.T) int {
	t.Helper()
	n, err := a.svc.Escalate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (a *apiFixture) status(t *testing.T, id string) *Status {
	t.Helper()
	st, err := a.svc.NoticeStatus(t.Context(), binTax, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rule DC-2 with the policy of issue 9 item 5, on an injected clock: a legally
// significant tax notice, unread, is reminded of after 3 days, goes to the fallback
// channel (SMS) when its read-by deadline passes, and is deemed delivered on the third
// day after that; each step once, whatever the number of passes.
func TestEscalationPolicy(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a, gw, mail := smsFixture(t, db)
		t0 := a.now
		if err := a.svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz"); err != nil {
			t.Fatal(err)
		}
		sub := submission(iinAlice)
		sub["read_by"] = t0.Add(5 * 24 * time.Hour).Format(time.RFC3339)
		r := a.do(t, binTax, "POST", "/v1/notices", "k", sub)
		id, _ := r.body["id"].(string)
		if r.status != 201 {
			t.Fatalf("submit %d %s", r.status, r.raw)
		}
		// At once: legally significant, so SMS and e-mail, though SMS is not switched on.
		a.dispatch(t)
		if len(gw.Messages("+77010000001")) != 1 || mail.count() != 1 {
			t.Fatalf("first dispatch: %d SMS, %d e-mails", len(gw.Messages("+77010000001")), mail.count())
		}
		sms := gw.Messages("+77010000001")[0].Text
		if !strings.Contains(sms, "State Revenue Committee") || !strings.Contains(sms, "https://senim.test/inbox/"+id) || strings.Contains(sms, "Оплатите") {
			t.Errorf("the SMS says %q: the sender and the link, never the content", sms)
		}
		if !strings.Contains(mail.sent[0].Title, "жаңа хабарлама") {
			t.Errorf("not in alice's language (kk): %q", mail.sent[0].Title)
		}
		steps := func(at time.Duration) int {
			a.now = t0.Add(at)
			n := a.escalate(t)
			a.dispatch(t)
			return n
		}
		if n := steps(71 * time.Hour); n != 0 {
			t.Errorf("%d steps before 3 days", n)
		}
		if n := steps(72 * time.Hour); n != 1 || mail.count() != 2 || len(gw.Messages("+77010000001")) != 2 {
			t.Fatalf("reminder after 3 days: %d steps, %d e-mails, %d SMS", n, mail.count(), len(gw.Messages("+77010000001")))
		}
		if !strings.Contains(gw.Messages("+77010000001")[0].Text, "еске салады") {
			t.Errorf("reminder SMS %q", gw.Messages("+77010000001")[0].Text)
		}
		if n := steps(100 * time.Hour); n != 0 || mail.count() != 2 {
			t.Errorf("a second reminder: %d steps", n)
		}
		if st := a.status(t, id); st.State != StateDelivered || st.DeemedAt != nil {
			t.Errorf("before the deadline: %+v", st)
		}
		// The deadline (5 days) passes unread: the fallback channel, SMS.
		if n := steps(120 * time.Hour); n != 1 || len(gw.Messages("+77010000001")) != 3 {
			t.Fatalf("fallback: %d steps, %d SMS", n, len(gw.Messages("+77010000001")))
		}
		if !strings.Contains(gw.Messages("+77010000001")[0].Text, "мерзімі өтті") {
			t.Errorf("fallback SMS %q", gw.Messages("+77010000001")[0].Text)
		}
		if n := steps(120*time.Hour + 71*time.Hour); n != 0 {
			t.Errorf("deemed early: %d", n)
		}
		// The third day after the fallback: deemed delivered.
		if n := steps(120*time.Hour + 72*time.Hour); n != 1 {
			t.Fatalf("deemed delivery: %d steps", n)
		}
		st := a.status(t, id)
		if st.State != StateDeemed || st.DeemedAt == nil || !st.DeemedAt.Equal(t0.Add(192*time.Hour)) {
			t.Errorf("status %+v", st)
		}
		byPurpose := map[string]int{}
		for _, d := range st.Deliveries {
			if d.State != DeliverySent {
				t.Errorf("delivery %+v", d)
			}
			byPurpose[d.Channel+"/"+d.Purpose]++
		}
		want := map[string]int{"inbox/notice": 1, "sms/notice": 1, "email/notice": 1, "sms/reminder": 1, "email/reminder": 1, "sms/fallback": 1}
		if len(byPurpose) != len(want) {
			t.Errorf("deliveries %v, want %v", byPurpose, want)
		}
		for k, v := range want {
			if byPurpose[k] != v {
				t.Errorf("deliveries %v, want %v", byPurpose, want)
				break
			}
		}
		if n := steps(300 * time.Hour); n != 0 {
			t.Errorf("%d steps after deemed delivery", n)
		}
		// Every status change is an event for the webhooks (issue 16).
		var evs int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.notice.status'`).Scan(&evs)
		if evs != 3+5+1 {
			t.Errorf("%d status events, want 9 (accepted, dispatched, inbox, five channel deliveries, deemed)", evs)
		}
		// The citizen reads it late: read, not deemed; the receipt still comes.
		if _, err := a.svc.Acknowledge(t.Context(), reader(alice, iinAlice), id); err != nil {
			t.Fatal(err)
		}
		if st := a.status(t, id); st.State != StateRead || st.DeemedAt == nil {
			t.Errorf("read after deemed delivery: %+v", st)
		}
		// The reading is a status change too, once, even when acknowledged again.
		if _, err := a.svc.Acknowledge(t.Context(), reader(alice, iinAlice), id); err != nil {
			t.Fatal(err)
		}
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.notice.status' AND payload LIKE '%"state":"read"%'`).Scan(&evs)
		if evs != 1 {
			t.Errorf("%d read status events, want 1", evs)
		}
	})
}

// Reading stops the policy: a read notice gets no reminder and no fallback, and a
// reminder queued before the reading is skipped. Ordinary notices respect the
// citizen's preferences (e-mail off: nothing), with a reminder after 7 days.
func TestEscalationStopsWhenRead(t *testing.T) {
	a, gw, mail := smsFixture(t, storetest.Open(t))
	t0 := a.now
	sub := submission(iinBob)
	sub["legally_significant"] = false
	sub["category"] = "general"
	r := a.do(t, binTax, "POST", "/v1/notices", "k1", sub)
	id := r.body["id"].(string)
	a.dispatch(t)
	if len(gw.Messages("")) != 0 || mail.count() != 0 {
		t.Fatalf("an ordinary notice went to channels bob did not switch on")
	}
	if err := a.svc.SetPref(t.Context(), bob, ChannelSMS, true, ""); err != nil {
		t.Fatal(err)
	}
	a.now = t0.Add(7 * 24 * time.Hour)
	if n := a.escalate(t); n != 1 {
		t.Fatalf("reminder after 7 days: %d", n)
	}
	// Bob reads before the reminder goes out: it is skipped.
	if _, err := a.svc.Open(t.Context(), reader(bob, iinBob), id); err != nil {
		t.Fatal(err)
	}
	a.dispatch(t)
	if n := len(gw.Messages("")); n != 0 {
		t.Errorf("%d reminders of a read notice", n)
	}
	a.now = t0.Add(30 * 24 * time.Hour)
	if n := a.escalate(t); n != 0 {
		t.Errorf("%d steps for a read notice", n)
	}
}

// Retries back off with jitter and end in the dead-letter list, which only the
// authorized body sees; a retry from there sends it once more. No channel gets one
// notice twice for one purpose (the delivery's unique key).
func TestRetriesAndDeadLetters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		mail := &fakeChannel{name: ChannelEmail, fail: func(Outgoing) error { return errors.New("smtp: 451 try later") }}
		a := newAPIFixture(t, db, mail)
		if err := a.svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz"); err != nil {
			t.Fatal(err)
		}
		r := a.do(t, binTax, "POST", "/v1/notices", "k1", submission(iinAlice))
		id := r.body["id"].(string)
		t0 := a.now
		var waits []time.Duration
		last := t0
		for i := 0; i < defaultMaxAttempts; i++ {
			if n := a.dispatch(t); n != 1 {
				t.Fatalf("attempt %d: dispatched %d", i+1, n)
			}
			var next int64
			var state string
			db.QueryRowContext(t.Context(), `SELECT state, next_at FROM notify_deliveries`).Scan(&state, &next)
			if state == DeliveryDead {
				break
			}
			if a.dispatch(t) != 0 {
				t.Fatal("dispatched again before the backoff ended")
			}
			nt := store.FromMicros(next)
			waits = append(waits, nt.Sub(last))
			last, a.now = nt, nt
		}
		if len(waits) != defaultMaxAttempts-1 {
			t.Fatalf("%d retries: %v", len(waits), waits)
		}
		for i, w := range waits {
			lo, hi := time.Minute<<i/2, time.Minute<<i
			hi = min(hi, time.Hour)
			lo = min(lo, time.Hour/2)
			if w < lo || w > hi {
				t.Errorf("wait %d = %v, want in [%v, %v]", i+1, w, lo, hi)
			}
		}
		dl := a.do(t, binRegulator, "GET", "/v1/admin/notify/dead-letters", "", nil)
		if dl.status != 200 || !strings.Contains(string(dl.raw), id) || strings.Contains(string(dl.raw), "alice@") || !strings.Contains(string(dl.raw), `"smtp_error"`) {
			t.Fatalf("dead letters %d %s", dl.status, dl.raw)
		}
		if o := a.do(t, binTax, "GET", "/v1/admin/notify/dead-letters", "", nil); o.status != 403 {
			t.Errorf("a sender saw the dead letters: %d", o.status)
		}
		st := a.status(t, id)
		if st.Deliveries[1].State != DeliveryDead || st.Deliveries[1].Attempts != defaultMaxAttempts {
			t.Errorf("status %+v", st.Deliveries)
		}
		dls, _ := a.svc.DeadLetters(t.Context())
		mail.mu.Lock()
		mail.fail = nil
		mail.mu.Unlock()
		if r := a.do(t, binRegulator, "POST", "/v1/admin/notify/dead-letters/999/retry", "", nil); r.status != 404 {
			t.Errorf("retry of nothing: %d", r.status)
		}
		if r := a.do(t, binRegulator, "POST", "/v1/admin/notify/dead-letters/"+itoa(dls[0].ID)+"/retry", "", nil); r.status != 200 {
			t.Fatalf("retry: %d %s", r.status, r.raw)
		}
		a.dispatch(t)
		a.dispatch(t)
		if mail.count() != 1 {
			t.Errorf("%d e-mails after the retry", mail.count())
		}
		// Queuing the same notice, channel and purpose again adds nothing.
		err := db.Tx(t.Context(), func(tx *store.Tx) error {
			return a.svc.queue(t.Context(), tx, 1, ChannelEmail, PurposeNotice, a.now)
		})
		var k int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_deliveries`).Scan(&k)
		if err != nil || k != 1 {
			t.Errorf("a second delivery row: %d, %v", k, err)
		}
	})
}

// A delivery whose worker died mid-send (lease still "sending") is claimed again once
// the lease ends, never before: at least once, and never by two workers at a time.
func TestLeaseReclaim(t *testing.T) {
	mail := &fakeChannel{name: ChannelEmail}
	a := newAPIFixture(t, storetest.Open(t), mail)
	a.svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz")
	a.do(t, binTax, "POST", "/v1/notices", "k1", submission(iinAlice))
	// A worker claimed it and died.
	a.db.ExecContext(t.Context(), `UPDATE notify_deliveries SET state = 'sending', attempts = 1, next_at = ?`, store.Micros(a.now.Add(defaultLease)))
	if a.dispatch(t) != 0 || mail.count() != 0 {
		t.Fatal("claimed while another worker's lease runs")
	}
	a.now = a.now.Add(defaultLease)
	if a.dispatch(t) != 1 || mail.count() != 1 {
		t.Fatal("not claimed again after the lease")
	}
}

// A batch that runs long gives back the deliveries it has not started by half the
// lease: unsent, their attempt not counted, due at once. So a row is never sent while
// its lease may have ended and another worker may have claimed it; the next pass sends
// it, and no notice goes twice on the channel.
func TestDispatchReleasesAtHalfLease(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	mail := &fakeChannel{name: ChannelEmail}
	mail.fail = func(Outgoing) error { // each send takes a third of the lease
		mu.Lock()
		now = now.Add(defaultLease / 3)
		mu.Unlock()
		return nil
	}
	db := storetest.Open(t)
	var logged bytes.Buffer // a row given back is no failed delivery: nothing is logged
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: newSigner(t), Issuer: "https://senim.test",
		Now: clock, Citizens: citizens, Channels: []Channel{mail}, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(t.Context(), "t", binTax, []string{"tax"})
	svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz")
	const n = 3 * dispatchWorkers
	for i := range n {
		sub := Submission{SubjectIIN: iinAlice, Category: "tax", Content: message(alice, false).Content}
		if _, err := svc.Submit(t.Context(), binTax, sub, &IdemKey{Key: "k" + itoa(int64(i)), Body: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() map[string]int { // "state attempts" → rows
		r, err := db.QueryContext(t.Context(), `SELECT state, attempts, COUNT(*) FROM notify_deliveries GROUP BY state, attempts`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m := map[string]int{}
		for r.Next() {
			var st string
			var a, k int
			r.Scan(&st, &a, &k)
			m[st+" "+strconv.Itoa(a)] = k
		}
		return m
	}
	first, err := svc.Dispatch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Sends start until the second one's third of the lease has passed: the first
	// workers, and perhaps a few more; never the whole batch.
	if first < 1 || first > dispatchWorkers+2 || mail.count() != first {
		t.Fatalf("first pass: %d attempted, %d sent, of %d", first, mail.count(), n)
	}
	if got, want := rows(), map[string]int{"sent 1": first, "pending 0": n - first}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the first pass: %v, want %v", got, want)
	}
	for i := 0; mail.count() < n && i < n; i++ {
		if _, err := svc.Dispatch(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	mail.mu.Lock()
	for _, m := range mail.sent {
		if seen[m.ID] {
			t.Errorf("delivery %s sent twice", m.ID)
		}
		seen[m.ID] = true
	}
	mail.mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d of %d deliveries sent", len(seen), n)
	}
	if got, want := rows(), map[string]int{"sent 1": n}; !reflect.DeepEqual(got, want) {
		t.Errorf("in the end: %v, want %v", got, want)
	}
	if strings.Contains(logged.String(), "delivery failed") {
		t.Errorf("rows given back were logged as failures:\n%s", logged.String())
	}
}

// A channel's rate limit holds deliveries over it for a later pass.
func TestRateLimit(t *testing.T) {
	mail := &fakeChannel{name: ChannelEmail}
	f := &fixture{db: storetest.Open(t), key: newSigner(t), now: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)}
	svc, err := New(Config{DB: f.db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: f.key, Issuer: "https://senim.test",
		Now: func() time.Time { return f.now }, Citizens: citizens, Channels: []Channel{mail}, Rates: map[string]float64{ChannelEmail: 2}})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(t.Context(), "t", binTax, []string{"tax"})
	svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz")
	for i := range 5 {
		sub := Submission{SubjectIIN: iinAlice, Category: "tax", Content: message(alice, false).Content}
		if _, err := svc.Submit(t.Context(), binTax, sub, &IdemKey{Key: "k" + itoa(int64(i)), Body: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := svc.Dispatch(t.Context()); n != 2 {
		t.Errorf("%d sent in the first second at 2/s", n)
	}
	f.now = f.now.Add(time.Second)
	if n, _ := svc.Dispatch(t.Context()); n != 2 {
		t.Errorf("%d sent in the next second", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// rule PD-3.4: a notice of an action on her data (here a flow-2 access) goes, beside
// the inbox, to the channels she switched on; nothing goes where she did not.
func TestEventNoticesUseHerChannels(t *testing.T) {
	a, gw, mail := smsFixture(t, storetest.Open(t))
	if err := a.svc.SetPref(t.Context(), alice, ChannelSMS, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{alice, bob} {
		a.emit(t, "pd.token.issued", sub, map[string]any{"jti": "j-" + sub, "flow": "protocol", "initiator": binBank, "owner": binRegister,
			"scope": []string{"identity"}, "code": "crim-proc"})
	}
	a.sync(t)
	a.dispatch(t)
	got := gw.Messages("+77010000001")
	if len(got) != 1 || !strings.Contains(got[0].Text, texts["kk"]["title.access"]) {
		t.Errorf("alice's SMS: %+v", got)
	}
	if n := len(gw.Messages("+77010000002")); n != 0 || mail.count() != 0 {
		t.Errorf("bob switched nothing on, yet %d SMS and %d e-mails went out", n, mail.count())
	}
}

// Escalate pages through every unread notice, not only the first batch.
func TestEscalatePages(t *testing.T) {
	defer func(n int) { escalateBatch = n }(escalateBatch)
	escalateBatch = 2
	a, gw, _ := smsFixture(t, storetest.Open(t))
	t0 := a.now
	for i := range 5 {
		sub := submission(iinAlice)
		sub["read_by"] = t0.Add(24 * time.Hour).Format(time.RFC3339)
		if r := a.do(t, binTax, "POST", "/v1/notices", "k"+itoa(int64(i)), sub); r.status != 201 {
			t.Fatal(r.status)
		}
	}
	a.dispatch(t)
	before := len(gw.Messages(""))
	a.now = t0.Add(25 * time.Hour)
	if n := a.escalate(t); n != 5 {
		t.Errorf("%d fallbacks, want 5", n)
	}
	a.dispatch(t)
	if got := len(gw.Messages("")) - before; got != 5 {
		t.Errorf("%d fallback SMS, want 5", got)
	}
}

// The sending path reads a citizen's channel choices with one prepared statement
// (sendPrefs); it must say what loadPrefs says for every channel: defaults (SMS and
// e-mail off, push on but unsubscribed), switched on, switched off, subscribed.
func TestSendPrefsAgree(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		if err := f.svc.SetPref(ctx, bob, ChannelEmail, true, "bob@example.kz"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetPref(ctx, bob, ChannelPush, false, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetPref(ctx, bob, ChannelSMS, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO notify_push_subscriptions (subject, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)`,
				bob, "https://push.example/1", "k", "a", 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{alice, bob} {
			var fast, full map[string]Pref
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				if fast, err = sendPrefs(ctx, tx, sub); err != nil {
					return err
				}
				full, err = loadPrefs(ctx, tx.QueryContext, sub)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, ch := range Channels {
				if fast[ch].Enabled != full[ch].Enabled || fast[ch].Subscribed != full[ch].Subscribed {
					t.Errorf("%s %s: sendPrefs %+v, loadPrefs %+v", sub, ch, fast[ch], full[ch])
				}
			}
		}
		// And they are not all the same: the two citizens differ where set.
		var a, b map[string]Pref
		db.Tx(ctx, func(tx *store.Tx) error {
			a, _ = sendPrefs(ctx, tx, alice)
			b, _ = sendPrefs(ctx, tx, bob)
			return nil
		})
		if a[ChannelEmail].Enabled || !b[ChannelEmail].Enabled || a[ChannelSMS].Enabled || !b[ChannelSMS].Enabled ||
			!a[ChannelPush].Enabled || b[ChannelPush].Enabled || a[ChannelPush].Subscribed || !b[ChannelPush].Subscribed {
			t.Errorf("alice %+v, bob %+v", a, b)
		}
	})
}

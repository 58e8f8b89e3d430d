package notify

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// batchItem is one item of a bulk send: key and notice.
func batchItem(key string, notice any) map[string]any {
	return map[string]any{"idempotency_key": key, "notice": notice}
}

type batchAnswer struct {
	Results []struct {
		Index    int             `json:"index"`
		Key      string          `json:"idempotency_key"`
		Status   int             `json:"status"`
		Replayed bool            `json:"replayed"`
		Notice   json.RawMessage `json:"notice"`
		Problem  *ItemProblem    `json:"problem"`
	} `json:"results"`
	Accepted, Replayed, Refused int
}

func (a *apiFixture) batch(t *testing.T, bin string, items ...map[string]any) (resp, batchAnswer) {
	t.Helper()
	r := a.do(t, bin, "POST", "/v1/notices:batch", "", map[string]any{"notices": items})
	var ans batchAnswer
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.raw, &ans); err != nil {
			t.Fatalf("answer %s: %v", r.raw, err)
		}
	}
	return r, ans
}

func (ans batchAnswer) ids(t *testing.T) []string {
	var out []string
	for _, r := range ans.Results {
		if r.Status == http.StatusCreated {
			var a Accepted
			if err := json.Unmarshal(r.Notice, &a); err != nil || a.ID == "" {
				t.Fatalf("result %d: %s", r.Index, r.Notice)
			}
			out = append(out, a.ID)
		}
	}
	return out
}

// rule DC-2: a bulk send reaches every addressee's inbox, each notice with the events a
// single send writes (accepted, dispatched, delivered), in one transaction; each item
// answers like POST /v1/notices and the sender reads each status.
func TestBulkSend(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		var items []map[string]any
		for i := range 6 {
			iin := iinAlice
			if i%2 == 1 {
				iin = iinBob
			}
			items = append(items, batchItem("b-"+strconv.Itoa(i), submission(iin)))
		}
		var before int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&before)
		r, ans := a.batch(t, binTax, items...)
		if r.status != 200 || len(ans.Results) != 6 || ans.Accepted != 6 || ans.Refused != 0 || ans.Replayed != 0 {
			t.Fatalf("bulk send: %d %s", r.status, r.raw)
		}
		if strings.Contains(string(r.raw), iinAlice) || strings.Contains(string(r.raw), iinBob) {
			t.Error("the answer repeats an IIN")
		}
		for i, res := range ans.Results {
			if res.Index != i || res.Key != "b-"+strconv.Itoa(i) || res.Status != 201 || res.Problem != nil {
				t.Errorf("result %d: %+v", i, res)
			}
		}
		ids := ans.ids(t)
		for _, who := range []string{alice, bob} {
			if n, _, _ := a.svc.Unread(t.Context(), who); n != 3 {
				t.Errorf("%s has %d notices, want 3", who, n)
			}
		}
		list, _ := a.svc.Inbox(t.Context(), alice)
		if list[0].Facts.Sender != "State Revenue Committee" || !list[0].Significant {
			t.Errorf("alice's notice %+v", list[0])
		}
		var after, status int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events`).Scan(&after)
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.notice.status'`).Scan(&status)
		if status != 18 || after-before != 18 {
			t.Errorf("%d status events (%d events), want 3 per notice", status, after-before)
		}
		for _, id := range ids {
			var n int
			db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'notify.notice.status' AND payload LIKE ?`, "%"+id+"%").Scan(&n)
			if n != 3 {
				t.Errorf("notice %s: %d status events, want 3", id, n)
			}
			if st := a.do(t, binTax, "GET", "/v1/notices/"+id, "", nil); st.status != 200 || st.body["state"] != StateDelivered {
				t.Errorf("status of %s: %d %s", id, st.status, st.raw)
			}
		}
	})
}

// rule DC-2: a bulk send larger than one multi-row statement (writeMany) — with items
// replayed among new ones — writes each new notice once, with its three status events
// in order (accepted, dispatched, delivered), and its channel delivery; the replayed
// items write nothing.
func TestBulkSendManyChunks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := newAPIFixture(t, db, &fakeChannel{name: ChannelEmail})
		if err := a.svc.SetPref(ctx, alice, ChannelEmail, true, "alice@example.kz"); err != nil {
			t.Fatal(err)
		}
		items := func(from, to int) []map[string]any {
			var out []map[string]any
			for i := from; i < to; i++ {
				iin := iinAlice
				if i%3 == 0 {
					iin = iinBob
				}
				m := submission(iin)
				m["legally_significant"] = false
				out = append(out, batchItem("m-"+strconv.Itoa(i), m))
			}
			return out
		}
		if r, ans := a.batch(t, binTax, items(100, 150)...); r.status != 200 || ans.Accepted != 50 {
			t.Fatalf("first batch: %d %s", r.status, r.raw)
		}
		r, ans := a.batch(t, binTax, items(0, 300)...)
		if r.status != 200 || ans.Accepted != 250 || ans.Replayed != 50 || ans.Refused != 0 {
			t.Fatalf("second batch: %d accepted %d replayed %d refused %d", r.status, ans.Accepted, ans.Replayed, ans.Refused)
		}
		for i, res := range ans.Results {
			if res.Replayed != (i >= 100 && i < 150) {
				t.Fatalf("result %d replayed = %v", i, res.Replayed)
			}
		}
		var notices, mails int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_notices`).Scan(&notices)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_deliveries WHERE channel = 'email'`).Scan(&mails)
		if notices != 300 || mails != 200 {
			t.Errorf("%d notices and %d e-mail deliveries, want 300 and 200 (alice's)", notices, mails)
		}
		rows, err := db.QueryContext(ctx, `SELECT payload FROM outbox_events WHERE type = 'notify.notice.status' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		states := map[string][]string{}
		for rows.Next() {
			var p []byte
			rows.Scan(&p)
			var ev struct{ Notice, State string }
			json.Unmarshal(p, &ev)
			states[ev.Notice] = append(states[ev.Notice], ev.State)
		}
		if len(states) != 300 {
			t.Errorf("status events of %d notices, want 300", len(states))
		}
		for ref, st := range states {
			if !slices.Equal(st, []string{StateAccepted, StateDispatched, StateDelivered}) {
				t.Fatalf("notice %s: states %v", ref, st)
			}
		}
	})
}

// The contract is per item: a bad item among good ones is refused alone, with the code
// the single send answers, and leaves nothing; the good ones are accepted.
func TestBulkSendPerItem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		bad := submission(iinAlice)
		delete(bad["content"].(map[string]any), "ru")
		court := submission(iinAlice)
		court["category"] = "court"
		unknown := submission(mkIIN("70070730001"))
		extra := submission(iinBob)
		extra["subject_name"] = "Bob"
		r, ans := a.batch(t, binTax,
			batchItem("g-1", submission(iinAlice)),
			batchItem("x-1", bad),
			batchItem("g-2", submission(iinBob)),
			batchItem("x-2", court),
			batchItem("x-3", unknown),
			batchItem("", submission(iinBob)),
			batchItem("x-5", extra),
			map[string]any{"idempotency_key": "x-6"},
			batchItem("x-7", "not an object"),
			batchItem("g-3", submission(iinBob)),
		)
		if r.status != 200 || ans.Accepted != 3 || ans.Refused != 7 {
			t.Fatalf("bulk send: %d %s", r.status, r.raw)
		}
		want := []struct {
			status int
			code   string
		}{{201, ""}, {422, "notify.content.language_missing"}, {201, ""}, {403, "notify.sender.category_not_permitted"},
			{422, "notify.subject.unknown"}, {400, "notify.idempotency.key_required"}, {400, "request.unknown_field"},
			{400, "request.invalid_field"}, {400, "request.malformed_json"}, {201, ""}}
		for i, w := range want {
			res := ans.Results[i]
			code := ""
			if res.Problem != nil {
				code = res.Problem.Code
				if res.Problem.Status != res.Status || res.Problem.Type != "urn:senim:problem:"+code || res.Notice != nil {
					t.Errorf("item %d: problem %+v, notice %s", i, res.Problem, res.Notice)
				}
			}
			if res.Status != w.status || code != w.code {
				t.Errorf("item %d: %d %q, want %d %q", i, res.Status, code, w.status, w.code)
			}
		}
		var notices, keys int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&notices)
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM idempotency_keys`).Scan(&keys)
		if notices != 3 || keys != 3 {
			t.Errorf("%d notices and %d keys, want 3 and 3 (the refused items leave nothing)", notices, keys)
		}
	})
}

// Idempotency per item: the same batch again answers every item's first result and
// sends nothing twice; an item's key with another notice is 409 for that item alone;
// the key space is the single send's.
func TestBulkSendIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		single := a.do(t, binTax, "POST", "/v1/notices", "s-1", submission(iinBob))
		if single.status != 201 {
			t.Fatalf("single send %d %s", single.status, single.raw)
		}
		items := []map[string]any{batchItem("k-1", submission(iinAlice)), batchItem("k-2", submission(iinBob))}
		_, first := a.batch(t, binTax, items...)
		r, again := a.batch(t, binTax, items...)
		if r.status != 200 || again.Replayed != 2 || again.Accepted != 0 {
			t.Fatalf("the batch again: %d %s", r.status, r.raw)
		}
		if f, g := first.ids(t), again.ids(t); len(f) != 2 || f[0] != g[0] || f[1] != g[1] {
			t.Errorf("replayed ids %v, first %v", g, f)
		}
		other := submission(iinAlice)
		other["category"] = "general"
		j, _ := json.Marshal(submission(iinBob))
		r, mixed := a.batch(t, binTax, batchItem("k-1", other), batchItem("k-3", submission(iinAlice)),
			batchItem("s-1", json.RawMessage(j)), batchItem("k-3", submission(iinAlice)), batchItem("k-3", other))
		if r.status != 200 || mixed.Accepted != 1 || mixed.Replayed != 2 || mixed.Refused != 2 {
			t.Fatalf("mixed batch: %d %s", r.status, r.raw)
		}
		if p := mixed.Results[0].Problem; p == nil || p.Code != "notify.idempotency.conflict" || mixed.Results[0].Status != 409 {
			t.Errorf("another notice under k-1: %+v", mixed.Results[0])
		}
		if !mixed.Results[2].Replayed || !strings.Contains(string(mixed.Results[2].Notice), single.body["id"].(string)) {
			t.Errorf("the single send's key in a batch: %+v", mixed.Results[2])
		}
		if !mixed.Results[3].Replayed || string(mixed.Results[3].Notice) != string(mixed.Results[1].Notice) {
			t.Errorf("a key twice in one batch: %s then %s", mixed.Results[1].Notice, mixed.Results[3].Notice)
		}
		if p := mixed.Results[4].Problem; p == nil || p.Code != "notify.idempotency.conflict" {
			t.Errorf("a key twice in one batch with another notice: %+v", mixed.Results[4])
		}
		var n int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&n)
		if n != 4 {
			t.Errorf("%d notices, want 4 (single, k-1, k-2, k-3)", n)
		}
	})
}

// Authorization: another organisation neither reads the first one's batch notices nor
// gets its answers by replaying its keys (keys are per sender); an organisation without
// a sender permission, and an anonymous caller, are refused as a whole.
func TestBulkSendAuthorization(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	_, ans := a.batch(t, binTax, batchItem("k-1", submission(iinAlice)))
	ids := ans.ids(t)
	if len(ids) != 1 {
		t.Fatalf("answer %+v", ans)
	}
	for _, p := range []string{"/v1/notices/" + ids[0], "/v1/notices/" + ids[0] + "/receipt"} {
		if r := a.do(t, binCourt, "GET", p, "", nil); r.status != 404 || r.body["code"] != "notify.notice.not_found" {
			t.Errorf("another sender read %s: %d %s", p, r.status, r.raw)
		}
	}
	court := submission(iinAlice)
	court["category"] = "court"
	r, other := a.batch(t, binCourt, batchItem("k-1", court))
	if r.status != 200 || other.Accepted != 1 || other.Replayed != 0 || strings.Contains(string(r.raw), ids[0]) {
		t.Errorf("another sender's own k-1: %d %s", r.status, r.raw)
	}
	r, tax := a.batch(t, binCourt, batchItem("k-1", submission(iinAlice)))
	if r.status != 200 || tax.Refused != 1 || tax.Results[0].Status != 403 || strings.Contains(string(r.raw), ids[0]) {
		t.Errorf("another sender replaying the first one's item: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		name, bin string
		status    int
		code      string
	}{
		{"no sender permission", binBank, 403, "notify.sender.not_permitted"},
		{"anonymous", "", 401, "auth.unauthenticated"},
	} {
		if r, _ := a.batch(t, tc.bin, batchItem("z-1", submission(iinAlice))); r.status != tc.status || r.body["code"] != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	var n int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&n)
	if n != 2 {
		t.Errorf("%d notices, want 2", n)
	}
}

// Whole-request refusals change nothing: an empty batch, more than MaxBatch notices, a
// body over the limit, a body that is not a batch.
func TestBulkSendRefusals(t *testing.T) {
	a := newAPIFixture(t, storetest.Open(t))
	many := make([]map[string]any, MaxBatch+1)
	for i := range many {
		many[i] = batchItem("m-"+strconv.Itoa(i), submission(iinAlice))
	}
	huge := submission(iinAlice)
	huge["content"].(map[string]any)["ru"] = map[string]string{"title": "x", "body": strings.Repeat("a", maxBatchBody)}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"empty", map[string]any{"notices": []any{}}, 422, "notify.batch.empty"},
		{"no notices member", map[string]any{}, 422, "notify.batch.empty"},
		{"over MaxBatch", map[string]any{"notices": many}, 413, "notify.batch.too_large"},
		{"over the body limit", map[string]any{"notices": []any{batchItem("h", huge)}}, 413, "request.too_large"},
		{"unknown member", map[string]any{"notices": []any{}, "mode": "all"}, 400, "request.unknown_field"},
		{"not JSON", "[", 400, "request.malformed_json"},
	} {
		r := a.do(t, binTax, "POST", "/v1/notices:batch", "", tc.body)
		if r.status != tc.status || r.body["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, r.status, r.body["code"], tc.status, tc.code)
		}
	}
	// Exactly MaxBatch is accepted.
	r, ans := a.batch(t, binTax, many[:MaxBatch]...)
	if r.status != 200 || ans.Accepted != MaxBatch {
		t.Fatalf("MaxBatch notices: %d, %d accepted", r.status, ans.Accepted)
	}
	var n int
	a.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices`).Scan(&n)
	if n != MaxBatch {
		t.Errorf("%d notices, want %d", n, MaxBatch)
	}
}

// A bulk send queues the same channel deliveries a single send would, by each
// addressee's preferences read once for the batch: a notice that is not legally
// significant goes by e-mail to alice, who switched e-mail on, not to bob, who gave no
// address, and neither does a legally significant one.
func TestBulkSendChannels(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db, &fakeChannel{name: ChannelEmail})
		if err := a.svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz"); err != nil {
			t.Fatal(err)
		}
		plain := func(iin string) map[string]any {
			m := submission(iin)
			m["legally_significant"] = false
			return m
		}
		r, ans := a.batch(t, binTax, batchItem("c-1", plain(iinAlice)), batchItem("c-2", plain(iinBob)), batchItem("c-3", submission(iinBob)))
		if r.status != 200 || ans.Accepted != 3 {
			t.Fatalf("bulk send: %d %s", r.status, r.raw)
		}
		single := a.do(t, binTax, "POST", "/v1/notices", "s-1", plain(iinAlice))
		ids := append(ans.ids(t), single.body["id"].(string))
		// c-3 is legally significant: every channel bob has an address on — and he gave
		// no e-mail address (TestSignificantEmailNeedsAnAddress).
		for i, want := range []int{1, 0, 0, 1} {
			var n int
			db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_deliveries d JOIN notify_notices n ON n.id = d.notice_id
				WHERE n.ref = ? AND d.channel = 'email'`, ids[i]).Scan(&n)
			if n != want {
				t.Errorf("notice %d: %d e-mail deliveries, want %d", i, n, want)
			}
		}
	})
}

// The consumer writes a batch's notices in multi-row INSERTs (acceptDeliveredMany): over
// more than one chunk, with some events already holding their notice, every event has
// exactly one notice and each new one queues its addressee's own channels (e-mail is on
// for alice only).
func TestConsumeManyNotices(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db, &fakeChannel{name: ChannelEmail})
		if err := a.svc.SetPref(t.Context(), alice, ChannelEmail, true, "alice@example.kz"); err != nil {
			t.Fatal(err)
		}
		evs := make([]store.Event, 2*store.RowsChunk+44)
		for i := range evs {
			sub := alice
			if i%3 == 0 {
				sub = bob
			}
			evs[i] = store.Event{ID: int64(1000 + i), Type: "pd.consent.given", Actor: sub, Subject: sub, CreatedAt: a.now,
				Payload: []byte(`{"id":"c_` + strconv.Itoa(i) + `","initiator":"` + binBank + `","owner":"` + binRegister + `","data_sets":["identity"]}`)}
		}
		if err := a.svc.consume(t.Context(), evs[50:150]); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.consume(t.Context(), evs); err != nil {
			t.Fatal(err)
		}
		var notices, bobs, mails, aliceMails int
		db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT event_id) FROM notify_notices`).Scan(&notices, &bobs)
		if notices != len(evs) || bobs != len(evs) {
			t.Fatalf("%d notices for %d distinct events, want %d", notices, bobs, len(evs))
		}
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_notices WHERE subject = ? AND event_id % 3 = 1000 % 3`, bob).Scan(&bobs)
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_deliveries`).Scan(&mails)
		db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_deliveries d JOIN notify_notices n ON n.id = d.notice_id WHERE n.subject = ?`, alice).Scan(&aliceMails)
		if want := (len(evs) + 2) / 3; bobs != want {
			t.Errorf("bob has %d notices of his events, want %d", bobs, want)
		}
		if want := len(evs) - (len(evs)+2)/3; mails != want || aliceMails != want {
			t.Errorf("%d e-mail deliveries (%d alice's), want %d, all alice's", mails, aliceMails, want)
		}
	})
}

// noticesInsert writes n rows and returns each notice with its event.
func TestNoticesInsert(t *testing.T) {
	if q := noticesInsert(3); strings.Count(q, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") != 3 || !strings.HasSuffix(q, "RETURNING id, event_id") {
		t.Errorf("noticesInsert(3) = %s", q)
	}
}

// The status events' payloads are the JSON objects webhooks and the log have always
// carried: members in the order of their names, the empty ones left out.
func TestStatusPayload(t *testing.T) {
	for _, c := range []struct {
		ev   store.Event
		want string
	}{
		{statusEvent("n_1", "citizen:1", "123456789012", StateAccepted, "", ""), `{"notice":"n_1","sender":"123456789012","state":"accepted"}`},
		{statusEvent("n_1", "citizen:1", "", StateDelivered, ChannelInbox, PurposeNotice), `{"channel":"inbox","notice":"n_1","purpose":"notice","state":"delivered"}`},
		{dispatchedEvent("n_1", "citizen:1", "123456789012", []string{ChannelInbox, ChannelSMS}), `{"channels":["inbox","sms"],"notice":"n_1","sender":"123456789012","state":"dispatched"}`},
	} {
		if string(c.ev.Payload) != c.want {
			t.Errorf("payload %s, want %s", c.ev.Payload, c.want)
		}
	}
	if e := statusEvent("n_1", "citizen:1", "", StateRead, "", ""); e.Actor != "system" {
		t.Errorf("a status without a sender is by %q", e.Actor)
	}
}

package notify

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The unread count is a counter per addressee (notify_unread, unread.go) that every
// change of a notice into or out of the inbox's unread state keeps: after each of them
// the counter of every addressee equals the number of their delivered notices. A
// change that forgot it would show a wrong count in every page's header from then on.
func TestUnreadCounterFollowsEveryPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a := newAPIFixture(t, db)
		f := a.fixture
		ctx := t.Context()
		step := func(what string) {
			t.Helper()
			rows, err := db.QueryContext(ctx, `SELECT s, SUM(c), SUM(k) FROM (
				SELECT subject AS s, COUNT(*) AS c, 0 AS k FROM notify_notices WHERE state = 'delivered' GROUP BY subject
				UNION ALL SELECT subject, 0, n FROM notify_unread) AS x GROUP BY s`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var s string
				var c, k int64
				if err := rows.Scan(&s, &c, &k); err != nil {
					t.Fatal(err)
				}
				if c != k {
					t.Errorf("after %s: %s has %d delivered notices, the counter says %d", what, s, c, k)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
		want := func(sub string, n int) {
			t.Helper()
			if k, _, err := f.svc.Unread(ctx, sub); err != nil || k != n {
				t.Errorf("%s: unread %d, %v; want %d", sub, k, err, n)
			}
		}

		// The outbox consumer: one notice per event, and a redelivered batch adds none.
		ev := f.emit(t, "pd.consent.given", alice, map[string]any{"id": "c_1", "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity"}})
		f.emit(t, "pd.consent.given", bob, map[string]any{"id": "c_2", "initiator": binBank, "owner": binRegister, "data_sets": []string{"identity"}})
		f.emit(t, "pd.consent.given", alice, map[string]any{"id": "c_3", "initiator": binBank, "owner": binRegister, "data_sets": []string{"address"}})
		f.sync(t)
		step("the consumer")
		want(alice, 2)
		want(bob, 1)
		again := store.Event{ID: ev, Type: "pd.consent.given", Actor: "citizen:1", Subject: alice, CreatedAt: f.now,
			Payload: []byte(`{"id":"c_1","initiator":"` + binBank + `","owner":"` + binRegister + `","data_sets":["identity"]}`)}
		if err := f.svc.consume(ctx, []store.Event{again}); err != nil {
			t.Fatal(err)
		}
		step("a redelivered event")
		want(alice, 2)

		// A notice an earlier version left accepted is delivered by a redelivered batch.
		var left int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			left, err = f.svc.accept(ctx, tx, pending{subject: alice, eventID: ev + 1000, kind: KindMessage, facts: Facts{Sender: "Ministry of Justice", Message: message(alice, false).Content}}, f.now)
			return err
		}); err != nil || left == 0 {
			t.Fatalf("accept: %d, %v", left, err)
		}
		step("a notice accepted, not delivered")
		want(alice, 2)
		late := again
		late.ID = ev + 1000
		if err := f.svc.consume(ctx, []store.Event{late}); err != nil {
			t.Fatal(err)
		}
		step("a late delivery")
		want(alice, 3)

		// Messages: Send (accepted, then delivered); Submit and a bulk send, each
		// replayed with its idempotency key.
		plain, err := f.svc.Send(ctx, message(alice, false))
		if err != nil {
			t.Fatal(err)
		}
		step("Send")
		want(alice, 4)
		sub := Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, Content: message(alice, true).Content}
		legal, err := f.svc.Submit(ctx, binTax, sub, &IdemKey{Key: "one", Body: []byte("one")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(ctx, binTax, sub, &IdemKey{Key: "one", Body: []byte("one")}); err != nil {
			t.Fatal(err)
		}
		step("Submit and its replay")
		want(alice, 5)
		notice, _ := json.Marshal(submission(iinBob))
		items := make([]BatchItem, 3)
		for i := range items {
			items[i] = BatchItem{IdempotencyKey: "b" + strconv.Itoa(i), Notice: notice}
		}
		items[2].IdempotencyKey = "b0" // a repeat within the batch
		for range 2 {
			if _, err := f.svc.SubmitBatch(ctx, binTax, items); err != nil {
				t.Fatal(err)
			}
		}
		step("a bulk send and its replay")
		want(bob, 3)

		// Reading: a plain notice opened, a legally significant one acknowledged, each
		// once however often; another addressee cannot lower the count.
		for range 2 {
			if _, err := f.svc.Open(ctx, reader(alice, iinAlice), plain.Ref); err != nil {
				t.Fatal(err)
			}
		}
		step("opening")
		want(alice, 4)
		if _, err := f.svc.Open(ctx, reader(bob, iinBob), legal.ID); err == nil {
			t.Fatal("bob opened alice's notice")
		}
		if _, err := f.svc.Open(ctx, reader(alice, iinAlice), legal.ID); err != nil { // the acknowledgement screen
			t.Fatal(err)
		}
		want(alice, 4)
		var wg sync.WaitGroup
		for range 4 { // racing acknowledgements: one read, one count less
			wg.Go(func() {
				if _, err := f.svc.Acknowledge(ctx, reader(alice, iinAlice), legal.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		step("acknowledging")
		want(alice, 3)
		want(bob, 3)
	})
}

// Two nodes on one PostgreSQL database send to and acknowledge for the same two
// addressees at once, their group commits mixing both in either order: no transaction
// fails and the counters end equal to the notices. (The counters' row locks are taken
// last and in the addressees' order, so two transactions cannot wait on each other's;
// the window in which an unordered write could deadlock is too short to force here:
// with the order taken out, ten runs of this test still passed.)
func TestUnreadCounterAcrossNodes(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip(storetest.EnvURL + " not set: nodes share a database on PostgreSQL only")
	}
	url := storetest.URL(t, store.Postgres)
	dbA := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := dbA.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	dbB := storetest.OpenURL(t, url, storetest.Options(t))
	nodes := []*apiFixture{newAPIFixture(t, dbA), newAPIFixture(t, dbB)}
	ctx := t.Context()
	content := message(alice, true).Content
	who := []struct{ subject, iin string }{{alice, iinAlice}, {bob, iinBob}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	left := map[string]int{}
	for w := range 8 {
		wg.Go(func() {
			node := nodes[w%2].svc
			for i := range 20 {
				c := who[(w/2+i)%2]
				k := "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
				a, err := node.Submit(ctx, binTax, Submission{SubjectIIN: c.iin, Category: "tax", Significant: true, Content: content}, &IdemKey{Key: k, Body: []byte(k)})
				if err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				if i%3 == 2 { // left unread
					mu.Lock()
					left[c.subject]++
					mu.Unlock()
					continue
				}
				if _, err := node.Acknowledge(ctx, reader(c.subject, c.iin), a.ID); err != nil {
					t.Errorf("acknowledge: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, c := range who {
		var delivered, counter int
		if err := dbA.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_notices WHERE subject = ? AND state = 'delivered'`, c.subject).Scan(&delivered); err != nil {
			t.Fatal(err)
		}
		if err := dbA.QueryRowContext(ctx, `SELECT n FROM notify_unread WHERE subject = ?`, c.subject).Scan(&counter); err != nil {
			t.Fatal(err)
		}
		if delivered != left[c.subject] || counter != delivered {
			t.Errorf("%s: %d delivered, counter %d; want %d", c.subject, delivered, counter, left[c.subject])
		}
	}
}

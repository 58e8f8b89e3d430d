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

		// Messages: Send (accepted, then delivered), Submit and a bulk send, each
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

package notify

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: a legally significant notice goes on every channel the citizen has an
// address on — e-mail only where she gave an address. It was queued on e-mail for
// citizens who never gave one: the sender's notice.dispatched webhook said it went to
// e-mail, the status listed an e-mail delivery, and the engine then skipped it for
// want of an address. Now a citizen without an address gets no e-mail delivery and
// the dispatch names only the channels it went to; one with an address (e-mail
// switched off) gets it, from the single send and the bulk send alike. Both engines.
func TestSignificantEmailNeedsAnAddress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a, _, mail := smsFixture(t, db)
		// bob gave an address and switched e-mail off; alice gave none.
		if err := a.svc.SetPref(t.Context(), bob, ChannelEmail, false, "bob@example.kz"); err != nil {
			t.Fatal(err)
		}
		channelsOf := func(id string) []string {
			var chs []string
			for _, d := range a.status(t, id).Deliveries {
				chs = append(chs, d.Channel)
			}
			return chs
		}
		dispatched := func(id string) []string {
			var raw string
			if err := db.QueryRowContext(t.Context(), `SELECT payload FROM outbox_events WHERE type = 'notify.notice.status' AND payload LIKE ? AND payload LIKE '%"dispatched"%'`,
				"%"+id+"%").Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var p struct{ Channels []string }
			json.Unmarshal([]byte(raw), &p)
			return p.Channels
		}
		ids := map[string]string{}
		for who, iin := range map[string]string{"alice": iinAlice, "bob": iinBob} {
			r := a.do(t, binTax, "POST", "/v1/notices", "addr-"+who, submission(iin))
			if r.status != 201 {
				t.Fatalf("submit %d %s", r.status, r.raw)
			}
			ids[who] = r.body["id"].(string)
		}
		_, ans := a.batch(t, binTax, map[string]any{"idempotency_key": "addr-bulk", "notice": submission(iinAlice)})
		var bulk struct{ ID string }
		if len(ans.Results) != 1 || json.Unmarshal(ans.Results[0].Notice, &bulk) != nil || bulk.ID == "" {
			t.Fatalf("bulk: %+v", ans)
		}
		ids["alice, bulk"] = bulk.ID
		a.dispatch(t)
		for who, id := range ids {
			wantEmail := who == "bob"
			if got := slices.Contains(channelsOf(id), ChannelEmail); got != wantEmail {
				t.Errorf("%s: e-mail delivery %v, want %v (%v)", who, got, wantEmail, channelsOf(id))
			}
			if got := slices.Contains(dispatched(id), ChannelEmail); got != wantEmail {
				t.Errorf("%s: dispatched to %v", who, dispatched(id))
			}
		}
		if mail.count() != 1 {
			t.Errorf("%d e-mails, want bob's one", mail.count())
		}
	})
}

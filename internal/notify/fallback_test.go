package notify

import (
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// An ordinary notice's fallback follows the citizen's choices, as everything else of
// an ordinary notice does: the settings page tells her that only legally significant
// notices go to every channel whatever she chose. When the read-by deadline of an
// ordinary notice passed, Senim sent the fallback SMS to a citizen who had SMS switched
// off. Now the fallback of an ordinary notice goes out only on a channel she switched
// on; otherwise it is skipped, once, and the sender's status says so. A citizen who
// switched SMS on gets it; a legally significant notice's fallback goes regardless
// (TestEscalationPolicy). Both engines.
func TestOrdinaryFallbackFollowsHerChoice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		a, gw, _ := smsFixture(t, db)
		t0 := a.now
		if err := a.svc.SetPref(t.Context(), alice, ChannelSMS, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.SetPref(t.Context(), bob, ChannelSMS, false, ""); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for who, iin := range map[string]string{"alice": iinAlice, "bob": iinBob} {
			sub := submission(iin)
			sub["legally_significant"] = false
			sub["category"] = "general"
			sub["read_by"] = t0.Add(24 * time.Hour).Format(time.RFC3339)
			r := a.do(t, binTax, "POST", "/v1/notices", "k-"+who, sub)
			if r.status != 201 {
				t.Fatalf("submit %d %s", r.status, r.raw)
			}
			ids[who] = r.body["id"].(string)
		}
		a.dispatch(t)
		aliceBefore, bobBefore := len(gw.Messages("+77010000001")), len(gw.Messages("+77010000002"))
		if bobBefore != 0 {
			t.Fatalf("bob, SMS off, got %d SMS of an ordinary notice", bobBefore)
		}
		a.now = t0.Add(25 * time.Hour) // past the deadline, before any reminder
		for range 3 {                  // every pass, not only the first
			a.escalate(t)
			a.dispatch(t)
		}
		if n := len(gw.Messages("+77010000002")); n != 0 {
			t.Errorf("bob switched SMS off, yet the fallback sent him %d SMS: %+v", n, gw.Messages("+77010000002"))
		}
		if n := len(gw.Messages("+77010000001")) - aliceBefore; n != 1 {
			t.Errorf("alice switched SMS on: %d fallback SMS, want 1", n)
		}
		fallback := func(st *Status) (DeliveryStatus, int) {
			var d DeliveryStatus
			k := 0
			for _, x := range st.Deliveries {
				if x.Purpose == PurposeFallback {
					d, k = x, k+1
				}
			}
			return d, k
		}
		if d, k := fallback(a.status(t, ids["bob"])); k != 1 || d.Channel != ChannelSMS || d.State != DeliverySkipped || d.DoneAt == nil {
			t.Errorf("bob's status: %d fallbacks, %+v; want one sms fallback, skipped", k, d)
		}
		if d, k := fallback(a.status(t, ids["alice"])); k != 1 || d.State != DeliverySent {
			t.Errorf("alice's status: %d fallbacks, %+v; want one sent", k, d)
		}
		// Switching SMS on later does not send a deadline's fallback that was skipped.
		if err := a.svc.SetPref(t.Context(), bob, ChannelSMS, true, ""); err != nil {
			t.Fatal(err)
		}
		a.escalate(t)
		a.dispatch(t)
		if n := len(gw.Messages("+77010000002")); n != 0 {
			t.Errorf("a skipped fallback went out later: %d SMS", n)
		}
	})
}

package notify

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-2: the SMS of a legally significant notice says, in the citizen's language,
// that it is legally significant (and opens in the cabinet); the SMS of one that is
// not does not say so.
func TestSMSSaysLegallySignificant(t *testing.T) {
	a, gw, _ := smsFixture(t, storetest.Open(t))
	for _, sub := range []string{alice, bob} {
		if err := a.svc.SetPref(t.Context(), sub, ChannelSMS, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct {
		iin, phone, lang string
		significant      bool
	}{
		{iinAlice, "+77010000001", "kk", true},
		{iinBob, "+77010000002", "ru", true},
		{iinAlice, "+77010000001", "kk", false},
	} {
		s := submission(tc.iin)
		s["legally_significant"] = tc.significant
		if r := a.do(t, binTax, "POST", "/v1/notices", "sms-"+string(rune('a'+i)), s); r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.raw)
		}
		a.dispatch(t)
		got := gw.Messages(tc.phone)
		if len(got) == 0 {
			t.Fatalf("%s: no SMS", tc.lang)
		}
		text := got[0].Text // newest first
		says := strings.Contains(text, texts[tc.lang]["out.significant"])
		if says != tc.significant {
			t.Errorf("%s, legally significant %v: SMS %q", tc.lang, tc.significant, text)
		}
		if !strings.Contains(text, "/inbox/") {
			t.Errorf("%s: the SMS %q has no link to the notice", tc.lang, text)
		}
	}
}

package notify

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// fullFacts sets every field of Facts.
func fullFacts() Facts {
	yes := true
	at := time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	f := Facts{Flow: "protocol", Initiator: &Party{BIN: binBank, Name: "Halyk Bank", Names: pd.Titles{KK: "Халық Банкі", RU: "Народный банк", EN: "Halyk Bank"}},
		Owner:    &Party{BIN: binRegister, Name: "Population register"},
		DataSets: []DataSet{{Code: "identity", Title: "Identity document data", Titles: pd.Titles{RU: "Удостоверение"}}},
		Purpose:  "Loan application 17", Service: &Titled{Code: "birth", Title: "Birth allowance"},
		Ground:    &Ground{Code: "crim-proc", Titles: pd.Titles{KK: "Қылмыстық", RU: "Уголовный", EN: "Criminal"}, LegalRef: "CPC RK art. 122"},
		ConsentID: "c_1", ValidUntil: at.AddDate(1, 0, 0), Action: "read", Automated: &yes, Deferred: true, At: at,
		Sender: "Ministry of Justice", SenderNames: pd.Titles{KK: "Әділет министрлігі", RU: "Министерство юстиции"}, Message: map[string]Text{"ru": {Title: "Повестка", Body: "Вас вызывают"}},
		Confirmation: "cf_1", Method: "eds", Deadline: at.Add(time.Hour),
		Document: &DocumentRef{Type: "id-card/v1", Titles: pd.Titles{EN: "Identity card"}}, Verifier: "employee"}
	// The test below relies on every field being set: a field added to Facts must be set here.
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			panic("fullFacts does not set Facts." + v.Type().Field(i).Name)
		}
	}
	return f
}

// Every field of a notice's facts is in exactly one of the two parts, and reading the
// two parts back gives the facts that were split.
func TestSplitFactsRoundTrip(t *testing.T) {
	f := fullFacts()
	shared, own := f.split()
	sv, ov := reflect.ValueOf(shared), reflect.ValueOf(own)
	for i := range sv.NumField() {
		name := sv.Type().Field(i).Name
		if sv.Field(i).IsZero() == ov.Field(i).IsZero() {
			t.Errorf("Facts.%s is in both parts or in neither", name)
		}
	}
	for _, name := range []string{"At", "ConsentID", "ValidUntil", "Deferred", "Purpose", "Confirmation", "Deadline", "Message"} {
		if ov.FieldByName(name).IsZero() {
			t.Errorf("Facts.%s differs from event to event but is shared", name)
		}
	}
	sb, _ := json.Marshal(shared)
	ob, _ := json.Marshal(own)
	var got Facts
	if err := mergeFacts(&got, sb, ob); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(f)
	if gb, _ := json.Marshal(got); string(gb) != string(want) {
		t.Errorf("merged facts\n%s\nwant\n%s", gb, want)
	}
	// A notice with all its facts in its row (no shared part) reads as before.
	var whole Facts
	if err := mergeFacts(&whole, nil, want); err != nil {
		t.Fatal(err)
	}
	if wb, _ := json.Marshal(whole); string(wb) != string(want) {
		t.Errorf("whole facts\n%s\nwant\n%s", wb, want)
	}
	// Either part unreadable: an error, never facts made up of half.
	if err := mergeFacts(&got, []byte(`{"flow":`), ob); err == nil {
		t.Error("a broken shared part was read")
	}
	if err := mergeFacts(&got, sb, []byte(`[1]`)); err == nil {
		t.Error("a broken own part was read")
	}
}

// The consumer stores the facts that the notices of one initiator, data owner, data
// set and ground share once, and each notice's row keeps only its own; the inbox shows
// every name; a new service (its memory of stored parts empty) adds no second copy; a
// different combination is a part of its own.
func TestConsumerSharesFacts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		issue := func(subject, jti, owner, purpose string) {
			f.emit(t, "pd.token.issued", subject, map[string]any{"jti": jti, "flow": "protocol", "initiator": binBank, "owner": owner,
				"scope": []string{"identity"}, "code": "crim-proc", "purpose": purpose})
		}
		for i := range 20 {
			sub := alice
			if i%2 == 1 {
				sub = bob
			}
			issue(sub, "j"+string(rune('a'+i)), binRegister, "case "+string(rune('a'+i)))
		}
		f.sync(t)
		count := func() (parts, rows int, widest int) {
			t.Helper()
			db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM notify_facts`).Scan(&parts)
			db.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(MAX(LENGTH(facts)), 0) FROM notify_notices WHERE facts_ref <> ''`).Scan(&rows, &widest)
			return
		}
		parts, rows, widest := count()
		if parts != 1 || rows != 20 {
			t.Fatalf("%d shared parts for %d notices, want 1 for 20", parts, rows)
		}
		if widest > 160 {
			t.Errorf("a notice's row keeps %d bytes of facts: more than its own", widest)
		}
		list, err := f.svc.Inbox(t.Context(), alice)
		if err != nil || len(list) != 10 {
			t.Fatalf("alice's inbox: %d notices, %v", len(list), err)
		}
		for _, n := range list {
			ru := n.Content("ru")
			for _, want := range []string{"Halyk Bank (БИН " + binBank + ")", "Population register", "Identity document data", "Уголовный процесс — УПК РК, ст. 122", "2 марта 2026 г., 12:30 (время Астаны, UTC+5)"} {
				if !strings.Contains(body(&ru), want) {
					t.Errorf("notice %s lacks %q:\n%s", n.Ref, want, body(&ru))
				}
			}
			if !strings.HasPrefix(n.Facts.Purpose, "case ") || n.Facts.At.IsZero() {
				t.Errorf("notice %s lost its own facts: %+v", n.Ref, n.Facts)
			}
		}
		// A restarted service does not know what is stored: the insert finds the row.
		f2 := newFixture(t, db)
		f.svc = f2.svc
		issue(alice, "jz", binRegister, "case z")
		f.sync(t)
		if parts, rows, _ := count(); parts != 1 || rows != 21 {
			t.Errorf("after a restart: %d shared parts for %d notices, want 1 for 21", parts, rows)
		}
		// Another data owner: another part.
		issue(bob, "jy", binBank, "case y")
		f.sync(t)
		if parts, rows, _ := count(); parts != 2 || rows != 22 {
			t.Errorf("another owner: %d shared parts for %d notices, want 2 for 22", parts, rows)
		}
	})
}

// A batch's shared parts are marshalled once per shareKey (prepareFacts). The key must
// name everything a token's shared part is made of: over token events that differ in
// each field of the payload, one key never stands for two shared parts, the fields a
// notice keeps as its own do not split the key, and prepareFacts gives what marshalling
// every notice's part would.
func TestShareKeyCoversSharedFacts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		d, err := f.svc.loadDirectory(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		base := map[string]any{"jti": "j", "flow": "protocol", "initiator": binBank, "owner": binRegister,
			"scope": []string{"identity"}, "code": "crim-proc", "purpose": "case 1"}
		variants := []map[string]any{
			{}, {"flow": "proactive"}, {"flow": "proactive", "code": "birth"}, {"flow": "sms"}, {"flow": "proactive", "code": ""}, {"code": "other"},
			{"initiator": binRegister}, {"owner": binBank}, {"scope": []string{"address"}},
			{"scope": []string{"identity", "address"}}, {"scope": []string{"address", "identity"}},
			// the notice's own: the same key
			{"purpose": "case 2"}, {"jti": "k"}, {"consent_id": "c_9"}, {"flow": "proactive", "consent_id": "c_8"},
		}
		var ps []pending
		for i, v := range variants {
			pl := map[string]any{}
			maps.Copy(pl, base)
			maps.Copy(pl, v)
			raw, _ := json.Marshal(pl)
			p, ok, err := f.svc.fromEvent(t.Context(), d, store.Event{ID: int64(100 + i), Type: pd.EvTokenIssued, Subject: alice, CreatedAt: f.now, Payload: raw})
			if err != nil || !ok {
				t.Fatalf("variant %v: %v %v", v, ok, err)
			}
			if p.shareKey == "" {
				t.Fatalf("variant %v: no share key", v)
			}
			ps = append(ps, p)
		}
		sharedOf := func(p pending) string {
			s, _ := p.facts.split()
			b, _ := json.Marshal(s)
			return string(b)
		}
		byKey := map[string]string{}
		for i, p := range ps {
			if prev, ok := byKey[p.shareKey]; ok && prev != sharedOf(p) {
				t.Errorf("variant %v: its key stands for two shared parts:\n%s\n%s", variants[i], prev, sharedOf(p))
			}
			byKey[p.shareKey] = sharedOf(p)
		}
		if own := ps[len(ps)-4:]; own[0].shareKey != ps[0].shareKey || own[1].shareKey != ps[0].shareKey || own[2].shareKey != ps[0].shareKey {
			t.Error("a field of the notice's own splits the key")
		}
		fr, err := f.svc.prepareFacts(ps)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range ps {
			s, o := p.facts.split()
			sb, _ := json.Marshal(s)
			ob, _ := json.Marshal(o)
			if fr.refs[i] != factsDigest(sb) || fr.own[i] != string(ob) {
				t.Errorf("variant %v: prepareFacts gave %s %s, want %s %s", variants[i], fr.refs[i], fr.own[i], factsDigest(sb), ob)
			}
		}
		if len(fr.fresh) != len(byKey)-countSame(byKey) || len(fr.fresh) != len(fr.bodies) {
			t.Errorf("%d fresh parts (%d bodies) for %d distinct shared parts", len(fr.fresh), len(fr.bodies), len(byKey)-countSame(byKey))
		}
	})
}

// countSame is how many keys of m stand for a value another key has too.
func countSame(m map[string]string) int {
	seen := map[string]bool{}
	n := 0
	for _, v := range m {
		if seen[v] {
			n++
		}
		seen[v] = true
	}
	return n
}

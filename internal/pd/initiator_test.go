package pd

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// An initiator lists the consents it holds — only its own — filtered and paged.
// rule PD-3.5 (who holds a consent is known), rule PD-3.3 (a revocation shows).
func TestInitiatorListsItsConsents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		srv := f.server(t)
		ctx := t.Context()
		bank, police := orgOf(t, binBank, "gost2015"), orgOf(t, binPolice, "gost2015")
		rec := func(initiator, iin string) *Consent {
			t.Helper()
			f.now = f.now.Add(time.Second)
			c, err := f.svc.RecordConsent(ctx, initiator, ConsentRequest{SubjectIIN: iin, Owner: binRegister, DataSets: []string{"identity"},
				Purpose: "loan", ValidUntil: f.now.Add(time.Hour), Method: "biometric", Reference: "bio-" + iin})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c1 := rec(binBank, iinAdult)
		c2 := rec(binBank, iinOther)
		cp := rec(binPolice, iinAdult)
		c3 := rec(binBank, iinAdult)
		if _, err := f.svc.RevokeConsent(ctx, iinAdult, "", c1.ID); err != nil {
			t.Fatal(err)
		}
		list := func(o *org, q string) resp {
			t.Helper()
			return call(t, srv, o, "GET", "/v1/pd/consents"+q, nil)
		}
		ids := func(r resp) []string {
			t.Helper()
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			var out []string
			for _, c := range r.body["consents"].([]any) {
				out = append(out, c.(map[string]any)["id"].(string))
			}
			return out
		}
		same := func(got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		}
		same(ids(list(bank, "")), c3.ID, c2.ID, c1.ID)
		same(ids(list(police, "")), cp.ID)
		same(ids(list(bank, "?subject="+iinAdult)), c3.ID, c1.ID)
		same(ids(list(bank, "?status=revoked")), c1.ID)
		same(ids(list(bank, "?status=active&subject="+iinAdult)), c3.ID)
		same(ids(list(bank, "?owner="+binRegister+"&decision=given")), c3.ID, c2.ID, c1.ID)
		same(ids(list(bank, "?decision=refused")))
		same(ids(list(bank, "?subject="+mkIIN("900101", 7))))
		r := list(bank, "?subject="+iinOther)
		if got := r.body["consents"].([]any)[0].(map[string]any); got["subject"] != iinOther || got["status"] != "active" {
			t.Fatalf("consent as listed: %v", got)
		}
		f.now = f.now.Add(2 * time.Hour)
		same(ids(list(bank, "?status=expired")), c3.ID, c2.ID)

		// Paging: one at a time, the cursor carries on where the page ended.
		var seen []string
		q := "?limit=1"
		for range 5 {
			r := list(bank, q)
			seen = append(seen, ids(r)...)
			next, _ := r.body["next"].(string)
			if next == "" {
				break
			}
			q = "?limit=1&after=" + url.QueryEscape(next)
		}
		same(seen, c3.ID, c2.ID, c1.ID)

		// Another initiator's consent is not there to read.
		if r := call(t, srv, bank, "GET", "/v1/pd/consents/"+cp.ID, nil); r.status != 404 || r.code() != "pd.not_found" {
			t.Fatalf("bank reads police's consent: %d %s", r.status, r.raw)
		}
		if r := call(t, srv, bank, "GET", "/v1/pd/consents/"+c1.ID, nil); r.status != 200 || r.body["subject"] != iinAdult || r.body["status"] != "revoked" {
			t.Fatalf("own consent: %d %s", r.status, r.raw)
		}
		for _, tc := range []struct {
			o      *org
			q      string
			status int
			code   string
		}{
			{nil, "", 401, "auth.unauthenticated"},
			{bank, "?status=gone", 400, "request.invalid_field"},
			{bank, "?decision=maybe", 400, "request.invalid_field"},
			{bank, "?subject=123", 400, "request.invalid_field"},
			{bank, "?owner=123456789012", 400, "request.invalid_field"},
			{bank, "?limit=0", 400, "request.invalid_field"},
			{bank, "?limit=201", 400, "request.invalid_field"},
			{bank, "?limit=ten", 400, "request.invalid_field"},
			{bank, "?after=bm90LWEtY3Vyc29y", 400, "pd.cursor.invalid"},
			{bank, "?after=%%%", 400, "request.invalid_field"},
			{bank, "?subjekt=" + iinAdult, 400, "request.unknown_field"},
		} {
			r := list(tc.o, tc.q)
			if r.status != tc.status || (tc.code != "" && r.code() != tc.code) {
				t.Errorf("%q: %d %s, want %d %s", tc.q, r.status, r.code(), tc.status, tc.code)
			}
		}
	})
}

// WebhookRoute sends each change to the initiators it concerns, and to no one else.
// rule PD-3.3: a revocation reaches the initiator that held the consent.
func TestWebhookRoute(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	ctx := t.Context()
	c, err := f.svc.RecordConsent(ctx, binBank, ConsentRequest{SubjectIIN: iinAdult, Owner: binRegister, DataSets: []string{"identity"},
		Purpose: "loan", ValidUntil: f.now.Add(time.Hour), Method: "biometric", Reference: "bio-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevokeConsent(ctx, iinAdult, "", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutGround(ctx, actorAdmin, Ground{Code: "CPC-199", Titles: Titles{"ҚПК 199", "УПК 199", "CPC art. 199 (amended)"}, LegalRef: "CPC RK art. 199"}); err != nil {
		t.Fatal(err)
	}
	rows, err := f.db.QueryContext(ctx, `SELECT id, type, actor, subject, payload, created_at FROM outbox_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ org, typ string }
	var out []got
	var revoked map[string]any
	for rows.Next() {
		var e store.Event
		var payload *string
		var at int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at); err != nil {
			t.Fatal(err)
		}
		if payload != nil {
			e.Payload = json.RawMessage(*payload)
		}
		e.CreatedAt = store.FromMicros(at)
		msgs, err := f.svc.WebhookRoute(ctx, e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		for _, m := range msgs {
			out = append(out, got{m.Org, m.Type})
			if m.Type == EventConsentRevoked {
				b, _ := json.Marshal(m.Data)
				json.Unmarshal(b, &revoked)
			}
		}
	}
	rows.Close()
	want := []got{
		{binBank, EventServiceCodeChanged},   // seed: LOAN-KYC lists the bank
		{binPolice, EventGroundChanged},      // seed: CPC-199 (routed by today's permissions)
		{binPolice, EventGroundChanged},      // seed: ORD-12
		{binPolice, EventPermissionsChanged}, // seed: the police's protocol permissions
		{binBank, EventConsentGiven},
		{binBank, EventConsentRevoked},
		{binPolice, EventGroundChanged}, // the police rely on CPC-199
	}
	if len(out) != len(want) {
		t.Fatalf("messages %v, want %v", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("messages %v, want %v", out, want)
		}
	}
	if revoked["consent_id"] != c.ID || revoked["subject"] != iinAdult || revoked["owner"] != binRegister || revoked["revoked_at"] == nil {
		t.Fatalf("revocation data %v", revoked)
	}
}

package pd

import (
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// citizenRows counts the citizen records of iin.
func citizenRows(t testing.TB, db *store.DB, iin string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM citizens WHERE iin = ?`, iin).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Bad input changes nothing (the design invariant of docs/api.md's conventions): a
// request of flows 1, 2 and 3 that is refused leaves no citizen record and no
// identity.citizen.created event for a subject Senim had not seen; an accepted one makes
// the record once, with its one event.
//
// Refused: rule PD-6.1.1 (no consent), rule PD-6.1.8 rule PD-6.2.2 (a replayed
// verification token), rule PD-6.3.4 (no mobile number). Accepted: rule PD-6.2.3
// rule PD-6.3.5.
func TestRefusedRequestCreatesNoCitizen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bank := orgOf(t, binBank, ca.P256)
		police := orgOf(t, binPolice, ca.P256)
		op := orgOf(t, binOther, ca.P256)
		var (
			iinNoConsent = mkIIN("900101", 11)
			iinReplay    = mkIIN("900102", 12)
			iinProtocol  = mkIIN("900103", 13)
			iinSMS       = mkIIN("900104", 14)
		)
		f.mobile[iinSMS] = "+77990000011"
		const created = "identity.citizen.created"
		unchanged := func(t *testing.T, iin string, events int) {
			t.Helper()
			if n := citizenRows(t, db, iin); n != 0 {
				t.Errorf("refused request left %d citizen rows", n)
			}
			if n := countEvents(t, db, created); n != events {
				t.Errorf("%s events: %d, want %d (unchanged)", created, n, events)
			}
		}
		createdOnce := func(t *testing.T, iin string, events int) {
			t.Helper()
			if n := citizenRows(t, db, iin); n != 1 {
				t.Errorf("accepted request: %d citizen rows, want 1", n)
			}
			if n := countEvents(t, db, created); n != events+1 {
				t.Errorf("%s events: %d, want %d", created, n, events+1)
			}
		}

		t.Run("flow 1 without consent", func(t *testing.T) {
			before := countEvents(t, db, created)
			_, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, func(c *VerificationClaims) { c.Subject = iinNoConsent }))
			wantCode(t, err, "pd.consent.not_found", "")
			unchanged(t, iinNoConsent, before)
		})
		t.Run("flow 2 replayed token", func(t *testing.T) {
			jti := newJTI()
			first := f.protoVT(police, func(c *VerificationClaims) { c.Subject, c.ID = iinProtocol, jti })
			before := countEvents(t, db, created)
			if _, err := f.svc.Protocol(t.Context(), police.caller, first); err != nil {
				t.Fatal(err)
			}
			createdOnce(t, iinProtocol, before)
			// The same verification-token id, about someone else: refused as a replay.
			before = countEvents(t, db, created)
			_, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, func(c *VerificationClaims) { c.Subject, c.ID = iinReplay, jti }))
			wantCode(t, err, "pd.verification_token.replayed", "")
			unchanged(t, iinReplay, before)
			// A second accepted request about the same person makes no second record.
			before = countEvents(t, db, created)
			if _, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, func(c *VerificationClaims) { c.Subject = iinProtocol })); err != nil {
				t.Fatal(err)
			}
			if n := citizenRows(t, db, iinProtocol); n != 1 {
				t.Errorf("citizen rows after a second request: %d, want 1", n)
			}
			if n := countEvents(t, db, created); n != before {
				t.Errorf("%s events: %d, want %d", created, n, before)
			}
		})
		t.Run("flow 3 without a mobile number", func(t *testing.T) {
			before := countEvents(t, db, created)
			_, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{Subject: iinNoPhone, Owner: binRegister, DataSets: []string{"identity"}})
			wantCode(t, err, "pd.sms.not_registered", "PD-6.3.4")
			unchanged(t, iinNoPhone, before)
		})
		// rule PD-3.4: a data owner's report about someone Senim has not seen, refused
		// (a token that is not theirs), makes no one; accepted, it makes the record once.
		t.Run("a data owner's report", func(t *testing.T) {
			register := orgOf(t, binRegister, ca.P256)
			iinReport := mkIIN("900105", 15)
			yes := true
			before := countEvents(t, db, created)
			_, err := f.svc.ReportAction(t.Context(), register.caller, Report{TokenJTI: "not-a-token", Subject: iinReport, Action: "view", Automated: &yes, DataSets: []string{"identity"}})
			wantCode(t, err, "pd.report.token_mismatch", "PD-3.4")
			unchanged(t, iinReport, before)
			if _, err := f.svc.ReportAction(t.Context(), register.caller, Report{Subject: iinReport, Action: "change", Automated: &yes, DataSets: []string{"address"}}); err != nil {
				t.Fatal(err)
			}
			createdOnce(t, iinReport, before)
		})
		// rule PD-6.1.1: a consent the initiator records about someone new, refused
		// because its Idempotency-Key was used for another consent, makes no one.
		t.Run("a recorded consent", func(t *testing.T) {
			srv := f.server(t)
			iinFirst, iinSecond := mkIIN("900106", 16), mkIIN("900107", 17)
			body := func(iin string) map[string]any {
				return map[string]any{"subject": iin, "owner": binRegister, "data_sets": []string{"identity"}, "purpose": "loan application",
					"valid_until": f.now.Add(24 * time.Hour), "method": "biometric", "reference": "bio-" + iin}
			}
			before := countEvents(t, db, created)
			if r := call(t, srv, bank, "POST", "/v1/pd/consents", body(iinFirst), "Idempotency-Key", "consent-1"); r.status != 201 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			createdOnce(t, iinFirst, before)
			before = countEvents(t, db, created)
			if r := call(t, srv, bank, "POST", "/v1/pd/consents", body(iinSecond), "Idempotency-Key", "consent-1"); r.code() != "idempotency.key_conflict" {
				t.Fatalf("the key reused: %d %s", r.status, r.raw)
			}
			unchanged(t, iinSecond, before)
		})
		t.Run("flow 3 accepted", func(t *testing.T) {
			before := countEvents(t, db, created)
			req := SMSRequest{Subject: iinSMS, Owner: binRegister, DataSets: []string{"identity"}}
			first, err := f.svc.RequestSMS(t.Context(), op.caller, req)
			if err != nil {
				t.Fatal(err)
			}
			createdOnce(t, iinSMS, before)
			// PD-6.3.2: the same request again is the one being processed.
			again, err := f.svc.RequestSMS(t.Context(), op.caller, req)
			if err != nil {
				t.Fatal(err)
			}
			if again.RequestID != first.RequestID || again.Status != SMSAwaiting {
				t.Errorf("repeat = %+v, want the pending request %s", again, first.RequestID)
			}
			createdOnce(t, iinSMS, before)
		})
	})
}

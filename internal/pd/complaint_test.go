package pd

import (
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule PD-3.1 rule PD-3.4: the subject complains to the authorized body about an access
// to her data; the complaint and its outbox event are written together, the event
// carries no text she wrote and no IIN; staff move it on with a history; another
// subject can neither see nor file on her access; bad input changes nothing.
func TestComplaints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		bank := orgOf(t, binBank, ca.GOST2015)
		f.consent(binBank)
		tr, err := f.svc.Proactive(ctx, bank.caller, f.vt(bank, nil))
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pd_complaints`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Bad input: a foreign or unknown access, an oversize or broken text.
		_, err = f.svc.FileComplaint(ctx, iinOther, tr.EventID, "not me")
		wantCode(t, err, "pd.not_found", "")
		_, err = f.svc.FileComplaint(ctx, iinAdult, tr.EventID+1000, "")
		wantCode(t, err, "pd.not_found", "")
		_, err = f.svc.FileComplaint(ctx, iinAdult, -1, "")
		wantCode(t, err, "pd.not_found", "")
		_, err = f.svc.FileComplaint(ctx, iinAdult, tr.EventID, strings.Repeat("ә", MaxComplaintText+1))
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
		_, err = f.svc.FileComplaint(ctx, iinAdult, tr.EventID, "bad \xff utf-8")
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
		if n := count(); n != 0 || countEvents(t, db, "pd.complaint.filed") != 0 {
			t.Fatalf("refused complaints left %d rows", n)
		}

		c, err := f.svc.FileComplaint(ctx, iinAdult, tr.EventID, "  Мен бұл банкке жүгінген жоқпын.  ")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != ComplaintFiled || c.Initiator != binBank || c.Owner != binRegister || c.Text != "Мен бұл банкке жүгінген жоқпын." || c.Kind != "token" {
			t.Errorf("complaint = %+v", c)
		}
		var subj, payload string
		if err := db.QueryRowContext(ctx, `SELECT subject, payload FROM outbox_events WHERE type = 'pd.complaint.filed'`).Scan(&subj, &payload); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(subj, "citizen:") || strings.Contains(payload, iinAdult) || strings.Contains(payload, "банкке") || !strings.Contains(payload, c.ID) {
			t.Errorf("event subject %q payload %s", subj, payload)
		}
		// A second complaint on the same access while the first is open: refused (a
		// replayed form too).
		_, err = f.svc.FileComplaint(ctx, iinAdult, tr.EventID, "again")
		wantCode(t, err, "pd.complaint.duplicate", "PD-3.1")
		if count() != 1 {
			t.Error("a duplicate complaint was recorded")
		}

		// The subject sees her own; the other subject sees none and cannot open hers.
		if mine, err := f.svc.Complaints(ctx, iinAdult); err != nil || len(mine) != 1 || mine[0].ID != c.ID {
			t.Errorf("own complaints = %+v, %v", mine, err)
		}
		if theirs, err := f.svc.Complaints(ctx, iinOther); err != nil || len(theirs) != 0 {
			t.Errorf("another subject's complaints = %+v, %v", theirs, err)
		}
		_, err = f.svc.ComplaintFor(ctx, iinOther, c.ID)
		wantCode(t, err, "pd.not_found", "")

		// Staff move it on; the history says who, when and what.
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, "closed", "")
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintFiled, "")
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintInReview, strings.Repeat("x", MaxComplaintNote+1))
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, "cp_nope", ComplaintInReview, "")
		wantCode(t, err, "pd.not_found", "")
		_, err = f.svc.SetComplaintStatus(ctx, "", c.ID, ComplaintInReview, "")
		wantCode(t, err, "pd.forbidden", "")
		if _, err := f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintInReview, "asked the bank"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintInReview, "")
		wantCode(t, err, "pd.complaint.transition", "PD-3.1")
		got, err := f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintUpheld, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.History) != 3 || got.History[0].Status != ComplaintFiled || got.History[1].Note != "asked the bank" ||
			got.History[1].Actor != actorAdmin || got.History[2].Status != ComplaintUpheld || got.Status != ComplaintUpheld {
			t.Errorf("history = %+v", got.History)
		}
		if countEvents(t, db, "pd.complaint.status") != 2 {
			t.Error("status changes without their events")
		}
		// Closed stays closed; a new complaint on the same access may be filed now.
		_, err = f.svc.SetComplaintStatus(ctx, actorAdmin, c.ID, ComplaintDismissed, "")
		wantCode(t, err, "pd.complaint.transition", "PD-3.1")
		if _, err := f.svc.FileComplaint(ctx, iinAdult, tr.EventID, ""); err != nil {
			t.Errorf("a new complaint after the first was closed: %v", err)
		}
		if all, err := f.svc.AllComplaints(ctx, ""); err != nil || len(all) != 2 {
			t.Errorf("all complaints = %d, %v", len(all), err)
		}
		if open, err := f.svc.AllComplaints(ctx, ComplaintFiled); err != nil || len(open) != 1 {
			t.Errorf("filed complaints = %d, %v", len(open), err)
		}
		_, err = f.svc.AllComplaints(ctx, "nope")
		wantCode(t, err, "pd.complaint.invalid", "PD-3.1")
	})
}

package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// outboxActions is what Actions answered before the documents had their own history
// (migration 0028): the party's archive events in the outbox, newest first, those that
// name the document, at most MaxActions, then oldest first. Actions must answer the same
// while the outbox still holds the events.
func outboxActions(t *testing.T, db *store.DB, party, id string) []Action {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT type, actor, payload, created_at FROM outbox_events
		WHERE subject = ? AND type IN (?, ?, ?) ORDER BY id DESC`, party, EvIngested, EvViewed, EvExported)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() && len(out) < MaxActions {
		var a Action
		var payload string
		var at int64
		if err := rows.Scan(&a.Type, &a.Actor, &payload, &at); err != nil {
			t.Fatal(err)
		}
		var p struct {
			Document string `json:"document"`
		}
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			t.Fatal(err)
		}
		if p.Document == id {
			a.At = store.FromMicros(at)
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(out)
	return out
}

// rule DC-6: a document's page shows the history of that document only, as the
// citizen's own history records it, whatever else the citizen or anyone has archived:
// a citizen with two documents and a second citizen with one, each stored, opened and
// exported in turn. A party reads the history of its own documents only.
func TestActionsOfEachDocument(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		const bank = "org:900140000009"
		alice, aliceIIN := w.citizenSigner("Alice", 31)
		bob, bobIIN := w.citizenSigner("Bob", 32)
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Parties: fakeParties{aliceIIN: "citizen:31", bobIIN: "citizen:32"},
			Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		ingest := func(owner string, signer cms.SignerSpec, text string) string {
			t.Helper()
			content := []byte(text)
			sig, err := cms.Sign(ctx, content, []cms.SignerSpec{signer}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := svc.Ingest(ctx, owner, "a.txt", content, [][]byte{sig})
			if err != nil {
				t.Fatal(err)
			}
			return sum.ID
		}
		// Alice's own statement, the bank's loan to Alice, the bank's loan to Bob.
		a1 := ingest("citizen:31", alice, "Statement of Alice")
		b := ingest(bank, bob, "Loan agreement with Bob")
		a2 := ingest(bank, alice, "Loan agreement with Alice")
		for _, step := range []struct {
			party, id string
			export    bool
		}{
			{"citizen:31", a1, false}, {bank, b, false}, {bank, a2, true}, {"citizen:31", a1, true},
			{"citizen:32", b, false}, {bank, a2, false}, {"citizen:32", b, true},
		} {
			if step.export {
				if _, _, err := svc.Export(ctx, step.party, step.id, MimeTypeASiCE); err != nil {
					t.Fatal(err)
				}
			} else if _, _, err := svc.Open(ctx, step.party, step.id, false); err != nil {
				t.Fatal(err)
			}
		}
		// A failed ingest leaves no history, as it leaves no event.
		before := count(t, db, `SELECT COUNT(*) FROM archive_actions`)
		content := []byte("Refused")
		sig, err := cms.Sign(ctx, content, []cms.SignerSpec{alice}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		refused := errors.New("refused")
		if _, err := svc.IngestThen(ctx, "citizen:31", "a.txt", content, [][]byte{sig}, func(ctx context.Context, tx *store.Tx, sum *Summary) error {
			return refused
		}); !errors.Is(err, refused) {
			t.Fatalf("ingest: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM archive_actions`); n != before {
			t.Errorf("a failed ingest left %d actions", n-before)
		}

		at := storetest.Now // the store's clock stamps the events
		for _, c := range []struct {
			party, id string
			want      []Action
		}{
			{"citizen:31", a1, []Action{{EvIngested, "citizen:31", at}, {EvViewed, "citizen:31", at}, {EvExported, "citizen:31", at}}},
			{"citizen:31", a2, []Action{{EvIngested, bank, at}, {EvExported, bank, at}, {EvViewed, bank, at}}},
			{"citizen:32", b, []Action{{EvIngested, bank, at}, {EvViewed, bank, at}, {EvViewed, "citizen:32", at}, {EvExported, "citizen:32", at}}},
			// An organisation's history is not kept (events have citizens as subjects):
			// it reads an empty one, as before.
			{bank, b, nil},
		} {
			got, err := svc.Actions(ctx, c.party, c.id)
			if err != nil {
				t.Fatalf("%s, %s: %v", c.party, c.id, err)
			}
			if d := cmp.Diff(c.want, got, cmpAt); d != "" {
				t.Errorf("%s, %s: actions (-want +got):\n%s", c.party, c.id, d)
			}
			if d := cmp.Diff(outboxActions(t, db, c.party, c.id), got, cmpAt); d != "" {
				t.Errorf("%s, %s: not what the outbox says (-outbox +actions):\n%s", c.party, c.id, d)
			}
		}
		for _, c := range []struct{ party, id string }{
			{"citizen:32", a1}, {"citizen:32", a2}, {"citizen:31", b},
			{"org:900240000018", a1}, {"org:900240000018", b}, {"citizen:31", "no-such-document"},
		} {
			if got, err := svc.Actions(ctx, c.party, c.id); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s reads the history of %s: %v, %v", c.party, c.id, got, err)
			}
		}

		// The outbox is pruned once its consumers are past the events; the history
		// stays with the document.
		if _, err := db.ExecContext(ctx, `DELETE FROM outbox_events`); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Actions(ctx, "citizen:32", b); err != nil || len(got) != 4 {
			t.Errorf("after the outbox was pruned: %v, %v", got, err)
		}
	})
}

// cmpAt compares the times of actions as instants.
var cmpAt = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

// A document page shows the newest MaxActions actions, oldest first: a document opened
// MaxActions+5 times after its ingest shows neither its ingest nor the first 5 views.
func TestActionsBound(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		svc, err := New(Config{DB: db, TSA: w.tsa1, Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		ids := seedActions(t, svc, db, 2, "citizen:41")
		id := ids[1]
		const views = MaxActions + 5
		for i := range views {
			if err := svc.record(ctx, EvViewed, fmt.Sprintf("org:%03d", i), id); err != nil {
				t.Fatal(err)
			}
		}
		got, err := svc.Actions(ctx, "citizen:41", id)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != MaxActions {
			t.Fatalf("%d actions, want %d", len(got), MaxActions)
		}
		for i, a := range got {
			if want := fmt.Sprintf("org:%03d", views-MaxActions+i); a.Type != EvViewed || a.Actor != want {
				t.Fatalf("action %d: %+v, want a view by %s", i, a, want)
			}
		}
		if d := cmp.Diff(outboxActions(t, db, "citizen:41", id), got, cmpAt); d != "" {
			t.Errorf("not what the outbox says (-outbox +actions):\n%s", d)
		}
		// The other document's history is its own 4 actions.
		if got, err := svc.Actions(ctx, "citizen:41", ids[0]); err != nil || len(got) != 4 || got[0].Type != EvIngested {
			t.Errorf("the other document: %+v, %v", got, err)
		}
	})
}

// A document page reads its own history by the primary key of archive_actions, the
// newest first without a sort, and the authorization by the document's public id and
// the party: neither scans a table, whatever the party has archived.
func TestActionsQueriesUseTheIndex(t *testing.T) {
	db := storetest.Open(t)
	for _, c := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"actions", actionsQuery, []any{1, "citizen:1", MaxActions},
			[]string{"SEARCH archive_actions USING INDEX sqlite_autoindex_archive_actions_1 (document_id=? AND party=?)"}},
		{"party", partyDocumentQuery, []any{"doc", "citizen:1"}, []string{
			"SEARCH d USING COVERING INDEX sqlite_autoindex_archive_documents_1 (public_id=?)",
			"SEARCH p USING COVERING INDEX sqlite_autoindex_archive_parties_1 (document_id=? AND party=?)"}},
	} {
		rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		for _, want := range c.want {
			if !strings.Contains(p, want) {
				t.Errorf("%s: plan %q, want %q", c.name, p, want)
			}
		}
		if strings.Contains(p, "SCAN") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan %q scans a table or sorts", c.name, p)
		}
	}
}

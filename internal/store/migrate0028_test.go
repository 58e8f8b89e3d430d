package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Migration 0028 gives each archived document its own history (archive_actions) and
// fills it from the archive events still in the outbox, as the archive wrote them before:
// the ingests, views and exports that have a citizen subject and name a stored document
// by its public id, with their ids, types, actors and times. An event without a subject,
// of another type, or naming no stored document is in no one's history.
func TestMigration0028ArchiveActions(t *testing.T) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			ctx := t.Context()
			db := storetest.OpenURL(t, storetest.URL(t, e), storetest.Options(t))
			if _, err := store.MigrateTo(ctx, db, 27); err != nil {
				t.Fatal(err)
			}
			docs := map[string]int64{}
			var ev []int64
			at := func(i int) time.Time { return time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC) }
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for _, pub := range []string{"doc-a", "doc-b"} {
					id, err := tx.InsertID(ctx, `INSERT INTO archive_documents (public_id, name, content_sha256, content_size, owner, created_at)
						VALUES (?, 'a.txt', 'x', 1, 'org:1', 0) RETURNING id`, pub)
					if err != nil {
						return err
					}
					docs[pub] = id
				}
				for i, evt := range []store.Event{
					{Type: "archive.document.ingested", Actor: "citizen:1", Subject: "citizen:1", Payload: []byte(`{"document":"doc-a","signatures":2}`)},
					{Type: "archive.document.ingested", Actor: "citizen:1", Subject: "citizen:2", Payload: []byte(`{"document":"doc-a","signatures":2}`)},
					{Type: "archive.document.ingested", Actor: "org:1", Payload: []byte(`{"document":"doc-b","signatures":1}`)},
					{Type: "archive.document.viewed", Actor: "org:9", Subject: "citizen:2", Payload: []byte(`{"document":"doc-a"}`)},
					{Type: "archive.batch.sealed", Actor: "system", Payload: []byte(`{"batch":1,"documents":2}`)},
					{Type: "archive.document.exported", Actor: "citizen:1", Subject: "citizen:1", Payload: []byte(`{"document":"doc-a"}`)},
					{Type: "archive.document.viewed", Actor: "citizen:1", Subject: "citizen:1", Payload: []byte(`{"document":"doc-gone"}`)},
					{Type: "pd.consent.given", Actor: "citizen:1", Subject: "citizen:1", Payload: []byte(`{"document":"doc-a"}`)},
					{Type: "archive.document.viewed", Actor: "org:1", Subject: "citizen:3", Payload: []byte(`{"document":"doc-b"}`)},
				} {
					evt.CreatedAt = at(i)
					id, err := tx.Emit(ctx, evt)
					if err != nil {
						return err
					}
					ev = append(ev, id)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := db.Migrate(ctx); err != nil || n != db.KnownVersion()-27 {
				t.Fatalf("migrate: %d %v", n, err)
			}
			type row struct {
				Doc, Event, At int64
				Party, Type    string
				Actor          string
			}
			a, b := docs["doc-a"], docs["doc-b"]
			want := []row{
				{a, ev[0], store.Micros(at(0)), "citizen:1", "archive.document.ingested", "citizen:1"},
				{a, ev[1], store.Micros(at(1)), "citizen:2", "archive.document.ingested", "citizen:1"},
				{a, ev[3], store.Micros(at(3)), "citizen:2", "archive.document.viewed", "org:9"},
				{a, ev[5], store.Micros(at(5)), "citizen:1", "archive.document.exported", "citizen:1"},
				{b, ev[8], store.Micros(at(8)), "citizen:3", "archive.document.viewed", "org:1"},
			}
			rows, err := db.QueryContext(ctx, `SELECT document_id, event_id, created_at, party, type, actor FROM archive_actions ORDER BY event_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.Doc, &r.Event, &r.At, &r.Party, &r.Type, &r.Actor); err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("archive_actions (-want +got):\n%s", d)
			}
		})
	}
}

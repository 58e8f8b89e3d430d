package auditlog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
)

func FuzzParseLeaf(f *testing.F) {
	salt := make([]byte, SaltSize)
	for _, e := range sampleEvents(4, 0) {
		e.ID, e.CreatedAt = 7, testNow
		f.Add(BuildLeaf(e, salt))
	}
	f.Add(BuildLeaf(store.Event{ID: 9, Type: "pd.token.issued", Actor: "org:990140000123", Subject: "citizen:1",
		Payload: json.RawMessage(`{"sealed_until":"2027-01-01T00:00:00Z"}`), CreatedAt: testNow}, salt))
	f.Add(BuildLeaf(store.Event{ID: 9, Type: TokenEventType, Actor: "org:990140000123", Subject: "citizen:1",
		Payload: json.RawMessage(`{"jti":"x","sealed_until":"2027-01-01T00:00:00Z"}`), CreatedAt: testNow}, salt))
	f.Add(BuildLeaf(store.Event{ID: 9, Type: TokenEventType, Actor: "org:990140000123", Subject: "citizen:1",
		Payload: json.RawMessage(`{"jti":"x"}`), CreatedAt: testNow}, salt))
	f.Add([]byte(LeafHeader + "\nevent 01\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLeaf(b)
		if err != nil {
			return
		}
		// What parses is canonical: rebuilding the text gives the same bytes.
		if l.Sealed != nil {
			if got := sealedLeaf(l.EventID, l.Token, l.Sealed); string(got) != string(b) {
				t.Fatalf("sealed leaf not canonical: %q", b)
			}
			return
		}
		if l.Time.Before(time.Unix(0, 0)) {
			t.Fatalf("negative time parsed")
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/0/x001/x234/067.p/8", "tile/entries/x123/456", "tile/63/001.p/255", "tile/0/x000/001", "tile/0/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseTilePath(s)
		if err != nil {
			return
		}
		// Exactly one spelling per tile.
		if id.Path() != s {
			t.Fatalf("ParseTilePath(%q) = %+v, which prints as %q", s, id, id.Path())
		}
	})
}

func FuzzVerifyEvidence(f *testing.F) {
	db := openDB(f)
	l := newTestLog(f, db, nil)
	emit(f, db, sampleEvents(20, 0)...)
	if _, err := l.Sync(f.Context()); err != nil {
		f.Fatal(err)
	}
	b, err := l.Bundle(f.Context(), "citizen:2", 8)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"senim.kz/log/evidence/v1","index":0,"tree_size":1,"leaf":"AA==","checkpoint":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, _, err := VerifyEvidence(b, l.cfg.Verifier)
		if err == nil && ev.Event.Subject != "citizen:2" {
			t.Fatalf("a forged bundle verified: %s", b)
		}
	})
}

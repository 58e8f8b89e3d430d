package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// checkEventProof checks a /log/proof/event answer independently of the log's own
// code: the checkpoint opens with the log's key, the leaf names the event, and the
// x/mod/sumdb/tlog record proof leads from the leaf to the signed root.
func checkEventProof(t *testing.T, l *Log, body []byte, eventID int64) EventProof {
	t.Helper()
	var p EventProof
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	if p.EventID != eventID {
		t.Fatalf("event_id %d, want %d", p.EventID, eventID)
	}
	cp, _, err := OpenCheckpoint([]byte(p.Checkpoint), l.cfg.Verifier)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	leaf, err := ParseLeaf(p.Leaf)
	if err != nil || leaf.EventID != eventID {
		t.Fatalf("leaf %q names another event (%v)", p.Leaf, err)
	}
	proof := make(tlog.RecordProof, len(p.Proof))
	for i, h := range p.Proof {
		proof[i] = toHash(h)
	}
	if err := tlog.CheckRecord(proof, cp.Size, toHash(cp.Hash), p.Index, tlog.RecordHash(p.Leaf)); err != nil {
		t.Fatalf("inclusion proof of index %d in size %d: %v", p.Index, cp.Size, err)
	}
	return p
}

func TestEventProofHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		l := newTestLog(t, db, nil)
		ids := emit(t, db, sampleEvents(300, 0)...)
		if _, err := l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		late := emit(t, db, sampleEvents(3, 300)...)
		srv := serve(t, l)

		for _, i := range []int{0, 1, 255, 256, 299} {
			resp, body := get(t, fmt.Sprintf("%s/log/proof/event/%d", srv.URL, ids[i]))
			if resp.StatusCode != 200 {
				t.Fatalf("event %d: %d %s", ids[i], resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			if p := checkEventProof(t, l, body, ids[i]); p.Index != int64(i) {
				t.Errorf("event %d at index %d, want %d", ids[i], p.Index, i)
			}
		}

		errs := []struct {
			path, code string
			status     int
		}{
			{fmt.Sprint(late[0]), "log.entry.not_found", 404}, // written, not yet integrated
			{"0", "log.entry.not_found", 404},
			{"999999", "log.entry.not_found", 404},
			{"01", "log.request.invalid", 400},
			{"-1", "log.request.invalid", 400},
			{"x", "log.request.invalid", 400},
		}
		for _, e := range errs {
			resp, body := get(t, srv.URL+"/log/proof/event/"+e.path)
			var pr struct{ Code string }
			json.Unmarshal(body, &pr)
			if resp.StatusCode != e.status || pr.Code != e.code || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s %q, want %d %s", e.path, resp.StatusCode, pr.Code, resp.Header.Get("Content-Type"), e.status, e.code)
			}
		}

		// Once sequenced, the late event is provable against the newer checkpoint.
		if _, err := l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, fmt.Sprintf("%s/log/proof/event/%d", srv.URL, late[2]))
		if resp.StatusCode != 200 {
			t.Fatalf("late event: %d %s", resp.StatusCode, body)
		}
		if p := checkEventProof(t, l, body, late[2]); p.Index != 302 {
			t.Errorf("late event at index %d, want 302", p.Index)
		}
	})
}

// With a witness quorum, the proof is against the newest witnessed checkpoint, and
// an event beyond it is not logged yet as far as a verifier can tell.
func TestEventProofWitnessQuorum(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	w := NewCosigner("witness.example/w1", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)), func() time.Time { return testNow })
	wv, err := NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLog(t, db, func(c *Config) { c.Witnesses = []note.Verifier{wv}; c.WitnessQuorum = 1 })
	ids := emit(t, db, sampleEvents(5, 0)...)
	l.Sync(ctx)
	if _, err := l.EventProof(ctx, ids[0]); !errors.Is(err, ErrEventNotLogged) {
		t.Fatalf("no witnessed checkpoint: %v, want %v", err, ErrEventNotLogged)
	}
	var own string
	db.QueryRowContext(ctx, "SELECT note FROM auditlog_checkpoints").Scan(&own)
	n, _ := note.Open([]byte(own), note.VerifierList(l.cfg.Verifier))
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddCosignatures(ctx, cosigned); err != nil {
		t.Fatal(err)
	}
	more := emit(t, db, sampleEvents(2, 5)...)
	l.Sync(ctx) // integrated, but its checkpoint has no cosignature
	if _, err := l.EventProof(ctx, more[0]); !errors.Is(err, ErrEventNotLogged) {
		t.Fatalf("event beyond the witnessed checkpoint: %v, want %v", err, ErrEventNotLogged)
	}
	srv := serve(t, l)
	resp, body := get(t, fmt.Sprintf("%s/log/proof/event/%d", srv.URL, ids[4]))
	if resp.StatusCode != 200 {
		t.Fatalf("witnessed event: %d %s", resp.StatusCode, body)
	}
	p := checkEventProof(t, l, body, ids[4])
	if cp, cn, err := OpenCheckpoint([]byte(p.Checkpoint), l.cfg.Verifier, wv); err != nil || cp.Size != 5 || len(cn.Sigs) != 2 {
		t.Fatalf("proof against %+v (%v), want the cosigned checkpoint of size 5", cp, err)
	}
}

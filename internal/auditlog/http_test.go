package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func serve(t *testing.T, l *Log) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	l.Register(func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, server.ErrorHandler(h))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// populated returns a log with 700 events integrated (tiles at two levels).
func populated(t *testing.T, db *store.DB) *Log {
	l := newTestLog(t, db, nil)
	emit(t, db, sampleEvents(300, 0)...)
	if _, err := l.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	emit(t, db, sampleEvents(400, 300)...)
	if _, err := l.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		l := populated(t, db)
		srv := serve(t, l)
		tests := []struct {
			path, code  string
			status      int
			cache, ctyp string
		}{
			{path: "/log/checkpoint", status: 200, ctyp: "text/plain; charset=utf-8", cache: "no-cache"},
			{path: "/log/key", status: 200},
			{path: "/log/tile/0/000", status: 200, cache: cacheImmutable, ctyp: "application/octet-stream"},
			{path: "/log/tile/0/002.p/188", status: 200, cache: cachePartial},
			{path: "/log/tile/0/002.p/100", status: 200, cache: cachePartial},
			{path: "/log/tile/1/000.p/2", status: 200},
			{path: "/log/tile/entries/001", status: 200, cache: cacheImmutable},
			{path: "/log/tile/entries/002.p/188", status: 200},
			{path: "/log/tile/0/002", status: 404, code: "log.tile.not_found"},
			{path: "/log/tile/0/002.p/189", status: 404, code: "log.tile.not_found"},
			{path: "/log/tile/0/x000/002", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/0/2", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/00/000", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/64/000", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/0/000.p/256", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/0/000.p/0", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/0/001/002", status: 400, code: "log.tile.malformed"},
			{path: "/log/tile/blobs/000", status: 400, code: "log.tile.malformed"},
			{path: "/log/proof/inclusion?index=5", status: 200},
			{path: "/log/proof/inclusion?index=5&size=6", status: 200},
			{path: "/log/proof/inclusion?index=700", status: 404, code: "log.index.out_of_range"},
			{path: "/log/proof/inclusion?index=5&size=701", status: 404, code: "log.index.out_of_range"},
			{path: "/log/proof/inclusion?index=-1", status: 400, code: "log.request.invalid"},
			{path: "/log/proof/inclusion?index=05", status: 400, code: "log.request.invalid"},
			{path: "/log/proof/inclusion", status: 400, code: "log.request.invalid"},
			{path: "/log/proof/inclusion?hash=zz", status: 400, code: "log.request.invalid"},
			{path: "/log/proof/inclusion?hash=0000000000000000000000000000000000000000000000000000000000000000", status: 404, code: "log.leaf.not_found"},
			{path: "/log/proof/consistency?from=10&to=700", status: 200},
			{path: "/log/proof/consistency?from=10&to=5", status: 404, code: "log.index.out_of_range"},
			{path: "/log/proof/consistency?from=10&to=9999", status: 404, code: "log.index.out_of_range"},
			{path: "/log/proof/consistency?from=10", status: 400, code: "log.request.invalid"},
		}
		for _, tc := range tests {
			resp, body := get(t, srv.URL+tc.path)
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.path, resp.StatusCode, tc.status, body)
				continue
			}
			if tc.code != "" {
				var p struct{ Code string }
				if json.Unmarshal(body, &p); p.Code != tc.code || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: code %q (%s), want %q", tc.path, p.Code, resp.Header.Get("Content-Type"), tc.code)
				}
			}
			if tc.cache != "" && resp.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("%s: Cache-Control %q, want %q", tc.path, resp.Header.Get("Cache-Control"), tc.cache)
			}
			if tc.ctyp != "" && resp.Header.Get("Content-Type") != tc.ctyp {
				t.Errorf("%s: Content-Type %q", tc.path, resp.Header.Get("Content-Type"))
			}
		}
		// Inclusion by leaf hash gives the leaf's index.
		leaf, _ := l.Leaf(t.Context(), 42)
		_, body := get(t, srv.URL+"/log/proof/inclusion?hash="+b64url(hasher.HashLeaf(leaf)))
		var pr ProofResponse
		if err := json.Unmarshal(body, &pr); err != nil || pr.Index == nil || *pr.Index != 42 || pr.TreeSize != 700 {
			t.Errorf("inclusion by hash: %s", body)
		}
	})
}

func b64url(b []byte) string {
	return strings.NewReplacer("+", "-", "/", "_").Replace(b64(b))
}

func TestWitnessCosignatures(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	wkey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	w := NewCosigner("witness.example/w1", wkey, func() time.Time { return testNow })
	wv, err := NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	stranger := NewCosigner("witness.example/w2", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)), nil)
	l := newTestLog(t, db, func(c *Config) { c.Witnesses = []note.Verifier{wv}; c.WitnessQuorum = 1 })
	srv := serve(t, l)
	emit(t, db, sampleEvents(5, 0)...)
	l.Sync(ctx)
	if resp, body := get(t, srv.URL+"/log/checkpoint"); resp.StatusCode != 503 || !strings.Contains(string(body), "log.checkpoint.not_witnessed") {
		t.Fatalf("unwitnessed: %d %s", resp.StatusCode, body)
	}
	var own string
	db.QueryRowContext(ctx, "SELECT note FROM auditlog_checkpoints").Scan(&own)
	n, _ := note.Open([]byte(own), note.VerifierList(l.cfg.Verifier))
	post := func(signers ...note.Signer) (*http.Response, []byte) {
		signed, err := note.Sign(&note.Note{Text: n.Text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(srv.URL+"/log/cosignature", "text/plain", bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, body := post(stranger); resp.StatusCode != 422 {
		t.Fatalf("stranger's cosignature: %d %s", resp.StatusCode, body)
	}
	// A cosignature on a checkpoint the log never signed.
	forged := Checkpoint{Origin: testOrigin, Size: 5, Hash: make([]byte, 32)}
	fs, _ := note.Sign(&note.Note{Text: string(forged.Marshal())}, w)
	if _, err := l.AddCosignatures(ctx, fs); !errors.Is(err, ErrCosignatureInvalid) {
		t.Fatalf("cosignature of a forged checkpoint: %v", err)
	}
	if resp, body := post(w); resp.StatusCode != 200 || !strings.Contains(string(body), `"cosigners":1`) {
		t.Fatalf("witness cosignature: %d %s", resp.StatusCode, body)
	}
	if resp, body := post(w); resp.StatusCode != 200 || !strings.Contains(string(body), `"cosigners":1`) {
		t.Fatalf("witness cosignature again: %d %s", resp.StatusCode, body)
	}
	resp, body := get(t, srv.URL+"/log/checkpoint")
	if resp.StatusCode != 200 {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, body)
	}
	cp, cn, err := OpenCheckpoint(body, l.cfg.Verifier, wv)
	if err != nil || cp.Size != 5 || len(cn.Sigs) != 2 {
		t.Fatalf("co-signed checkpoint: %v %+v\n%s", err, cn, body)
	}
}

func TestSealedLeaf(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := testNow
		l := newTestLog(t, db, func(c *Config) { c.Now = func() time.Time { return now } })
		until := testNow.Add(90 * 24 * time.Hour)
		ids := emit(t, db,
			store.Event{Type: "pd.token.issued", Actor: "org:990140000123", Subject: "citizen:5",
				Payload: json.RawMessage(`{"ground":"criminal_case","sealed_until":"` + until.Format(time.RFC3339) + `"}`)},
			store.Event{Type: "identity.session.opened", Actor: "citizen:5", Subject: "citizen:5"})
		if _, err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		leaf, _ := l.Leaf(ctx, 0)
		pl, err := ParseLeaf(leaf)
		if err != nil || pl.Sealed == nil || bytes.Contains(leaf, []byte("990140000123")) || bytes.Contains(leaf, []byte("pd.token")) {
			t.Fatalf("sealed leaf reveals something: %v\n%s", err, leaf)
		}
		h, _ := l.SubjectHistory(ctx, "citizen:5")
		if len(h) != 1 || h[0].EventID != ids[1] {
			t.Fatalf("history while sealed: %+v", h)
		}
		if _, err := l.Bundle(ctx, "citizen:5", 0); !errors.Is(err, ErrNotYours) {
			t.Fatalf("bundle while sealed: %v", err)
		}
		now = until.Add(time.Second)
		h, _ = l.SubjectHistory(ctx, "citizen:5")
		if len(h) != 2 || !h[0].Verified || h[0].Actor != "org:990140000123" {
			t.Fatalf("history after the deferral: %+v", h)
		}
		b, err := l.Bundle(ctx, "citizen:5", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := VerifyEvidence(b, l.cfg.Verifier); err != nil {
			t.Fatalf("opened sealed bundle: %v", err)
		}
	})
}

func TestHistoryShowsTampering(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	l := populated(t, db)
	if _, err := db.ExecContext(ctx, `UPDATE outbox_events SET type = 'pd.access.denied' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE auditlog_entries SET salt = NULL WHERE event_id = 9`); err != nil {
		t.Fatal(err)
	}
	h, _ := l.SubjectHistory(ctx, "citizen:2")
	got := map[int64]string{}
	for _, e := range h {
		got[e.EventID] = e.Problem
	}
	if got[2] != "log.opening.mismatch" || got[9] != "log.opening.erased" || got[22] != "" {
		t.Fatalf("problems: %v", got)
	}
}

// Only the client's own range and tile-path mistakes carry their wrapping text (which
// this package writes from the request's numbers) as the detail; an internal
// inconsistency's or a library's text never reaches the client.
func TestErrOutDetail(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want, leak string
	}{
		{"range", fmt.Errorf("%w: leaf index 9, tree size 3", ErrIndexOutOfRange), "leaf index 9, tree size 3", ""},
		{"tile path", fmt.Errorf("%w: not under tile/", ErrTileMalformed), "not under tile/", ""},
		{"range with a library cause", ErrIndexOutOfRange.WithCause(errors.New("proof: internal node 7 missing")), "", "node 7"},
		{"inconsistency", fmt.Errorf("%w: tile 0/12 has width 3, want 5", ErrInconsistent), "", "tile 0/12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			problem.Write(rec, httptest.NewRequest("GET", "/", nil), errOut(tt.err))
			var m map[string]any
			json.Unmarshal(rec.Body.Bytes(), &m)
			if d, _ := m["detail"].(string); d != tt.want {
				t.Errorf("detail %q, want %q", d, tt.want)
			}
			if tt.leak != "" && strings.Contains(rec.Body.String(), tt.leak) {
				t.Errorf("body leaks %q: %s", tt.leak, rec.Body)
			}
		})
	}
}

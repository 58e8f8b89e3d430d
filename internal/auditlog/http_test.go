package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

func runCmd(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) int, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(t.Context(), args, &out, &errb)
	return code, out.String() + errb.String()
}

func TestVerifyCmd(t *testing.T) {
	db := storetest.Open(t)
	l := populated(t, db)
	srv := serve(t, l)
	ctx := t.Context()
	dir := t.TempDir()
	hist, err := l.SubjectHistory(ctx, "citizen:2")
	if err != nil || len(hist) == 0 {
		t.Fatalf("history: %v, %d entries", err, len(hist))
	}
	for _, h := range hist {
		if !h.Verified {
			t.Fatalf("entry %d not verified: %s", h.Index, h.Problem)
		}
	}
	// A bundle only for the subject's own events: rule of authorization.
	other, _ := l.SubjectHistory(ctx, "citizen:3")
	if _, err := l.Bundle(ctx, "citizen:2", other[0].Index); !errors.Is(err, ErrNotYours) {
		t.Fatalf("bundle of another citizen's event: %v", err)
	}
	if _, err := l.Bundle(ctx, "citizen:2", 999999); !errors.Is(err, ErrNotYours) {
		t.Fatalf("bundle of a missing index: %v", err)
	}
	b, err := l.Bundle(ctx, "citizen:2", hist[len(hist)-1].Index)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.json")
	os.WriteFile(bundle, b, 0o600)
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(VerifierKey(l.cfg.Verifier)+"\n"), 0o600)
	cpFile := filepath.Join(dir, "cp")
	cpb, _ := l.LatestCheckpoint(ctx)
	os.WriteFile(cpFile, cpb, 0o600)

	forge := func(name string, mod func(*Evidence)) string {
		var ev Evidence
		json.Unmarshal(b, &ev)
		mod(&ev)
		fb, _ := json.Marshal(ev)
		p := filepath.Join(dir, name)
		os.WriteFile(p, fb, 0o600)
		return p
	}
	// An older trusted checkpoint, related through the server's consistency proof.
	emit(t, db, sampleEvents(3, 700)...)
	l.Sync(ctx)
	otherKey := filepath.Join(dir, "otherkey")
	_, ov, _ := LoadOrCreateSigner(filepath.Join(dir, "other.key"), testOrigin)
	os.WriteFile(otherKey, []byte(VerifierKey(ov)), 0o600)

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"server", []string{bundle, "--server", srv.URL}, 0},
		{"key only", []string{"--key", keyFile, bundle}, 0},
		{"trusted checkpoint", []string{bundle, "--key", keyFile, "--checkpoint", cpFile}, 0},
		{"pinned key and server", []string{bundle, "--key", keyFile, "--server", srv.URL}, 0},
		{"wrong key", []string{bundle, "--key", otherKey}, 1},
		{"payload changed", []string{forge("f1", func(e *Evidence) { e.Event.Payload = `{"scope":["income"]}` }), "--key", keyFile}, 1},
		{"actor changed", []string{forge("f2", func(e *Evidence) { e.Event.Actor = "citizen:9" }), "--key", keyFile}, 1},
		{"time changed", []string{forge("f3", func(e *Evidence) { e.Event.CreatedAt++ }), "--key", keyFile}, 1},
		{"index changed", []string{forge("f4", func(e *Evidence) { e.Index ^= 1 }), "--key", keyFile}, 1},
		{"proof changed", []string{forge("f5", func(e *Evidence) { e.Proof[0][0] ^= 1 }), "--key", keyFile}, 1},
		{"checkpoint changed", []string{forge("f6", func(e *Evidence) {
			e.Checkpoint = strings.Replace(e.Checkpoint, "\n700\n", "\n701\n", 1)
			e.TreeSize = 701
		}), "--key", keyFile}, 1},
		{"salt changed", []string{forge("f7", func(e *Evidence) { e.Opening.Subject[0] ^= 1 }), "--key", keyFile}, 1},
		{"not a bundle", []string{keyFile, "--key", keyFile}, 2},
		{"no such file", []string{filepath.Join(dir, "nope"), "--key", keyFile}, 2},
		{"no key", []string{bundle}, 2},
		{"no args", nil, 2},
	}
	for _, tc := range tests {
		if code, out := runCmd(t, VerifyCmd, tc.args...); code != tc.want {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.want, out)
		}
	}
}

// tamperable opens a migrated SQLite database whose URL the audit can open too.
func tamperable(t *testing.T) (*store.DB, string) {
	url := storetest.URL(t, store.SQLite)
	db := storetest.OpenURL(t, url, storetest.Options(t))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db, url
}

func TestAuditCatchesTampering(t *testing.T) {
	ctx := context.Background()
	type tamper struct {
		name   string
		sql    func(db *store.DB) error
		withDB bool // only the database check can see it
	}
	flip := func(level int, idx int64, off int) func(db *store.DB) error {
		return func(db *store.DB) error {
			var data []byte
			if err := db.QueryRowContext(ctx, "SELECT data FROM auditlog_tiles WHERE level = ? AND idx = ?", level, idx).Scan(&data); err != nil {
				return err
			}
			data[off] ^= 1
			_, err := db.ExecContext(ctx, "UPDATE auditlog_tiles SET data = ? WHERE level = ? AND idx = ?", data, level, idx)
			return err
		}
	}
	tests := []tamper{
		{name: "none"},
		{name: "event row payload", withDB: true, sql: func(db *store.DB) error {
			_, err := db.ExecContext(ctx, `UPDATE outbox_events SET payload = '{"scope":["income"]}' WHERE id = 2`)
			return err
		}},
		{name: "event row actor", withDB: true, sql: func(db *store.DB) error {
			_, err := db.ExecContext(ctx, `UPDATE outbox_events SET actor = 'citizen:99' WHERE id = 300`)
			return err
		}},
		{name: "event deleted from the log", withDB: true, sql: func(db *store.DB) error {
			_, err := db.ExecContext(ctx, `UPDATE auditlog_entries SET event_id = 100000 WHERE event_id = 5`)
			return err
		}},
		{name: "leaf in an entry bundle", sql: flip(EntriesLevel, 1, 30)},
		{name: "leaf in a partial entry bundle", sql: flip(EntriesLevel, 2, 40)},
		{name: "leaf hash tile", sql: flip(0, 0, 5)},
		{name: "level-1 tile", sql: flip(1, 0, 33)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, url := tamperable(t)
			l := populated(t, db)
			if tc.sql != nil {
				if err := tc.sql(db); err != nil {
					t.Fatal(err)
				}
			}
			// A fresh server process: nothing cached from before the change.
			fresh, err := New(ctx, l.cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := serve(t, fresh)
			want := 1
			if tc.sql == nil {
				want = 0
			}
			code, out := runCmd(t, AuditCmd, "--server", srv.URL, "--database-url", url)
			if code != want {
				t.Fatalf("audit with database: exit %d, want %d\n%s", code, want, out)
			}
			if tc.withDB {
				// Without the database an outside auditor sees only commitments.
				if code, out := runCmd(t, AuditCmd, "--server", srv.URL); code != 0 {
					t.Fatalf("public audit: exit %d\n%s", code, out)
				}
			}
		})
	}
}

func TestAuditIncremental(t *testing.T) {
	db := storetest.Open(t)
	l := populated(t, db)
	srv := serve(t, l)
	dir := t.TempDir()
	state := filepath.Join(dir, "cp")
	if code, out := runCmd(t, AuditCmd, "--server", srv.URL, "--save", state); code != 0 {
		t.Fatalf("first audit: %d\n%s", code, out)
	}
	emit(t, db, sampleEvents(600, 700)...)
	l.Sync(t.Context())
	if code, out := runCmd(t, AuditCmd, "--server", srv.URL, "--from", state, "--save", state); code != 0 || !strings.Contains(out, "leaves 700..1300") {
		t.Fatalf("incremental audit: %d\n%s", code, out)
	}
	// A checkpoint of a forked log (same key, other history) is caught.
	db2 := storetest.Open(t)
	cfg := l.cfg
	cfg.DB = db2
	l2, _ := New(t.Context(), cfg)
	emit(t, db2, sampleEvents(1400, 1)...)
	l2.Sync(t.Context())
	srv2 := serve(t, l2)
	if code, out := runCmd(t, AuditCmd, "--server", srv2.URL, "--from", state); code != 1 {
		t.Fatalf("forked log: exit %d\n%s", code, out)
	}
	if code, _ := runCmd(t, AuditCmd); code != 2 {
		t.Fatalf("no server: exit %d", code)
	}
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

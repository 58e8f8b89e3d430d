package auditlog_test

// The commands of internal/logcmd (senim log verify, senim log audit) against real
// logs: they live beside the log because what they prove — that an edit anywhere is
// caught — is the log's own promise. Fixtures come from export_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/logcmd"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func runCmd(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) int, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(t.Context(), args, &out, &errb)
	return code, out.String() + errb.String()
}

func TestVerifyCmd(t *testing.T) {
	db := storetest.Open(t)
	l := auditlog.Populated(t, db)
	srv := auditlog.Serve(t, l)
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
	if _, err := l.Bundle(ctx, "citizen:2", other[0].Index); !errors.Is(err, auditlog.ErrNotYours) {
		t.Fatalf("bundle of another citizen's event: %v", err)
	}
	if _, err := l.Bundle(ctx, "citizen:2", 999999); !errors.Is(err, auditlog.ErrNotYours) {
		t.Fatalf("bundle of a missing index: %v", err)
	}
	b, err := l.Bundle(ctx, "citizen:2", hist[len(hist)-1].Index)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.json")
	os.WriteFile(bundle, b, 0o600)
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(auditlog.VerifierKey(l.Config().Verifier)+"\n"), 0o600)
	cpFile := filepath.Join(dir, "cp")
	cpb, _ := l.LatestCheckpoint(ctx)
	os.WriteFile(cpFile, cpb, 0o600)

	forge := func(name string, mod func(*auditlog.Evidence)) string {
		var ev auditlog.Evidence
		json.Unmarshal(b, &ev)
		mod(&ev)
		fb, _ := json.Marshal(ev)
		p := filepath.Join(dir, name)
		os.WriteFile(p, fb, 0o600)
		return p
	}
	// An older trusted checkpoint, related through the server's consistency proof.
	auditlog.Emit(t, db, auditlog.SampleEvents(3, 700)...)
	l.Sync(ctx)
	otherKey := filepath.Join(dir, "otherkey")
	_, ov, _ := auditlog.LoadOrCreateSigner(filepath.Join(dir, "other.key"), auditlog.TestOrigin)
	os.WriteFile(otherKey, []byte(auditlog.VerifierKey(ov)), 0o600)

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
		{"payload changed", []string{forge("f1", func(e *auditlog.Evidence) { e.Event.Payload = `{"scope":["income"]}` }), "--key", keyFile}, 1},
		{"actor changed", []string{forge("f2", func(e *auditlog.Evidence) { e.Event.Actor = "citizen:9" }), "--key", keyFile}, 1},
		{"time changed", []string{forge("f3", func(e *auditlog.Evidence) { e.Event.CreatedAt++ }), "--key", keyFile}, 1},
		{"index changed", []string{forge("f4", func(e *auditlog.Evidence) { e.Index ^= 1 }), "--key", keyFile}, 1},
		{"proof changed", []string{forge("f5", func(e *auditlog.Evidence) { e.Proof[0][0] ^= 1 }), "--key", keyFile}, 1},
		{"checkpoint changed", []string{forge("f6", func(e *auditlog.Evidence) {
			e.Checkpoint = strings.Replace(e.Checkpoint, "\n700\n", "\n701\n", 1)
			e.TreeSize = 701
		}), "--key", keyFile}, 1},
		{"salt changed", []string{forge("f7", func(e *auditlog.Evidence) { e.Opening.Subject[0] ^= 1 }), "--key", keyFile}, 1},
		{"not a bundle", []string{keyFile, "--key", keyFile}, 2},
		{"no such file", []string{filepath.Join(dir, "nope"), "--key", keyFile}, 2},
		{"no key", []string{bundle}, 2},
		{"no args", nil, 2},
	}
	for _, tc := range tests {
		if code, out := runCmd(t, logcmd.VerifyCmd, tc.args...); code != tc.want {
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
		{name: "leaf in an entry bundle", sql: flip(auditlog.EntriesLevel, 1, 30)},
		{name: "leaf in a partial entry bundle", sql: flip(auditlog.EntriesLevel, 2, 40)},
		{name: "leaf hash tile", sql: flip(0, 0, 5)},
		{name: "level-1 tile", sql: flip(1, 0, 33)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, url := tamperable(t)
			l := auditlog.Populated(t, db)
			if tc.sql != nil {
				if err := tc.sql(db); err != nil {
					t.Fatal(err)
				}
			}
			// A fresh server process: nothing cached from before the change.
			fresh, err := auditlog.New(ctx, l.Config())
			if err != nil {
				t.Fatal(err)
			}
			srv := auditlog.Serve(t, fresh)
			want := 1
			if tc.sql == nil {
				want = 0
			}
			code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--database-url", url)
			if code != want {
				t.Fatalf("audit with database: exit %d, want %d\n%s", code, want, out)
			}
			if tc.withDB {
				// Without the database an outside auditor sees only commitments.
				if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL); code != 0 {
					t.Fatalf("public audit: exit %d\n%s", code, out)
				}
			}
		})
	}
}

func TestAuditIncremental(t *testing.T) {
	db := storetest.Open(t)
	l := auditlog.Populated(t, db)
	srv := auditlog.Serve(t, l)
	dir := t.TempDir()
	state := filepath.Join(dir, "cp")
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--save", state); code != 0 {
		t.Fatalf("first audit: %d\n%s", code, out)
	}
	auditlog.Emit(t, db, auditlog.SampleEvents(600, 700)...)
	l.Sync(t.Context())
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--from", state, "--save", state); code != 0 || !strings.Contains(out, "leaves 700..1300") {
		t.Fatalf("incremental audit: %d\n%s", code, out)
	}
	// A checkpoint of a forked log (same key, other history) is caught.
	db2 := storetest.Open(t)
	cfg := l.Config()
	cfg.DB = db2
	l2, _ := auditlog.New(t.Context(), cfg)
	auditlog.Emit(t, db2, auditlog.SampleEvents(1400, 1)...)
	l2.Sync(t.Context())
	srv2 := auditlog.Serve(t, l2)
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv2.URL, "--from", state); code != 1 {
		t.Fatalf("forked log: exit %d\n%s", code, out)
	}
	if code, _ := runCmd(t, logcmd.AuditCmd); code != 2 {
		t.Fatalf("no server: exit %d", code)
	}
}

// An auditor crosses a rotation as docs/log.md says: with the old key during
// the overlap, then with the new key from a checkpoint of the overlap; the old
// key alone cannot carry an audit past the retirement.
func TestAuditAcrossRotation(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	l, err := auditlog.New(ctx, auditlog.Config{DB: db, Origin: auditlog.TestOrigin, Keys: &auditlog.KeyStore{KEK: auditlog.NewTestKEK(t)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := auditlog.Serve(t, l)
	dir := t.TempDir()
	saved, overlap := filepath.Join(dir, "saved"), filepath.Join(dir, "overlap")
	auditlog.Emit(t, db, auditlog.SampleEvents(5, 0)...)
	l.Sync(ctx)
	oldKey := l.Key()
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--key", oldKey, "--save", saved); code != 0 {
		t.Fatalf("audit before the rotation: %d\n%s", code, out)
	}
	newKey, err := l.Config().Keys.Rotate(ctx, "system")
	if err != nil {
		t.Fatal(err)
	}
	auditlog.Emit(t, db, auditlog.SampleEvents(5, 10)...)
	l.Sync(ctx)
	_, body := auditlog.Get(t, srv.URL+"/log/key")
	if string(body) != oldKey+"\n"+newKey+"\n" {
		t.Fatalf("/log/key during the overlap: %q", body)
	}
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--key", oldKey, "--from", saved, "--save", overlap); code != 0 {
		t.Fatalf("audit during the overlap with the old key: %d\n%s", code, out)
	}
	if _, err := l.Config().Keys.Retire(ctx, "system", oldKey); err != nil {
		t.Fatal(err)
	}
	auditlog.Emit(t, db, auditlog.SampleEvents(5, 20)...)
	l.Sync(ctx)
	if code, out := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--key", newKey, "--from", overlap); code != 0 {
		t.Fatalf("audit after the retirement with the new key: %d\n%s", code, out)
	}
	if code, _ := runCmd(t, logcmd.AuditCmd, "--server", srv.URL, "--key", oldKey, "--from", overlap); code == 0 {
		t.Fatal("the retired key verified a checkpoint signed after its retirement")
	}
}

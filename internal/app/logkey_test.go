package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// node starts a production app (no sandbox) on the shared database dbURL with
// its own, empty data directory unless cfg names one.
func node(t *testing.T, cfg Config) (*App, *httptest.Server, error) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Now = func() time.Time { return testNow }
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	return a, srv, nil
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeRequiresKEKOutsideTheSandbox(t *testing.T) {
	_, _, err := node(t, Config{})
	if !errors.Is(err, keyring.ErrNoKEK) || !strings.Contains(err.Error(), "--kek-file") {
		t.Fatalf("New without a KEK = %v, want ErrNoKEK naming --kek-file", err)
	}
	bad := filepath.Join(t.TempDir(), "kek")
	os.WriteFile(bad, []byte("too short"), 0o600)
	if _, _, err := node(t, Config{KEKFile: bad}); !errors.Is(err, keyring.ErrBadKEK) {
		t.Fatalf("New with a malformed KEK = %v, want ErrBadKEK", err)
	}
}

// Issue 18: two nodes on one database, each with an empty data directory,
// publish and sign with one key; a node with another KEK refuses to start.
func TestNodesShareTheLogKey(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url := storetest.URL(t, engine)
			kek := kekFile(t)
			a, srvA, err := node(t, Config{DatabaseURL: url, KEKFile: kek})
			if err != nil {
				t.Fatal(err)
			}
			b, srvB, err := node(t, Config{DatabaseURL: url, KEKFile: kek})
			if err != nil {
				t.Fatal(err)
			}
			_, keyA := fetch(t, srvA.URL+"/log/key")
			_, keyB := fetch(t, srvB.URL+"/log/key")
			if keyA == "" || keyA != keyB || strings.TrimSpace(keyA) != a.Log.Key() {
				t.Fatalf("/log/key: %q and %q", keyA, keyB)
			}
			emit(t, a.DB, 3)
			if _, err := a.Log.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			emit(t, b.DB, 2)
			if _, err := b.Log.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, srv := range []*httptest.Server{srvA, srvB} {
				if st, body := fetch(t, srv.URL+"/readyz"); st != 200 {
					t.Fatalf("/readyz: %d %s", st, body)
				}
			}
			if _, _, err := node(t, Config{DatabaseURL: url, KEKFile: kekFile(t)}); !errors.Is(err, keyring.ErrWrongKEK) {
				t.Fatalf("a node with another KEK: %v, want ErrWrongKEK", err)
			}
		})
	}
}

func emit(t *testing.T, db *store.DB, n int) {
	t.Helper()
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for range n {
			if _, err := tx.Emit(t.Context(), store.Event{Type: "system.tick", Actor: "system"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Issue 18, upgrade: the single-node key file is imported on the first start, so
// the published key does not change; a node with another key file refuses.
func TestUpgradeImportsTheKeyFile(t *testing.T) {
	dir := t.TempDir()
	_, v, err := auditlog.LoadOrCreateSigner(filepath.Join(dir, "log.key"), "senim.kz/log")
	if err != nil {
		t.Fatal(err)
	}
	kek := kekFile(t)
	a, srv, err := node(t, Config{DataDir: dir, KEKFile: kek})
	if err != nil {
		t.Fatal(err)
	}
	if _, key := fetch(t, srv.URL+"/log/key"); strings.TrimSpace(key) != auditlog.VerifierKey(v) {
		t.Fatalf("/log/key %q, the file's key is %q", key, auditlog.VerifierKey(v))
	}
	other := t.TempDir()
	auditlog.LoadOrCreateSigner(filepath.Join(other, "log.key"), "senim.kz/log")
	os.Remove(filepath.Join(other, "senim.db"))
	_, _, err = node(t, Config{DataDir: other, DatabaseURL: "sqlite:" + filepath.Join(dir, "senim.db"), KEKFile: kek})
	if !errors.Is(err, auditlog.ErrKeyFileMismatch) {
		t.Fatalf("a node with another key file: %v, want ErrKeyFileMismatch", err)
	}
	if err := a.Log.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// Issue 18: a stored checkpoint changed in the database makes /readyz answer 503
// naming the reason.
func TestReadyzRefusesTamperedCheckpoint(t *testing.T) {
	a, srv, err := node(t, Config{KEKFile: kekFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, a.DB, 2)
	if _, err := a.Log.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st, body := fetch(t, srv.URL+"/readyz"); st != 200 {
		t.Fatalf("/readyz before tampering: %d %s", st, body)
	}
	var size int64
	var signed string
	a.DB.QueryRowContext(t.Context(), "SELECT tree_size, note FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&size, &signed)
	lines := strings.SplitN(signed, "\n", 4)
	forged := strings.Replace(signed, lines[2], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1)
	if _, err := a.DB.ExecContext(t.Context(), "UPDATE auditlog_checkpoints SET note = ? WHERE tree_size = ?", forged, size); err != nil {
		t.Fatal(err)
	}
	st, body := fetch(t, srv.URL+"/readyz")
	var p map[string]any
	json.Unmarshal([]byte(body), &p)
	if st != 503 || p["code"] != "http.unavailable" || p["reason"] != "log.checkpoint.invalid" {
		t.Fatalf("/readyz after tampering: %d %s", st, body)
	}
}

// The sandbox needs no KEK: several sandbox nodes on one database agree on the
// log key through the public sandbox KEK.
func TestSandboxNodesShareTheLogKey(t *testing.T) {
	url := storetest.URL(t, store.SQLite)
	a, _ := newSandbox(t, url)
	b, _ := newSandbox(t, url)
	if a.Log.Key() == "" || a.Log.Key() != b.Log.Key() {
		t.Fatalf("sandbox nodes publish %q and %q", a.Log.Key(), b.Log.Key())
	}
}

// Two sandbox nodes on one database, each with its own CA directory, have the
// same CA authorities and hand a demo party the same key, so each trusts the
// demo keys the other issued.
func TestSandboxNodesShareCAAndDemoKeys(t *testing.T) {
	url := storetest.URL(t, store.SQLite)
	a, _ := newSandbox(t, url) // the shared test CA directory
	bcfg := Config{DatabaseURL: url, Sandbox: true, Now: func() time.Time { return testNow }, DataDir: t.TempDir(),
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}}
	start := time.Now()
	b, err := New(t.Context(), bcfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Logf("second node started in %v", time.Since(start))
	ra, rb := a.CA.Roots(), b.CA.Roots()
	if len(ra) == 0 || len(ra) != len(rb) {
		t.Fatalf("roots: %d and %d", len(ra), len(rb))
	}
	for i := range ra {
		if !ra[i].Equal(rb[i]) {
			t.Fatalf("root %d differs between the nodes", i)
		}
	}
	citizen := a.Pop.Citizens[0].IIN
	pa, err := a.Keys.P12("citizen", citizen, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Keys.P12("citizen", citizen, ca.P256)
	if err != nil || !bytes.Equal(pa, pb) {
		t.Fatalf("the nodes hand out different keys for one citizen (%v)", err)
	}
	f, err := pkcs12.Decode(pb, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	pa2, _ := a.Keys.P12("org", a.Pop.Organizations[0].BIN, ca.P256) // issued by node a only
	fa, err := pkcs12.Decode(pa2, sandbox.KeyPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []pkcs12.Entry{f.Entries[0], fa.Entries[0]} {
		if r := b.Trust.Validate(t.Context(), e.Certificate, testNow, pki.Options{Intermediates: e.CACertificates}); !r.Valid {
			t.Fatalf("node b does not trust node a's demo key: %v", r.Errors)
		}
	}
	// Another node's KEK cannot read the sandbox's shared secrets.
	kek := kekFile(t)
	bcfg.KEKFile, bcfg.DataDir = kek, t.TempDir()
	if _, err := New(t.Context(), bcfg, slog.New(slog.NewTextHandler(io.Discard, nil))); !errors.Is(err, keyring.ErrWrongKEK) {
		t.Fatalf("a sandbox node with another KEK: %v", err)
	}
}

package verifier_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/pd/pdtest"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

var e2eNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// rule PD-6.1.10 rule PD-6.2.4: a data owner that requires a logged token gives no
// access on a flow-2 security token until Senim's sequencer has logged its issuance,
// and only with a proof that verifies against the log key it pinned.
func TestLoggedTokenEndToEnd(t *testing.T) {
	storetest.Run(t, testLoggedTokenEndToEnd)
}

func testLoggedTokenEndToEnd(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := func() time.Time { return e2eNow }
	sb := pdtest.Start(t, db, now)

	signer, logKey, err := auditlog.LoadOrCreateSigner(filepath.Join(t.TempDir(), "log.key"), "senim.test/log")
	if err != nil {
		t.Fatal(err)
	}
	lg, err := auditlog.New(ctx, auditlog.Config{DB: db, Signer: signer, Verifier: logKey, Origin: "senim.test/log", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	lg.Register(func(p string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(p, server.ErrorHandler(h))
	})
	logSrv := httptest.NewServer(mux)
	t.Cleanup(logSrv.Close)
	pinned := lg.Key()
	if res, err := http.Get(logSrv.URL + "/log/key"); err != nil {
		t.Fatal(err)
	} else {
		served, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if pinned == "" || string(served) != pinned+"\n" {
			t.Fatalf("Log.Key %q, /log/key serves %q", pinned, served)
		}
	}

	// A flow-2 token, issued as the police's information system.
	var police, register string
	var keyURL, keyPass string
	for _, o := range sb.Pop.Organizations {
		switch o.Role {
		case "state_body":
			register = o.BIN
		case "law_enforcement":
			for _, k := range o.Keys {
				if k.Algorithm == "p256" {
					police, keyURL, keyPass = o.BIN, k.URL, k.Password
				}
			}
		}
	}
	if police == "" || register == "" {
		t.Fatal("the sandbox lacks the police's p256 key or the register")
	}
	res, err := http.Get(sb.URL + keyURL)
	if err != nil {
		t.Fatal(err)
	}
	p12, _ := io.ReadAll(res.Body)
	res.Body.Close()
	key, err := client.LoadPKCS12(p12, keyPass)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Config{BaseURL: sb.URL, Key: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	subject := sb.Pop.Citizens[0].IIN
	issue := func() string {
		vt, err := key.ProtocolToken(subject, "CPC-199", register, []string{"identity"}, "criminal case (test)", now())
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cl.Protocol(ctx, vt)
		if err != nil {
			t.Fatal(err)
		}
		return tok.SecurityToken
	}
	tok := issue()
	req := verifier.Request{Subject: subject, DataSets: []string{"identity"}}
	newVerifier := func(lr verifier.LogRequirement) *verifier.Verifier {
		v, err := verifier.New(verifier.Config{Keys: sb.Service.KeySource(), Issuer: pdtest.Issuer, Audience: register,
			NoSenderConstraint: true, Now: now, Log: &lr})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := newVerifier(verifier.LogRequirement{URL: logSrv.URL, VerifierKey: pinned})

	// Before the sequencer runs: not logged.
	if _, err := v.Verify(ctx, tok, req); !errors.Is(err, verifier.ErrNotLogged) {
		t.Fatalf("before sequencing: %v, want %v", err, verifier.ErrNotLogged)
	}
	if _, err := lg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, tok, req)
	if err != nil {
		t.Fatalf("after sequencing: %v", err)
	}
	if c.Event == 0 || c.Mode != verifier.ModeProtocol {
		t.Fatalf("claims %+v", c)
	}

	// A checkpoint key that is not the log's.
	_, otherKey, err := auditlog.LoadOrCreateSigner(filepath.Join(t.TempDir(), "other.key"), "senim.test/log")
	if err != nil {
		t.Fatal(err)
	}
	forged := newVerifier(verifier.LogRequirement{URL: logSrv.URL, VerifierKey: auditlog.VerifierKey(otherKey)})
	if _, err := forged.Verify(ctx, tok, req); !errors.Is(err, verifier.ErrLogCheckpoint) {
		t.Fatalf("another log key: %v, want %v", err, verifier.ErrLogCheckpoint)
	}

	// A man in the middle (or a lying log) that swaps the leaf for another event's.
	other := issue()
	if _, err := lg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(logSrv.URL + r.URL.Path)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer resp.Body.Close()
		var p auditlog.EventProof
		json.NewDecoder(resp.Body).Decode(&p)
		p.Leaf[len(p.Leaf)-2] ^= 1 // one bit of the details commitment
		json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(proxy.Close)
	tampered := newVerifier(verifier.LogRequirement{URL: proxy.URL, VerifierKey: pinned})
	if _, err := tampered.Verify(ctx, other, req); !errors.Is(err, verifier.ErrLogProof) {
		t.Fatalf("tampered leaf: %v, want %v", err, verifier.ErrLogProof)
	}

	// Wait: a fresh token passes once the sequencer catches up during Verify.
	fresh := issue()
	waiting := newVerifier(verifier.LogRequirement{URL: logSrv.URL, VerifierKey: pinned, Wait: 30 * time.Second})
	done := make(chan error, 1)
	go func() { _, err := waiting.Verify(ctx, fresh, req); done <- err }()
	time.Sleep(100 * time.Millisecond)
	if _, err := lg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("with Wait: %v", err)
	}

	// A power cut that loses a commit takes its event id with it: the next event gets
	// the same id (what synchronous=NORMAL allowed on SQLite). Simulate it: the
	// issuance of lost vanishes before it is logged, and the id goes back. The token
	// issued next gets lost's evt; the log's leaf at that id binds the new token only,
	// so it proves nothing about lost.
	lost := issue()
	lostEvt, lostJTI := tokenEvent(t, lost)
	rollBack(t, db, lostEvt, lostJTI)
	reused := issue()
	if evt, _ := tokenEvent(t, reused); evt != lostEvt {
		t.Fatalf("the simulated rollback did not reuse event id %d (got %d)", lostEvt, evt)
	}
	if _, err := lg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, lost, req); !errors.Is(err, verifier.ErrLogWrongEvent) {
		t.Fatalf("token whose issuance was rolled back: %v, want %v", err, verifier.ErrLogWrongEvent)
	}
	if _, err := v.Verify(ctx, reused, req); err != nil {
		t.Fatalf("token issued with the reused id: %v", err)
	}

	// The log is down: a token not yet proven is refused, a proven one still passes.
	last := issue()
	lg.Sync(ctx)
	logSrv.Close()
	if _, err := v.Verify(ctx, last, req); !errors.Is(err, verifier.ErrLogUnavailable) {
		t.Fatalf("log down: %v, want %v", err, verifier.ErrLogUnavailable)
	}
	if _, err := v.Verify(ctx, tok, req); err != nil {
		t.Fatalf("proven token while the log is down: %v", err)
	}
}

// tokenEvent returns the evt and jti claims of a security token, unverified.
func tokenEvent(t *testing.T, tok string) (int64, string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Event int64  `json:"evt"`
		JTI   string `json:"jti"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Event == 0 || c.JTI == "" {
		t.Fatalf("claims %s: %v", b, err)
	}
	return c.Event, c.JTI
}

// rollBack makes the database look as if the commit that issued token jti as event
// evt (the newest event) had never reached the disk: the rows are gone and the event
// id sequence is back where it was.
func rollBack(t *testing.T, db *store.DB, evt int64, jti string) {
	t.Helper()
	ctx := t.Context()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM pd_tokens WHERE jti = ?", jti); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM outbox_events WHERE id = ?", evt); err != nil {
			return err
		}
		var err error
		if tx.Engine() == store.Postgres {
			_, err = tx.ExecContext(ctx, "ALTER TABLE outbox_events ALTER COLUMN id RESTART WITH "+strconv.FormatInt(evt, 10))
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox_events'", evt-1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

package app

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/identity"

	"github.com/senimkz/senim/internal/pd/loadgen"
)

// The load generator drives POST /v1/confirmations against a running sandbox (issue 15:
// the API with its event write measured by the load generator): every request is
// answered 201, and each is a row and an outbox event.
func TestLoadgenConfirm(t *testing.T) {
	// rule DC-3
	// The generator signs its requests with the wall clock, so the sandbox runs on it.
	cfg := Config{Sandbox: true, Now: time.Now, SandboxCADir: sharedCADir, DataDir: t.TempDir(),
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000000, RateBurst: 1000000}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	var before int
	if err := a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'confirm.request.created'`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	r, err := loadgen.RunRemote(t.Context(), loadgen.Config{Target: loadgen.TargetConfirm, Duration: time.Second, Concurrency: 4, Log: tlog{t}}, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Errors != 0 {
		t.Fatalf("%d requests, %d errors: %s", r.Requests, r.Errors, r)
	}
	var rows, events int
	a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM confirm_requests`).Scan(&rows)
	a.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = 'confirm.request.created'`).Scan(&events)
	if int64(rows) < r.Requests || int64(events-before) != r.Requests {
		t.Fatalf("%d requests answered, %d rows, %d new events", r.Requests, rows, events-before)
	}
	t.Log(r)
}

// tlog writes the generator's progress into the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

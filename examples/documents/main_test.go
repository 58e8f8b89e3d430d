package main

import (
	"bytes"
	"github.com/senimkz/senim/internal/verifycmd"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/identity"
)

// The example runs the documents journey against a whole sandbox server (rule DD-7),
// and the bundle it saves verifies offline as `senim docs verify` checks it (DC-8).
func TestExampleAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole sandbox with its GOST CA")
	}
	a, err := app.New(t.Context(), app.Config{Sandbox: true, DataDir: t.TempDir(), RateLimit: 1000, RateBurst: 1000,
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	go a.Log.Run(t.Context())
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "info.json")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-url", srv.URL, "-out", out, "-timeout", "45s"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "OK: the bank received the document") || !strings.Contains(stdout.String(), a.Pop.Citizens[0].IIN) {
		t.Fatal(stdout.String())
	}
	t.Log(stdout.String())
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	keys := a.Log.PublishedKeys(t.Context())
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, a.PD.JWKS(t.Context()), 0o600)
	var vout, verr bytes.Buffer
	if code := verifycmd.Docs(t.Context(), []string{out, "--jwks", jwks, "--key", keys[0]}, &vout, &verr); code != 0 {
		t.Fatalf("senim docs verify: %d\n%s%s", code, vout.String(), verr.String())
	}
	if len(b) == 0 {
		t.Fatal("empty bundle")
	}
	// A dead URL fails.
	if code := run(t.Context(), []string{"-url", "http://127.0.0.1:1", "-timeout", "2s"}, io.Discard, io.Discard); code == 0 {
		t.Fatal("no failure against a dead URL")
	}
}

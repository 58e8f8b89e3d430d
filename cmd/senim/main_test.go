package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/senimkz/senim/internal/cli"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestKzidCommand(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		kind      string
		valid     bool
		errorCode string
	}{
		{[]string{"kzid", "871008401427"}, 0, "iin", true, ""},
		{[]string{"kzid", "871008401428"}, 1, "iin", false, "kzid.check_digit"},
		{[]string{"kzid", "940140000385"}, 0, "bin", true, ""},
		{[]string{"kzid", "8710084014"}, 1, "", false, "kzid.length"},
		{[]string{"kzid", "87100840142x"}, 1, "", false, "kzid.not_digits"},
		{[]string{"kzid", "940140000385", "--kind", "iin"}, 0, "iin", true, ""},
		{[]string{"kzid", "--kind=bin", "940140000385"}, 0, "bin", true, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, _ := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			var n struct {
				Kind     string   `json:"kind"`
				Valid    bool     `json:"valid"`
				Error    string   `json:"error"`
				Warnings []string `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(out), &n); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if n.Kind != tt.kind || n.Valid != tt.valid || n.Error != tt.errorCode || n.Warnings == nil {
				t.Errorf("got %+v", n)
			}
		})
	}
	for _, args := range [][]string{{"kzid"}, {"kzid", "1", "2"}, {"kzid", "--kind", "x", "871008401427"}, {"kzid", "--nope", "871008401427"}} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
}

func TestVersionHelpUnknown(t *testing.T) {
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "senim ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "help"); code != 0 || !strings.Contains(out, "senim serve") {
		t.Errorf("help: %d", code)
	}
	if code, _, errs := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Errorf("no command: %d", code)
	}
}

func TestMigrateCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errs := runCmd(t, "migrate", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	// Idempotent, and the flag may follow from the environment.
	t.Setenv("SENIM_DATA_DIR", dir)
	code, out, _ = runCmd(t, "migrate")
	if code != 0 || !strings.Contains(out, "applied 0 migration(s)") {
		t.Errorf("second migrate: %d %q", code, out)
	}
	if code, _, _ := runCmd(t, "migrate", "--database-url", "mysql://nope"); code != 2 {
		t.Errorf("bad database URL: exit %d, want 2", code)
	}
}

func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{{"serve", "--log-format", "xml"}, {"serve", "extra-arg"}, {"serve", "--addr"}, {"serve", "--streebog", "turbo"},
		{"serve", "--archive-seal-interval", "0s"}, {"serve", "--archive-renew-interval", "-1h"}, {"serve", "--archive-renew-before", "0s"},
		{"serve", "--archive-seal-max", "0"}} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// A wrong garbage-collector setting stops serve before it starts, naming the flag.
func TestServeGCFlags(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	for _, c := range []struct{ flag, value string }{
		{"--gc-percent", "0"}, {"--gc-percent", "plenty"}, {"--gc-percent", "off"}, {"--memory-limit", "2GB"}, {"--memory-limit", "-1"},
	} {
		code, _, stderr := runCmd(t, "serve", c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.flag) {
			t.Errorf("serve %s %s: exit %d, %q; want 2 naming the flag", c.flag, c.value, code, stderr)
		}
	}
}

// The archive's hash, hash policy and blob directory are read and checked before serve
// starts: an unknown or unparsable hash, a missing or malformed policy file, a relative
// blob directory stop it with the flag named (rule DC-6: the policy is configurable, and
// a wrong one is not half-used).
func TestServeArchiveHashFlags(t *testing.T) {
	badPolicy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(badPolicy, []byte(`{"algorithms": [{"oid": "2.16.840.1.101.3.4.2.3", "weak_from": "soon"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ flag, value, why string }{
		{"--archive-hash", "1.2.3.4", "hash algorithm 1.2.3.4"},
		{"--archive-hash", "streebog", "bad hash OID"},
		{"--archive-hash-policy", filepath.Join(t.TempDir(), "missing.json"), "no such file"},
		{"--archive-hash-policy", badPolicy, `parsing time "soon"`},
		{"--archive-blobs", "blobs", "not an absolute path"},
	} {
		code, _, stderr := runCmd(t, "serve", c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.flag+":") || !strings.Contains(stderr, c.why) {
			t.Errorf("serve %s %s: exit %d, %q; want 2 naming the flag and %q", c.flag, c.value, code, stderr, c.why)
		}
	}
}

// The README documents every flag of serve with its environment variable.
func TestReadmeDocumentsEveryServeFlag(t *testing.T) {
	code, _, usage := runCmd(t, "serve", "--help")
	if code != 0 {
		t.Fatalf("serve --help: exit %d", code)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(usage, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "-") {
			continue
		}
		name := strings.TrimLeft(f[0], "-")
		n++
		for _, want := range []string{"`--" + name + "`", "`" + cli.EnvName(name) + "`"} {
			if !bytes.Contains(readme, []byte(want)) {
				t.Errorf("README does not document %s", want)
			}
		}
	}
	if n < 5 {
		t.Fatalf("found only %d flags in serve's usage:\n%s", n, usage)
	}
	for _, want := range []string{"go run ./cmd/senim serve --sandbox", "go test ./..."} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README lacks the command %q", want)
		}
	}
}

// `senim notify verify` is wired; its checks are tested in internal/notify.
func TestNotifyCommand(t *testing.T) {
	if code, _, errs := runCmd(t, "notify"); code != 2 || !strings.Contains(errs, "senim notify verify RECEIPT") {
		t.Errorf("notify: %d %q", code, errs)
	}
	if code, _, errs := runCmd(t, "notify", "verify", "/nonexistent/receipt.json", "--jwks", "/nonexistent/jwks.json"); code != 2 || !strings.Contains(errs, "error:") {
		t.Errorf("notify verify without files: %d %q", code, errs)
	}
}

// An unknown Streebog implementation in the environment stops every command.
func TestStreebogEnvRejected(t *testing.T) {
	t.Setenv("SENIM_STREEBOG", "turbo")
	if code, _, errs := runCmd(t, "version"); code != 2 || !strings.Contains(errs, "SENIM_STREEBOG") {
		t.Errorf("exit %d %q", code, errs)
	}
	t.Setenv("SENIM_STREEBOG", "reference")
	if code, _, _ := runCmd(t, "version"); code != 0 {
		t.Errorf("reference: exit %d", code)
	}
	t.Setenv("SENIM_STREEBOG", "fast")
	if code, _, _ := runCmd(t, "version"); code != 0 {
		t.Errorf("fast: exit %d", code)
	}
}

// `senim sandbox ncalayer` runs the simulator alone: it speaks NCALayer's greeting on
// a loopback port over TLS, and refuses an address beyond loopback.
func TestSandboxNCALayerCommand(t *testing.T) {
	if code, _, errs := runCmd(t, "sandbox"); code != 2 || !strings.Contains(errs, "senim sandbox ncalayer") {
		t.Errorf("sandbox without a subcommand: %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "sandbox", "ncalayer", "--addr", "0.0.0.0:0", "--data-dir", t.TempDir()); code == 0 || !strings.Contains(errs, "could not listen") {
		t.Errorf("beyond loopback: %d %s", code, errs)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "ncalayer", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &out, io.Discard)
	}()
	re := regexp.MustCompile(`wss://127\.0\.0\.1:\d+`)
	var u string
	for deadline := time.Now().Add(60 * time.Second); u == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		u = re.FindString(out.String())
	}
	if u == "" {
		t.Fatalf("no URL printed: %q", out.String())
	}
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}) // the chain is tested in internal/eds/ca
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Read(ctx)
	c.CloseNow()
	if err != nil || !strings.Contains(string(b), `"version"`) {
		t.Errorf("greeting %s %v", b, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// --archive-ocsp is on in the sandbox and off elsewhere unless given; given, it wins
// either way.
func TestBoolOr(t *testing.T) {
	for _, c := range []struct {
		args          []string
		sandbox, want bool
	}{
		{nil, true, true},
		{nil, false, false},
		{[]string{"--archive-ocsp=false"}, true, false},
		{[]string{"--archive-ocsp"}, false, true},
		{[]string{"--archive-ocsp=true"}, true, true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		v := fs.Bool("archive-ocsp", false, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if got := boolOr(fs, "archive-ocsp", *v, c.sandbox); got != c.want {
			t.Errorf("%q in the sandbox %v: %v, want %v", c.args, c.sandbox, got, c.want)
		}
	}
}

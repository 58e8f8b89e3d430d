package app

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

var fence = regexp.MustCompile("(?s)```(sh|go)\n(.*?)```")

// docs/quickstart.md cannot rot: its sh blocks run, in order, as one bash script
// against an in-process sandbox on the wall clock, and must print the data the
// data owner released in flows 1 and 2; its Go block is an excerpt of
// examples/flows/main.go (which examples/flows/main_test.go runs).
func TestQuickstart(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "quickstart.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script, goBlocks []string
	for _, m := range fence.FindAllStringSubmatch(string(doc), -1) {
		if m[1] == "sh" {
			script = append(script, m[2])
		} else {
			goBlocks = append(goBlocks, m[2])
		}
	}
	flows, err := os.ReadFile(filepath.Join(root, "examples", "flows", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var src []string
	for _, l := range strings.Split(string(flows), "\n") {
		src = append(src, strings.TrimSpace(l))
	}
	for _, b := range goBlocks {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(b), "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
		if !strings.Contains(strings.Join(src, "\n"), strings.Join(lines, "\n")) {
			t.Errorf("the quick start's Go block is not an excerpt of examples/flows/main.go:\n%s", b)
		}
	}
	if len(script) < 6 {
		t.Fatalf("only %d sh blocks in docs/quickstart.md", len(script))
	}
	for _, tool := range []string{"bash", "curl", "openssl", "sed", "base64", "xargs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}

	// The sandbox on the wall clock (signed requests carry date +%s), with the log
	// sequencer running: the population register accepts only logged tokens.
	cfg := sandboxConfig(t, "")
	cfg.Now = time.Now
	cfg.SandboxCADir = filepath.Join(t.TempDir(), "ca")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String() // the issuer and the log the register checks tokens against
	a, srv := startSandboxOn(t, cfg, ln)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go a.Log.Run(ctx)

	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SENIM="+srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quick start failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{`"bin":"050490001003"`, "consent c_", `"iin":"850314010001"`, `"consents":[{`} {
		if !strings.Contains(text, want) {
			t.Errorf("the quick start's output lacks %s:\n%s", want, text)
		}
	}
	if strings.Count(text, `"iin":"850314010001"`) < 2 {
		t.Errorf("the data owner did not answer both flows:\n%s", text)
	}
}

package streebog

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The tables are generated from the constants of the standard: regenerate them
// and fail on any difference, so tables.go can never drift from gen_tables.go
// (house style rule 11). gen_tables.go also checks every table entry against
// L(P(S(·))) computed literally from the definitions of RFC 6986.
func TestTablesAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	cmd := exec.Command(goTool, "run", "gen_tables.go")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run gen_tables.go: %v\n%s", err, stderr.Bytes())
	}
	got, err := os.ReadFile("tables.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("tables.go differs from what gen_tables.go generates: run go run gen_tables.go > tables.go")
	}
}

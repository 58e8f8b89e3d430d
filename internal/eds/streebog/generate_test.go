package streebog

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The tables and the amd64 assembly are generated: regenerate them and fail on
// any difference, so tables.go and compress_amd64.s can never drift from their
// generators (house style rule 11). gen_tables.go also checks every table entry
// against L(P(S(·))) computed literally from the definitions of RFC 6986.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	//lint:ignore SA1019 the test binary runs where it was built: its GOROOT is the go that regenerates the code
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	for gen, file := range map[string]string{"gen_tables.go": "tables.go", "gen_asm.go": "compress_amd64.s"} {
		cmd := exec.Command(goTool, "run", gen)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("go run %s: %v\n%s", gen, err, stderr.Bytes())
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what %s generates: run go run %s > %s", file, gen, gen, file)
		}
	}
}

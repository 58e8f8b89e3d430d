package gostfast

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"testing"
)

// The unrolled field arithmetic is generated: regenerate it and fail on any difference,
// so fe512_mul.go can never drift from gen_fe512.py (house style rule 11).
func TestGeneratedFieldCodeIsCurrent(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found; CI has it")
	}
	out, err := exec.Command(py, "gen_fe512.py").Output()
	if err != nil {
		t.Fatalf("gen_fe512.py: %v", err)
	}
	want, err := format.Source(out)
	if err != nil {
		t.Fatalf("generated code does not parse: %v", err)
	}
	got, err := os.ReadFile("fe512_mul.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("fe512_mul.go differs from what gen_fe512.py generates: run python3 gen_fe512.py > fe512_mul.go && gofmt -w fe512_mul.go")
	}
}

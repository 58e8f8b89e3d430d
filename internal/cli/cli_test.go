package cli

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInterleavedAndEnv(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantPos []string
		wantA   string
		wantB   bool
		wantL   []string
	}{
		{"flags first", []string{"--addr", ":1", "--sandbox", "x", "y"}, nil, []string{"x", "y"}, ":1", true, nil},
		{"flags last", []string{"x", "--addr=:2", "y", "--sandbox"}, nil, []string{"x", "y"}, ":2", true, nil},
		{"double dash", []string{"x", "--", "--addr", "y"}, nil, []string{"x", "--addr", "y"}, "", false, nil},
		{"env fills", []string{"x"}, map[string]string{"SENIM_ADDR": ":3", "SENIM_SANDBOX": "true", "SENIM_CA": "a,b"}, []string{"x"}, ":3", true, []string{"a", "b"}},
		{"flag beats env", []string{"--addr", ":4"}, map[string]string{"SENIM_ADDR": ":3"}, nil, ":4", false, nil},
		{"repeatable", []string{"--ca", "a", "z", "--ca", "b"}, nil, []string{"z"}, "", false, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			a := fs.String("addr", "", "")
			b := fs.Bool("sandbox", false, "")
			var l StringList
			fs.Var(&l, "ca", "")
			pos, err := Parse(fs, tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.wantPos, pos); d != "" {
				t.Errorf("positional (-want +got):\n%s", d)
			}
			if *a != tt.wantA || *b != tt.wantB {
				t.Errorf("addr=%q sandbox=%v, want %q %v", *a, *b, tt.wantA, tt.wantB)
			}
			if d := cmp.Diff(tt.wantL, []string(l)); d != "" {
				t.Errorf("ca (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseBadEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("sandbox", false, "")
	if _, err := Parse(fs, nil, func(k string) (string, bool) { return "maybe", k == "SENIM_SANDBOX" }); err == nil {
		t.Error("SENIM_SANDBOX=maybe accepted")
	}
	if _, err := Parse(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--nope"}, nil); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{"addr": "SENIM_ADDR", "data-dir": "SENIM_DATA_DIR", "database-url": "SENIM_DATABASE_URL", "ncanode-addr": "SENIM_NCANODE_ADDR"} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

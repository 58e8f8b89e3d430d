package server

import (
	"math"
	"runtime/debug"
	"testing"
)

// gcNow is the collector's current growth target and memory limit.
func gcNow() (int, int64) {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

// keepGC restores the collector after the test, and starts it from Go's defaults.
func keepGC(t *testing.T) {
	p, l := gcNow()
	t.Cleanup(func() { debug.SetGCPercent(p); debug.SetMemoryLimit(l) })
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestGCApply(t *testing.T) {
	for _, tc := range []struct {
		name        string
		gc          GC
		env         func(string) string
		wantPercent int
		wantLimit   int64
	}{
		{name: "default", env: env(), wantPercent: DefaultGCPercent, wantLimit: math.MaxInt64},
		{name: "GOGC from the environment stands", env: env("GOGC", "150"), wantPercent: 100, wantLimit: math.MaxInt64},
		{name: "flag over GOGC", gc: GC{Percent: "250"}, env: env("GOGC", "150"), wantPercent: 250, wantLimit: math.MaxInt64},
		{name: "limit", gc: GC{MemoryLimit: "2GiB"}, env: env(), wantPercent: DefaultGCPercent, wantLimit: 2 << 30},
		{name: "off with a limit", gc: GC{Percent: "off", MemoryLimit: "512MiB"}, env: env(), wantPercent: -1, wantLimit: 512 << 20},
		{name: "off with GOMEMLIMIT", gc: GC{Percent: "off"}, env: env("GOMEMLIMIT", "1GiB"), wantPercent: -1, wantLimit: math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keepGC(t)
			p, l, err := tc.gc.Apply(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if p != tc.wantPercent || l != tc.wantLimit {
				t.Errorf("Apply = %d, %d; want %d, %d", p, l, tc.wantPercent, tc.wantLimit)
			}
			if np, nl := gcNow(); np != p || nl != l {
				t.Errorf("runtime has %d, %d; Apply said %d, %d", np, nl, p, l)
			}
		})
	}
}

// Wrong settings are refused and change nothing.
func TestGCApplyRefuses(t *testing.T) {
	for _, gc := range []GC{
		{Percent: "0"}, {Percent: "-5"}, {Percent: "many"}, {Percent: "off"},
		{MemoryLimit: "2GB"}, {MemoryLimit: "-1"}, {MemoryLimit: "GiB"}, {MemoryLimit: "1.5GiB"},
		{MemoryLimit: "99999999999TiB"}, {Percent: "200", MemoryLimit: "lots"},
	} {
		keepGC(t)
		if _, _, err := gc.Apply(env()); err == nil {
			t.Errorf("%+v: accepted", gc)
		}
		if p, l := gcNow(); p != 100 || l != math.MaxInt64 {
			t.Errorf("%+v: refused but the runtime has %d, %d", gc, p, l)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "1073741824": 1 << 30, "100B": 100, "64KiB": 64 << 10,
		"512MiB": 512 << 20, " 3GiB ": 3 << 30, "1TiB": 1 << 40} {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "B", "1 GiB", "1gib", "1GB", "1e9", "0x10", "9223372036854775808", "8388608TiB"} {
		if got, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", s, got)
		}
	}
}

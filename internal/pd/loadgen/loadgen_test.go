package loadgen

import (
	"flag"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
)

var (
	alg      = flag.String("loadgen.alg", "", "run the full measurement with this initiator key (p256 or gost2015)")
	duration = flag.Duration("loadgen.duration", 10*time.Second, "measurement length")
	conc     = flag.Int("loadgen.concurrency", 64, "clients")
	cpuProf  = flag.String("loadgen.cpuprofile", "", "write a CPU profile of the load phase (server and clients) to this file")
)

// TestLoadgen is a one-second smoke run; with -loadgen.alg it is the measurement
// (go test ./internal/pd/loadgen -run TestLoadgen -v -args -loadgen.alg p256).
func TestLoadgen(t *testing.T) {
	cfg := Config{Alg: ca.P256, Duration: time.Second, Concurrency: 8, Subjects: 50}
	if *alg != "" {
		cfg = Config{Alg: ca.Algorithm(*alg), Duration: *duration, Concurrency: *conc, Log: os.Stderr}
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg.OnLoad = func(start bool) {
			if !start {
				pprof.StopCPUProfile()
				return
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				t.Error(err)
			}
		}
	}
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Errors != 0 || r.Requests == 0 {
		t.Fatalf("%+v", r)
	}
	if processCPU() > 0 && (r.SignCPUPerToken <= 0 || r.CPUPerToken <= 0) {
		t.Errorf("CPU not measured: %+v", r)
	}
}

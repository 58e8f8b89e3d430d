package loadgen

import (
	"flag"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store/storetest"
)

var (
	alg      = flag.String("loadgen.alg", "", "run the full measurement with this initiator key (p256 or gost2015)")
	duration = flag.Duration("loadgen.duration", 10*time.Second, "measurement length")
	conc     = flag.Int("loadgen.concurrency", 64, "clients")
	cpuProf  = flag.String("loadgen.cpuprofile", "", "write a CPU profile of the load phase (server and clients) to this file")
	dbURL    = flag.String("loadgen.database-url", "", "run on this PostgreSQL database instead of SQLite")
	notifyOn = flag.Bool("loadgen.notify", false, "measure invariant 2: phases without and with the notification point")
	rounds   = flag.Int("loadgen.rounds", 0, "with -loadgen.notify: phases of each arm (default 2)")
	lanes    = flag.Int("loadgen.lanes", 0, "PostgreSQL: group-commit batches in flight at once (store Options.GroupLanes; 0 is its default)")
	pgPID    = flag.String("loadgen.pg-pidfile", "", "with -loadgen.database-url on a PostgreSQL cluster of this machine: its postmaster.pid; reports the CPU its processes used per token during the load phase (Linux /proc)")
)

// TestLoadgen is a one-second smoke run (on PostgreSQL too when
// SENIM_TEST_DATABASE_URL is set); with -loadgen.alg it is the measurement
// (go test ./internal/pd/loadgen -run TestLoadgen -v -args -loadgen.alg p256),
// on PostgreSQL with -loadgen.database-url.
func TestLoadgen(t *testing.T) {
	if *alg != "" {
		run(t, Config{Alg: ca.Algorithm(*alg), Duration: *duration, Concurrency: *conc, Log: os.Stderr, DatabaseURL: *dbURL, GroupLanes: *lanes, Notify: *notifyOn, Rounds: *rounds})
		return
	}
	t.Run("sqlite", func(t *testing.T) { run(t, Config{Alg: ca.P256, Duration: time.Second, Concurrency: 8, Subjects: 50}) })
	t.Run("postgres", func(t *testing.T) {
		u := storetest.PostgresURL()
		if u == "" {
			t.Skipf("%s not set", storetest.EnvURL)
		}
		run(t, Config{Alg: ca.P256, Duration: time.Second, Concurrency: 8, Subjects: 50, DatabaseURL: u})
	})
}

// Invariant 2 of docs/design.md at speed (issue 9): a short run with the notification
// point; every token issued, in either arm, ends as a readable inbox notice, and the
// issuance → readable latency is measured for the tokens of the arm with it.
func TestInvariant2(t *testing.T) {
	if *alg != "" {
		t.Skip("the measurement runs in TestLoadgen with -loadgen.notify")
	}
	r := run(t, Config{Alg: ca.P256, Duration: 300 * time.Millisecond, Concurrency: 8, Subjects: 50, Notify: true})
	v := r.Invariant2
	if v == nil {
		t.Fatal("no invariant 2 measurement")
	}
	if v.Issued == 0 || v.Missing != 0 || v.Notices != v.Issued {
		t.Errorf("tokens without a notice: %+v", v)
	}
	if v.Measured == 0 || v.Measured > int(v.Issued) || !(0 < v.ReadableP50 && v.ReadableP50 <= v.ReadableP99 && v.ReadableP99 <= v.ReadableMax) {
		t.Errorf("latency not measured: %+v", v)
	}
	if v.RateWith <= 0 || v.RateWithout <= 0 || v.Ratio <= 0 {
		t.Errorf("rates not measured: %+v", v)
	}
	// Without Notify there is no such measurement.
	if r := run(t, Config{Alg: ca.P256, Duration: 200 * time.Millisecond, Concurrency: 4, Subjects: 10}); r.Invariant2 != nil {
		t.Errorf("invariant 2 measured without Config.Notify: %+v", r.Invariant2)
	}
}

func run(t *testing.T, cfg Config) *Result {
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
	var pgCPU0, pgCPU time.Duration
	if *pgPID != "" {
		pm, err := postmasterPID(*pgPID)
		if err != nil {
			t.Fatal(err)
		}
		prev := cfg.OnLoad
		cfg.OnLoad = func(start bool) {
			c, err := clusterCPU(pm)
			if err != nil {
				t.Error(err)
			}
			if start {
				pgCPU0 = c
			} else {
				pgCPU = c - pgCPU0
			}
			if prev != nil {
				prev(start)
			}
		}
	}
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if *pgPID != "" && r.Requests > 0 {
		t.Logf("PostgreSQL's processes: %v CPU in the load phase, %v per token", pgCPU.Round(time.Millisecond), (pgCPU / time.Duration(r.Requests)).Round(time.Microsecond))
	}
	want := "sqlite"
	if cfg.DatabaseURL != "" {
		want = "postgres"
	}
	if r.Engine != want {
		t.Errorf("ran on %s, want %s", r.Engine, want)
	}
	if r.Errors != 0 || r.Requests == 0 {
		t.Fatalf("%+v", r)
	}
	if !(0 < r.P50 && r.P50 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max) {
		t.Fatalf("latencies out of order: %+v", r)
	}
	if processCPU() > 0 && (r.SignCPUPerToken <= 0 || r.CPUPerToken <= 0) {
		t.Errorf("CPU not measured: %+v", r)
	}
	return r
}

func TestPercentile(t *testing.T) {
	ms := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i+1) * time.Millisecond
		}
		return s
	}
	for _, tc := range []struct {
		n, perMille int
		want        time.Duration
	}{
		{1000, 500, 501 * time.Millisecond},
		{1000, 990, 991 * time.Millisecond},
		{1000, 999, 1000 * time.Millisecond},
		{10000, 999, 9991 * time.Millisecond}, // the 10 slowest are above it
		{10, 999, 10 * time.Millisecond},      // fewer than 1,000: the slowest
		{1, 500, time.Millisecond},
	} {
		if got := percentile(ms(tc.n), tc.perMille); got != tc.want {
			t.Errorf("percentile(1..%d ms, %d‰) = %v, want %v", tc.n, tc.perMille, got, tc.want)
		}
	}
}

package jobs_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/jobs"
	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkTick measures what the engine costs a node: "idle" is one poll of a job that
// is not due (Run does it every second per job), "run" is a due job with an empty body
// (the lease's UPDATE and the result's UPDATE).
func BenchmarkTick(b *testing.B) {
	for _, eng := range storetest.EnginesAvailable() {
		db := storetest.OpenEngine(b, eng)
		clk := newClock()
		noop := func(context.Context, *jobs.Lease) error { return nil }
		e, err := jobs.New(jobs.Config{DB: db, Node: "a", Now: clk.Now, Logger: storetest.Options(b).Logger},
			jobs.Job{Name: "idle", Interval: 1000 * time.Hour, Run: noop})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Tick(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.Run(string(eng)+"/idle", func(b *testing.B) {
			defer cpuPerOp(b)()
			for b.Loop() {
				if n, err := e.Tick(b.Context()); err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
		})
		due, err := jobs.New(jobs.Config{DB: db, Node: "a", Now: clk.Now, Logger: storetest.Options(b).Logger},
			jobs.Job{Name: "run", Interval: time.Microsecond, Run: noop})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(eng)+"/run", func(b *testing.B) {
			defer cpuPerOp(b)()
			for b.Loop() {
				clk.Add(time.Millisecond)
				if n, err := due.Tick(b.Context()); err != nil || n != 1 {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// cpuPerOp reports this process's CPU time (user and system) per operation, as
// cpu-ns/op: on a shared, loaded machine a steadier figure than wall time. (The
// PostgreSQL server's CPU is not in it.)
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

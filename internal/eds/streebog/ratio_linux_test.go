//go:build linux

package streebog

import (
	"crypto/sha512"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The machine the benchmarks run on is shared, and wall-clock MB/s swing by a
// factor of three while others compile. BenchmarkCPURatio therefore alternates
// Streebog-512 and SHA-512 over the same message on one locked OS thread and
// compares the CPU time that thread spent on each (getrusage RUSAGE_THREAD),
// which descheduling does not inflate (as BenchmarkRatio_* in package cms):
//
//	go test -run '^$' -bench CPURatio -count 5 ./internal/eds/streebog

const rusageThread = 1 // RUSAGE_THREAD

func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCPURatio(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			msg := make([]byte, s.n)
			for i := range msg {
				msg[i] = byte(i * 7)
			}
			// Batches of about 4 MB, so that getrusage's resolution does not matter.
			batch := max(1, (4<<20)/s.n)
			var stT, shT time.Duration
			n := 0
			for b.Loop() {
				t0 := threadCPU(b)
				for range batch {
					Sum512(msg)
				}
				t1 := threadCPU(b)
				for range batch {
					sha512.Sum512(msg)
				}
				t2 := threadCPU(b)
				stT += t1 - t0
				shT += t2 - t1
				n += batch
			}
			mb := float64(n) * float64(s.n) / 1e6
			b.ReportMetric(mb/stT.Seconds(), "streebog-MB/cpu-s")
			b.ReportMetric(mb/shT.Seconds(), "sha512-MB/cpu-s")
			b.ReportMetric(100*shT.Seconds()/stT.Seconds(), "streebog-%-of-sha512")
		})
	}
}

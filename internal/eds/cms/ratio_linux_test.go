//go:build linux

package cms_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// The machine these benchmarks run on is shared, and wall-clock ns/op swing by a factor
// of three while others compile. BenchmarkRatio* therefore alternate batches of CMS and
// raw verifications on one locked OS thread and compare the CPU time that thread spent
// on each (getrusage RUSAGE_THREAD), which descheduling does not inflate. Background GC
// work on other threads is not counted; CMS verification allocates more, so this favours
// it slightly (about 7 KB and 80 allocations per P-256 verification).
//
//	go test -run '^$' -bench Ratio -count 3 ./internal/eds/cms

const rusageThread = 1 // RUSAGE_THREAD

func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *benchCase) ratio(batch int) func(b *testing.B) {
	return func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c.verifyOnce(b)
		var cmsT, rawT time.Duration
		n := 0
		for b.Loop() {
			t0 := threadCPU(b)
			for range batch {
				c.verifyOnce(b)
			}
			t1 := threadCPU(b)
			for range batch {
				if err := eds.VerifyDigest(c.pub, c.alg, c.digest, c.sig); err != nil {
					b.Fatal(err)
				}
			}
			t2 := threadCPU(b)
			cmsT += t1 - t0
			rawT += t2 - t1
			n += batch
		}
		b.ReportMetric(float64(cmsT.Nanoseconds())/float64(n), "cms-cpu-ns/op")
		b.ReportMetric(float64(rawT.Nanoseconds())/float64(n), "raw-cpu-ns/op")
		b.ReportMetric(100*float64(rawT)/float64(cmsT), "cms-rate-%-of-raw")
	}
}

func BenchmarkRatio_GOST(b *testing.B) {
	c := gostCase(b)
	b.Run("reference", c.ratio(4))
	b.Run("gostfast", func(b *testing.B) { withGostfast(b, c.ratio(16)) })
	b.Run("gostfast-cryptobin-streebog", func(b *testing.B) {
		withStreebogReference(b, func(b *testing.B) { withGostfast(b, c.ratio(16)) })
	})
}

func BenchmarkRatio_P256(b *testing.B) { p256Case(b).ratio(64)(b) }

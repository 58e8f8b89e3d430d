package pades

import (
	"syscall"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// The benchmarks split /pdf/verify's cost: the reader alone (cross-reference
// stream, object stream, form walk) against the whole verification of one RSA or
// GOST 2015-512 signature with its chain; and signing. cpu-ns/op is the process's
// CPU time per operation (the machine is shared, wall time is noisy):
//
//	go test -run '^$' -bench . -count 3 ./internal/eds/pades

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkReader(b *testing.B) {
	p := newPKI(b, eds.KeyRSA)
	signed, err := Sign(b.Context(), makePDF(b, objStreams), p.spec, SignOptions{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	benchCPU(b, func() {
		d, err := Open(signed)
		if err != nil {
			b.Fatal(err)
		}
		if s, err := d.Signatures(); err != nil || len(s) != 1 {
			b.Fatal(err)
		}
	})
}

func benchVerify(b *testing.B, kt eds.KeyType) {
	p := newPKI(b, kt)
	signed, err := Sign(b.Context(), makePDF(b, objStreams), p.spec, SignOptions{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	benchCPU(b, func() {
		res, err := Verify(b.Context(), signed, p.opts())
		if err != nil || !res.Valid {
			b.Fatal("not valid")
		}
	})
}

func BenchmarkVerifyRSA(b *testing.B)     { benchVerify(b, eds.KeyRSA) }
func BenchmarkVerifyGOST512(b *testing.B) { benchVerify(b, eds.KeyGOST2015_512) }

func BenchmarkSignGOST512(b *testing.B) {
	p := newPKI(b, eds.KeyGOST2015_512)
	in := makePDF(b, objStreams)
	benchCPU(b, func() {
		if _, err := Sign(b.Context(), in, p.spec, SignOptions{Now: clock}); err != nil {
			b.Fatal(err)
		}
	})
}

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

// BenchmarkVerifyLT and BenchmarkVerifyT measure what a /DSS costs /pdf/verify:
// the same RSA signature with its signature time-stamp, with (LT: reading the
// store, its CRL through the Validator, the DSS-only update checked) and without
// it (T, the CRL configured in the Validator instead).
func BenchmarkVerifyLT(b *testing.B) {
	p := newLTPKI(b, "Bench")
	signed, err := Sign(b.Context(), makePDF(b, objStreams), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		b.Fatal(err)
	}
	lt, _, err := ExtendLT(b.Context(), signed, p.ltOptions(false))
	if err != nil {
		b.Fatal(err)
	}
	opts := p.offlineLater()
	benchCPU(b, func() {
		res, err := Verify(b.Context(), lt, opts)
		if err != nil || !res.Valid {
			b.Fatal("not valid")
		}
	})
}

func BenchmarkVerifyT(b *testing.B) {
	p := newLTPKI(b, "Bench")
	signed, err := Sign(b.Context(), makePDF(b, objStreams), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		b.Fatal(err)
	}
	opts := p.ltOptions(false).Verify
	benchCPU(b, func() {
		res, err := Verify(b.Context(), signed, opts)
		if err != nil || !res.Valid {
			b.Fatal("not valid")
		}
	})
}

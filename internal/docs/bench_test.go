package docs_test

import (
	"sync/atomic"
	"testing"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkOpenShare: the owner opens access — the document fetched from the sandbox
// register to check it exists, a token and a code drawn, the share and its outbox
// event written in one transaction.
func BenchmarkOpenShare(b *testing.B) {
	for _, db := range storetest.Engines(b) {
		b.Run(string(db.Engine()), func(b *testing.B) {
			f := newFixture(b, db)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.svc.Open(b.Context(), f.owner, docs.KindIdentityCard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shares/s")
		})
	}
}

// BenchmarkVerifiedView: a verifier redeems a share — the document formed from the
// sandbox register, the share bound, the record signed (ES256), the view and its
// outbox event written in one transaction; "+log" also integrates the views into the
// audit log (a checkpoint every 256 views), as the sequencer does in the background.
func BenchmarkVerifiedView(b *testing.B) {
	for _, db := range storetest.Engines(b) {
		for _, withLog := range []bool{false, true} {
			name := string(db.Engine())
			if withLog {
				name += "+log"
			}
			b.Run(name, func(b *testing.B) {
				f := newFixture(b, db)
				var secs []docs.Secret
				for range 64 {
					secs = append(secs, docs.Secret{Token: f.open(b, f.owner, docs.KindIdentityCard).Token})
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := f.svc.Redeem(b.Context(), f.clerk, secs[i%len(secs)]); err != nil {
						b.Fatal(err)
					}
					i++
					if withLog && i%256 == 0 {
						f.syncLog(b)
					}
				}
				if withLog {
					f.syncLog(b)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "views/s")
			})
		}
	}
}

// BenchmarkParallel runs share creation and views from 32 goroutines, as concurrent
// HTTP requests would: throughput, not latency.
func BenchmarkParallel(b *testing.B) {
	for _, db := range storetest.Engines(b) {
		b.Run(string(db.Engine())+"/open", func(b *testing.B) {
			f := newFixture(b, db)
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := f.svc.Open(b.Context(), f.owner, docs.KindIdentityCard); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shares/s")
		})
		b.Run(string(db.Engine())+"/view", func(b *testing.B) {
			f := newFixture(b, db)
			var secs []docs.Secret
			for range 512 { // views of distinct shares rarely wait for each other's row
				secs = append(secs, docs.Secret{Token: f.open(b, f.owner, docs.KindIdentityCard).Token})
			}
			b.SetParallelism(16)
			b.ResetTimer()
			var next atomic.Int64 // every view its own share in turn: no two wait for one row
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := f.svc.Redeem(b.Context(), f.clerk, secs[int(next.Add(1))%len(secs)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "views/s")
		})
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

var benchPayload = json.RawMessage(`{"token":"t-0123456789abcdef","purpose":"loan.scoring","fields":["name","address"]}`)

// BenchmarkEmit measures outbox writes: b.N events, in transactions of 1
// or 100 events, on SQLite and (with SENIM_TEST_DATABASE_URL) PostgreSQL.
// The figure to read is events/s.
func BenchmarkEmit(b *testing.B) {
	for _, e := range storetest.EnginesAvailable() {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", e, batch), func(b *testing.B) {
				db := storetest.OpenEngine(b, e)
				ctx := context.Background()
				ev := store.Event{Type: "pd.token.issued", Actor: "org:123456789012", Subject: "s-42", Payload: benchPayload}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i += batch {
					n := min(batch, b.N-i)
					err := db.Tx(ctx, func(tx *store.Tx) error {
						for range n {
							if _, err := tx.Emit(ctx, ev); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkEmitParallel: one event per transaction from many goroutines,
// the shape of API traffic; on PostgreSQL the outbox lock serializes
// these transactions from Emit to commit.
//
// "postgres-unsafe-nolock" runs without the lock, to show its cost; it is
// the configuration that loses events (TestOutOfOrderCommitWithoutLock).
func BenchmarkEmitParallel(b *testing.B) {
	type variant struct {
		name   string
		engine store.Engine
		lock   bool
	}
	var vs []variant
	for _, e := range storetest.EnginesAvailable() {
		vs = append(vs, variant{string(e), e, true})
		if e == store.Postgres {
			vs = append(vs, variant{"postgres-unsafe-nolock", e, false})
		}
	}
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			db := storetest.OpenEngine(b, v.engine)
			store.SetOutboxLock(db, v.lock)
			ctx := context.Background()
			ev := store.Event{Type: "pd.token.issued", Actor: "org:123456789012", Subject: "s-42", Payload: benchPayload}
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := db.Tx(ctx, func(tx *store.Tx) error {
						_, err := tx.Emit(ctx, ev)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkConsume measures delivery: events consumed per second in
// batches of 100 (the consumer function does nothing).
func BenchmarkConsume(b *testing.B) {
	for _, e := range storetest.EnginesAvailable() {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.OpenEngine(b, e)
			ctx := context.Background()
			ev := store.Event{Type: "pd.token.issued", Actor: "org:123456789012", Payload: benchPayload}
			for i := 0; i < b.N; i += 1000 {
				err := db.Tx(ctx, func(tx *store.Tx) error {
					for range min(1000, b.N-i) {
						if _, err := tx.Emit(ctx, ev); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for got := 0; got < b.N; {
				n, err := db.ConsumeBatch(ctx, "bench", 100, func(context.Context, []store.Event) error { return nil })
				if err != nil || n == 0 {
					b.Fatalf("ConsumeBatch = %d, %v after %d of %d", n, err, got, b.N)
				}
				got += n
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkEmitWriters measures PostgreSQL's commit rate for the shape of
// a cluster's API traffic: N concurrent writers (N = 1, 4, 16, 64), each
// transaction emitting k events (k = 1, 16, 64), with the outbox advisory lock
// and without it (store.SetOutboxLock; nothing else changes). The machine
// is shared, so the two variants are measured interleaved: 5 rounds of a
// 1 s phase each, alternating which goes first, and the medians reported
// as lock-tx/s, nolock-tx/s (and events/s = tx/s * k). It ignores b.N: run
// it with -benchtime=1x. PostgreSQL only (SENIM_TEST_DATABASE_URL).
func BenchmarkEmitWriters(b *testing.B) {
	if storetest.PostgresURL() == "" {
		b.Skip(storetest.EnvURL + " not set")
	}
	const rounds, phase = 5, time.Second
	opts := storetest.Options(b)
	opts.MaxReaders = 72
	db := storetest.OpenURL(b, storetest.URL(b, store.Postgres), opts)
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ev := store.Event{Type: "pd.token.issued", Actor: "org:123456789012", Subject: "s-42", Payload: benchPayload}
	// run emits from n writers for d and returns committed transactions/s.
	run := func(b *testing.B, n, k int, d time.Duration) float64 {
		var total atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		start := time.Now()
		for range n {
			wg.Go(func() {
				for time.Now().Before(stop) {
					err := db.Tx(ctx, func(tx *store.Tx) error {
						for range k {
							if _, err := tx.Emit(ctx, ev); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Error(err)
						return
					}
					total.Add(1)
				}
			})
		}
		wg.Wait()
		return float64(total.Load()) / time.Since(start).Seconds()
	}
	for _, k := range []int{1, 16, 64} {
		for _, n := range []int{1, 4, 16, 64} {
			b.Run(fmt.Sprintf("k=%d/N=%d", k, n), func(b *testing.B) {
				store.SetOutboxLock(db, false)
				run(b, n, k, phase/4) // warm the pool
				var with, without []float64
				for r := range rounds {
					for i := range 2 {
						lock := (r+i)%2 == 0
						store.SetOutboxLock(db, lock)
						if tps := run(b, n, k, phase); lock {
							with = append(with, tps)
						} else {
							without = append(without, tps)
						}
					}
				}
				store.SetOutboxLock(db, true)
				b.ReportMetric(median(with), "lock-tx/s")
				b.ReportMetric(median(without), "nolock-tx/s")
				b.ReportMetric(median(with)*float64(k), "lock-events/s")
				b.ReportMetric(median(without)*float64(k), "nolock-events/s")
				b.Logf("lock tx/s %v; nolock tx/s %v", round0(with), round0(without))
			})
		}
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func round0(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}

// BenchmarkEmitBatch compares, on PostgreSQL, transactions of k events written with k
// calls of Tx.Emit and with one Tx.EmitBatch (one statement), from N writers, in
// alternating one-second phases (5 of each; medians reported):
//
//	SENIM_TEST_DATABASE_URL=postgres://... go test -run '^$' -bench BenchmarkEmitBatch -benchtime=1x ./internal/store/
func BenchmarkEmitBatch(b *testing.B) {
	if storetest.PostgresURL() == "" {
		b.Skip(storetest.EnvURL + " not set")
	}
	const rounds, phase = 5, time.Second
	opts := storetest.Options(b)
	opts.MaxReaders = 24
	db := storetest.OpenURL(b, storetest.URL(b, store.Postgres), opts)
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ev := store.Event{Type: "pd.token.issued", Actor: "org:123456789012", Subject: "s-42", Payload: benchPayload}
	run := func(b *testing.B, n, k int, batch bool, d time.Duration) float64 {
		evs := slices.Repeat([]store.Event{ev}, k)
		var total atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		start := time.Now()
		for range n {
			wg.Go(func() {
				for time.Now().Before(stop) {
					err := db.Tx(ctx, func(tx *store.Tx) error {
						if batch {
							_, err := tx.EmitBatch(ctx, evs)
							return err
						}
						for _, e := range evs {
							if _, err := tx.Emit(ctx, e); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Error(err)
						return
					}
					total.Add(int64(k))
				}
			})
		}
		wg.Wait()
		return float64(total.Load()) / time.Since(start).Seconds()
	}
	for _, k := range []int{16, 64} {
		for _, n := range []int{1, 4} {
			b.Run(fmt.Sprintf("k=%d/N=%d", k, n), func(b *testing.B) {
				run(b, n, k, true, phase/4) // warm the pool and the statement caches
				run(b, n, k, false, phase/4)
				var one, batch []float64
				for r := range rounds {
					for i := range 2 {
						useBatch := (r+i)%2 == 0
						if eps := run(b, n, k, useBatch, phase); useBatch {
							batch = append(batch, eps)
						} else {
							one = append(one, eps)
						}
					}
				}
				b.ReportMetric(median(one), "emit-events/s")
				b.ReportMetric(median(batch), "batch-events/s")
				b.Logf("Emit events/s %v; EmitBatch events/s %v", round0(one), round0(batch))
			})
		}
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
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

package auditlog

import (
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// emitN writes n sample events in transactions of 1000.
func emitN(b testing.TB, db *store.DB, n, offset int) {
	for done := 0; done < n; done += 1000 {
		emit(b, db, sampleEvents(min(1000, n-done), offset+done)...)
	}
}

func dbBytes(b testing.TB, db *store.DB) int64 {
	var pages, size int64
	if err := db.QueryRowContext(context.Background(), "PRAGMA page_count").Scan(&pages); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRowContext(context.Background(), "PRAGMA page_size").Scan(&size); err != nil {
		b.Fatal(err)
	}
	return pages * size
}

// BenchmarkAppend measures the sequencer on SQLite: events integrated per second
// (leaves, tiles, entry rows and one signed checkpoint per batch of 4096), with the
// outbox already written; and the storage the log adds per event.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1000, 4096} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db := storetest.Open(b)
			l := newTestLog(b, db, func(c *Config) { c.BatchMax = batch })
			emitN(b, db, b.N, 0)
			before := dbBytes(b, db)
			b.ResetTimer()
			start := time.Now()
			n, err := l.Sync(b.Context())
			el := time.Since(start)
			b.StopTimer()
			if err != nil || n != b.N {
				b.Fatalf("Sync = %d, %v", n, err)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
			b.ReportMetric(float64(dbBytes(b, db)-before)/float64(b.N), "bytes/event")
		})
	}
}

// BenchmarkEmitAndAppend measures the whole path on SQLite: events emitted in
// transactions of 1000 while the sequencer (Run) integrates them concurrently.
func BenchmarkEmitAndAppend(b *testing.B) {
	db := storetest.Open(b)
	l := newTestLog(b, db, func(c *Config) { c.Interval = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	b.ResetTimer()
	start := time.Now()
	emitN(b, db, b.N, 0)
	for {
		size, _ := l.TreeSize(b.Context())
		if size >= int64(b.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
}

// BenchmarkInclusionProof serves GET /log/proof/inclusion?index=I for random
// leaves of a 100,000-leaf log through the handler and reports the p99 latency.
func BenchmarkInclusionProof(b *testing.B) {
	const size = 100_000
	db := storetest.Open(b)
	l := newTestLog(b, db, nil)
	emitN(b, db, size, 0)
	if _, err := l.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	l.Register(func(p string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(p, server.ErrorHandler(h))
	})
	rng := mrand.New(mrand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", fmt.Sprintf("/log/proof/inclusion?index=%d", rng.IntN(size)), nil)
		w := httptest.NewRecorder()
		t0 := time.Now()
		mux.ServeHTTP(w, req)
		lat = append(lat, time.Since(t0))
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}

func openDB(tb testing.TB) *store.DB { return storetest.Open(tb) }

// BenchmarkOneEventBatch is the cost of a batch of one event, the worst case for
// the per-batch work of keys in the database (read and open the keys, verify the
// newest checkpoint) against a fixed key.
func BenchmarkOneEventBatch(b *testing.B) {
	for _, mode := range []string{"fixed-key", "db-keys"} {
		b.Run(mode, func(b *testing.B) {
			db := storetest.Open(b)
			var l *Log
			if mode == "fixed-key" {
				l = newTestLog(b, db, func(c *Config) { c.BatchMax = 1 })
			} else {
				var err error
				l, err = New(b.Context(), Config{DB: db, Origin: testOrigin, BatchMax: 1, Keys: &KeyStore{KEK: testKEK(b)},
					Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
			}
			emitN(b, db, b.N, 0)
			b.ResetTimer()
			if n, err := l.Sync(b.Context()); err != nil || n != b.N {
				b.Fatalf("Sync = %d, %v", n, err)
			}
		})
	}
}

// BenchmarkBatchKeyWork is the work each batch adds when the keys live in the
// database: read and open the keys, then verify the newest checkpoint against
// the tree's state.
func BenchmarkBatchKeyWork(b *testing.B) {
	db := storetest.Open(b)
	l, err := New(b.Context(), Config{DB: db, Origin: testOrigin, Keys: &KeyStore{KEK: testKEK(b)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	emitN(b, db, 100, 0)
	if _, err := l.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		err := db.Tx(b.Context(), func(tx *store.Tx) error {
			st, err := loadState(b.Context(), tx)
			if err != nil {
				return err
			}
			ks, err := l.currentKeys(b.Context(), tx)
			if err != nil {
				return err
			}
			return l.checkHead(b.Context(), tx, st, ks)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

package auditlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// pgLogBytes is the size on disk of the log's tables in the current schema,
// indexes and TOAST included.
func pgLogBytes(b testing.TB, db *store.DB) int64 {
	var n int64
	err := db.QueryRowContext(context.Background(),
		`SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
		 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'auditlog\_%'`).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkAppendPostgres is BenchmarkAppend on PostgreSQL
// (SENIM_TEST_DATABASE_URL): the sequencer's integration rate with the outbox
// already written, and the storage the log's tables add per event.
func BenchmarkAppendPostgres(b *testing.B) {
	if storetest.PostgresURL() == "" {
		b.Skip(storetest.EnvURL + " not set")
	}
	for _, batch := range []int{1000, 4096} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db := storetest.OpenEngine(b, store.Postgres)
			l := newTestLog(b, db, func(c *Config) { c.BatchMax = batch })
			emitN(b, db, b.N, 0)
			before := pgLogBytes(b, db)
			b.ResetTimer()
			start := time.Now()
			n, err := l.Sync(b.Context())
			el := time.Since(start)
			b.StopTimer()
			if err != nil || n != b.N {
				b.Fatalf("Sync = %d, %v", n, err)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
			b.ReportMetric(float64(pgLogBytes(b, db)-before)/float64(b.N), "bytes/event")
		})
	}
}

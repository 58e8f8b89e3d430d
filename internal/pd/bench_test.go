package pd

import (
	"testing"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkProtocol is flow 2 in-process (no HTTP) on SQLite with a P-256 initiator:
// every check, the group-committed issuance and the ES256 signature.
func BenchmarkProtocol(b *testing.B) {
	f := newFixture(b, storetest.Open(b))
	police := orgOf(b, binPolice, ca.P256)
	toks := make([]string, b.N)
	for i := range toks {
		toks[i] = f.protoVT(police, nil)
	}
	var next chanCounter = make(chan int, b.N)
	for i := range toks {
		next <- i
	}
	close(next)
	b.SetParallelism(16) // concurrent requests, as an HTTP server has them
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := <-next
			if _, err := f.svc.Protocol(b.Context(), police.caller, toks[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

type chanCounter chan int

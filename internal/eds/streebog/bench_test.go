package streebog

import (
	"crypto/sha512"
	"hash"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
)

// Throughput of Streebog-512 (ours and go-cryptobin's), Streebog-256 and, as the
// yardstick, crypto/sha512, in the same run:
//
//	go test -run '^$' -bench 'Streebog|SHA512' -count 5 ./internal/eds/streebog
//
// Each benchmark hashes one message of the given size per iteration (New, Write,
// Sum), so the small sizes include the three finishing compressions.

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"1KB", 1 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}}

func benchHash(b *testing.B, newH func() hash.Hash) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			msg := make([]byte, s.n)
			for i := range msg {
				msg[i] = byte(i * 7)
			}
			out := make([]byte, 0, 64)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				h := newH()
				h.Write(msg)
				out = h.Sum(out[:0])
			}
		})
	}
}

func BenchmarkStreebog512(b *testing.B)          { benchHash(b, New512) }
func BenchmarkStreebog256(b *testing.B)          { benchHash(b, New256) }
func BenchmarkStreebog512Cryptobin(b *testing.B) { benchHash(b, gost34112012512.New) }
func BenchmarkStreebog256Cryptobin(b *testing.B) { benchHash(b, gost34112012256.New) }
func BenchmarkSHA512(b *testing.B)               { benchHash(b, sha512.New) }

// BenchmarkStreebog512Sum is the allocation-free one-shot form.
func BenchmarkStreebog512Sum(b *testing.B) {
	msg := make([]byte, 1<<10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		Sum512(msg)
	}
}

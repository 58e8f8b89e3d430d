package streebog

import (
	"bytes"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
)

// FuzzCryptobin compares both sizes with go-cryptobin on arbitrary messages,
// written in two pieces cut at split (mod the length + 1).
//
//	go test -run '^$' -fuzz FuzzCryptobin -fuzztime 1m ./internal/eds/streebog
func FuzzCryptobin(f *testing.F) {
	f.Add([]byte{}, uint16(0))
	f.Add([]byte("012345678901234567890123456789012345678901234567890123456789012"), uint16(10))
	f.Add(bytes.Repeat([]byte{0xff}, 130), uint16(64))
	f.Add(bytes.Repeat([]byte{0xee}, 64), uint16(63))
	f.Fuzz(func(t *testing.T, msg []byte, split uint16) {
		cut := int(split) % (len(msg) + 1)
		h512, h256 := New512(), New256()
		for _, h := range []interface{ Write([]byte) (int, error) }{h512, h256} {
			h.Write(msg[:cut])
			h.Write(msg[cut:])
		}
		r512, r256 := gost34112012512.New(), gost34112012256.New()
		r512.Write(msg)
		r256.Write(msg)
		if got, want := h512.Sum(nil), r512.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("Streebog-512 of %x (cut %d): %x, go-cryptobin %x", msg, cut, got, want)
		}
		if got, want := h256.Sum(nil), r256.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("Streebog-256 of %x (cut %d): %x, go-cryptobin %x", msg, cut, got, want)
		}
		if s := Sum512(msg); !bytes.Equal(s[:], r512.Sum(nil)) {
			t.Fatal("Sum512 differs from New512")
		}
	})
}

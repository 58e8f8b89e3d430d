package streebog

import (
	"bytes"
	"hash"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
)

// go-cryptobin's Streebog is what Senim's callers used before this package: it
// is the reference for the integration. SENIM_LONG=1 runs the long differential
// run (SENIM_STREEBOG_CASES overrides its 100,000 cases).
func differentialCases(t *testing.T) int {
	if os.Getenv("SENIM_LONG") != "1" {
		return 200
	}
	if s := os.Getenv("SENIM_STREEBOG_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SENIM_STREEBOG_CASES=%q", s)
		}
		return n
	}
	return 100_000
}

// writeSplit writes msg to h in pieces cut at random points.
func writeSplit(rng *rand.Rand, h hash.Hash, msg []byte) {
	for len(msg) > 0 {
		n := rng.IntN(len(msg) + 1)
		if rng.IntN(4) == 0 {
			n = min(len(msg), rng.IntN(130)) // often short pieces around a block
		}
		h.Write(msg[:n])
		msg = msg[n:]
	}
}

// TestDifferentialCryptobin hashes random messages of 0–10 KB, written at
// random split points, with both sizes of ours and of go-cryptobin's.
func TestDifferentialCryptobin(t *testing.T) {
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 17))
	n := differentialCases(t)
	for i := range n {
		size := rng.IntN(10<<10 + 1)
		if i%4 == 0 {
			size = rng.IntN(200) // more of the short, block-edge lengths
		}
		msg := make([]byte, size)
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		if i%16 == 1 { // long runs of 0xff make Σ and the state carry
			for j := range msg {
				msg[j] = 0xff
			}
		}
		for _, c := range []struct {
			ours, ref func() hash.Hash
		}{{New512, gost34112012512.New}, {New256, gost34112012256.New}} {
			h, r := c.ours(), c.ref()
			writeSplit(rng, h, msg)
			r.Write(msg)
			got, want := h.Sum(nil), r.Sum(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("case %d (seed %d), %d bytes, size %d: %x, go-cryptobin %x", i, seed, len(msg), h.Size(), got, want)
			}
			// The state survives a Sum and a marshal round trip.
			more := msg[:len(msg)/3]
			r.Write(more)
			m, _ := h.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
			h2 := c.ours()
			if err := h2.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(m); err != nil {
				t.Fatal(err)
			}
			writeSplit(rng, h2, more)
			if got, want := h2.Sum(nil), r.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("case %d (seed %d): after marshal and more writes: %x, go-cryptobin %x", i, seed, got, want)
			}
		}
	}
}

//go:build amd64 && !purego

package streebog

import (
	"math/rand/v2"
	"testing"
)

// The assembly computes exactly gGeneric, on random states including the
// all-zero and all-one words and with h, n and m aliased as the hash aliases
// them (g_0 passes the zero vector; the checksum step passes Σ as m).
func TestAsmMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var h, n, m [8]uint64
		for j := range 8 {
			h[j], n[j], m[j] = rng.Uint64(), rng.Uint64(), rng.Uint64()
			switch i % 5 {
			case 1:
				n[j] = 0
			case 2:
				m[j] = ^uint64(0)
			}
		}
		h1, h2 := h, h
		gAMD64(&h1, &n, &m)
		gGeneric(&h2, &n, &m)
		if h1 != h2 {
			t.Fatalf("case %d: asm %x, generic %x", i, h1, h2)
		}
		// m aliasing h's neighbour and n aliasing m.
		h1, h2 = h, h
		gAMD64(&h1, &m, &m)
		gGeneric(&h2, &m, &m)
		if h1 != h2 {
			t.Fatalf("case %d (aliased): asm %x, generic %x", i, h1, h2)
		}
	}
}

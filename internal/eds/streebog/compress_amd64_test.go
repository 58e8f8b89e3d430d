//go:build amd64 && !purego

package streebog

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The assembly computes exactly gGeneric, on random states including the
// all-zero and all-one words and with h, n and m aliased as the hash aliases
// them (g_0 passes the zero vector; the checksum step passes Σ as m). Both
// assembly versions are checked; the AVX-512 one only where the CPU has it.
func TestAsmMatchesGeneric(t *testing.T) {
	impls := map[string]func(h, n, m *[8]uint64){"gAMD64": gAMD64}
	if useAVX512 {
		impls["gAVX512"] = gAVX512
	} else {
		t.Log("no AVX-512 VBMI/GFNI on this CPU: gAVX512 not checked")
	}
	for name, asm := range impls {
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
			asm(&h1, &n, &m)
			gGeneric(&h2, &n, &m)
			if h1 != h2 {
				t.Fatalf("%s, case %d: asm %x, generic %x", name, i, h1, h2)
			}
			// m aliasing h's neighbour and n aliasing m.
			h1, h2 = h, h
			asm(&h1, &m, &m)
			gGeneric(&h2, &m, &m)
			if h1 != h2 {
				t.Fatalf("%s, case %d (aliased): asm %x, generic %x", name, i, h1, h2)
			}
		}
	}
}

// blocksAVX512 (h and N kept in registers across blocks, Σ added in the loop)
// leaves the same h, N and Σ as the block-by-block code, from random states
// including Σ words that carry; and the guard sends a low word of N that would
// overflow to the block-by-block code, which carries into the next word.
func TestBlocksAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 VBMI/GFNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		var d digest
		d.size = Size512
		for j := range 8 {
			d.h[j], d.n[j], d.sigma[j] = rng.Uint64(), rng.Uint64()>>1, rng.Uint64()
			if i%3 == 0 {
				d.sigma[j] = ^uint64(0)
			}
		}
		msg := make([]byte, BlockSize*(1+rng.IntN(20)))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		if i%4 == 0 {
			for j := range msg {
				msg[j] = 0xff
			}
		}
		want := d
		for p := msg; len(p) > 0; p = p[BlockSize:] {
			want.block((*[BlockSize]byte)(p))
		}
		got := d
		blocksAVX512(&got.h, &got.n, &got.sigma, &msg[0], len(msg)/BlockSize)
		if got != want {
			t.Fatalf("case %d (%d blocks): blocksAVX512 h %x N %x Σ %x, block by block h %x N %x Σ %x",
				i, len(msg)/BlockSize, got.h, got.n, got.sigma, want.h, want.n, want.sigma)
		}
	}

	// More than one chunk in one Write: the same as block by block.
	{
		msg := make([]byte, (2*avx512Chunk+3)*BlockSize)
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		var d digest
		d.size = Size512
		want := d
		for p := msg; len(p) > 0; p = p[BlockSize:] {
			want.block((*[BlockSize]byte)(p))
		}
		got := d
		got.blocks(msg)
		if got != want {
			t.Fatalf("%d blocks in chunks: h %x N %x, block by block h %x N %x", len(msg)/BlockSize, got.h, got.n, want.h, want.n)
		}
	}

	// N's low word 3 blocks short of overflowing, 5 blocks written.
	msg := bytes.Repeat([]byte{0x5a}, 5*BlockSize)
	var d digest
	d.size = Size512
	d.n[0] = ^uint64(0) - 3*512 + 1
	want := d
	for p := msg; len(p) > 0; p = p[BlockSize:] {
		want.block((*[BlockSize]byte)(p))
	}
	if want.n[1] != 1 || want.n[0] != 2*512 {
		t.Fatalf("block by block: N = %x, want a carry into word 1", want.n)
	}
	got := d
	got.blocks(msg)
	if got != want {
		t.Fatalf("near N overflow: blocks gives N %x h %x, block by block N %x h %x", got.n, got.h, want.n, want.h)
	}
}

// The general-purpose-register code path (CPUs without AVX-512 VBMI/GFNI)
// against go-cryptobin through the public API, with useAVX512 switched off.
func TestWithoutAVX512(t *testing.T) {
	saved := useAVX512
	useAVX512 = false
	t.Cleanup(func() { useAVX512 = saved })
	TestDifferentialCryptobin(t)
	TestRFC6986(t)
}

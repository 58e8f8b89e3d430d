//go:build !amd64 || purego

package streebog

func g(h, n, m *[8]uint64) { gGeneric(h, n, m) }

// blocks processes the full blocks of p (len(p) is a multiple of BlockSize).
func (d *digest) blocks(p []byte) {
	for ; len(p) >= BlockSize; p = p[BlockSize:] {
		d.block((*[BlockSize]byte)(p))
	}
}

package streebog

import (
	"encoding/binary"
	"errors"
	"hash"
)

// Sizes in bytes.
const (
	Size512   = 64 // Streebog-512 digest
	Size256   = 32 // Streebog-256 digest
	BlockSize = 64
)

// digest is the running state of Streebog (RFC 6986, section 8): the chaining
// value h, the bit counter N and the checksum Σ, each 512 bits, and the bytes
// of an unfinished block.
type digest struct {
	h, n, sigma [8]uint64
	buf         [BlockSize]byte
	nx          int // bytes in buf, always < BlockSize
	size        int // Size512 or Size256
}

// New512 returns a new Streebog-512 hash.
func New512() hash.Hash {
	d := &digest{size: Size512}
	d.Reset()
	return d
}

// New256 returns a new Streebog-256 hash.
func New256() hash.Hash {
	d := &digest{size: Size256}
	d.Reset()
	return d
}

// Sum512 returns the Streebog-512 digest of data.
func Sum512(data []byte) [Size512]byte {
	d := digest{size: Size512}
	d.Reset()
	d.Write(data)
	var out [Size512]byte
	d.checkSum(&out)
	return out
}

// Sum256 returns the Streebog-256 digest of data.
func Sum256(data []byte) [Size256]byte {
	d := digest{size: Size256}
	d.Reset()
	d.Write(data)
	var full [Size512]byte
	d.checkSum(&full)
	var out [Size256]byte
	copy(out[:], full[Size256:])
	return out
}

func (d *digest) Size() int      { return d.size }
func (d *digest) BlockSize() int { return BlockSize }

// Reset sets the initialisation vector: 0^512 for Streebog-512, (00000001)^64
// for Streebog-256.
func (d *digest) Reset() {
	iv := uint64(0)
	if d.size == Size256 {
		iv = 0x0101010101010101
	}
	for i := range d.h {
		d.h[i] = iv
	}
	d.n = [8]uint64{}
	d.sigma = [8]uint64{}
	d.nx = 0
}

func (d *digest) Write(p []byte) (int, error) {
	nn := len(p)
	if d.nx > 0 {
		c := copy(d.buf[d.nx:], p)
		d.nx += c
		p = p[c:]
		if d.nx < BlockSize {
			return nn, nil
		}
		d.block((*[BlockSize]byte)(d.buf[:]))
		d.nx = 0
	}
	if full := len(p) &^ (BlockSize - 1); full > 0 {
		d.blocks(p[:full])
		p = p[full:]
	}
	d.nx = copy(d.buf[:], p)
	return nn, nil
}

// block processes one full 64-byte block (stage 2 of section 8.2).
func (d *digest) block(b *[BlockSize]byte) {
	var m [8]uint64
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	g(&d.h, &d.n, &m)
	addBits(&d.n, 512)
	add512(&d.sigma, &m)
}

// Sum appends the digest of the data written so far to b; the state is unchanged.
func (d *digest) Sum(b []byte) []byte {
	d0 := *d
	var full [Size512]byte
	d0.checkSum(&full)
	return append(b, full[Size512-d.size:]...)
}

// checkSum finishes the hash (stage 3 of section 8.3) and writes the final
// chaining value h as 64 bytes; Streebog-256 is its second half (MSB_256).
func (d *digest) checkSum(out *[Size512]byte) {
	// m = 0^{511-|M|} ‖ 1 ‖ M: the remaining bytes, then the byte 0x01, then zeros.
	var pad [BlockSize]byte
	copy(pad[:], d.buf[:d.nx])
	pad[d.nx] = 1
	var m [8]uint64
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(pad[8*i:])
	}
	g(&d.h, &d.n, &m)
	addBits(&d.n, uint64(d.nx)*8)
	add512(&d.sigma, &m)
	g(&d.h, &zero, &d.n)
	g(&d.h, &zero, &d.sigma)
	for i, w := range d.h {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
}

// Clone returns an independent copy of the hash (hash.Cloner).
func (d *digest) Clone() (hash.Cloner, error) {
	d0 := *d
	return &d0, nil
}

// The marshalled state: a magic string naming the variant, then h, N and Σ
// as 64-bit big-endian words, the unfinished block (64 bytes, zero-padded) and
// its length in one byte.
const (
	magic512      = "stbog512"
	magic256      = "stbog256"
	marshaledSize = len(magic512) + 3*8*8 + BlockSize + 1
)

var (
	errStateID   = errors.New("streebog: invalid hash state identifier")
	errStateSize = errors.New("streebog: invalid hash state size")
)

func (d *digest) magic() string {
	if d.size == Size256 {
		return magic256
	}
	return magic512
}

// MarshalBinary saves the state (encoding.BinaryMarshaler).
func (d *digest) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, marshaledSize))
}

// AppendBinary appends the saved state to b (encoding.BinaryAppender).
func (d *digest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, d.magic()...)
	for _, v := range [...]*[8]uint64{&d.h, &d.n, &d.sigma} {
		for _, w := range v {
			b = binary.BigEndian.AppendUint64(b, w)
		}
	}
	b = append(b, d.buf[:d.nx]...)
	b = append(b, make([]byte, BlockSize-d.nx)...)
	return append(b, byte(d.nx)), nil
}

// UnmarshalBinary restores a state saved by MarshalBinary from a hash of the
// same size (encoding.BinaryUnmarshaler). On error the hash is unchanged.
func (d *digest) UnmarshalBinary(b []byte) error {
	if len(b) < len(magic512) || string(b[:len(magic512)]) != d.magic() {
		return errStateID
	}
	if len(b) != marshaledSize {
		return errStateSize
	}
	nx := int(b[marshaledSize-1])
	if nx >= BlockSize {
		return errStateSize
	}
	b = b[len(magic512):]
	for _, v := range [...]*[8]uint64{&d.h, &d.n, &d.sigma} {
		for i := range v {
			v[i] = binary.BigEndian.Uint64(b)
			b = b[8:]
		}
	}
	d.buf = [BlockSize]byte{}
	copy(d.buf[:], b[:nx])
	d.nx = nx
	return nil
}

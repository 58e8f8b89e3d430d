package streebog

import (
	"bytes"
	"encoding"
	"hash"
	"testing"
)

type stateHash interface {
	hash.Hash
	hash.Cloner
	encoding.BinaryMarshaler
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// Saving the state at any length and restoring it into a fresh hash gives the
// same digest as hashing on; Clone is independent of the original.
func TestStateSaveRestore(t *testing.T) {
	msg := make([]byte, 300)
	for i := range msg {
		msg[i] = byte(i*31 + 5)
	}
	for _, newH := range []func() hash.Hash{New512, New256} {
		whole := newH()
		whole.Write(msg)
		want := whole.Sum(nil)
		for cut := 0; cut <= len(msg); cut += 13 {
			h := newH().(stateHash)
			h.Write(msg[:cut])
			st, err := h.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			app, _ := h.AppendBinary([]byte("x"))
			if !bytes.Equal(app[1:], st) {
				t.Fatal("AppendBinary differs from MarshalBinary")
			}
			c, err := h.Clone()
			if err != nil {
				t.Fatal(err)
			}
			h.Write([]byte("diverge"))

			r := newH().(stateHash)
			if err := r.UnmarshalBinary(st); err != nil {
				t.Fatal(err)
			}
			r.Write(msg[cut:])
			c.Write(msg[cut:])
			if !bytes.Equal(r.Sum(nil), want) || !bytes.Equal(c.Sum(nil), want) {
				t.Fatalf("size %d, cut %d: restored or cloned state gives another digest", r.Size(), cut)
			}
		}
	}
}

// Bad saved states are refused and leave the hash as it was.
func TestStateRejectsBadInput(t *testing.T) {
	h512 := New512().(stateHash)
	h512.Write([]byte("some bytes"))
	good, _ := h512.MarshalBinary()
	before := h512.Sum(nil)

	h256 := New256().(stateHash)
	st256, _ := h256.MarshalBinary()

	badNx := bytes.Clone(good)
	badNx[len(badNx)-1] = 64
	for name, b := range map[string][]byte{
		"empty":        nil,
		"other size":   st256,
		"short":        good[:len(good)-1],
		"long":         append(bytes.Clone(good), 0),
		"bad magic":    append([]byte("sha\x03"), good[4:]...),
		"block length": badNx,
	} {
		if err := h512.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if !bytes.Equal(h512.Sum(nil), before) {
			t.Fatalf("%s: state changed", name)
		}
	}
}

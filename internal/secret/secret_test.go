package secret

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := Token()
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != 32 || len(tok) != 43 {
			t.Fatalf("Token() = %q: %d bytes, %v", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatal("Token repeated")
		}
		seen[tok] = true
	}
}

func TestRefAndNonce(t *testing.T) {
	r := Ref("n_")
	if !strings.HasPrefix(r, "n_") || len(r) != 2+22 || Ref("n_") == r {
		t.Fatalf("Ref = %q", r)
	}
	if n := Nonce(12); len(n) != 16 {
		t.Fatalf("Nonce(12) = %q", n)
	}
	if b := Bytes(7); len(b) != 7 {
		t.Fatal("Bytes")
	}
}

// OrderedRef has Ref's form (the receipts' offline verifiers check it), carries the
// time in its first 48 bits and 80 random bits after them: two references of one
// millisecond differ, and references a second apart share their first characters.
func TestOrderedRef(t *testing.T) {
	at := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	r := OrderedRef("n_", at)
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(r, "n_"))
	if !strings.HasPrefix(r, "n_") || len(r) != len(Ref("n_")) || err != nil || len(b) != 16 {
		t.Fatalf("OrderedRef = %q (%v)", r, err)
	}
	if ms := binary.BigEndian.Uint64(b[:8]) >> 16; ms != uint64(at.UnixMilli()) {
		t.Fatalf("time %d, want %d", ms, at.UnixMilli())
	}
	seen := map[string]bool{}
	for range 1000 {
		r := OrderedRef("n_", at)
		if seen[r] {
			t.Fatal("OrderedRef repeated within a millisecond")
		}
		seen[r] = true
	}
	if a, c := OrderedRef("n_", at), OrderedRef("n_", at.Add(time.Second)); a[:2+5] != c[:2+5] {
		t.Errorf("a second apart, no common prefix: %s %s", a, c)
	}
	if a, c := OrderedRef("n_", at), OrderedRef("n_", at.AddDate(0, 1, 0)); a[:2+5] == c[:2+5] {
		t.Errorf("a month apart, the same prefix: %s %s", a, c)
	}
}

// Hash must keep its form: sessions and challenges already stored are looked up by it.
func TestHashIsStable(t *testing.T) {
	if got, want := Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("Hash(abc) = %s, want %s", got, want)
	}
	if Hash("a") == Hash("b") {
		t.Fatal("Hash collides")
	}
}

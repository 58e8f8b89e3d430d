package secret

import (
	"encoding/base64"
	"strings"
	"testing"
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

// Hash must keep its form: sessions and challenges already stored are looked up by it.
func TestHashIsStable(t *testing.T) {
	if got, want := Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("Hash(abc) = %s, want %s", got, want)
	}
	if Hash("a") == Hash("b") {
		t.Fatal("Hash collides")
	}
}

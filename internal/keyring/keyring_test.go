package keyring

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newKEK(t *testing.T) *KEK {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	k, err := NewKEK(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := newKEK(t)
	secret := []byte("an ed25519 seed of thirty-two b.")
	sealed, err := k.Seal("auditlog.key", "senim.kz/log+01234567", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed form contains the secret")
	}
	got, err := k.Open("auditlog.key", "senim.kz/log+01234567", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := k.Seal("auditlog.key", "senim.kz/log+01234567", secret)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one secret are equal: the nonce is not fresh")
	}
}

func TestOpenRefuses(t *testing.T) {
	k := newKEK(t)
	sealed, err := k.Seal("auditlog.key", "a", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name        string
		kek         *KEK
		purpose, id string
		sealed      []byte
		want        error
	}{
		{"wrong KEK", newKEK(t), "auditlog.key", "a", sealed, ErrWrongKEK},
		{"row swapped: other id", k, "auditlog.key", "b", sealed, ErrTampered},
		{"row swapped: other purpose", k, "sandbox.ca", "a", sealed, ErrTampered},
		{"bit flipped", k, "auditlog.key", "a", flipped, ErrTampered},
		{"truncated", k, "auditlog.key", "a", sealed[:20], ErrTampered},
		{"unknown format", k, "auditlog.key", "a", append([]byte{2}, sealed[1:]...), ErrTampered},
		{"no KEK", nil, "auditlog.key", "a", sealed, ErrNoKEK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.kek.Open(tc.purpose, tc.id, tc.sealed)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := (*KEK)(nil).Seal("p", "i", nil); !errors.Is(err, ErrNoKEK) {
		t.Fatalf("Seal without KEK: %v", err)
	}
	if _, err := k.Seal("", "i", nil); err == nil {
		t.Fatal("Seal with an empty purpose worked")
	}
	if _, err := k.Seal("p\x00q", "i", nil); err == nil {
		t.Fatal("Seal with a NUL in the purpose worked")
	}
}

func TestWrongKEKMessageNamesFingerprints(t *testing.T) {
	a, b := newKEK(t), newKEK(t)
	sealed, _ := a.Seal("p", "i", []byte("s"))
	_, err := b.Open("p", "i", sealed)
	if err == nil || !strings.Contains(err.Error(), a.ID()) || !strings.Contains(err.Error(), b.ID()) {
		t.Fatalf("error %v does not name both KEK ids", err)
	}
}

func TestParseKEK(t *testing.T) {
	raw := make([]byte, 32)
	rand.Read(raw)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(raw) + "\n",
		base64.RawURLEncoding.EncodeToString(raw),
	} {
		k, err := ParseKEK(s)
		if err != nil {
			t.Fatalf("ParseKEK(%q): %v", s, err)
		}
		want, _ := NewKEK(raw)
		if k.ID() != want.ID() {
			t.Fatal("a KEK parsed from base64 differs from the raw one")
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(raw[:31]), base64.StdEncoding.EncodeToString(append(raw, 1))} {
		if _, err := ParseKEK(s); !errors.Is(err, ErrBadKEK) {
			t.Fatalf("ParseKEK(%q) = %v, want ErrBadKEK", s, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "kek")
	os.WriteFile(p, []byte("not base64 of 32 bytes"), 0o600)
	if _, err := ReadKEKFile(p); !errors.Is(err, ErrBadKEK) || strings.Contains(err.Error(), "not base64") {
		t.Fatalf("ReadKEKFile of a bad file: %v (must not echo the content)", err)
	}
	if _, err := ReadKEKFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadKEKFile of a missing file: %v", err)
	}
}

func TestSandboxKEKIsStable(t *testing.T) {
	a, b := SandboxKEK(), SandboxKEK()
	sealed, _ := a.Seal("p", "i", []byte("s"))
	if _, err := b.Open("p", "i", sealed); err != nil {
		t.Fatal(err)
	}
	if a.ID() == newKEK(t).ID() {
		t.Fatal("the sandbox KEK equals a random one")
	}
}

func TestEd25519Signer(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := NewEd25519Signer(priv)
	sig, err := s.Sign([]byte("m"))
	if err != nil || !ed25519.Verify(s.Public().(ed25519.PublicKey), []byte("m"), sig) {
		t.Fatal("the signature does not verify")
	}
	if ed25519.Verify(s.Public().(ed25519.PublicKey), []byte("n"), sig) {
		t.Fatal("the signature verifies another message")
	}
}

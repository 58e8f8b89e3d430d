// Package keyring keeps secret key material at rest: AES-256-GCM envelope
// encryption under a key-encryption key (KEK) that comes from configuration,
// never from the database, and the Signer interface that key users sign through.
//
// # Sealed format
//
//	0x01 || KEK id (8 bytes) || nonce (12 bytes) || AES-256-GCM(secret)
//
// The KEK id is the first 8 bytes of SHA-256("senim.keyring.kek\x00" || KEK): it
// tells a wrong KEK (ErrWrongKEK) from a damaged or swapped ciphertext
// (ErrTampered) and reveals nothing about the KEK. The additional authenticated
// data is "senim.keyring.v1\x00" || purpose || "\x00" || id || "\x00" || KEK id,
// so a sealed secret opens only as the purpose and id it was sealed for: copying
// one row's ciphertext into another row fails.
//
// # The KEK
//
// A KEK is 32 random bytes, written base64 in a file (`openssl rand -base64 32`),
// given to every node of a deployment (`senim serve --kek-file FILE`, or
// SENIM_KEK_FILE). Losing it loses every sealed key; anyone who has it and the
// database has the keys. The sandbox, which has no secrets, uses SandboxKEK, a
// fixed public value, so several sandbox nodes on one database agree without
// configuration.
//
// # Signers
//
// A Signer signs without revealing its key. Today the keys are sealed in the
// database and opened into memory (NewEd25519Signer); a key in an HSM (PKCS#11,
// CKM_EDDSA) implements the same interface and never leaves the device.
package keyring

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Errors of Open and ParseKEK; test them with errors.Is.
var (
	// ErrNoKEK: a sealed secret must be read or written and no KEK is
	// configured. Give --kek-file (SENIM_KEK_FILE).
	ErrNoKEK = errors.New("keyring: no key-encryption key configured")
	// ErrBadKEK: the configured KEK is not 32 bytes in base64.
	ErrBadKEK = errors.New("keyring: the key-encryption key must be 32 random bytes in base64")
	// ErrWrongKEK: the secret was sealed under another KEK. Configure the KEK
	// the other nodes of the deployment use.
	ErrWrongKEK = errors.New("keyring: sealed under a different key-encryption key")
	// ErrTampered: the sealed secret does not open as this purpose and id: it
	// was altered, truncated or copied from another row. Restore it from a backup.
	ErrTampered = errors.New("keyring: sealed secret is damaged or belongs to another key")
)

const (
	version   = 1
	kekIDSize = 8
	nonceSize = 12
	headSize  = 1 + kekIDSize + nonceSize
)

// KEK is a key-encryption key. The zero value is not usable; use ParseKEK,
// ReadKEKFile or SandboxKEK.
type KEK struct {
	aead cipher.AEAD
	id   [kekIDSize]byte
}

// NewKEK makes a KEK of 32 key bytes.
func NewKEK(key []byte) (*KEK, error) {
	if len(key) != 32 {
		return nil, ErrBadKEK
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k := &KEK{aead: aead}
	sum := sha256.Sum256(append([]byte("senim.keyring.kek\x00"), key...))
	copy(k.id[:], sum[:])
	return k, nil
}

// ParseKEK decodes a KEK written as base64 (standard or URL alphabet, padded or
// not; surrounding white space is ignored).
func ParseKEK(text string) (*KEK, error) {
	s := strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return NewKEK(b)
		}
	}
	return nil, ErrBadKEK
}

// ReadKEKFile reads a KEK file (see ParseKEK). The error names the file, never
// its content.
func ReadKEKFile(path string) (*KEK, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: KEK file: %w", err)
	}
	k, err := ParseKEK(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}

// SandboxKEK returns the sandbox's KEK: SHA-256 of a fixed, published label. It
// protects nothing; it only lets every sandbox node open what another sealed.
// Never use it outside the sandbox.
func SandboxKEK() *KEK {
	sum := sha256.Sum256([]byte("senim sandbox KEK: public, protects nothing"))
	k, _ := NewKEK(sum[:])
	return k
}

// ID returns the KEK's public fingerprint (16 hex digits), for error messages.
func (k *KEK) ID() string { return hex.EncodeToString(k.id[:]) }

func (k *KEK) aad(purpose, id string) []byte {
	return []byte("senim.keyring.v1\x00" + purpose + "\x00" + id + "\x00" + string(k.id[:]))
}

func checkLabel(purpose, id string) error {
	if purpose == "" || id == "" || strings.ContainsRune(purpose+id, 0) {
		return errors.New("keyring: purpose and id must be non-empty and free of NUL")
	}
	return nil
}

// Seal encrypts secret for the given purpose ("auditlog.key") and id (the row's
// key, e.g. the public key it belongs to).
func (k *KEK) Seal(purpose, id string, secret []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKEK
	}
	if err := checkLabel(purpose, id); err != nil {
		return nil, err
	}
	out := make([]byte, headSize, headSize+len(secret)+k.aead.Overhead())
	out[0] = version
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[1+kekIDSize : headSize]); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1+kekIDSize:headSize], secret, k.aad(purpose, id)), nil
}

// Open decrypts a sealed secret of purpose and id: ErrWrongKEK when it was sealed
// under another KEK, ErrTampered when it was altered or belongs to another
// purpose or id.
func (k *KEK) Open(purpose, id string, sealed []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKEK
	}
	if err := checkLabel(purpose, id); err != nil {
		return nil, err
	}
	if len(sealed) < headSize+k.aead.Overhead() || sealed[0] != version {
		return nil, fmt.Errorf("%w: not a sealed secret of format %d", ErrTampered, version)
	}
	if !bytes.Equal(sealed[1:1+kekIDSize], k.id[:]) {
		return nil, fmt.Errorf("%w: sealed under KEK %x, the configured KEK is %s", ErrWrongKEK, sealed[1:1+kekIDSize], k.ID())
	}
	pt, err := k.aead.Open(nil, sealed[1+kekIDSize:headSize], sealed[headSize:], k.aad(purpose, id))
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s", ErrTampered, purpose, id)
	}
	return pt, nil
}

// Signer signs messages with a private key it need not reveal: an Ed25519 key
// opened from the database (NewEd25519Signer) or, later, a key in an HSM
// reached through PKCS#11. Sign returns the signature in the algorithm's
// standard encoding (Ed25519: 64 bytes over the message itself).
type Signer interface {
	Public() crypto.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// NewEd25519Signer returns a Signer holding priv in memory.
func NewEd25519Signer(priv ed25519.PrivateKey) Signer { return edSigner{priv} }

type edSigner struct{ k ed25519.PrivateKey }

func (s edSigner) Public() crypto.PublicKey        { return s.k.Public() }
func (s edSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.k, msg), nil }

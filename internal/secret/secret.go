// Package secret makes the random values Senim hands out — session and challenge
// tokens, CSRF tokens, share tokens, opaque references, nonces — and the one hash
// under which a token is stored, so that a database dump holds no usable token.
//
// crypto/rand does not fail on any platform Go supports (since Go 1.24 it never
// returns an error), so none of these functions returns one.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Token is a 256-bit random bearer token, base64url without padding (43 characters):
// what a cookie or a link carries. Store only Hash(token).
func Token() string { return encode(32) }

// Ref is a 128-bit random opaque reference with a prefix ("n_…", "r_…"): unguessable,
// but not a credential.
func Ref(prefix string) string { return prefix + encode(16) }

// OrderedRef is a reference of Ref's form (prefix and 22 characters) whose first 48
// bits are t in milliseconds and the other 80 random: still unguessable and not a
// credential, but references made close in time share their first characters, so a
// unique index over them takes new rows in a few neighbouring pages instead of one
// random page each (for the notification point's notices, a batch of hundreds of rows
// per commit: far fewer pages written to the log).
func OrderedRef(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Nonce is n random bytes, base64url without padding: a CSP nonce, a request id.
func Nonce(n int) string { return encode(n) }

// Bytes is n random bytes: salts, IVs, commitments' blinding.
func Bytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Hash is the hex SHA-256 of a token: the key under which a token is stored and
// looked up. A token is 256 random bits, so no salt or stretching is needed.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func encode(n int) string {
	return base64.RawURLEncoding.EncodeToString(Bytes(n))
}

package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the body of a C2SP tlog-checkpoint: origin, tree size, root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   []byte
}

// Marshal returns the checkpoint body (without signatures).
func (c Checkpoint) Marshal() []byte {
	return []byte(c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + b64(c.Hash) + "\n")
}

// ParseCheckpoint parses a checkpoint body strictly. Extension lines are refused:
// this log writes none. Errors wrap ErrCheckpointInvalid.
func ParseCheckpoint(body string) (Checkpoint, error) {
	lines := strings.Split(body, "\n")
	if len(lines) != 4 || lines[3] != "" || lines[0] == "" {
		return Checkpoint{}, fmt.Errorf("%w: not a three-line checkpoint", ErrCheckpointInvalid)
	}
	size, err := canonicalInt(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: bad tree size", ErrCheckpointInvalid)
	}
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != sha256.Size {
		return Checkpoint{}, fmt.Errorf("%w: bad root hash", ErrCheckpointInvalid)
	}
	return Checkpoint{Origin: lines[0], Size: size, Hash: h}, nil
}

// OpenCheckpoint verifies a signed checkpoint: it must carry a valid signature of
// logKey, whose name must be the checkpoint's origin. Signatures of other known
// verifiers (witnesses) are checked too and returned in the note. A checkpoint
// that announces a new key carries the old and the new log key's signatures, so
// either pin opens it.
func OpenCheckpoint(signed []byte, logKey note.Verifier, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	return openCheckpoint(signed, []note.Verifier{logKey}, others...)
}

// openCheckpoint is OpenCheckpoint with several log keys (all named after the
// origin), of which at least one must have signed.
func openCheckpoint(signed []byte, logKeys []note.Verifier, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	if len(logKeys) == 0 {
		return Checkpoint{}, nil, fmt.Errorf("%w: no log key", ErrCheckpointInvalid)
	}
	n, err := note.Open(signed, note.VerifierList(append(append([]note.Verifier{}, logKeys...), others...)...))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("%w: %v", ErrCheckpointInvalid, err)
	}
	signedByLog := false
	for _, s := range n.Sigs {
		for _, k := range logKeys {
			if s.Name == k.Name() && s.Hash == k.KeyHash() {
				signedByLog = true
			}
		}
	}
	if !signedByLog {
		return Checkpoint{}, nil, fmt.Errorf("%w: no signature of the log", ErrCheckpointInvalid)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if c.Origin != logKeys[0].Name() {
		return Checkpoint{}, nil, fmt.Errorf("%w: origin %q is not the log's key name", ErrCheckpointInvalid, c.Origin)
	}
	return c, n, nil
}

// LoadOrCreateSigner returns the log's Ed25519 note signer and verifier, kept in a
// 0600 file at path holding the private key in the note format
// ("PRIVATE+KEY+<origin>+<hash>+<data>"). The file is created with a new key when
// missing; an existing key must be named origin. It is for tests and one-process
// tools: a server keeps its key in the database (KeyStore), so that every node
// signs with the same key, and imports this file once.
func LoadOrCreateSigner(path, origin string) (note.Signer, note.Verifier, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, nil, fmt.Errorf("auditlog: generate log key: %w", err)
		}
		if err := writeNew(path, []byte(skey+"\n")); err != nil {
			return nil, nil, err
		}
		b = []byte(skey + "\n")
	} else if err != nil {
		return nil, nil, fmt.Errorf("auditlog: read log key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: log key %s: %w", path, err)
	}
	if signer.Name() != origin {
		return nil, nil, fmt.Errorf("auditlog: log key %s is named %q, not the origin %q", path, signer.Name(), origin)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: log key %s: %w", path, err)
	}
	verifier, err := NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("auditlog: log key %s: %w", path, err)
	}
	return signer, verifier, nil
}

func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("auditlog: log key dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("auditlog: create log key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auditlog: write log key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("auditlog: write log key: %w", err)
	}
	return f.Close()
}

// verifierKey derives the public verifier key "<name>+<hash>+<data>" from a note
// private key.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note private key")
	}
	data, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(data) != 1+ed25519.SeedSize || data[0] != 1 {
		return "", errors.New("not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(data[1:]).Public().(ed25519.PublicKey)
	return parts[2] + "+" + parts[3] + "+" + b64(append([]byte{1}, pub...)), nil
}

// NewVerifier parses the log's published verifier key ("<name>+<hash>+<data>", an
// Ed25519 note key) into a verifier that remembers its text (see VerifierKey).
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("%w: log key: %v", ErrCheckpointInvalid, err)
	}
	return keyVerifier{v, strings.TrimSpace(vkey)}, nil
}

type keyVerifier struct {
	note.Verifier
	vkey string
}

func (k keyVerifier) String() string { return k.vkey }

// VerifierKey returns the published form of a verifier ("<name>+<hash>+<data>")
// when it was made by LoadOrCreateSigner or NewVerifier from such a key.
func VerifierKey(v note.Verifier) string {
	if k, ok := v.(interface{ String() string }); ok {
		return k.String()
	}
	return ""
}

// algCosignatureV1 is the signed-note signature type of Ed25519 cosignatures.
const algCosignatureV1 = 0x04

func cosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosignedMessage(ts uint64, body []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), body...)
}

type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	vkey string
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) String() string  { return v.vkey }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	if ts > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(ts, msg), sig[8:])
}

// NewCosignatureVerifier parses a witness's C2SP tlog-cosignature/v1 verifier key,
// "<name>+<hash>+base64(0x04 || Ed25519 public key)".
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexHash, data, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || len(hexHash) != 8 {
		return nil, fmt.Errorf("%w: malformed witness key", ErrCosignatureInvalid)
	}
	h, err := strconv.ParseUint(hexHash, 16, 32)
	raw, err2 := base64.StdEncoding.DecodeString(data)
	if err != nil || err2 != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algCosignatureV1 {
		return nil, fmt.Errorf("%w: witness key is not an Ed25519 cosignature/v1 key", ErrCosignatureInvalid)
	}
	pub := ed25519.PublicKey(raw[1:])
	if uint32(h) != cosignatureKeyHash(name, pub) {
		return nil, fmt.Errorf("%w: witness key hash does not match", ErrCosignatureInvalid)
	}
	return &cosigVerifier{name: name, hash: uint32(h), pub: pub, vkey: vkey}, nil
}

// Cosigner is a C2SP tlog-cosignature/v1 signer: what a witness runs. Senim uses it
// in tests and the sandbox; production witnesses are other parties.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner returns a cosigner named name with key; now stamps its cosignatures.
func NewCosigner(name string, key ed25519.PrivateKey, now func() time.Time) *Cosigner {
	if now == nil {
		now = time.Now
	}
	return &Cosigner{name: name, key: key, now: now}
}

func (c *Cosigner) Name() string { return c.name }
func (c *Cosigner) KeyHash() uint32 {
	return cosignatureKeyHash(c.name, c.key.Public().(ed25519.PublicKey))
}

// Sign returns timestamp || Ed25519 signature of the cosigned message.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	ts := uint64(c.now().Unix())
	sig := ed25519.Sign(c.key, cosignedMessage(ts, msg))
	return append(binary.BigEndian.AppendUint64(nil, ts), sig...), nil
}

// VerifierKey returns the cosigner's public verifier key.
func (c *Cosigner) VerifierKey() string {
	pub := c.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.KeyHash(), b64(append([]byte{algCosignatureV1}, pub...)))
}

package auditlog

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/store"
)

// KeyPurpose is the keyring purpose under which the log's private keys are sealed;
// the id is the key's public verifier key.
const KeyPurpose = "auditlog.key"

// Errors of the key store.
var (
	// ErrNoLogKey: the log has checkpoints but no key in the database and no key
	// file to import. Restore the key (the data directory's log.key of the node
	// that signed them) instead of starting a new log identity.
	ErrNoLogKey = errors.New("auditlog: the log has checkpoints but no signing key")
	// ErrKeyFileMismatch: the database holds the log's key and the node's
	// <data-dir>/log.key is another key. Remove the file (after checking which
	// key data owners pinned) or point the node at the right database.
	ErrKeyFileMismatch = errors.New("auditlog: the key file is not the log's key in the database")
	// ErrKeyNotFound: a rotation command named a key the log does not have.
	ErrKeyNotFound = errors.New("auditlog: no such log key")
	// ErrLastKey: retiring this key would leave the log with no signing key.
	ErrLastKey = errors.New("auditlog: cannot retire the log's only active key")
)

// KeyStore keeps the log's Ed25519 note keys in the database (auditlog_keys), the
// private halves sealed under KEK (package keyring). Every node of a deployment
// reads the same keys, so every checkpoint carries the same signatures.
//
// Keys are numbered 1, 2, ...; the first is created exactly once cluster-wide
// (insert-or-read on seq 1), by importing ImportFile when it exists. Every key
// not retired signs every checkpoint: after Rotate the next checkpoint is signed
// by the old and the new key (it announces the new key), and both keep signing
// until Retire removes the old one. Retired keys still verify old checkpoints.
type KeyStore struct {
	DB  *store.DB
	KEK *keyring.KEK
	// Origin is the log's origin; every key is named after it.
	Origin string
	// ImportFile is the key file of the single-node layout (<data-dir>/log.key, a
	// note private key). Imported when the database has no key; when it has one,
	// the file must hold one of its keys.
	ImportFile string
	Now        func() time.Time
	Logger     *slog.Logger
}

// KeyInfo describes one of the log's keys.
type KeyInfo struct {
	Seq       int64
	Key       string // the public verifier key "<origin>+<hash>+<data>"
	CreatedAt time.Time
	RetiredAt time.Time // zero while the key signs
}

// keySet is the log's keys as one node uses them at one moment.
type keySet struct {
	signers   []note.Signer   // active keys, oldest first: each signs every checkpoint
	verifiers []note.Verifier // every key, active and retired
	published []string        // verifier keys of the active keys, oldest first
	loaded    time.Time       // when read from the database (zero: a fixed key)
}

// keysTTL bounds how long a node that integrates nothing serves keys it read
// before: another node's rotation shows at its /log/key within this time.
const keysTTL = time.Minute

func staticKeys(s note.Signer, v note.Verifier) *keySet {
	ks := &keySet{signers: []note.Signer{s}, verifiers: []note.Verifier{v}}
	if k := VerifierKey(v); k != "" {
		ks.published = []string{k}
	}
	return ks
}

// open verifies a checkpoint signed by at least one of the log's keys.
func (ks *keySet) open(signed []byte, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	return openCheckpoint(signed, ks.verifiers, others...)
}

// noteSigner is a note.Signer (Ed25519, algorithm 0x01) over a keyring.Signer.
type noteSigner struct {
	name string
	hash uint32
	s    keyring.Signer
}

func (n noteSigner) Name() string                    { return n.name }
func (n noteSigner) KeyHash() uint32                 { return n.hash }
func (n noteSigner) Sign(msg []byte) ([]byte, error) { return n.s.Sign(msg) }

// NewNoteSigner wraps an Ed25519 keyring.Signer (in memory today, an HSM
// tomorrow) as a signed-note signer named name, and returns its verifier, whose
// VerifierKey is the published key.
func NewNoteSigner(name string, s keyring.Signer) (note.Signer, note.Verifier, error) {
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok {
		return nil, nil, errors.New("auditlog: the log key must be Ed25519")
	}
	vkey := noteVerifierKey(name, pub)
	v, err := NewVerifier(vkey)
	if err != nil {
		return nil, nil, err
	}
	return noteSigner{name: name, hash: v.KeyHash(), s: s}, v, nil
}

func noteVerifierKey(name string, pub ed25519.PublicKey) string {
	data := append([]byte{1}, pub...)
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(data)
	return fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h.Sum(nil)), b64(data))
}

func (k *KeyStore) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func (k *KeyStore) logger() *slog.Logger {
	if k.Logger != nil {
		return k.Logger
	}
	return slog.Default()
}

// readKeyFile returns the Ed25519 seed and verifier key of a note private key
// file; nil when the file does not exist.
func readKeyFile(path, origin string) ([]byte, string, error) {
	if path == "" {
		return nil, "", nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("auditlog: read log key file: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("auditlog: log key file %s: %w", path, err)
	}
	if s.Name() != origin {
		return nil, "", fmt.Errorf("auditlog: log key file %s is named %q, not the origin %q", path, s.Name(), origin)
	}
	parts := strings.SplitN(skey, "+", 5)
	data, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(data) != 1+ed25519.SeedSize || data[0] != 1 {
		return nil, "", fmt.Errorf("auditlog: log key file %s is not an Ed25519 note key", path)
	}
	seed := data[1:]
	return seed, noteVerifierKey(origin, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)), nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Ensure makes sure the log has a key and returns the key set: it imports
// ImportFile or creates a key when the database has none (one node wins a
// concurrent first start; the others read its key), and refuses a key file that
// differs from the database's keys (ErrKeyFileMismatch), a missing key for a log
// that has checkpoints (ErrNoLogKey), and keys it cannot open (keyring errors:
// a wrong or missing KEK).
func (k *KeyStore) Ensure(ctx context.Context) (*keySet, error) {
	if k.KEK == nil {
		return nil, fmt.Errorf("%w: the log's key is kept in the database, sealed under a KEK", keyring.ErrNoKEK)
	}
	fileSeed, fileKey, err := readKeyFile(k.ImportFile, k.Origin)
	if err != nil {
		return nil, err
	}
	created := ""
	err = k.DB.Tx(ctx, func(tx *store.Tx) error {
		created = ""
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM auditlog_keys").Scan(&n); err != nil {
			return fmt.Errorf("auditlog: read log keys: %w", err)
		}
		if n > 0 {
			return nil
		}
		seed, vkey, how := fileSeed, fileKey, "imported "+k.ImportFile
		if seed == nil {
			var cps int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM auditlog_checkpoints").Scan(&cps); err != nil {
				return fmt.Errorf("auditlog: read checkpoints: %w", err)
			}
			if cps > 0 {
				return fmt.Errorf("%w: %d checkpoints are signed with a key that is neither in the database nor in %s; restore that file from the node that signed them (a new key would change the log's identity)",
					ErrNoLogKey, cps, k.ImportFile)
			}
			if seed, vkey, err = newSeed(k.Origin); err != nil {
				return err
			}
			how = "created"
		}
		sealed, err := k.KEK.Seal(KeyPurpose, vkey, seed)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO auditlog_keys (seq, vkey, sealed, created_at) VALUES (1, ?, ?, ?) ON CONFLICT DO NOTHING",
			vkey, sealed, store.Micros(k.now()))
		if err != nil {
			return fmt.Errorf("auditlog: store log key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = how
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ks, err := k.load(ctx, k.DB)
	if err != nil {
		return nil, err
	}
	if created != "" {
		k.logger().InfoContext(ctx, "auditlog: log key stored in the database", slog.String("how", created), slog.String("key", ks.published[0]))
	}
	if fileKey != "" {
		known := false
		for _, v := range ks.verifiers {
			known = known || VerifierKey(v) == fileKey
		}
		if !known {
			return nil, fmt.Errorf("%w: %s holds %s, the database's log keys are %s; remove the file if the database's key is the one data owners and witnesses pinned",
				ErrKeyFileMismatch, k.ImportFile, fileKey, strings.Join(ks.published, ", "))
		}
	}
	return ks, nil
}

func newSeed(origin string) ([]byte, string, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, "", fmt.Errorf("auditlog: generate log key: %w", err)
	}
	return seed, noteVerifierKey(origin, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)), nil
}

// load reads and opens every key. A key whose sealed seed does not open, or
// opens to another public key than its row says, is refused: nothing is signed
// or verified with a key the KEK does not vouch for.
func (k *KeyStore) load(ctx context.Context, q querier) (*keySet, error) {
	rows, err := q.QueryContext(ctx, "SELECT seq, vkey, sealed, retired_at FROM auditlog_keys ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("auditlog: read log keys: %w", err)
	}
	defer rows.Close()
	ks := &keySet{}
	for rows.Next() {
		var seq, retired int64
		var vkey string
		var sealed []byte
		if err := rows.Scan(&seq, &vkey, &sealed, &retired); err != nil {
			return nil, fmt.Errorf("auditlog: read log keys: %w", err)
		}
		seed, err := k.KEK.Open(KeyPurpose, vkey, sealed)
		if err != nil {
			return nil, fmt.Errorf("auditlog: log key %d: %w", seq, err)
		}
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("auditlog: log key %d: %w: not an Ed25519 seed", seq, keyring.ErrTampered)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		s, v, err := NewNoteSigner(k.Origin, keyring.NewEd25519Signer(priv))
		if err != nil {
			return nil, err
		}
		if VerifierKey(v) != vkey {
			return nil, fmt.Errorf("auditlog: log key %d is %s, not a key of the origin %q", seq, vkey, k.Origin)
		}
		ks.verifiers = append(ks.verifiers, v)
		if retired == 0 {
			ks.signers = append(ks.signers, s)
			ks.published = append(ks.published, vkey)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auditlog: read log keys: %w", err)
	}
	if len(ks.signers) == 0 {
		return nil, fmt.Errorf("%w: no active key in the database", ErrNoLogKey)
	}
	ks.loaded = time.Now()
	return ks, nil
}

// Keys lists the log's keys, oldest first.
func (k *KeyStore) Keys(ctx context.Context) ([]KeyInfo, error) {
	rows, err := k.DB.QueryContext(ctx, "SELECT seq, vkey, created_at, retired_at FROM auditlog_keys ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("auditlog: read log keys: %w", err)
	}
	defer rows.Close()
	var out []KeyInfo
	for rows.Next() {
		var ki KeyInfo
		var c, r int64
		if err := rows.Scan(&ki.Seq, &ki.Key, &c, &r); err != nil {
			return nil, fmt.Errorf("auditlog: read log keys: %w", err)
		}
		ki.CreatedAt = store.FromMicros(c)
		if r != 0 {
			ki.RetiredAt = store.FromMicros(r)
		}
		out = append(out, ki)
	}
	return out, rows.Err()
}

// keyEvent is the payload of the auditlog.key.added and auditlog.key.retired
// events, which put every change of the log's keys into the log itself.
type keyEvent struct {
	Key string `json:"key"`
}

// Rotate adds a new key. From the next checkpoint on, every checkpoint is signed
// by the old and the new key; the outbox event auditlog.key.added (payload
// {"key": the new verifier key}) lands in the log, so the first checkpoint that
// carries the new signature also logs the announcement. Retire the old key once
// witnesses and data owners pin the new one.
func (k *KeyStore) Rotate(ctx context.Context, actor string) (string, error) {
	if _, err := k.load(ctx, k.DB); err != nil { // the KEK must open the current keys
		return "", err
	}
	seed, vkey, err := newSeed(k.Origin)
	if err != nil {
		return "", err
	}
	sealed, err := k.KEK.Seal(KeyPurpose, vkey, seed)
	if err != nil {
		return "", err
	}
	err = k.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := lockLog(ctx, tx); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM auditlog_keys").Scan(&last); err != nil {
			return fmt.Errorf("auditlog: read log keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO auditlog_keys (seq, vkey, sealed, created_at) VALUES (?, ?, ?, ?)",
			last+1, vkey, sealed, store.Micros(k.now())); err != nil {
			return fmt.Errorf("auditlog: store log key: %w", err)
		}
		p, _ := json.Marshal(keyEvent{Key: vkey})
		_, err := tx.Emit(ctx, store.Event{Type: EvKeyAdded, Actor: actor, Payload: p})
		return err
	})
	if err != nil {
		return "", err
	}
	return vkey, nil
}

// Retire stops key (its verifier key, "<origin>+<hash>", or the 8-digit hex
// hash) from signing new checkpoints; it still verifies the ones it signed. The
// last active key cannot be retired (ErrLastKey). The event auditlog.key.retired
// logs the change.
func (k *KeyStore) Retire(ctx context.Context, actor, key string) (string, error) {
	if _, err := k.load(ctx, k.DB); err != nil {
		return "", err
	}
	var vkey string
	err := k.DB.Tx(ctx, func(tx *store.Tx) error {
		vkey = ""
		// Two retirements at once must not leave the log without a signing key.
		if err := lockLog(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT vkey, retired_at FROM auditlog_keys ORDER BY seq")
		if err != nil {
			return fmt.Errorf("auditlog: read log keys: %w", err)
		}
		active := 0
		var match []string
		for rows.Next() {
			var v string
			var r int64
			if err := rows.Scan(&v, &r); err != nil {
				rows.Close()
				return fmt.Errorf("auditlog: read log keys: %w", err)
			}
			if r == 0 {
				active++
				if keyMatches(v, key) {
					match = append(match, v)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		switch {
		case len(match) == 0:
			return fmt.Errorf("%w: %q is not an active log key (see senim log key list)", ErrKeyNotFound, key)
		case len(match) > 1:
			return fmt.Errorf("%w: %q names several keys; give the whole verifier key", ErrKeyNotFound, key)
		case active == 1:
			return ErrLastKey
		}
		vkey = match[0]
		if _, err := tx.ExecContext(ctx, "UPDATE auditlog_keys SET retired_at = ? WHERE vkey = ?", store.Micros(k.now()), vkey); err != nil {
			return fmt.Errorf("auditlog: retire log key: %w", err)
		}
		p, _ := json.Marshal(keyEvent{Key: vkey})
		_, err = tx.Emit(ctx, store.Event{Type: EvKeyRetired, Actor: actor, Payload: p})
		return err
	})
	return vkey, err
}

// keyMatches reports whether sel names the verifier key vkey: the whole key,
// "<name>+<hash>" or the hash alone.
func keyMatches(vkey, sel string) bool {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		return false
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return false
	}
	if _, err := hex.DecodeString(sel); err == nil && len(sel) == 8 {
		return strings.EqualFold(sel, parts[1])
	}
	return sel == vkey || sel == parts[0]+"+"+parts[1]
}

// currentKeys returns the log's keys as q (a batch's transaction, or the
// database) holds them now; a fixed key set when the log has no KeyStore.
func (l *Log) currentKeys(ctx context.Context, q querier) (*keySet, error) {
	if l.cfg.Keys == nil {
		return l.keys.Load(), nil
	}
	return l.cfg.Keys.load(ctx, q)
}

// freshKeys returns the keys, read again from the database when they are older
// than keysTTL. When that read fails it keeps the keys it has and logs why.
func (l *Log) freshKeys(ctx context.Context) *keySet {
	ks := l.keys.Load()
	if l.cfg.Keys == nil || time.Since(ks.loaded) < keysTTL {
		return ks
	}
	return l.reloadKeys(ctx)
}

func (l *Log) reloadKeys(ctx context.Context) *keySet {
	ks, err := l.cfg.Keys.load(ctx, l.db)
	if err != nil {
		l.cfg.Logger.ErrorContext(ctx, "auditlog: reading the log's keys", slog.String("error", err.Error()))
		return l.keys.Load()
	}
	l.keys.Store(ks)
	return ks
}

// openOwn verifies a checkpoint this log stored. A checkpoint signed by a key
// this node has not read yet (another node integrated it after a rotation) makes
// it read the keys again once.
func (l *Log) openOwn(ctx context.Context, signed []byte, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	c, n, err := l.freshKeys(ctx).open(signed, others...)
	if err != nil && l.cfg.Keys != nil && errors.Is(err, ErrCheckpointInvalid) {
		c, n, err = l.reloadKeys(ctx).open(signed, others...)
	}
	return c, n, err
}

// checkHead verifies that the newest stored checkpoint is the tree of state st
// and is signed by one of the log's keys.
func (l *Log) checkHead(ctx context.Context, q querier, st state, ks *keySet) error {
	size, n, err := newestCheckpoint(ctx, q, ks)
	if err != nil {
		return err
	}
	return l.matchState(st, size, n)
}

// newestCheckpoint reads the newest stored checkpoint and verifies it with ks;
// size 0 when there is none.
func newestCheckpoint(ctx context.Context, q querier, ks *keySet) (int64, Checkpoint, error) {
	var size int64
	var n string
	err := q.QueryRowContext(ctx, "SELECT tree_size, note FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&size, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Checkpoint{}, nil
	}
	if err != nil {
		return 0, Checkpoint{}, fmt.Errorf("auditlog: read checkpoint: %w", err)
	}
	cp, _, err := ks.open([]byte(n))
	if err != nil {
		return 0, Checkpoint{}, fmt.Errorf("the newest checkpoint (size %d) does not verify with the log's keys: %w", size, err)
	}
	if cp.Size != size {
		return 0, Checkpoint{}, fmt.Errorf("%w: the checkpoint stored for size %d says size %d", ErrInconsistent, size, cp.Size)
	}
	return size, cp, nil
}

// matchState checks that the newest checkpoint (size, cp) is the head of the
// tree in state st.
func (l *Log) matchState(st state, size int64, cp Checkpoint) error {
	if st.size != size {
		return fmt.Errorf("%w: the tree has size %d, its newest checkpoint size %d", ErrInconsistent, st.size, size)
	}
	if size == 0 {
		return nil
	}
	rng, err := l.rf.NewRange(0, uint64(st.size), st.hashes)
	if err != nil {
		return fmt.Errorf("%w: state: %v", ErrInconsistent, err)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return fmt.Errorf("%w: state: %v", ErrInconsistent, err)
	}
	if string(root) != string(cp.Hash) {
		return fmt.Errorf("%w: the newest checkpoint's root hash is not the tree's", ErrInconsistent)
	}
	return nil
}

// Ready reports whether this node may serve the log: it reads the keys again
// (a rotation shows at /log/key) and checks that the newest stored checkpoint is
// signed by one of them and is the tree's current head. A node whose key is not
// the log's, or a checkpoint changed in the database, makes it fail; the error
// names the reason (ErrCheckpointInvalid, ErrInconsistent, or a keyring error)
// and carries no personal data.
func (l *Log) Ready(ctx context.Context) error {
	ks, err := l.currentKeys(ctx, l.db)
	if err != nil {
		return err
	}
	l.keys.Store(ks)
	// The checkpoint first, then the state: the state never lags behind a
	// committed checkpoint, and when a batch commits in between, the state is
	// ahead and only the signature is checked this time.
	size, cp, err := newestCheckpoint(ctx, l.db, ks)
	if err != nil {
		return err
	}
	st, err := loadState(ctx, l.db)
	if err != nil {
		return err
	}
	if st.size > size && size > 0 {
		return nil
	}
	return l.matchState(st, size, cp)
}

// Key returns the log's verifier key ("<origin>+<hash>+<data>"): the oldest
// active key, which signs every checkpoint until it is retired; "" when the
// configured verifier was not made by LoadOrCreateSigner or NewVerifier. A data
// owner's verifier pins it (verifier.LogRequirement.VerifierKey); the sandbox,
// which runs the data owner in-process, reads it here.
func (l *Log) Key() string {
	if p := l.keys.Load().published; len(p) > 0 {
		return p[0]
	}
	return ""
}

// PublishedKeys returns the verifier keys that sign new checkpoints, oldest
// first, as served at /log/key.
func (l *Log) PublishedKeys(ctx context.Context) []string { return l.freshKeys(ctx).published }

// ImportRetired adds the key in a note private key file (a node's old
// <data-dir>/log.key) as a retired key: it signs nothing, and verifies the
// checkpoints it signed. For a deployment whose nodes each signed with their own
// key before keys moved into the database, so that the history those keys signed
// still verifies. The event auditlog.key.imported logs it.
func (k *KeyStore) ImportRetired(ctx context.Context, actor, path string) (string, error) {
	if _, err := k.load(ctx, k.DB); err != nil {
		return "", err
	}
	seed, vkey, err := readKeyFile(path, k.Origin)
	if err != nil {
		return "", err
	}
	if seed == nil {
		return "", fmt.Errorf("auditlog: no key file %s", path)
	}
	sealed, err := k.KEK.Seal(KeyPurpose, vkey, seed)
	if err != nil {
		return "", err
	}
	err = k.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := lockLog(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM auditlog_keys WHERE vkey = ?", vkey).Scan(&n); err != nil {
			return fmt.Errorf("auditlog: read log keys: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("auditlog: %s is already a key of the log", vkey)
		}
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM auditlog_keys").Scan(&last); err != nil {
			return fmt.Errorf("auditlog: read log keys: %w", err)
		}
		now := store.Micros(k.now())
		if _, err := tx.ExecContext(ctx, "INSERT INTO auditlog_keys (seq, vkey, sealed, created_at, retired_at) VALUES (?, ?, ?, ?, ?)",
			last+1, vkey, sealed, now, now); err != nil {
			return fmt.Errorf("auditlog: store log key: %w", err)
		}
		p, _ := json.Marshal(keyEvent{Key: vkey})
		_, err := tx.Emit(ctx, store.Event{Type: EvKeyImported, Actor: actor, Payload: p})
		return err
	})
	if err != nil {
		return "", err
	}
	return vkey, nil
}

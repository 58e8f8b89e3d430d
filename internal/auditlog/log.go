package auditlog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/store"
)

// ConsumerName is the outbox consumer the sequencer reads as.
const ConsumerName = "auditlog"

// Config configures a Log. DB, Origin and either Keys or Signer and Verifier are
// required.
type Config struct {
	DB *store.DB
	// Keys keeps the log's keys in the database, shared by every node (a server
	// uses it). Its Origin and DB default to the Config's.
	Keys *KeyStore
	// Signer signs checkpoints; its name must be Origin (see LoadOrCreateSigner).
	// A fixed key for tests and one-process tools; not with Keys.
	Signer note.Signer
	// Verifier is Signer's public key, published at /log/key.
	Verifier note.Verifier
	// Origin is the checkpoint origin line, e.g. "senim.kz/log".
	Origin string
	// Witnesses are the configured witness keys (see NewCosignatureVerifier);
	// cosignatures from any other key are refused.
	Witnesses []note.Verifier
	// WitnessQuorum > 0 makes /log/checkpoint serve only the newest checkpoint
	// cosigned by at least that many witnesses.
	WitnessQuorum int
	// Now stamps checkpoints and decides when sealed leaves open. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// BatchMax is the most events integrated under one checkpoint (default 4096,
	// at most 10000).
	BatchMax int
	// Interval bounds the delay for events written by other processes (default 1s).
	Interval time.Duration
	// Rand supplies the leaf salts. Default crypto/rand.
	Rand io.Reader
}

// Log is the tamper-evident log: its sequencer, its read API and the per-subject
// history. It is safe for concurrent use.
type Log struct {
	cfg   Config
	db    *store.DB
	rf    *compact.RangeFactory
	tiles *tileCache
	seqMu sync.Mutex
	keys  atomic.Pointer[keySet] // the keys as last read (every batch reads them again)
	size  atomic.Pointer[sizeCache]
}

var hasher = rfc6962.DefaultHasher

// New validates cfg, fills defaults and makes sure the log's state row exists.
func New(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Keys != nil {
		return newWithKeyStore(ctx, cfg)
	}
	switch {
	case cfg.DB == nil:
		return nil, errors.New("auditlog: Config.DB is required")
	case cfg.Signer == nil || cfg.Verifier == nil:
		return nil, errors.New("auditlog: Config.Signer and Config.Verifier are required")
	case cfg.Origin == "" || strings.ContainsAny(cfg.Origin, " \n+"):
		return nil, errors.New("auditlog: Config.Origin must be a non-empty key name")
	case cfg.Signer.Name() != cfg.Origin || cfg.Verifier.Name() != cfg.Origin:
		return nil, fmt.Errorf("auditlog: the log key must be named after the origin %q", cfg.Origin)
	case cfg.Signer.KeyHash() != cfg.Verifier.KeyHash():
		return nil, errors.New("auditlog: Config.Verifier is not the key of Config.Signer")
	case cfg.WitnessQuorum < 0 || cfg.WitnessQuorum > len(cfg.Witnesses):
		return nil, errors.New("auditlog: Config.WitnessQuorum must be between 0 and the number of witnesses")
	}
	// A round trip proves the pair really belongs together.
	probe := []byte("senim auditlog key check\n")
	if sig, err := cfg.Signer.Sign(probe); err != nil || !cfg.Verifier.Verify(probe, sig) {
		return nil, errors.New("auditlog: Config.Verifier does not verify Config.Signer's signatures")
	}
	return newLog(ctx, cfg, staticKeys(cfg.Signer, cfg.Verifier))
}

// newWithKeyStore opens a log whose keys live in the database.
func newWithKeyStore(ctx context.Context, cfg Config) (*Log, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("auditlog: Config.DB is required")
	case cfg.Signer != nil || cfg.Verifier != nil:
		return nil, errors.New("auditlog: Config.Keys and Config.Signer/Verifier exclude each other")
	case cfg.Origin == "" || strings.ContainsAny(cfg.Origin, " \n+"):
		return nil, errors.New("auditlog: Config.Origin must be a non-empty key name")
	case cfg.WitnessQuorum < 0 || cfg.WitnessQuorum > len(cfg.Witnesses):
		return nil, errors.New("auditlog: Config.WitnessQuorum must be between 0 and the number of witnesses")
	}
	k := *cfg.Keys
	if k.DB == nil {
		k.DB = cfg.DB
	}
	if k.Origin == "" {
		k.Origin = cfg.Origin
	}
	if k.Origin != cfg.Origin {
		return nil, fmt.Errorf("auditlog: the key store's origin %q is not the log's %q", k.Origin, cfg.Origin)
	}
	if k.Now == nil {
		k.Now = cfg.Now
	}
	if k.Logger == nil {
		k.Logger = cfg.Logger
	}
	cfg.Keys = &k
	ks, err := k.Ensure(ctx)
	if err != nil {
		return nil, err
	}
	return newLog(ctx, cfg, ks)
}

func newLog(ctx context.Context, cfg Config, ks *keySet) (*Log, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchMax <= 0 {
		cfg.BatchMax = 4096
	}
	cfg.BatchMax = min(cfg.BatchMax, 10000)
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	l := &Log{
		cfg:   cfg,
		db:    cfg.DB,
		rf:    &compact.RangeFactory{Hash: hasher.HashChildren},
		tiles: newTileCache(4096),
	}
	l.keys.Store(ks)
	_, err := l.db.ExecContext(ctx,
		"INSERT INTO auditlog_state (id, tree_size, last_event_id, compact_range, updated_at) VALUES (1, 0, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
		[]byte{}, store.Micros(cfg.Now()))
	if err != nil {
		return nil, fmt.Errorf("auditlog: init state: %w", err)
	}
	return l, nil
}

// Run is the sequencer: it integrates outbox events (as consumer "auditlog") in
// batches, one signed checkpoint per batch, until ctx is done.
func (l *Log) Run(ctx context.Context) error {
	return l.db.RunConsumer(ctx, ConsumerName, l.cfg.BatchMax, l.cfg.Interval, func(ctx context.Context, evs []store.Event) error {
		_, err := l.integrate(ctx, evs)
		return err
	})
}

// Sync integrates every event pending now and returns how many it integrated.
// Tests, benchmarks and one-shot tools use it instead of Run.
func (l *Log) Sync(ctx context.Context) (int, error) {
	total := 0
	for {
		var got int
		n, err := l.db.ConsumeBatch(ctx, ConsumerName, l.cfg.BatchMax, func(ctx context.Context, evs []store.Event) error {
			var err error
			got, err = l.integrate(ctx, evs)
			return err
		})
		total += got
		if err != nil || n == 0 {
			return total, err
		}
	}
}

type state struct {
	size   int64
	lastEv int64
	hashes [][]byte
}

// lockLog takes, on PostgreSQL, the transaction-level advisory lock that
// serializes the log's writers across nodes: batches and key changes. SQLite's
// write transactions are exclusive already.
func lockLog(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':senim.auditlog'))"); err != nil {
		return fmt.Errorf("auditlog: sequencer lock: %w", err)
	}
	return nil
}

func loadState(ctx context.Context, tx querier) (state, error) {
	var st state
	var cr []byte
	err := tx.QueryRowContext(ctx, "SELECT tree_size, last_event_id, compact_range FROM auditlog_state WHERE id = 1").
		Scan(&st.size, &st.lastEv, &cr)
	if err != nil {
		return st, fmt.Errorf("auditlog: read state: %w", err)
	}
	if len(cr)%sha256.Size != 0 {
		return st, fmt.Errorf("%w: state has a torn compact range", ErrInconsistent)
	}
	for i := 0; i < len(cr); i += sha256.Size {
		st.hashes = append(st.hashes, cr[i:i+sha256.Size])
	}
	return st, nil
}

// pendingLeaf is an event made ready for the tree outside the transaction.
type pendingLeaf struct {
	ev     store.Event
	salt   []byte
	leaf   []byte
	hash   []byte
	sealed int64
}

func (l *Log) prepare(evs []store.Event) ([]pendingLeaf, error) {
	out := make([]pendingLeaf, len(evs))
	salts := make([]byte, SaltSize*len(evs))
	if _, err := io.ReadFull(l.cfg.Rand, salts); err != nil {
		return nil, fmt.Errorf("auditlog: salt: %w", err)
	}
	for i, e := range evs {
		p := &out[i]
		p.ev = e
		p.salt = salts[i*SaltSize : (i+1)*SaltSize : (i+1)*SaltSize]
		p.leaf = BuildLeaf(e, p.salt)
		if len(p.leaf) > MaxLeafSize {
			return nil, fmt.Errorf("auditlog: leaf of event %d is too large", e.ID)
		}
		p.hash = hasher.HashLeaf(p.leaf)
		if t := sealedUntil(e); !t.IsZero() {
			p.sealed = store.Micros(t)
		}
	}
	return out, nil
}

// tileBuf is a tile being extended in a batch.
type tileBuf struct {
	level int
	idx   int64
	width int
	data  []byte
}

// integrate appends the events of evs not yet in the tree, in one transaction
// with their tiles, entry rows, the new state and a signed checkpoint. It is
// idempotent by event ID and refuses to skip an outbox event.
func (l *Log) integrate(ctx context.Context, evs []store.Event) (int, error) {
	l.seqMu.Lock()
	defer l.seqMu.Unlock()
	prepared, err := l.prepare(evs)
	if err != nil {
		return 0, err
	}
	var added int
	var newSize int64
	var touched []*tileBuf
	var ks *keySet
	err = l.db.Tx(ctx, func(tx *store.Tx) error {
		added, touched, ks = 0, nil, nil
		// The single-leader lock: one integrating transaction at a time across
		// all nodes of this schema; the state below is read after it is held.
		if err := lockLog(ctx, tx); err != nil {
			return err
		}
		st, err := loadState(ctx, tx)
		if err != nil {
			return err
		}
		// The keys are read in the batch's transaction, so a rotation takes
		// effect on every node at once; and no node extends a tree whose newest
		// checkpoint its keys do not verify.
		if ks, err = l.currentKeys(ctx, tx); err != nil {
			return err
		}
		if err := l.checkHead(ctx, tx, st, ks); err != nil {
			return err
		}
		todo := prepared
		for len(todo) > 0 && todo[0].ev.ID <= st.lastEv {
			todo = todo[1:] // delivered again after a crash: already in the tree
		}
		if len(todo) == 0 {
			return nil
		}
		// Never skip an event: events between the state and this batch (a
		// cursor moved by hand, a consumer that failed silently) come first.
		missed, err := readEventsBetween(ctx, tx, st.lastEv, todo[0].ev.ID)
		if err != nil {
			return err
		}
		if len(missed) > 0 {
			l.cfg.Logger.WarnContext(ctx, "auditlog: integrating events the cursor skipped", "count", len(missed))
			mp, err := l.prepare(missed)
			if err != nil {
				return err
			}
			todo = append(mp, todo...)
		}
		for i := 1; i < len(todo); i++ {
			if todo[i].ev.ID <= todo[i-1].ev.ID {
				return fmt.Errorf("auditlog: events out of order (%d after %d)", todo[i].ev.ID, todo[i-1].ev.ID)
			}
		}
		touched, err = l.appendLeaves(ctx, tx, st, todo, ks)
		added = len(todo)
		newSize = st.size + int64(added)
		return err
	})
	if err != nil {
		return 0, err
	}
	if ks != nil {
		l.keys.Store(ks)
	}
	for _, t := range touched {
		l.tiles.put(t.level, t.idx, t.width, t.data)
	}
	if added > 0 {
		l.setSize(newSize)
	}
	return added, nil
}

func (l *Log) appendLeaves(ctx context.Context, tx *store.Tx, st state, todo []pendingLeaf, ks *keySet) ([]*tileBuf, error) {
	rng, err := l.rf.NewRange(0, uint64(st.size), st.hashes)
	if err != nil {
		return nil, fmt.Errorf("%w: state: %v", ErrInconsistent, err)
	}
	bufs := map[[2]int64]*tileBuf{}
	var order []*tileBuf
	var visitErr error
	buf := func(level int, idx int64, slot int) *tileBuf {
		k := [2]int64{int64(level), idx}
		if b := bufs[k]; b != nil {
			return b
		}
		b := &tileBuf{level: level, idx: idx}
		if slot > 0 {
			var w int
			err := tx.QueryRowContext(ctx, "SELECT width, data FROM auditlog_tiles WHERE level = ? AND idx = ?", level, idx).Scan(&w, &b.data)
			if err != nil || w != slot {
				visitErr = fmt.Errorf("%w: tile %d/%d has width %d, want %d (%v)", ErrInconsistent, level, idx, w, slot, err)
			}
			b.width = w
		}
		bufs[k] = b
		order = append(order, b)
		return b
	}
	visit := func(id compact.NodeID, h []byte) {
		if id.Level%TileHeight != 0 {
			return
		}
		b := buf(int(id.Level/TileHeight), int64(id.Index>>TileHeight), int(id.Index%TileWidth))
		b.data = append(b.data, h...)
		b.width++
	}
	size := st.size
	for i := range todo {
		p := &todo[i]
		eb := buf(EntriesLevel, size>>TileHeight, int(size%TileWidth))
		eb.data = appendBundleEntry(eb.data, p.leaf)
		eb.width++
		if err := rng.Append(p.hash, visit); err != nil {
			return nil, fmt.Errorf("auditlog: append: %w", err)
		}
		size++
	}
	if visitErr != nil {
		return nil, visitErr
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("auditlog: root: %w", err)
	}
	for _, b := range order {
		if b.width > TileWidth {
			return nil, fmt.Errorf("%w: tile %d/%d overflows", ErrInconsistent, b.level, b.idx)
		}
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO auditlog_tiles (level, idx, width, data) VALUES (?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data",
			b.level, b.idx, b.width, b.data); err != nil {
			return nil, fmt.Errorf("auditlog: write tile: %w", err)
		}
	}
	if err := insertEntries(ctx, tx, st.size, todo); err != nil {
		return nil, err
	}
	cp := Checkpoint{Origin: l.cfg.Origin, Size: size, Hash: root}
	signed, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, ks.signers...)
	if err != nil {
		return nil, fmt.Errorf("auditlog: sign checkpoint: %w", err)
	}
	now := store.Micros(l.cfg.Now())
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO auditlog_checkpoints (tree_size, note, created_at) VALUES (?, ?, ?)",
		size, string(signed), now); err != nil {
		return nil, fmt.Errorf("auditlog: write checkpoint: %w", err)
	}
	var cr []byte
	for _, h := range rng.Hashes() {
		cr = append(cr, h...)
	}
	if _, err := tx.ExecContext(ctx,
		"UPDATE auditlog_state SET tree_size = ?, last_event_id = ?, compact_range = ?, updated_at = ? WHERE id = 1 AND tree_size = ?",
		size, todo[len(todo)-1].ev.ID, cr, now, st.size); err != nil {
		return nil, fmt.Errorf("auditlog: write state: %w", err)
	}
	return order, nil
}

const entryRowsPerInsert = 400

func insertEntries(ctx context.Context, tx *store.Tx, first int64, todo []pendingLeaf) error {
	var q strings.Builder
	args := make([]any, 0, 6*entryRowsPerInsert)
	for start := 0; start < len(todo); start += entryRowsPerInsert {
		chunk := todo[start:min(start+entryRowsPerInsert, len(todo))]
		q.Reset()
		args = args[:0]
		q.WriteString("INSERT INTO auditlog_entries (idx, event_id, hash_key, subject, salt, sealed_until) VALUES ")
		for i, p := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?)")
			args = append(args, first+int64(start+i), p.ev.ID, hashKey(p.hash), p.ev.Subject, p.salt, p.sealed)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("auditlog: write entries: %w", err)
		}
	}
	return nil
}

// hashKey is the indexed prefix of a leaf hash: 8 bytes keep the index small, and
// a lookup compares the full hash of each candidate.
func hashKey(h []byte) int64 { return int64(binary.BigEndian.Uint64(h)) }

func readEventsBetween(ctx context.Context, tx *store.Tx, after, before int64) ([]store.Event, error) {
	if before <= after+1 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx,
		"SELECT id, type, actor, subject, payload, created_at FROM outbox_events WHERE id > ? AND id < ? ORDER BY id", after, before)
	if err != nil {
		return nil, fmt.Errorf("auditlog: read events: %w", err)
	}
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]store.Event, error) {
	defer rows.Close()
	var evs []store.Event
	for rows.Next() {
		var e store.Event
		var payload sql.NullString
		var at int64
		if err := rows.Scan(&e.ID, &e.Type, &e.Actor, &e.Subject, &payload, &at); err != nil {
			return nil, fmt.Errorf("auditlog: read events: %w", err)
		}
		if payload.Valid {
			e.Payload = json.RawMessage(payload.String)
		}
		e.CreatedAt = store.FromMicros(at)
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auditlog: read events: %w", err)
	}
	return evs, nil
}

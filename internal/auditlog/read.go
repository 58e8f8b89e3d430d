package auditlog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

	"github.com/senimkz/senim/internal/store"
)

// tileCache keeps tiles read or written by this process. Tiles only grow and a
// prefix never changes, so a cached tile of width w answers every request for at
// most w hashes, on every node of a cluster.
type tileCache struct {
	mu  sync.Mutex
	max int
	m   map[[2]int64]*cachedTile
}

type cachedTile struct {
	width int
	data  []byte
	// inner[k] holds the complete subtree hashes at height k inside a hash tile,
	// computed once on first use so a proof costs no hashing inside tiles.
	once  sync.Once
	inner [TileHeight + 1][]byte
	// leaves splits an entry bundle, once.
	split  sync.Once
	leaves [][]byte
	bad    bool
}

func (t *cachedTile) bundleLeaves() ([][]byte, bool) {
	t.split.Do(func() {
		ls, err := SplitBundle(t.data)
		t.leaves, t.bad = ls, err != nil
	})
	return t.leaves, !t.bad
}

func (t *cachedTile) innerNode(height uint, pos uint64) []byte {
	t.once.Do(func() {
		t.inner[0] = t.data
		for k := 1; k <= TileHeight; k++ {
			prev := t.inner[k-1]
			cur := make([]byte, 0, len(prev)/2)
			for i := 0; i+64 <= len(prev); i += 64 {
				cur = append(cur, hasher.HashChildren(prev[i:i+32], prev[i+32:i+64])...)
			}
			t.inner[k] = cur
		}
	})
	return t.inner[height][pos*32 : pos*32+32]
}

func newTileCache(max int) *tileCache {
	return &tileCache{max: max, m: make(map[[2]int64]*cachedTile)}
}

func (c *tileCache) get(level int, idx int64) (*cachedTile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[[2]int64{int64(level), idx}]
	return t, ok
}

func (c *tileCache) put(level int, idx int64, width int, data []byte) *cachedTile {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]int64{int64(level), idx}
	if old, ok := c.m[k]; ok && old.width >= width {
		return old
	}
	if len(c.m) >= c.max {
		for k := range c.m { // evict an arbitrary tile
			delete(c.m, k)
			break
		}
	}
	t := &cachedTile{width: width, data: data}
	c.m[k] = t
	return t
}

// readTile returns the tile's stored content if it has at least minWidth entries.
func (l *Log) readTile(ctx context.Context, level int, idx int64, minWidth int) (*cachedTile, error) {
	if t, ok := l.tiles.get(level, idx); ok && t.width >= minWidth {
		return t, nil
	}
	var width int
	var data []byte
	err := l.db.QueryRowContext(ctx, "SELECT width, data FROM auditlog_tiles WHERE level = ? AND idx = ?", level, idx).Scan(&width, &data)
	if errors.Is(err, sql.ErrNoRows) || err == nil && width < minWidth {
		return nil, ErrTileNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: read tile: %w", err)
	}
	if level != EntriesLevel && len(data) != width*32 {
		return nil, fmt.Errorf("%w: tile %d/%d has %d bytes for width %d", ErrInconsistent, level, idx, len(data), width)
	}
	return l.tiles.put(level, idx, width, data), nil
}

// Tile returns the content of a tile or entry bundle as served under /log/.
func (l *Log) Tile(ctx context.Context, id TileID) ([]byte, error) {
	t, err := l.readTile(ctx, id.Level, id.Index, id.Width)
	if err != nil {
		return nil, err
	}
	if id.Level == EntriesLevel {
		b, ok := bundlePrefix(t.data, id.Width)
		if !ok {
			return nil, fmt.Errorf("%w: entry bundle %d is torn", ErrInconsistent, id.Index)
		}
		return b, nil
	}
	return t.data[:id.Width*32], nil
}

// nodeHash returns the hash of a complete subtree, from the tile holding the hashes
// of its level rounded down to a multiple of 8.
func (l *Log) nodeHash(ctx context.Context, id compact.NodeID) ([]byte, error) {
	t := int(id.Level / TileHeight)
	sub := id.Level % TileHeight
	first := id.Index << sub
	count := uint64(1) << sub
	tile, err := l.readTile(ctx, t, int64(first>>TileHeight), int(first%TileWidth+count))
	if err != nil {
		if errors.Is(err, ErrTileNotFound) {
			return nil, fmt.Errorf("%w: missing node %d/%d", ErrInconsistent, id.Level, id.Index)
		}
		return nil, err
	}
	return tile.innerNode(sub, (first%TileWidth)>>sub), nil
}

func (l *Log) nodeHashes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := l.nodeHash(ctx, id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// sizeTTL bounds how stale the cached tree size may be when another process
// sequences; this process's own sequencer updates it on every commit.
const sizeTTL = 200 * time.Millisecond

type sizeCache struct {
	size int64
	at   time.Time
}

// TreeSize returns the size of the newest checkpoint (0 for an empty log).
func (l *Log) TreeSize(ctx context.Context) (int64, error) {
	if c := l.size.Load(); c != nil && time.Since(c.at) < sizeTTL {
		return c.size, nil
	}
	var n int64
	err := l.db.QueryRowContext(ctx, "SELECT tree_size FROM auditlog_state WHERE id = 1").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("auditlog: read tree size: %w", err)
	}
	l.setSize(n)
	return n, nil
}

func (l *Log) setSize(n int64) {
	for {
		old := l.size.Load()
		if old != nil && old.size > n && time.Since(old.at) < sizeTTL {
			return // never go back to a smaller size within the TTL
		}
		if l.size.CompareAndSwap(old, &sizeCache{size: n, at: time.Now()}) {
			return
		}
	}
}

// checkSize resolves size 0 to the current size and refuses sizes beyond it.
func (l *Log) checkSize(ctx context.Context, size int64) (int64, error) {
	cur, err := l.TreeSize(ctx)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		size = cur
	}
	if size < 0 || size > cur {
		return 0, fmt.Errorf("%w: tree size %d, current size %d", ErrIndexOutOfRange, size, cur)
	}
	return size, nil
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the tree of
// the given size (0: the current tree) and the size used.
func (l *Log) InclusionProof(ctx context.Context, index, size int64) ([][]byte, int64, error) {
	size, err := l.checkSize(ctx, size)
	if err != nil {
		return nil, 0, err
	}
	if index < 0 || index >= size {
		return nil, 0, fmt.Errorf("%w: leaf index %d, tree size %d", ErrIndexOutOfRange, index, size)
	}
	nodes, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, 0, ErrIndexOutOfRange.WithCause(err)
	}
	hs, err := l.nodeHashes(ctx, nodes.IDs)
	if err != nil {
		return nil, 0, err
	}
	p, err := nodes.Rehash(hs, hasher.HashChildren)
	return p, size, err
}

// ConsistencyProof returns the RFC 6962 consistency proof between two tree sizes.
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 int64) ([][]byte, error) {
	size2, err := l.checkSize(ctx, size2)
	if err != nil {
		return nil, err
	}
	if size1 < 0 || size1 > size2 {
		return nil, fmt.Errorf("%w: sizes %d and %d", ErrIndexOutOfRange, size1, size2)
	}
	nodes, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, ErrIndexOutOfRange.WithCause(err)
	}
	hs, err := l.nodeHashes(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hs, hasher.HashChildren)
}

// RootHash returns the root hash of the tree of the given size (<= current).
func (l *Log) RootHash(ctx context.Context, size int64) ([]byte, error) {
	size, err := l.checkSize(ctx, size)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	hs, err := l.nodeHashes(ctx, compact.RangeNodes(0, uint64(size), nil))
	if err != nil {
		return nil, err
	}
	rng, err := l.rf.NewRange(0, uint64(size), hs)
	if err != nil {
		return nil, err
	}
	return rng.GetRootHash(nil)
}

// IndexOfLeafHash returns the index of the first leaf with this RFC 6962 leaf hash.
func (l *Log) IndexOfLeafHash(ctx context.Context, leafHash []byte) (int64, error) {
	if len(leafHash) != 32 {
		return 0, ErrLeafNotFound
	}
	size, err := l.TreeSize(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := l.db.QueryContext(ctx, "SELECT idx FROM auditlog_entries WHERE hash_key = ? AND idx < ? ORDER BY idx", hashKey(leafHash), size)
	if err != nil {
		return 0, fmt.Errorf("auditlog: find leaf: %w", err)
	}
	var cands []int64
	for rows.Next() {
		var idx int64
		if err := rows.Scan(&idx); err != nil {
			rows.Close()
			return 0, fmt.Errorf("auditlog: find leaf: %w", err)
		}
		cands = append(cands, idx)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("auditlog: find leaf: %w", err)
	}
	for _, idx := range cands {
		leaf, err := l.leafAt(ctx, idx)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(hasher.HashLeaf(leaf), leafHash) {
			return idx, nil
		}
	}
	return 0, ErrLeafNotFound
}

// IndexOfEvent returns the log index of the leaf that logs an outbox event, or
// ErrLeafNotFound while the event is not integrated yet. The security token's
// `log` claim is this index of its issuance event (a hook for the PD issue: the
// data-owner verifier can ask for the inclusion proof of that index).
func (l *Log) IndexOfEvent(ctx context.Context, eventID int64) (int64, error) {
	var idx int64
	err := l.db.QueryRowContext(ctx, "SELECT idx FROM auditlog_entries WHERE event_id = ?", eventID).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrLeafNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("auditlog: find event: %w", err)
	}
	return idx, nil
}

// Leaf returns the leaf at index.
func (l *Log) Leaf(ctx context.Context, index int64) ([]byte, error) {
	size, err := l.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("%w: leaf index %d, tree size %d", ErrIndexOutOfRange, index, size)
	}
	return l.leafAt(ctx, index)
}

// leafAt returns the leaf at an index known to be inside the tree.
func (l *Log) leafAt(ctx context.Context, index int64) ([]byte, error) {
	t, err := l.readTile(ctx, EntriesLevel, index>>TileHeight, int(index%TileWidth)+1)
	if err != nil {
		return nil, err
	}
	leaves, ok := t.bundleLeaves()
	if !ok || len(leaves) < int(index%TileWidth)+1 {
		return nil, fmt.Errorf("%w: entry bundle %d is torn", ErrInconsistent, index>>TileHeight)
	}
	return leaves[index%TileWidth], nil
}

// LatestCheckpoint returns the newest signed checkpoint with the witness
// cosignatures it has. With a witness quorum configured, it is the newest one
// that has the quorum (ErrNotWitnessed if none has).
func (l *Log) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	q := "SELECT note, cosigs FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1"
	args := []any{}
	if l.cfg.WitnessQuorum > 0 {
		q = "SELECT note, cosigs FROM auditlog_checkpoints WHERE cosigners >= ? ORDER BY tree_size DESC LIMIT 1"
		args = append(args, l.cfg.WitnessQuorum)
	}
	var n, cosigs string
	err := l.db.QueryRowContext(ctx, q, args...).Scan(&n, &cosigs)
	if errors.Is(err, sql.ErrNoRows) {
		if l.cfg.WitnessQuorum > 0 {
			return nil, ErrNotWitnessed
		}
		return nil, ErrEmptyLog
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: read checkpoint: %w", err)
	}
	return []byte(n + cosigs), nil
}

// latestOwn returns the newest checkpoint as the log signed it, verified.
func (l *Log) latestOwn(ctx context.Context) (Checkpoint, []byte, error) {
	var n string
	err := l.db.QueryRowContext(ctx, "SELECT note FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, nil, ErrEmptyLog
	}
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("auditlog: read checkpoint: %w", err)
	}
	c, _, err := l.openOwn(ctx, []byte(n))
	return c, []byte(n), err
}

// IndexOfSubjectEvent returns the log index and outbox event id of the newest entry
// about subject whose event is of type typ and satisfies match (given the event, with
// its payload), or ErrLeafNotFound. It reads only subject's entries (by the subject
// index), for a domain that knows an event by its content rather than by its id —
// a read receipt by its receipt id.
func (l *Log) IndexOfSubjectEvent(ctx context.Context, subject, typ string, match func(store.Event) bool) (int64, int64, error) {
	if subject == "" {
		return 0, 0, ErrLeafNotFound
	}
	rows, err := l.db.QueryContext(ctx, entrySelect+"WHERE a.subject = ? AND e.type = ? ORDER BY a.idx DESC LIMIT ?", subject, typ, MaxHistory)
	if err != nil {
		return 0, 0, fmt.Errorf("auditlog: find event: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanEntry(rows)
		if err != nil {
			return 0, 0, fmt.Errorf("auditlog: find event: %w", err)
		}
		if r.hasEv && match(r.ev) {
			return r.idx, r.ev.ID, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("auditlog: find event: %w", err)
	}
	return 0, 0, ErrLeafNotFound
}

// Package logcmd holds the commands that check the tamper-evident log from outside:
// senim log verify (one evidence bundle, offline) and senim log audit (the whole
// tree from the served tiles, and with --database-url every leaf against its row).
package logcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/senimkz/senim/internal/auditlog"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/cli"
	"github.com/senimkz/senim/internal/store"
)

// Exit codes of the log commands.
const (
	exitOK       = 0
	exitInvalid  = 1 // the evidence or the log does not verify: a discrepancy
	exitUnusable = 2 // bad usage, unreadable input, unreachable server
)

// Client fetches the public log API of a Senim server.
type Client struct {
	Base string // e.g. "https://senim.example/" (the /log/ prefix is added)
	HTTP *http.Client
}

const maxFetch = 16 << 20

// Get fetches path under /log/ and returns the body of a 200 response.
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	u := strings.TrimSuffix(c.Base, "/") + "/log/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

func (c *Client) proof(ctx context.Context, path string) (auditlog.ProofResponse, error) {
	var pr auditlog.ProofResponse
	b, err := c.Get(ctx, path)
	if err != nil {
		return pr, err
	}
	if err := json.Unmarshal(b, &pr); err != nil {
		return pr, fmt.Errorf("%s: %w", path, err)
	}
	return pr, nil
}

// loadKey reads the log key from a flag value that is a key or a file with one,
// else (with a client) from the server's /log/key.
func loadKey(ctx context.Context, flagVal string, c *Client, stderr io.Writer) (note.Verifier, error) {
	k := flagVal
	if k != "" && !strings.Contains(k, "+") {
		b, err := os.ReadFile(k)
		if err != nil {
			return nil, err
		}
		k = string(b)
	}
	if k == "" && c != nil {
		b, err := c.Get(ctx, "key")
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(stderr, "note: the log key was fetched from the server; pass --key to pin it")
		k = string(b)
	}
	if k == "" {
		return nil, errors.New("the log's key is needed: --key KEY|FILE or --server URL")
	}
	// While a rotation announces a new key, /log/key lists two, oldest first;
	// both sign every checkpoint until the old one is retired.
	k, _, _ = strings.Cut(strings.TrimSpace(k), "\n")
	return auditlog.NewVerifier(k)
}

// VerifyCmd is `senim log verify BUNDLE [--key KEY|FILE] [--checkpoint FILE | --server URL]`:
// it checks an evidence bundle (the event opens the leaf, the leaf is in the
// signed checkpoint) and relates its checkpoint to a trusted one (--checkpoint)
// or to the server's newest (--server, with a consistency proof). Exit 0: valid;
// 1: forged or inconsistent; 2: unusable input.
func VerifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("log verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFlag := fs.String("key", "", "the log's verifier key, or a file holding it")
	cpFile := fs.String("checkpoint", "", "a trusted checkpoint file to check the bundle against")
	server := fs.String("server", "", "a Senim server URL to fetch the key and the newest checkpoint from")
	pos, err := cli.Parse(fs, args, noEnv)
	if err != nil {
		return exitUnusable
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: senim log verify BUNDLE [--key KEY|FILE] [--checkpoint FILE | --server URL]")
		return exitUnusable
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUnusable
	}
	var c *Client
	if *server != "" {
		c = &Client{Base: *server}
	}
	key, err := loadKey(ctx, *keyFlag, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUnusable
	}
	ev, cp, err := auditlog.VerifyEvidence(b, key)
	if err != nil {
		fmt.Fprintln(stderr, "INVALID:", err)
		if errors.Is(err, auditlog.ErrBundleMalformed) {
			return exitUnusable
		}
		return exitInvalid
	}
	fmt.Fprintf(stdout, "bundle: event %d (%s at %s) is leaf %d of %s, tree size %d\n",
		ev.Event.ID, ev.Event.Type, store.FromMicros(ev.Event.CreatedAt).Format(time.RFC3339), ev.Index, cp.Origin, cp.Size)
	var trusted auditlog.Checkpoint
	switch {
	case *cpFile != "":
		tb, err := os.ReadFile(*cpFile)
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
		if trusted, _, err = auditlog.OpenCheckpoint(tb, key); err != nil {
			fmt.Fprintln(stderr, "error: trusted checkpoint:", err)
			return exitUnusable
		}
	case c != nil:
		tb, err := c.Get(ctx, "checkpoint")
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
		if trusted, _, err = auditlog.OpenCheckpoint(tb, key); err != nil {
			fmt.Fprintln(stderr, "INVALID: the server's checkpoint:", err)
			return exitInvalid
		}
	default:
		fmt.Fprintln(stdout, "OK: the bundle verifies against its own checkpoint, signed by the log's key")
		return exitOK
	}
	if err := relate(ctx, cp, trusted, c); err != nil {
		if errors.Is(err, auditlog.ErrInconsistent) {
			fmt.Fprintln(stderr, "INVALID:", err)
			return exitInvalid
		}
		fmt.Fprintln(stderr, "error:", err)
		return exitUnusable
	}
	fmt.Fprintf(stdout, "OK: consistent with the trusted checkpoint of size %d\n", trusted.Size)
	return exitOK
}

func noEnv(string) (string, bool) { return "", false }

// relate checks that checkpoints a and b describe one append-only log, fetching a
// consistency proof from c when their sizes differ.
func relate(ctx context.Context, a, b auditlog.Checkpoint, c *Client) error {
	if a.Origin != b.Origin {
		return fmt.Errorf("%w: origins %q and %q", auditlog.ErrInconsistent, a.Origin, b.Origin)
	}
	if a.Size > b.Size {
		a, b = b, a
	}
	if a.Size == b.Size {
		if !bytes.Equal(a.Hash, b.Hash) {
			return fmt.Errorf("%w: two roots for tree size %d", auditlog.ErrInconsistent, a.Size)
		}
		return nil
	}
	if c == nil {
		return fmt.Errorf("tree sizes %d and %d differ: pass --server to fetch a consistency proof", a.Size, b.Size)
	}
	pr, err := c.proof(ctx, fmt.Sprintf("proof/consistency?from=%d&to=%d", a.Size, b.Size))
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(a.Size), uint64(b.Size), pr.Hashes, a.Hash, b.Hash); err != nil {
		return fmt.Errorf("%w: consistency %d -> %d: %v", auditlog.ErrInconsistent, a.Size, b.Size, err)
	}
	return nil
}

// AuditCmd is `senim log audit --server URL [--key KEY|FILE] [--from FILE] [--save FILE] [--database-url URL]`.
//
// It fetches the server's checkpoint, rebuilds the tree from the entry bundles
// from the size of the --from checkpoint (0 without it), checks that every leaf
// is well-formed and that event ids strictly increase, that every served tile
// matches the rebuilt tree and that the root matches the signed checkpoint, then
// fetches the checkpoint again and checks the two are consistent. With
// --database-url (or SENIM_DATABASE_URL) it also opens every leaf against its
// outbox event in the database and checks that no event is missing. Exit 0: no
// discrepancy; 1: a discrepancy; 2: unusable input or server.
func AuditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("log audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "the Senim server URL (required)")
	keyFlag := fs.String("key", "", "the log's verifier key, or a file holding it (default: fetched from the server)")
	from := fs.String("from", "", "a checkpoint file from an earlier audit: audit only what was added since")
	save := fs.String("save", "", "write the audited checkpoint to this file for the next --from")
	dbURL := fs.String("database-url", "", "also check every leaf against its outbox event in this database")
	pos, err := cli.Parse(fs, args, nil)
	if err != nil {
		return exitUnusable
	}
	if *server == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "usage: senim log audit --server URL [--key KEY|FILE] [--from FILE] [--save FILE] [--database-url URL]")
		return exitUnusable
	}
	c := &Client{Base: *server}
	key, err := loadKey(ctx, *keyFlag, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitUnusable
	}
	a := &auditor{c: c, key: key, out: stdout}
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
		if a.start, _, err = auditlog.OpenCheckpoint(b, key); err != nil {
			fmt.Fprintln(stderr, "error: --from:", err)
			return exitUnusable
		}
	}
	if *dbURL != "" {
		db, err := store.Open(ctx, *dbURL, store.Options{})
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
		defer db.Close()
		a.db = db
	}
	signed, err := a.run(ctx)
	if err != nil {
		if errors.Is(err, errUnusable) {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
		fmt.Fprintln(stderr, "DISCREPANCY:", err)
		return exitInvalid
	}
	if *save != "" {
		if err := os.WriteFile(*save, signed, 0o644); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return exitUnusable
		}
	}
	return exitOK
}

var errUnusable = errors.New("unusable")

type auditor struct {
	c     *Client
	key   note.Verifier
	out   io.Writer
	start auditlog.Checkpoint
	db    *store.DB
	tiles map[[2]int64][]byte
}

func unusable(err error) error { return fmt.Errorf("%w: %v", errUnusable, err) }

func (a *auditor) checkpoint(ctx context.Context) (auditlog.Checkpoint, []byte, error) {
	b, err := a.c.Get(ctx, "checkpoint")
	if err != nil {
		return auditlog.Checkpoint{}, nil, unusable(err)
	}
	cp, _, err := auditlog.OpenCheckpoint(b, a.key)
	return cp, b, err
}

// tile fetches the full tile (level, idx), or the partial one of width w.
func (a *auditor) tile(ctx context.Context, level int, idx int64, w int) ([]byte, error) {
	k := [2]int64{int64(level), idx}
	if t, ok := a.tiles[k]; ok && len(t) >= w*32 {
		return t, nil
	}
	b, err := a.c.Get(ctx, auditlog.TileID{Level: level, Index: idx, Width: w}.Path())
	if err != nil {
		return nil, unusable(err)
	}
	if len(b) != w*32 {
		return nil, fmt.Errorf("%w: tile %d/%d has %d bytes, want %d", auditlog.ErrInconsistent, level, idx, len(b), w*32)
	}
	a.tiles[k] = b
	return b, nil
}

func (a *auditor) run(ctx context.Context) ([]byte, error) {
	a.tiles = map[[2]int64][]byte{}
	cp1, signed, err := a.checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if cp1.Origin != a.key.Name() || (a.start.Size > 0 && a.start.Origin != cp1.Origin) {
		return nil, fmt.Errorf("%w: origin %q", auditlog.ErrInconsistent, cp1.Origin)
	}
	if cp1.Size < a.start.Size {
		return nil, fmt.Errorf("%w: the log shrank from %d to %d", auditlog.ErrInconsistent, a.start.Size, cp1.Size)
	}
	fmt.Fprintf(a.out, "checkpoint: %s size %d\n", cp1.Origin, cp1.Size)
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	// The compact range at the start size, from the tiles, must give the
	// --from checkpoint's root: then everything appended below extends it.
	var start []byte
	var hs [][]byte
	for _, id := range compact.RangeNodes(0, uint64(a.start.Size), nil) {
		h, err := a.node(ctx, id, cp1.Size)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	rng, err := rf.NewRange(0, uint64(a.start.Size), hs)
	if err != nil {
		return nil, unusable(err)
	}
	if a.start.Size > 0 {
		if start, _ = rng.GetRootHash(nil); !bytes.Equal(start, a.start.Hash) {
			return nil, fmt.Errorf("%w: the tiles do not give the root of the --from checkpoint (size %d)", auditlog.ErrInconsistent, a.start.Size)
		}
	}
	var visitErr error
	visit := func(id compact.NodeID, h []byte) {
		if visitErr != nil || id.Level%auditlog.TileHeight != 0 {
			return
		}
		// Every node the tiles hold must be the one the leaves give.
		l, idx := int(id.Level/auditlog.TileHeight), int64(id.Index>>auditlog.TileHeight)
		w := int(min(uint64(cp1.Size)>>(id.Level), uint64((idx+1)*auditlog.TileWidth)) - uint64(idx*auditlog.TileWidth))
		t, err := a.tile(ctx, l, idx, w)
		if err != nil {
			visitErr = err
			return
		}
		off := int(id.Index%auditlog.TileWidth) * 32
		if !bytes.Equal(t[off:off+32], h) {
			visitErr = fmt.Errorf("%w: tile %d/%d slot %d does not match the leaves", auditlog.ErrInconsistent, l, idx, id.Index%auditlog.TileWidth)
		}
	}
	lastEvent := int64(0)
	if a.start.Size > 0 {
		// The first new leaf must follow the last audited one.
		prev, err := a.leafAt(ctx, a.start.Size-1, cp1.Size)
		if err != nil {
			return nil, err
		}
		pl, err := auditlog.ParseLeaf(prev)
		if err != nil {
			return nil, fmt.Errorf("leaf %d: %w", a.start.Size-1, err)
		}
		lastEvent = pl.EventID
	}
	var evIDs []int64
	var leaves [][]byte
	for i := a.start.Size; i < cp1.Size; {
		bi := i >> auditlog.TileHeight
		w := int(min(cp1.Size-bi*auditlog.TileWidth, auditlog.TileWidth))
		b, err := a.c.Get(ctx, auditlog.TileID{Level: auditlog.EntriesLevel, Index: bi, Width: w}.Path())
		if err != nil {
			return nil, unusable(err)
		}
		ls, err := auditlog.SplitBundle(b)
		if err != nil || len(ls) != w {
			return nil, fmt.Errorf("%w: entry bundle %d is malformed", auditlog.ErrInconsistent, bi)
		}
		for ; i < bi*auditlog.TileWidth+int64(w); i++ {
			leaf := ls[i-bi*auditlog.TileWidth]
			pl, err := auditlog.ParseLeaf(leaf)
			if err != nil {
				return nil, fmt.Errorf("leaf %d: %w", i, err)
			}
			if pl.EventID <= lastEvent {
				return nil, fmt.Errorf("%w: leaf %d logs event %d after event %d (duplicate or out of order)", auditlog.ErrInconsistent, i, pl.EventID, lastEvent)
			}
			lastEvent = pl.EventID
			if err := rng.Append(rfc6962.DefaultHasher.HashLeaf(leaf), visit); err != nil {
				return nil, unusable(err)
			}
			if visitErr != nil {
				return nil, visitErr
			}
			if a.db != nil {
				evIDs = append(evIDs, pl.EventID)
				leaves = append(leaves, leaf)
			}
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, unusable(err)
	}
	if cp1.Size == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp1.Hash) {
		return nil, fmt.Errorf("%w: the leaves do not give the checkpoint's root at size %d", auditlog.ErrInconsistent, cp1.Size)
	}
	fmt.Fprintf(a.out, "leaves %d..%d: well-formed, tiles match, root matches\n", a.start.Size, cp1.Size)
	if a.start.Size > 0 {
		if err := relate(ctx, a.start, cp1, a.c); err != nil {
			return nil, err
		}
	}
	if a.db != nil {
		if err := a.checkDatabase(ctx, a.start.Size, evIDs, leaves); err != nil {
			return nil, err
		}
	}
	cp2, _, err := a.checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if err := relate(ctx, cp1, cp2, a.c); err != nil {
		return nil, err
	}
	fmt.Fprintf(a.out, "second checkpoint: size %d, consistent with size %d\n", cp2.Size, cp1.Size)
	fmt.Fprintln(a.out, "OK: no discrepancy")
	return signed, nil
}

func (a *auditor) leafAt(ctx context.Context, i, size int64) ([]byte, error) {
	bi := i >> auditlog.TileHeight
	w := int(min(size-bi*auditlog.TileWidth, auditlog.TileWidth))
	b, err := a.c.Get(ctx, auditlog.TileID{Level: auditlog.EntriesLevel, Index: bi, Width: w}.Path())
	if err != nil {
		return nil, unusable(err)
	}
	ls, err := auditlog.SplitBundle(b)
	if err != nil || len(ls) != w {
		return nil, fmt.Errorf("%w: entry bundle %d is malformed", auditlog.ErrInconsistent, bi)
	}
	return ls[i-bi*auditlog.TileWidth], nil
}

// node computes a complete subtree's hash from the served tiles.
func (a *auditor) node(ctx context.Context, id compact.NodeID, size int64) ([]byte, error) {
	l := int(id.Level / auditlog.TileHeight)
	sub := id.Level % auditlog.TileHeight
	first := id.Index << sub
	idx := int64(first >> auditlog.TileHeight)
	w := int(min(uint64(size)>>(uint(l)*auditlog.TileHeight), uint64((idx+1)*auditlog.TileWidth)) - uint64(idx*auditlog.TileWidth))
	t, err := a.tile(ctx, l, idx, w)
	if err != nil {
		return nil, err
	}
	n := 1 << sub
	off := int(first%auditlog.TileWidth) * 32
	if off+n*32 > len(t) {
		return nil, fmt.Errorf("%w: tile %d/%d too short", auditlog.ErrInconsistent, l, idx)
	}
	hs := make([][]byte, n)
	for i := range hs {
		hs[i] = t[off+32*i : off+32*(i+1)]
	}
	for len(hs) > 1 {
		for i := 0; i < len(hs)/2; i++ {
			hs[i] = rfc6962.DefaultHasher.HashChildren(hs[2*i], hs[2*i+1])
		}
		hs = hs[:len(hs)/2]
	}
	return hs[0], nil
}

// checkDatabase opens every audited leaf against its outbox event and salt, and
// checks that the log skipped no outbox event up to the newest it logs.
func (a *auditor) checkDatabase(ctx context.Context, first int64, evIDs []int64, leaves [][]byte) error {
	opened, erased, err := auditlog.CheckDatabase(ctx, a.db, first, evIDs, leaves)
	if err != nil {
		if errors.Is(err, auditlog.ErrInconsistent) {
			return err
		}
		return unusable(err)
	}
	fmt.Fprintf(a.out, "database: %d leaves opened against their events (%d openings erased), no event missing\n", opened, erased)
	return nil
}

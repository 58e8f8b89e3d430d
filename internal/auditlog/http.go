package auditlog

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Cache-Control values: full tiles and bundles never change.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cachePartial   = "public, max-age=60"
	cacheNone      = "no-cache"
)

// Register mounts the read-only log API (C2SP tlog-tiles under /log/) and the
// witness endpoint:
//
//	GET  /log/checkpoint                     newest signed checkpoint (+ cosignatures)
//	GET  /log/key                            the log's note verifier key
//	GET  /log/tile/{L}/{N}[.p/{W}]           hash tiles; /log/tile/entries/... entry bundles
//	GET  /log/proof/inclusion?index=I[&size=S]  or ?hash=H[&size=S]  (JSON)
//	GET  /log/proof/consistency?from=A&to=B  (JSON)
//	GET  /log/proof/event/{id}               leaf, proof and checkpoint of an outbox event (EventProof)
//	POST /log/cosignature                    a witness's cosigned checkpoint
func (l *Log) Register(handle func(pattern string, h func(http.ResponseWriter, *http.Request) error)) {
	handle("GET /log/checkpoint", l.serveCheckpoint)
	handle("GET /log/key", l.serveKey)
	handle("GET /log/tile/{path...}", l.serveTile)
	handle("GET /log/proof/inclusion", l.serveInclusion)
	handle("GET /log/proof/consistency", l.serveConsistency)
	handle("GET /log/proof/event/{id}", l.serveEventProof)
	handle("POST /log/cosignature", l.serveCosignature)
}

func (l *Log) serveCheckpoint(w http.ResponseWriter, r *http.Request) error {
	b, err := l.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", cacheNone)
	_, _ = w.Write(b)
	return nil
}

// serveKey publishes the verifier keys that sign new checkpoints, one a line,
// oldest first: one key, or two while a rotation announces a new key.
func (l *Log) serveKey(w http.ResponseWriter, r *http.Request) error {
	keys := l.freshKeys(r.Context()).published
	if len(keys) == 0 {
		return problem.NotFound.WithDetail("the log's verifier key is not published by this configuration")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = io.WriteString(w, strings.Join(keys, "\n")+"\n")
	return nil
}

func (l *Log) serveTile(w http.ResponseWriter, r *http.Request) error {
	id, err := ParseTilePath("tile/" + r.PathValue("path"))
	if err != nil {
		return errOut(err)
	}
	b, err := l.Tile(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if id.Width == TileWidth {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cachePartial)
	}
	_, _ = w.Write(b)
	return nil
}

// ProofResponse is the JSON of the proof endpoints; hashes are base64.
type ProofResponse struct {
	Index    *int64   `json:"index,omitempty"`
	LeafHash []byte   `json:"leaf_hash,omitempty"`
	From     *int64   `json:"from,omitempty"`
	TreeSize int64    `json:"tree_size"`
	Hashes   [][]byte `json:"hashes"`
}

func queryInt(r *http.Request, name string, required bool) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, ErrBadRequest.WithDetail("missing parameter " + name)
		}
		return 0, nil
	}
	n, err := canonicalInt(v)
	if err != nil {
		return 0, ErrBadRequest.WithDetail("parameter " + name + " must be a non-negative decimal integer")
	}
	return n, nil
}

func (l *Log) serveInclusion(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	size, err := queryInt(r, "size", false)
	if err != nil {
		return err
	}
	var index int64
	if hv := r.URL.Query().Get("hash"); hv != "" {
		h, err := decodeHash(hv)
		if err != nil {
			return err
		}
		if index, err = l.IndexOfLeafHash(ctx, h); err != nil {
			return err
		}
	} else if index, err = queryInt(r, "index", true); err != nil {
		return err
	}
	p, used, err := l.InclusionProof(ctx, index, size)
	if err != nil {
		return errOut(err)
	}
	leaf, err := l.leafAt(ctx, index)
	if err != nil {
		return errOut(err)
	}
	w.Header().Set("Cache-Control", cachePartial)
	problem.WriteJSON(w, http.StatusOK, ProofResponse{Index: &index, LeafHash: hasher.HashLeaf(leaf), TreeSize: used, Hashes: nonNil(p)})
	return nil
}

func (l *Log) serveConsistency(w http.ResponseWriter, r *http.Request) error {
	from, err := queryInt(r, "from", true)
	if err != nil {
		return err
	}
	to, err := queryInt(r, "to", true)
	if err != nil {
		return err
	}
	if to == 0 && from > 0 {
		return ErrIndexOutOfRange.WithDetail("to must be at least from")
	}
	p, err := l.ConsistencyProof(r.Context(), from, to)
	if err != nil {
		return errOut(err)
	}
	if to == 0 {
		to = from
	}
	w.Header().Set("Cache-Control", cachePartial)
	problem.WriteJSON(w, http.StatusOK, ProofResponse{From: &from, TreeSize: to, Hashes: nonNil(p)})
	return nil
}

func nonNil(p [][]byte) [][]byte {
	if p == nil {
		return [][]byte{}
	}
	return p
}

// errOut gives the client's own range and tile-path mistakes their detail, written by
// this package from the request's numbers; every other error shows only its problem's
// own detail, never its wrapping text.
func errOut(err error) error {
	var p *problem.Problem
	if errors.As(err, &p) && (errors.Is(err, ErrIndexOutOfRange) || errors.Is(err, ErrTileMalformed)) &&
		p.Detail == "" && error(p) != err {
		return p.WithDetail(strings.TrimPrefix(err.Error(), p.Error()+": ")).WithCause(err)
	}
	return err
}

// decodeHash accepts a leaf hash as hex or (standard or URL-safe) base64.
func decodeHash(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, ErrBadRequest.WithDetail("hash must be 32 bytes in hex or base64")
}

const maxCosignedNote = 64 << 10

func (l *Log) serveCosignature(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCosignedNote+1))
	if err != nil {
		return problem.BodyUnreadable.WithCause(err)
	}
	if len(body) > maxCosignedNote {
		return problem.TooLarge
	}
	n, err := l.AddCosignatures(r.Context(), body)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]int{"cosigners": n})
	return nil
}

// AddCosignatures accepts a checkpoint this log signed, carrying cosignatures of
// configured witnesses (C2SP tlog-cosignature/v1), stores the valid ones and
// returns how many distinct witnesses have now cosigned that checkpoint. A
// signature by a configured key that does not verify, or a checkpoint the log
// never signed, is refused with ErrCosignatureInvalid.
func (l *Log) AddCosignatures(ctx context.Context, signed []byte) (int, error) {
	ks := l.freshKeys(ctx)
	vs := append(append([]note.Verifier{}, ks.verifiers...), l.cfg.Witnesses...)
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil && l.cfg.Keys != nil {
		// Perhaps signed by a key this node has not read yet.
		ks = l.reloadKeys(ctx)
		vs = append(append([]note.Verifier{}, ks.verifiers...), l.cfg.Witnesses...)
		n, err = note.Open(signed, note.VerifierList(vs...))
	}
	if err != nil {
		return 0, ErrCosignatureInvalid.WithDetail("the note does not verify with the log's and the witnesses' keys")
	}
	cp, err := ParseCheckpoint(n.Text)
	if err != nil || cp.Origin != l.cfg.Origin {
		return 0, ErrCosignatureInvalid.WithDetail("not a checkpoint of this log")
	}
	isWitness := func(s note.Signature) bool {
		for _, v := range l.cfg.Witnesses {
			if v.Name() == s.Name && v.KeyHash() == s.Hash {
				return true
			}
		}
		return false
	}
	var fresh []note.Signature
	for _, s := range n.Sigs {
		if isWitness(s) {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return 0, ErrCosignatureInvalid.WithDetail("no cosignature of a configured witness")
	}
	var count int
	err = l.db.Tx(ctx, func(tx *store.Tx) error {
		var stored, cosigs string
		err := tx.QueryRowContext(ctx, "SELECT note, cosigs FROM auditlog_checkpoints WHERE tree_size = ?", cp.Size).Scan(&stored, &cosigs)
		if err != nil {
			return ErrCosignatureInvalid.WithDetail("the log signed no checkpoint of that size").WithCause(err)
		}
		sn, err := note.Open([]byte(stored), note.VerifierList(ks.verifiers...))
		if err != nil || sn.Text != n.Text {
			return ErrCosignatureInvalid.WithDetail("the checkpoint differs from the one the log signed")
		}
		// One cosignature per witness: the newest replaces an older one.
		byKey := map[string]string{}
		var keys []string
		add := func(name string, hash uint32, line string) {
			k := fmt.Sprintf("%s+%08x", name, hash)
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = line
		}
		if cosigs != "" {
			old, err := note.Open([]byte(sn.Text+"\n"+cosigs), note.VerifierList(l.cfg.Witnesses...))
			if err == nil {
				for _, s := range old.Sigs {
					add(s.Name, s.Hash, "— "+s.Name+" "+s.Base64+"\n")
				}
			}
		}
		for _, s := range fresh {
			add(s.Name, s.Hash, "— "+s.Name+" "+s.Base64+"\n")
		}
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(byKey[k])
		}
		count = len(keys)
		_, err = tx.ExecContext(ctx, "UPDATE auditlog_checkpoints SET cosigs = ?, cosigners = ? WHERE tree_size = ?", b.String(), count, cp.Size)
		return err
	})
	return count, err
}

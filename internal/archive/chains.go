package archive

import (
	"context"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/store"
)

// A document's evidence record in the database: its earlier chains
// (archive_prior_chains, oldest first: a frozen chain of an earlier batch, or a chain
// kept from an imported container) and then its current batch's chain (the batch's
// archive time-stamps, the first with the document's own path).

// batchChain is a batch's hash algorithm and archive time-stamps, in order; the first
// has no reduced hash tree (each document has its own).
type batchChain struct {
	alg    asn1.ObjectIdentifier
	stamps []ArchiveTimeStamp
}

// forPath returns the batch's chain as a document with path sees it.
func (b *batchChain) forPath(path []byte) ([]ArchiveTimeStamp, error) {
	tree, err := parseTree(path)
	if err != nil {
		return nil, err
	}
	chain := slices.Clone(b.stamps)
	chain[0].ReducedHashtree = tree
	return chain, nil
}

// chainCache loads each batch's chain once (a renewal reads many documents of one batch).
type chainCache struct {
	s       *Service
	batches map[int64]*batchChain
}

func (s *Service) newChainCache() *chainCache {
	return &chainCache{s: s, batches: map[int64]*batchChain{}}
}

func (c *chainCache) batch(ctx context.Context, id int64) (*batchChain, error) {
	if b, ok := c.batches[id]; ok {
		return b, nil
	}
	var algS string
	if err := c.s.cfg.DB.QueryRowContext(ctx, `SELECT hash_alg FROM archive_batches WHERE id = ?`, id).Scan(&algS); err != nil {
		return nil, err
	}
	alg, err := parseOID(algS)
	if err != nil {
		return nil, err
	}
	rows, err := c.s.cfg.DB.QueryContext(ctx, `SELECT ats FROM archive_stamps WHERE batch_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b := &batchChain{alg: alg}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		ats, err := ParseATS(raw)
		if err != nil {
			return nil, err
		}
		b.stamps = append(b.stamps, ats)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(b.stamps) == 0 {
		return nil, fmt.Errorf("%w: batch %d has no time-stamp", ErrMalformedRecord, id)
	}
	c.batches[id] = b
	return b, nil
}

// prior returns a document's chains before its current batch, oldest first.
func (c *chainCache) prior(ctx context.Context, docID int64) ([][]ArchiveTimeStamp, error) {
	rows, err := c.s.cfg.DB.QueryContext(ctx, `SELECT batch_id, leaf_path, chain FROM archive_prior_chains WHERE document_id = ? ORDER BY seq`, docID)
	if err != nil {
		return nil, err
	}
	type row struct {
		batch      *int64
		path, cder []byte
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.batch, &r.path, &r.cder); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]ArchiveTimeStamp, 0, len(rs))
	for _, r := range rs {
		var chain []ArchiveTimeStamp
		if r.batch != nil {
			b, err := c.batch(ctx, *r.batch)
			if err != nil {
				return nil, err
			}
			if chain, err = b.forPath(r.path); err != nil {
				return nil, err
			}
		} else if chain, err = ParseChain(r.cder); err != nil {
			return nil, err
		}
		out = append(out, chain)
	}
	return out, nil
}

// chains returns a document's whole ArchiveTimeStampSequence: its earlier chains, then
// its batch's (none while it is unsealed).
func (c *chainCache) chains(ctx context.Context, docID int64, batch *int64, path []byte) ([][]ArchiveTimeStamp, error) {
	chains, err := c.prior(ctx, docID)
	if err != nil {
		return nil, err
	}
	if batch != nil {
		b, err := c.batch(ctx, *batch)
		if err != nil {
			return nil, err
		}
		cur, err := b.forPath(path)
		if err != nil {
			return nil, err
		}
		chains = append(chains, cur)
	}
	return chains, nil
}

// recordOf makes the evidence record of chains: every chain's algorithm, in order.
func recordOf(chains [][]ArchiveTimeStamp) *EvidenceRecord {
	er := &EvidenceRecord{Chains: chains}
	for _, ch := range chains {
		alg := ch[0].DigestAlgorithm
		if alg != nil && !slices.ContainsFunc(er.DigestAlgorithms, alg.Equal) {
			er.DigestAlgorithms = append(er.DigestAlgorithms, alg)
		}
	}
	return er
}

// objects returns a document's data objects: its content, then its signatures.
func (s *Service) objects(ctx context.Context, docID int64, contentAddr string) ([][]byte, error) {
	addrs := []string{contentAddr}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT sha256 FROM archive_signatures WHERE document_id = ? ORDER BY seq`, docID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return nil, err
		}
		addrs = append(addrs, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(addrs))
	for i, a := range addrs {
		if out[i], err = s.cfg.Blobs.Get(ctx, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// renewHashTrees renews by a new hash tree (RFC 4998, section 5.2; rule DC-6) every
// document of the batches (each with documents, its algorithm weakening within the
// margin): the last time-stamp of each batch first gets the TSA chain and CRLs, each
// document's data objects are hashed with Policy.Hash and concatenated with the hash of
// its whole ArchiveTimeStampSequence, and one new time-stamp goes over a tree of all
// of them: a new batch. Each document keeps its old batch as an earlier chain. It
// returns the number of documents renewed.
func (s *Service) renewHashTrees(ctx context.Context, batches []int64, due time.Time) (int, error) {
	alg := s.cfg.Policy.Hash
	if s.cfg.Policy.weakAt(alg, due) {
		return 0, fmt.Errorf("%w: the policy's hash %s is itself weak within the renewal margin", ErrWeakHash, alg)
	}
	h, err := hasher(alg)
	if err != nil {
		return 0, err
	}
	cache := s.newChainCache()
	crls := s.crls()
	extended := map[int64][]byte{} // batch -> its last ATS, with validation data
	type item struct {
		id, oldBatch int64
		oldPath      []byte
		nPrior       int
	}
	var items []item
	var groups [][][]byte
	for _, b := range batches {
		bc, err := cache.batch(ctx, b)
		if err != nil {
			return 0, err
		}
		last := &bc.stamps[len(bc.stamps)-1]
		if last.TimeStamp, err = withValidationData(last.TimeStamp, s.cfg.TSAChain, crls); err != nil {
			return 0, err
		}
		if extended[b], err = MarshalATS(*last); err != nil {
			return 0, err
		}
		rows, err := s.cfg.DB.QueryContext(ctx, `SELECT id, content_sha256, leaf_path FROM archive_documents WHERE batch_id = ? ORDER BY id`, b)
		if err != nil {
			return 0, err
		}
		type doc struct {
			id   int64
			addr string
			path []byte
		}
		var docs []doc
		for rows.Next() {
			var d doc
			if err := rows.Scan(&d.id, &d.addr, &d.path); err != nil {
				rows.Close()
				return 0, err
			}
			docs = append(docs, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, d := range docs {
			chains, err := cache.chains(ctx, d.id, &b, d.path)
			if err != nil {
				return 0, err
			}
			objs, err := s.objects(ctx, d.id, d.addr)
			if err != nil {
				return 0, err
			}
			g, err := objectHashes(h, objs, chains)
			if err != nil {
				return 0, err
			}
			groups = append(groups, g)
			items = append(items, item{id: d.id, oldBatch: b, oldPath: d.path, nPrior: len(chains) - 1})
		}
	}
	if len(items) == 0 {
		return 0, nil
	}
	atss, err := Seal(ctx, s.cfg.TSA, alg, groups)
	if err != nil {
		return 0, err
	}
	tok, err := withValidationData(atss[0].TimeStamp, s.tsaCerts(ctx, atss[0].TimeStamp), crls)
	if err != nil {
		return 0, err
	}
	if err := s.checkOffline(ctx, tok); err != nil {
		return 0, err
	}
	gen, notAfter, err := tokenTimes(tok)
	if err != nil {
		return 0, err
	}
	if !notAfter.After(due) {
		return 0, fmt.Errorf("%w: the TSA certificate expires at %s, within the renewal margin", ErrTSAExpiring, notAfter.UTC().Format(time.RFC3339))
	}
	head, err := MarshalATS(ArchiveTimeStamp{DigestAlgorithm: alg, TimeStamp: tok})
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		for b, der := range extended {
			seq := len(cache.batches[b].stamps) - 1
			if _, err := tx.ExecContext(ctx, `UPDATE archive_stamps SET ats = ? WHERE batch_id = ? AND seq = ?`, der, b, seq); err != nil {
				return err
			}
		}
		batch, err := tx.InsertID(ctx, `INSERT INTO archive_batches (hash_alg, created_at) VALUES (?, ?) RETURNING id`, alg.String(), store.Micros(now))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_stamps (batch_id, seq, ats, gen_time, tsa_not_after) VALUES (?, 0, ?, ?, ?)`,
			batch, head, store.Micros(gen), store.Micros(notAfter)); err != nil {
			return err
		}
		for i, it := range items {
			path, err := marshalTree(atss[i].ReducedHashtree)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO archive_prior_chains (document_id, seq, batch_id, leaf_path) VALUES (?, ?, ?, ?)`,
				it.id, it.nPrior, it.oldBatch, it.oldPath); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE archive_documents SET batch_id = ?, leaf_path = ? WHERE id = ? AND batch_id = ?`, batch, path, it.id, it.oldBatch)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("archive: document renewed concurrently")
			}
		}
		b, _ := json.Marshal(map[string]any{"batches": len(batches), "documents": len(items), "kind": "hash_tree", "hash": alg.String()})
		_, err = tx.Emit(ctx, store.Event{Type: EvRenewed, Actor: actor.System.String(), Payload: b})
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(items), nil
}

package auditlog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/store"
)

// EvidenceFormat names the evidence bundle format.
const EvidenceFormat = "senim.kz/log/evidence/v1"

// Evidence is an evidence bundle: an event, the opening of its leaf, the leaf's
// inclusion proof and the signed checkpoint the proof leads to. Whoever holds it
// and the log's public key can check it offline (senim log verify).
type Evidence struct {
	Format string        `json:"format"`
	Origin string        `json:"origin"`
	Index  int64         `json:"index"`
	Leaf   []byte        `json:"leaf"`
	Event  EvidenceEvent `json:"event"`
	// Opening holds the field salts of the leaf (never the leaf salt).
	Opening  Opening  `json:"opening"`
	TreeSize int64    `json:"tree_size"`
	Proof    [][]byte `json:"inclusion_proof"`
	// Checkpoint is the signed note (with any witness cosignatures).
	Checkpoint string `json:"checkpoint"`
}

// EvidenceEvent is the outbox event as committed. Payload is the exact JSON text
// (a string, since the commitment is over its bytes) and CreatedAt Unix microseconds.
type EvidenceEvent struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Actor     string `json:"actor"`
	Subject   string `json:"subject"`
	Payload   string `json:"payload"`
	CreatedAt int64  `json:"created_at_us"`
}

func (e EvidenceEvent) event() store.Event {
	ev := store.Event{ID: e.ID, Type: e.Type, Actor: e.Actor, Subject: e.Subject, CreatedAt: store.FromMicros(e.CreatedAt)}
	if e.Payload != "" {
		ev.Payload = json.RawMessage(e.Payload)
	}
	return ev
}

func evidenceEvent(e store.Event) EvidenceEvent {
	return EvidenceEvent{ID: e.ID, Type: e.Type, Actor: e.Actor, Subject: e.Subject, Payload: string(e.Payload), CreatedAt: store.Micros(e.CreatedAt)}
}

// HistoryEntry is one event about a subject, for the cabinet's "verify my history".
type HistoryEntry struct {
	Index   int64
	EventID int64
	Type    string
	Time    int64 // Unix microseconds; see store.FromMicros
	Actor   string
	// Verified: the event opens its leaf and the leaf's inclusion proof checks
	// out against the latest checkpoint (whose signature was checked).
	Verified bool
	// Problem is the stable code of what failed when not Verified:
	// log.opening.erased, log.opening.mismatch, log.inconsistent.
	Problem string
	// TreeSize is the size of the checkpoint the proof was checked against.
	TreeSize int64
}

// MaxHistory is the most entries SubjectHistory returns (the newest).
const MaxHistory = 1000

type entryRow struct {
	idx    int64
	salt   []byte
	sealed int64
	ev     store.Event
	hasEv  bool
}

const entrySelect = `SELECT a.idx, a.salt, a.sealed_until, e.id, e.type, e.actor, e.subject, e.payload, e.created_at
FROM auditlog_entries a LEFT JOIN outbox_events e ON e.id = a.event_id `

func scanEntry(sc interface{ Scan(...any) error }) (entryRow, error) {
	var r entryRow
	var id, at sql.NullInt64
	var typ, actor, subject, payload sql.NullString
	if err := sc.Scan(&r.idx, &r.salt, &r.sealed, &id, &typ, &actor, &subject, &payload, &at); err != nil {
		return r, err
	}
	if id.Valid {
		r.hasEv = true
		r.ev = store.Event{ID: id.Int64, Type: typ.String, Actor: actor.String, Subject: subject.String, CreatedAt: store.FromMicros(at.Int64)}
		if payload.Valid {
			r.ev.Payload = json.RawMessage(payload.String)
		}
	}
	return r, nil
}

// visible reports whether the subject may see the entry now: a sealed entry stays
// hidden until its deferral ends.
func (l *Log) visible(r entryRow) bool {
	return r.sealed == 0 || r.sealed <= store.Micros(l.cfg.Now())
}

// SubjectHistory returns the newest events about subject (an opaque reference such
// as "citizen:17"; at most MaxHistory), oldest first, each checked: the event
// opens its leaf, and the leaf's inclusion proof verifies against the latest
// checkpoint. Sealed events appear once their deferral has ended.
func (l *Log) SubjectHistory(ctx context.Context, subject string) ([]HistoryEntry, error) {
	if subject == "" {
		return nil, nil
	}
	cp, _, cpErr := l.latestOwn(ctx)
	if errors.Is(cpErr, ErrEmptyLog) {
		return nil, nil
	}
	rows, err := l.db.QueryContext(ctx, entrySelect+"WHERE a.subject = ? ORDER BY a.idx DESC LIMIT ?", subject, MaxHistory)
	if err != nil {
		return nil, fmt.Errorf("auditlog: history: %w", err)
	}
	var rs []entryRow
	for rows.Next() {
		r, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("auditlog: history: %w", err)
		}
		if l.visible(r) {
			rs = append(rs, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auditlog: history: %w", err)
	}
	out := make([]HistoryEntry, 0, len(rs))
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		h := HistoryEntry{Index: r.idx, EventID: r.ev.ID, Type: r.ev.Type, Actor: r.ev.Actor, TreeSize: cp.Size}
		if r.hasEv {
			h.Time = store.Micros(r.ev.CreatedAt)
		}
		h.Problem = l.checkEntry(ctx, cp, cpErr, r)
		h.Verified = h.Problem == ""
		out = append(out, h)
	}
	return out, nil
}

// checkEntry returns "" when the entry verifies, else the code of the failure.
func (l *Log) checkEntry(ctx context.Context, cp Checkpoint, cpErr error, r entryRow) string {
	if cpErr != nil || r.idx >= cp.Size {
		return ErrInconsistent.Code
	}
	leaf, err := l.Leaf(ctx, r.idx)
	if err != nil {
		return ErrInconsistent.Code
	}
	p, _, err := l.InclusionProof(ctx, r.idx, cp.Size)
	if err != nil || proof.VerifyInclusion(hasher, uint64(r.idx), uint64(cp.Size), hasher.HashLeaf(leaf), p, cp.Hash) != nil {
		return ErrInconsistent.Code
	}
	if !r.hasEv || r.salt == nil {
		return "log.opening.erased"
	}
	if CheckOpening(leaf, r.ev, OpeningFor(r.ev, r.salt)) != nil {
		return ErrOpeningMismatch.Code
	}
	return ""
}

// Bundle returns the evidence bundle (JSON) of the entry at index, only if that
// entry is about subject and visible to it: any other index fails with ErrNotYours,
// exactly as one that does not exist.
func (l *Log) Bundle(ctx context.Context, subject string, index int64) ([]byte, error) {
	if subject == "" {
		return nil, ErrNotYours
	}
	r, err := scanEntry(l.db.QueryRowContext(ctx, entrySelect+"WHERE a.idx = ? AND a.subject = ?", index, subject))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !l.visible(r) {
		return nil, ErrNotYours
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: bundle: %w", err)
	}
	if !r.hasEv || r.salt == nil {
		return nil, ErrNotYours.WithDetail("this entry's opening was erased; its leaf stays in the log")
	}
	var signed, cosigs string
	if err := l.db.QueryRowContext(ctx, "SELECT note, cosigs FROM auditlog_checkpoints ORDER BY tree_size DESC LIMIT 1").Scan(&signed, &cosigs); err != nil {
		return nil, fmt.Errorf("auditlog: bundle checkpoint: %w", err)
	}
	cp, _, err := l.openOwn(ctx, []byte(signed))
	if err != nil {
		return nil, err
	}
	leaf, err := l.Leaf(ctx, index)
	if err != nil {
		return nil, err
	}
	p, _, err := l.InclusionProof(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	ev := Evidence{
		Format: EvidenceFormat, Origin: l.cfg.Origin, Index: index, Leaf: leaf,
		Event: evidenceEvent(r.ev), Opening: OpeningFor(r.ev, r.salt),
		TreeSize: cp.Size, Proof: nonNil(p), Checkpoint: signed + cosigs,
	}
	return json.MarshalIndent(ev, "", "  ")
}

// ParseEvidence decodes an evidence bundle strictly. Errors wrap ErrBundleMalformed.
func ParseEvidence(b []byte) (*Evidence, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ev Evidence
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundleMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrBundleMalformed)
	}
	if ev.Format != EvidenceFormat {
		return nil, fmt.Errorf("%w: format %q", ErrBundleMalformed, ev.Format)
	}
	if ev.Index < 0 || ev.TreeSize <= ev.Index || len(ev.Leaf) == 0 || ev.Checkpoint == "" {
		return nil, fmt.Errorf("%w: missing index, leaf or checkpoint", ErrBundleMalformed)
	}
	return &ev, nil
}

// VerifyEvidence checks an evidence bundle against the log's key: the checkpoint is
// signed by logKey, the leaf is included in it, and the event opens the leaf. It
// returns the bundle and its checkpoint. Errors wrap ErrBundleMalformed or
// ErrBundleForged.
func VerifyEvidence(b []byte, logKey note.Verifier) (*Evidence, Checkpoint, error) {
	ev, err := ParseEvidence(b)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	cp, _, err := OpenCheckpoint([]byte(ev.Checkpoint), logKey)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("%w: checkpoint: %v", ErrBundleForged, err)
	}
	if cp.Size != ev.TreeSize || cp.Origin != ev.Origin {
		return nil, Checkpoint{}, fmt.Errorf("%w: the checkpoint is not the one the proof is for", ErrBundleForged)
	}
	if err := proof.VerifyInclusion(hasher, uint64(ev.Index), uint64(cp.Size), hasher.HashLeaf(ev.Leaf), ev.Proof, cp.Hash); err != nil {
		return nil, Checkpoint{}, fmt.Errorf("%w: inclusion proof: %v", ErrBundleForged, err)
	}
	if err := CheckOpening(ev.Leaf, ev.Event.event(), ev.Opening); err != nil {
		return nil, Checkpoint{}, fmt.Errorf("%w: %v", ErrBundleForged, err)
	}
	return ev, cp, nil
}

package auditlog

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// ErrEventNotLogged: no leaf logs that outbox event in the served checkpoint (yet):
// the event does not exist, or the sequencer has not integrated it, or the newest
// checkpoint with a witness quorum does not reach it.
var ErrEventNotLogged = problem.New(http.StatusNotFound, "log.entry.not_found", "The event is not in the log (yet)")

// EventProof is the JSON of GET /log/proof/event/{id}: the leaf that logs an outbox
// event, its RFC 6962 inclusion proof and the signed checkpoint the proof leads to.
// A security token's verifier asks for it by the token's "evt" claim. It reveals
// nothing the tiles do not serve publicly: the leaf holds commitments only.
type EventProof struct {
	EventID int64 `json:"event_id"`
	Index   int64 `json:"index"`
	// Leaf is the leaf bytes (base64).
	Leaf []byte `json:"leaf"`
	// Proof is the inclusion proof of Index in the checkpoint's tree size (base64 hashes).
	Proof [][]byte `json:"proof"`
	// Checkpoint is the signed note text, as /log/checkpoint serves it.
	Checkpoint string `json:"checkpoint"`
}

// EventProof returns the proof that outbox event eventID is logged, against the
// checkpoint /log/checkpoint serves (with a witness quorum configured, the newest
// one that has it). ErrEventNotLogged while the event is not in that checkpoint.
func (l *Log) EventProof(ctx context.Context, eventID int64) (*EventProof, error) {
	if eventID <= 0 {
		return nil, ErrEventNotLogged
	}
	idx, err := l.IndexOfEvent(ctx, eventID)
	if errors.Is(err, ErrLeafNotFound) {
		return nil, ErrEventNotLogged
	}
	if err != nil {
		return nil, err
	}
	signed, err := l.LatestCheckpoint(ctx)
	if errors.Is(err, ErrEmptyLog) || errors.Is(err, ErrNotWitnessed) {
		return nil, ErrEventNotLogged.WithDetail("no checkpoint covers the event yet").WithCause(err)
	}
	if err != nil {
		return nil, err
	}
	cp, _, err := l.openOwn(ctx, signed, l.cfg.Witnesses...)
	if err != nil {
		return nil, fmt.Errorf("auditlog: own checkpoint: %w", err)
	}
	if idx >= cp.Size {
		return nil, ErrEventNotLogged.WithDetail("no checkpoint covers the event yet")
	}
	// The checkpoint row is written in the transaction that writes its tree, so the
	// tree has at least its size even if this node's cached size is a moment old.
	l.setSize(cp.Size)
	p, _, err := l.InclusionProof(ctx, idx, cp.Size)
	if err != nil {
		return nil, err
	}
	leaf, err := l.leafAt(ctx, idx)
	if err != nil {
		return nil, err
	}
	return &EventProof{EventID: eventID, Index: idx, Leaf: leaf, Proof: nonNil(p), Checkpoint: string(signed)}, nil
}

func (l *Log) serveEventProof(w http.ResponseWriter, r *http.Request) error {
	id, err := canonicalInt(r.PathValue("id"))
	if err != nil {
		return ErrBadRequest.WithDetail("the event id must be a non-negative decimal integer")
	}
	p, err := l.EventProof(r.Context(), id)
	if err != nil {
		return errOut(err)
	}
	w.Header().Set("Cache-Control", cacheNone)
	problem.WriteJSON(w, http.StatusOK, p)
	return nil
}

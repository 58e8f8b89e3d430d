package auditlog

import (
	"context"
	"fmt"

	"github.com/senimkz/senim/internal/store"
)

// CheckDatabase opens every leaf of leaves (the leaves at first, first+1, …, logging
// the events evIDs) against its outbox event and salt in db, and checks that the log
// skipped no outbox event up to the newest it logs: what `senim log audit --db`
// checks beyond the public tiles. A mismatch is ErrInconsistent.
func CheckDatabase(ctx context.Context, db *store.DB, first int64, evIDs []int64, leaves [][]byte) (opened, erased int, err error) {
	for k, leaf := range leaves {
		idx := first + int64(k)
		r, err := scanEntry(db.QueryRowContext(ctx, entrySelect+"WHERE a.idx = ?", idx))
		if err != nil {
			return 0, 0, fmt.Errorf("%w: leaf %d has no entry row (%v)", ErrInconsistent, idx, err)
		}
		if !r.hasEv || r.salt == nil {
			erased++
			continue
		}
		if r.ev.ID != evIDs[k] {
			return 0, 0, fmt.Errorf("%w: leaf %d logs event %d, its entry row says %d", ErrInconsistent, idx, evIDs[k], r.ev.ID)
		}
		if err := CheckOpening(leaf, r.ev, OpeningFor(r.ev, r.salt)); err != nil {
			return 0, 0, fmt.Errorf("%w: leaf %d (event %d): the event row does not open the leaf: %v", ErrInconsistent, idx, r.ev.ID, err)
		}
	}
	if len(evIDs) > 0 {
		var missing int64
		err := db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM outbox_events e WHERE e.id <= ? AND NOT EXISTS (SELECT 1 FROM auditlog_entries a WHERE a.event_id = e.id)",
			evIDs[len(evIDs)-1]).Scan(&missing)
		if err != nil {
			return 0, 0, err
		}
		if missing > 0 {
			return 0, 0, fmt.Errorf("%w: %d outbox events up to event %d are not in the log", ErrInconsistent, missing, evIDs[len(evIDs)-1])
		}
	}
	return len(leaves) - erased, erased, nil
}

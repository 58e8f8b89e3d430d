package pd

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// Kinds of directory entries, as the change history and DeleteEntry name them.
const (
	EntryOwner      = "owner"      // a data owner, by BIN
	EntryService    = "service"    // a proactive service, by code
	EntryGround     = "ground"     // a legal ground, by code
	EntryPermission = "permission" // the protocol-mode permissions of a BIN
	EntryObject     = "object"     // a trusted digital object, by id
)

// EntryKinds are the kinds of directory entries.
var EntryKinds = []string{EntryOwner, EntryService, EntryGround, EntryPermission, EntryObject}

// DirectoryChange is one change of a directory entry: what it became (the entry as
// JSON; for a deletion, what it was), who and when.
type DirectoryChange struct {
	Kind    string          `json:"kind"`
	Entry   string          `json:"entry"`
	State   json.RawMessage `json:"state"`
	Deleted bool            `json:"deleted"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
}

// DeletedEntry is a directory entry deleted (softly: its rows and history stay).
type DeletedEntry struct {
	Kind, Key, Name string
}

// recordChange keeps a change of a directory entry in its history, in the change's
// transaction.
func recordChange(ctx context.Context, tx *store.Tx, kind, entry string, state any, deleted bool, actor string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO pd_directory_history (kind, entry, state, deleted, actor, at) VALUES (?, ?, ?, ?, ?, ?)`,
		kind, entry, marshal(state), deleted, actor, store.Micros(at))
	return err
}

// DirectoryHistory lists every change of one directory entry, oldest first. A trusted
// object's changes from before this history existed come from the registry's own.
func (s *Service) DirectoryHistory(ctx context.Context, kind, entry string) ([]DirectoryChange, error) {
	if !validKind(kind) {
		return nil, ErrInvalidDirectory.WithDetail("unknown kind of entry")
	}
	out := []DirectoryChange{}
	rows, err := s.db.QueryContext(ctx, `SELECT state, deleted, actor, at FROM pd_directory_history WHERE kind = ? AND entry = ? ORDER BY id`, kind, entry)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c := DirectoryChange{Kind: kind, Entry: entry}
		var st string
		var at int64
		if err := rows.Scan(&st, &c.Deleted, &c.Actor, &at); err != nil {
			return nil, err
		}
		c.State, c.At = json.RawMessage(st), store.FromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if kind == EntryObject && len(out) == 0 {
		old, err := s.TrustedObjectHistory(ctx, entry)
		if err != nil {
			return nil, err
		}
		for _, o := range old {
			out = append(out, DirectoryChange{Kind: kind, Entry: entry, State: json.RawMessage(marshal(o.Object)), Actor: o.Actor, At: o.At})
		}
	}
	return out, nil
}

func validKind(k string) bool {
	for _, x := range EntryKinds {
		if x == k {
			return true
		}
	}
	return false
}

// DeleteEntry deletes a directory entry softly: a data owner or trusted object is
// marked deleted, a service or ground made inactive, a BIN's protocol permissions
// withdrawn; flows stop using it at once, its rows and history stay, and the history
// records the deletion with who made it. A data owner that a live proactive service
// names is not deleted (delete the service first).
func (s *Service) DeleteEntry(ctx context.Context, actor, kind, key string) error {
	if !validKind(kind) {
		return ErrInvalidDirectory.WithDetail("unknown kind of entry")
	}
	if actor == "" {
		return ErrForbidden
	}
	// A data owner: as it is now, and not named by a live proactive service.
	var owner *DataOwner
	if kind == EntryOwner {
		owners, err := s.listOwners(ctx)
		if err != nil {
			return err
		}
		for i := range owners {
			if owners[i].BIN == key {
				owner = &owners[i]
			}
		}
		if owner == nil {
			return ErrNotFound.WithDetail("no such entry, or already deleted")
		}
		codes, err := s.listServiceCodes(ctx)
		if err != nil {
			return err
		}
		for _, c := range codes {
			if c.Owner == key && isTrue(c.Active) {
				return ErrInvalidDirectory.WithDetail("the proactive service "+c.Code+" names this data owner").With("field", "entry")
			}
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var state any
		var res sql.Result
		var err error
		switch kind {
		case EntryOwner:
			state = owner
			res, err = tx.ExecContext(ctx, `UPDATE pd_data_owners SET deleted = 1, updated_by = ?, updated_at = ? WHERE bin = ? AND deleted = 0`, actor, store.Micros(now), key)
		case EntryService:
			res, err = tx.ExecContext(ctx, `UPDATE pd_service_codes SET active = 0, updated_by = ?, updated_at = ? WHERE code = ? AND active = 1`, actor, store.Micros(now), key)
			state = map[string]any{"code": key, "active": false}
		case EntryGround:
			res, err = tx.ExecContext(ctx, `UPDATE pd_grounds SET active = 0, updated_by = ?, updated_at = ? WHERE code = ? AND active = 1`, actor, store.Micros(now), key)
			state = map[string]any{"code": key, "active": false}
		case EntryPermission:
			if !kzid.ValidBIN(key) {
				return ErrNotFound
			}
			res, err = tx.ExecContext(ctx, `DELETE FROM pd_protocol_permissions WHERE bin = ?`, key)
			state = map[string]any{"bin": key, "grounds": []string{}}
		case EntryObject:
			var o TrustedObject
			o, err = scanObject(tx.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM pd_trusted_objects WHERE id = ? AND deleted = 0`, key))
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound.WithDetail("no such entry")
			}
			if err != nil {
				return err
			}
			state = o
			res, err = tx.ExecContext(ctx, `UPDATE pd_trusted_objects SET deleted = 1, updated_by = ?, updated_at = ? WHERE id = ?`, actor, store.Micros(now), key)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound.WithDetail("no such entry, or already deleted")
		}
		if err := recordChange(ctx, tx, kind, key, state, true, actor, now); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvEntryDeleted, Actor: actor, Payload: []byte(marshal(map[string]any{"kind": kind, "entry": key}))})
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// DeletedEntries lists the directory entries deleted and not put again, for the
// console (their history stays readable there).
func (s *Service) DeletedEntries(ctx context.Context) ([]DeletedEntry, error) {
	var out []DeletedEntry
	for _, q := range []struct{ kind, sql string }{
		{EntryOwner, `SELECT bin, name FROM pd_data_owners WHERE deleted = 1 ORDER BY bin`},
		{EntryService, `SELECT code, title FROM pd_service_codes WHERE active = 0 ORDER BY code`},
		{EntryGround, `SELECT code, title_ru FROM pd_grounds WHERE active = 0 ORDER BY code`},
		{EntryObject, `SELECT id, name FROM pd_trusted_objects WHERE deleted = 1 ORDER BY id`},
	} {
		rows, err := s.db.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e := DeletedEntry{Kind: q.kind}
			if err := rows.Scan(&e.Key, &e.Name); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package pd

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store"
)

// Kinds and statuses of trusted digital objects (TR-1).
const (
	KindPlatform          = "platform"
	KindMessenger         = "messenger"
	KindInformationSystem = "information_system"

	StatusTrusted   = "trusted"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
)

// TrustedObject is an entry of the registry of trusted digital objects (TR-1).
type TrustedObject struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	OwnerBIN string `json:"owner_bin"`
	Name     string `json:"name"`
	// Names are the name in the cabinet's languages; Name is used where one is missing.
	Names   Titles `json:"names,omitzero"`
	Version string `json:"version,omitempty"`
	// Certificate of compliance with the law on cyber-security and personal data.
	CertNumber  string    `json:"certificate_number,omitempty"`
	CertDate    time.Time `json:"certificate_date,omitzero"`
	CertExpires time.Time `json:"certificate_expires,omitzero"`
	// Thumbprints are the x5t#S256 of the EDS certificates the system authenticates
	// with; empty means any certificate of OwnerBIN.
	Thumbprints []string  `json:"thumbprints"`
	Status      string    `json:"status"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// NameIn is the object's name in lang; where it has none in lang, its one name.
func (o *TrustedObject) NameIn(lang string) string { return o.Names.Or(lang, o.Name) }

// ObjectChange is one entry of a trusted object's history.
type ObjectChange struct {
	Object TrustedObject `json:"object"`
	Actor  string        `json:"actor"`
	At     time.Time     `json:"at"`
}

// trustedAt reports whether the object vouches for this caller at t.
func (o *TrustedObject) trustedAt(thumbprint string, t time.Time) bool {
	if o.Status != StatusTrusted || o.Kind != KindInformationSystem {
		return false
	}
	if !o.CertExpires.IsZero() && !t.Before(o.CertExpires) {
		return false
	}
	return len(o.Thumbprints) == 0 || slices.Contains(o.Thumbprints, thumbprint)
}

// PutTrustedObject creates or changes a registry entry; every change is kept in its
// history with who made it.
func (s *Service) PutTrustedObject(ctx context.Context, actor string, o TrustedObject) (*TrustedObject, error) {
	switch {
	case tooLong(o.Name, o.Version, o.CertNumber) || o.Names.tooLong():
		return nil, ErrInvalidObject.WithDetail("names, version and certificate number are at most 300 characters").With("field", "name")
	case !validCode(o.ID):
		return nil, ErrInvalidObject.WithDetail("id must be 1..64 of [A-Za-z0-9._-]")
	case o.Kind != KindPlatform && o.Kind != KindMessenger && o.Kind != KindInformationSystem:
		return nil, ErrInvalidObject.WithDetail("kind must be platform, messenger or information_system")
	case !kzid.ValidBIN(o.OwnerBIN):
		return nil, ErrInvalidObject.WithDetail("owner_bin is not a valid BIN")
	case strings.TrimSpace(o.Name) == "":
		return nil, ErrInvalidObject.WithDetail("name is required")
	case o.Status != StatusTrusted && o.Status != StatusSuspended && o.Status != StatusRevoked:
		return nil, ErrInvalidObject.WithDetail("status must be trusted, suspended or revoked")
	case o.Status == StatusTrusted && (o.CertNumber == "" || o.CertExpires.IsZero()):
		return nil, ErrInvalidObject.WithDetail("a trusted object needs a certificate of compliance (number and expiry)")
	}
	for _, t := range o.Thumbprints {
		if len(t) != 43 {
			return nil, ErrInvalidObject.WithDetail("thumbprints must be base64url SHA-256 (x5t#S256)")
		}
	}
	if o.Thumbprints == nil {
		o.Thumbprints = []string{}
	}
	o.Thumbprints = sortedUnique(o.Thumbprints)
	o.CertDate, o.CertExpires = o.CertDate.UTC().Truncate(time.Microsecond), o.CertExpires.UTC().Truncate(time.Microsecond)
	o.UpdatedBy, o.UpdatedAt = actor, s.now().UTC().Truncate(time.Microsecond)
	micros := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return store.Micros(t)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pd_trusted_objects (id, kind, owner_bin, name, version, cert_number, cert_date, cert_expires, thumbprints, status, updated_by, updated_at, names)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, owner_bin = excluded.owner_bin, name = excluded.name, version = excluded.version,
			cert_number = excluded.cert_number, cert_date = excluded.cert_date, cert_expires = excluded.cert_expires, thumbprints = excluded.thumbprints,
			status = excluded.status, updated_by = excluded.updated_by, updated_at = excluded.updated_at, deleted = 0, names = excluded.names`,
			o.ID, o.Kind, o.OwnerBIN, o.Name, o.Version, o.CertNumber, micros(o.CertDate), micros(o.CertExpires), marshal(o.Thumbprints), o.Status, actor, store.Micros(o.UpdatedAt), marshal(o.Names))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_trusted_object_history (object_id, state, actor, at) VALUES (?, ?, ?, ?)`,
			o.ID, marshal(o), actor, store.Micros(o.UpdatedAt)); err != nil {
			return err
		}
		if err := recordChange(ctx, tx, EntryObject, o.ID, o, false, actor, o.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvObjectPut, Actor: actor, Payload: []byte(marshal(o))})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return &o, nil
}

const objectColumns = `id, kind, owner_bin, name, version, cert_number, cert_date, cert_expires, thumbprints, status, updated_by, updated_at, names`

func scanObject(sc interface{ Scan(...any) error }) (TrustedObject, error) {
	var o TrustedObject
	var cd, ce, at int64
	var th, names string
	if err := sc.Scan(&o.ID, &o.Kind, &o.OwnerBIN, &o.Name, &o.Version, &o.CertNumber, &cd, &ce, &th, &o.Status, &o.UpdatedBy, &at, &names); err != nil {
		return o, err
	}
	if err := json.Unmarshal([]byte(names), &o.Names); err != nil {
		return o, err
	}
	if cd != 0 {
		o.CertDate = store.FromMicros(cd)
	}
	if ce != 0 {
		o.CertExpires = store.FromMicros(ce)
	}
	o.UpdatedAt = store.FromMicros(at)
	return o, json.Unmarshal([]byte(th), &o.Thumbprints)
}

// TrustedObjects lists the registry, optionally only the objects of one owner BIN.
func (s *Service) TrustedObjects(ctx context.Context, ownerBIN string) ([]TrustedObject, error) {
	q, args := `SELECT `+objectColumns+` FROM pd_trusted_objects WHERE deleted = 0 ORDER BY id`, []any{}
	if ownerBIN != "" {
		q, args = `SELECT `+objectColumns+` FROM pd_trusted_objects WHERE owner_bin = ? AND deleted = 0 ORDER BY id`, []any{ownerBIN}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TrustedObject{}
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// TrustedObject returns one registry entry, or ErrNotFound.
func (s *Service) TrustedObject(ctx context.Context, id string) (*TrustedObject, error) {
	o, err := scanObject(s.db.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM pd_trusted_objects WHERE id = ? AND deleted = 0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound.WithDetail("no trusted object with this id")
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// SetTrustedObjectStatus changes one registry entry's status (trusted, suspended,
// revoked; rule TR-1) and keeps the rest of the entry as it is; an unknown id is
// ErrNotFound. The console and the admin API change a status only through here.
func (s *Service) SetTrustedObjectStatus(ctx context.Context, actor, id, status string) (*TrustedObject, error) {
	o, err := s.TrustedObject(ctx, id)
	if err != nil {
		return nil, err
	}
	o.Status = status
	return s.PutTrustedObject(ctx, actor, *o)
}

// CountTrusted is the number of registry entries whose status is trusted: what the
// TR-2 switch would let through (TR2Enforced).
func (s *Service) CountTrusted(ctx context.Context) (int, error) {
	objs, err := s.TrustedObjects(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		if o.Status == StatusTrusted {
			n++
		}
	}
	return n, nil
}

// TrustedObjectHistory lists every change of an object, oldest first.
func (s *Service) TrustedObjectHistory(ctx context.Context, id string) ([]ObjectChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, actor, at FROM pd_trusted_object_history WHERE object_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ObjectChange{}
	for rows.Next() {
		var c ObjectChange
		var st string
		var at int64
		if err := rows.Scan(&st, &c.Actor, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(st), &c.Object); err != nil {
			return nil, err
		}
		c.At = store.FromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetTR2 turns on or off the TR-2 switch: when on, only an information system that is
// a trusted object may request access. Off by default (the law asks for priority; the
// authorized body decides).
func (s *Service) SetTR2(ctx context.Context, actor string, on bool) error {
	v := "false"
	if on {
		v = "true"
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pd_settings (name, value, updated_by, updated_at) VALUES ('tr2_enforced', ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`, v, actor, store.Micros(s.now()))
		if err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvTR2Set, Actor: actor, Payload: []byte(`{"enforced":` + v + `}`)})
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// TR2Enforced reports the TR-2 switch.
func (s *Service) TR2Enforced(ctx context.Context) (bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM pd_settings WHERE name = 'tr2_enforced'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "true", err
}

// trust decides TR-2 for a caller: whether its system is a trusted object, and an
// error when the switch is on and it is not.
func (d *snapshot) trust(c *orgauth.Caller, t time.Time) (bool, error) {
	trusted := false
	for _, o := range d.byOwner[c.BIN] {
		if o.trustedAt(c.Thumbprint, t) {
			trusted = true
			break
		}
	}
	if !trusted && d.enforceTR {
		return false, ErrObjectNotTrusted.WithDetail("register the information system in the registry of trusted digital objects")
	}
	return trusted, nil
}

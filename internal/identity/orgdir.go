package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// The organisation directory: the authorized body registers and renames the
// organisations (PutOrganization, through the admin API or `senim admin put
// organization`), so that notices, the citizen's history, the consents page and
// confirmations name an organisation by its name and not by its BIN alone. The sandbox
// seeds its demo organisations with EnsureOrganization instead.

// Roles are the roles an organisation of the directory may have: the ones the rest of
// Senim tells apart (the regulator keeps the directories, a state body is a data owner,
// law enforcement asks under sealed grounds) and the kinds of initiator the catalogs name.
var Roles = []string{"bank", "insurer", "microfinance", "mobile_operator", "state_body", "regulator", "law_enforcement"}

// Bounds of a directory entry.
const (
	MaxOrgName    = 300 // characters of a name in any language, and of a system's name
	MaxSystemCode = 64  // characters of a system's code ([A-Za-z0-9._-])
	MaxSystems    = 100 // information systems per organisation
)

// EntryOrganization is the kind of an organisation in the directories' change history
// (pd_directory_history, which the other directories share).
const EntryOrganization = "organization"

// NewDirectory returns a Service for the organisation directory only (PutOrganization,
// OrganizationByBIN, Organizations, OrganizationHistory): what the authorized body's
// command line needs, without the mobile citizens database or an SMS gateway. Logins
// on it fail.
func NewDirectory(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{cfg: Config{DB: db, Now: now}}
}

// PutOrganization creates the organisation o.BIN, or replaces the name, names, role and
// information systems of the one registered. A system keeps its row when its code stays
// (its name may change); one whose code is no longer listed is removed, which is safe
// because nothing else in the database refers to an information system. In the same
// transaction the change goes into the directories' history (kind "organization") and
// is an outbox event by actor. A put that changes nothing writes nothing. The
// organisation returned is the one stored.
func (s *Service) PutOrganization(ctx context.Context, actor string, o Organization) (*Organization, error) {
	o, err := normalizeOrg(o)
	if err != nil {
		return nil, err
	}
	var got *Organization
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		cur, err := loadOrg(ctx, tx, o.BIN, true)
		if err != nil {
			return err
		}
		if cur != nil && sameOrg(*cur, o) {
			got = cur
			return nil
		}
		now := s.cfg.Now()
		if cur == nil {
			_, err := tx.InsertID(ctx, `INSERT INTO organizations (bin, name, role, created_at, names) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bin) DO NOTHING RETURNING id`,
				o.BIN, o.Name, o.Role, store.Micros(now), string(mustJSON(o.Names)))
			concurrent := errors.Is(err, sql.ErrNoRows)
			if err != nil && !concurrent {
				return err
			}
			// Inserted, or created concurrently since: either way it is there now.
			if cur, err = loadOrg(ctx, tx, o.BIN, true); err != nil {
				return err
			}
			if concurrent && sameOrg(*cur, o) {
				got = cur
				return nil
			}
		}
		if err := replaceOrg(ctx, tx, cur, o, now); err != nil {
			return err
		}
		if got, err = loadOrg(ctx, tx, o.BIN, false); err != nil {
			return err
		}
		state := mustJSON(got)
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_directory_history (kind, entry, state, deleted, actor, at) VALUES (?, ?, ?, ?, ?, ?)`,
			EntryOrganization, got.BIN, string(state), false, actor, store.Micros(now)); err != nil {
			return err
		}
		// Organisations are not personal data; the payload is the BIN and the entry as
		// it became, nothing else.
		_, err = tx.Emit(ctx, store.Event{Type: EvOrganizationSet, Actor: actor,
			Payload: mustJSON(map[string]any{"bin": got.BIN, "organization": json.RawMessage(state)})})
		return err
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// replaceOrg writes o over cur, its systems by code.
func replaceOrg(ctx context.Context, tx *store.Tx, cur *Organization, o Organization, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE organizations SET name = ?, role = ?, names = ? WHERE id = ?`,
		o.Name, o.Role, string(mustJSON(o.Names)), cur.ID); err != nil {
		return err
	}
	had := map[string]string{}
	for _, is := range cur.Systems {
		had[is.Code] = is.Name
	}
	for _, is := range o.Systems {
		name, ok := had[is.Code]
		delete(had, is.Code)
		var err error
		switch {
		case !ok:
			_, err = tx.ExecContext(ctx, `INSERT INTO information_systems (org_id, code, name, created_at) VALUES (?, ?, ?, ?)`,
				cur.ID, is.Code, is.Name, store.Micros(now))
		case name != is.Name:
			_, err = tx.ExecContext(ctx, `UPDATE information_systems SET name = ? WHERE org_id = ? AND code = ?`, is.Name, cur.ID, is.Code)
		}
		if err != nil {
			return err
		}
	}
	for _, code := range slices.Sorted(maps.Keys(had)) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM information_systems WHERE org_id = ? AND code = ?`, cur.ID, code); err != nil {
			return err
		}
	}
	return nil
}

// loadOrg reads an organisation inside tx (nil when there is none); lock takes its row
// lock on PostgreSQL, so concurrent puts of one BIN run one after the other (SQLite's
// write transactions are serial anyway).
func loadOrg(ctx context.Context, tx *store.Tx, bin string, lock bool) (*Organization, error) {
	q := `SELECT id, bin, name, role, names FROM organizations WHERE bin = ?`
	if lock && tx.Engine() == store.Postgres {
		q += ` FOR UPDATE`
	}
	var o Organization
	var names string
	err := tx.QueryRowContext(ctx, q, bin).Scan(&o.ID, &o.BIN, &o.Name, &o.Role, &names)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(names), &o.Names); err != nil {
		return nil, err
	}
	err = tx.ScanRows(ctx, `SELECT code, name FROM information_systems WHERE org_id = ? ORDER BY id`, []any{o.ID}, func(rows *sql.Rows) error {
		var is InformationSystem
		if err := rows.Scan(&is.Code, &is.Name); err != nil {
			return err
		}
		o.Systems = append(o.Systems, is)
		return nil
	})
	return &o, err
}

// sameOrg reports whether cur already is o: the same names, role and systems (in any
// order).
func sameOrg(cur, o Organization) bool {
	if cur.Name != o.Name || cur.Names != o.Names || cur.Role != o.Role || len(cur.Systems) != len(o.Systems) {
		return false
	}
	had := map[string]string{}
	for _, is := range cur.Systems {
		had[is.Code] = is.Name
	}
	for _, is := range o.Systems {
		if name, ok := had[is.Code]; !ok || name != is.Name {
			return false
		}
	}
	return true
}

// normalizeOrg trims o's texts and checks it, each failure ErrInvalidOrg with the field
// at fault.
func normalizeOrg(o Organization) (Organization, error) {
	invalid := func(field, detail string) (Organization, error) {
		return Organization{}, ErrInvalidOrg.WithDetail(detail).With("field", field)
	}
	o.BIN = strings.TrimSpace(o.BIN)
	o.Name = strings.TrimSpace(o.Name)
	o.Names = Names{KK: strings.TrimSpace(o.Names.KK), RU: strings.TrimSpace(o.Names.RU), EN: strings.TrimSpace(o.Names.EN)}
	o.Role = strings.TrimSpace(o.Role)
	if !kzid.ValidBIN(o.BIN) {
		return invalid("bin", "not a valid BIN")
	}
	if o.Name == "" {
		return invalid("name", "the name is required")
	}
	// Kazakh and Russian are required, English optional: what notices require of their
	// content (docs/notify.md); a page in English falls back to name.
	if o.Names.KK == "" {
		return invalid("names.kk", "the name in Kazakh is required")
	}
	if o.Names.RU == "" {
		return invalid("names.ru", "the name in Russian is required")
	}
	for _, f := range [...]struct{ field, text string }{{"name", o.Name}, {"names.kk", o.Names.KK}, {"names.ru", o.Names.RU}, {"names.en", o.Names.EN}} {
		if !utf8.ValidString(f.text) || utf8.RuneCountInString(f.text) > MaxOrgName {
			return invalid(f.field, "names are valid UTF-8 of at most 300 characters")
		}
	}
	if !slices.Contains(Roles, o.Role) {
		return invalid("role", "the role is one of "+strings.Join(Roles, ", "))
	}
	if len(o.Systems) > MaxSystems {
		return invalid("information_systems", "at most 100 information systems")
	}
	systems := make([]InformationSystem, 0, len(o.Systems))
	seen := map[string]bool{}
	for _, is := range o.Systems {
		is = InformationSystem{Code: strings.TrimSpace(is.Code), Name: strings.TrimSpace(is.Name)}
		switch {
		case !validSystemCode(is.Code):
			return invalid("information_systems", "a system's code is 1 to 64 of A-Z a-z 0-9 . _ -")
		case seen[is.Code]:
			return invalid("information_systems", "system code "+is.Code+" is listed twice")
		case is.Name == "" || !utf8.ValidString(is.Name) || utf8.RuneCountInString(is.Name) > MaxOrgName:
			return invalid("information_systems", "system "+is.Code+" needs a name of at most 300 characters")
		}
		seen[is.Code] = true
		systems = append(systems, is)
	}
	o.Systems = systems
	o.ID = 0
	return o, nil
}

func validSystemCode(c string) bool {
	if c == "" || len(c) > MaxSystemCode {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// OrganizationChange is one change of an organisation in the directory: what it
// became, who changed it and when.
type OrganizationChange struct {
	Organization Organization `json:"organization"`
	Actor        string       `json:"actor"`
	At           time.Time    `json:"at"`
}

// OrganizationHistory lists every change of the organisation bin made through
// PutOrganization, oldest first.
func (s *Service) OrganizationHistory(ctx context.Context, bin string) ([]OrganizationChange, error) {
	m, err := s.organizationChanges(ctx, ` AND entry = ?`, bin)
	if err != nil {
		return nil, err
	}
	if h := m[bin]; h != nil {
		return h, nil
	}
	return []OrganizationChange{}, nil
}

// OrganizationHistories is OrganizationHistory of every organisation with a change
// recorded, by BIN, in one query: the console lists the whole directory with its
// history.
func (s *Service) OrganizationHistories(ctx context.Context) (map[string][]OrganizationChange, error) {
	return s.organizationChanges(ctx, "")
}

// organizationChanges reads the directory's organisation changes, and more conditions
// on them (and their arguments), by BIN, each BIN's oldest first.
func (s *Service) organizationChanges(ctx context.Context, and string, args ...any) (map[string][]OrganizationChange, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT entry, state, actor, at FROM pd_directory_history WHERE kind = ?`+and+` ORDER BY id`,
		append([]any{EntryOrganization}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]OrganizationChange{}
	for rows.Next() {
		var bin, st string
		var at int64
		var c OrganizationChange
		if err := rows.Scan(&bin, &st, &c.Actor, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(st), &c.Organization); err != nil {
			return nil, err
		}
		c.At = store.FromMicros(at)
		out[bin] = append(out[bin], c)
	}
	return out, rows.Err()
}

package pd

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// DataSet is one kind of data a data owner holds, e.g. "identity" of the population
// register.
type DataSet struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Titles are the title in the cabinet's languages; Title is used where one is
	// missing.
	Titles Titles `json:"titles,omitzero"`
}

// TitleIn is the data set's title in lang.
func (d DataSet) TitleIn(lang string) string {
	if t := d.Titles.In(lang); t != "" {
		return t
	}
	return d.Title
}

// DataSetTitle is the title in lang of the owner's data set code, or the code itself
// when the owner does not hold it.
func (o *DataOwner) DataSetTitle(code, lang string) string {
	for _, d := range o.DataSets {
		if d.Code == code {
			return d.TitleIn(lang)
		}
	}
	return code
}

// DataOwner is a state body whose information system holds personal data.
type DataOwner struct {
	BIN  string `json:"bin"`
	Name string `json:"name"`
	// Names are the name in the cabinet's languages; Name is used where one is missing.
	Names    Titles    `json:"names,omitzero"`
	DataSets []DataSet `json:"data_sets"`
	// SenderConstraint binds security tokens for this owner to the initiator's
	// certificate (cnf.x5t#S256). Off only where a government bus ends TLS before the
	// owner. Default true.
	SenderConstraint *bool     `json:"sender_constraint,omitempty"`
	UpdatedBy        string    `json:"updated_by,omitempty"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// NameIn is the data owner's name in lang; where it has none in lang, its one name.
func (o *DataOwner) NameIn(lang string) string { return o.Names.Or(lang, o.Name) }

// Constrained reports whether tokens for the owner are sender-constrained.
func (o *DataOwner) Constrained() bool { return o.SenderConstraint == nil || *o.SenderConstraint }

// ServiceCode is a proactive service (flow 1): who may use it, for which data, how
// consent may be obtained and how data may be accessed, and for how long.
type ServiceCode struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Titles are the title in the cabinet's languages; Title is used where one is missing.
	Titles         Titles    `json:"titles,omitzero"`
	Owner          string    `json:"owner"`
	DataSets       []string  `json:"data_sets"`
	BINs           []string  `json:"bins"`
	ConsentMethods []string  `json:"consent_methods"`
	AccessMethods  []string  `json:"access_methods"`
	PeriodSeconds  int64     `json:"period_seconds"`
	Active         *bool     `json:"active,omitempty"`
	UpdatedBy      string    `json:"updated_by,omitempty"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// TitleIn is the service's title in lang; where it has none in lang, its one title.
func (c *ServiceCode) TitleIn(lang string) string { return c.Titles.Or(lang, c.Title) }

// Or is the text in lang exactly; where there is none, one (a name kept in one
// language only), and only where one is empty too, In's fallback.
func (t Titles) Or(lang, one string) string {
	switch {
	case lang == "kk" && t.KK != "":
		return t.KK
	case lang == "ru" && t.RU != "":
		return t.RU
	case lang == "en" && t.EN != "":
		return t.EN
	case one != "":
		return one
	}
	return t.In(lang)
}

// Titles are a text in the cabinet's three languages.
type Titles struct {
	KK string `json:"kk"`
	RU string `json:"ru"`
	EN string `json:"en"`
}

// In is the text in lang ("kk", "ru" or "en"); where that one is empty, the first of
// Russian, Kazakh and English that is not. Every page, SMS and notice picks a title
// through In, so the fallback order is the same everywhere.
func (t Titles) In(lang string) string {
	switch {
	case lang == "kk" && t.KK != "":
		return t.KK
	case lang == "ru" && t.RU != "":
		return t.RU
	case lang == "en" && t.EN != "":
		return t.EN
	}
	for _, v := range []string{t.RU, t.KK, t.EN} {
		if v != "" {
			return v
		}
	}
	return ""
}

// Notification policies of a legal ground.
const (
	NotifyNow    = "now"    // the subject is told at once (the default)
	NotifyUntil  = "until"  // told on a date set by the authorized body
	NotifyPeriod = "period" // told when a secrecy period after the access ends
)

// Ground is a legal ground for access without consent (flow 2).
type Ground struct {
	Code   string `json:"code"`
	Titles Titles `json:"titles"`
	// LegalRef is the legal reference as the authorized body cites it; LegalRefs are
	// its forms in the cabinet's languages, where they differ (LegalRefIn).
	LegalRef  string `json:"legal_ref"`
	LegalRefs Titles `json:"legal_refs,omitzero"`
	Notify    string `json:"notify"`
	// NotifyUntil is the date of a NotifyUntil policy.
	NotifyUntil time.Time `json:"notify_until,omitzero"`
	// NotifyPeriodSeconds is the secrecy period of a NotifyPeriod policy.
	NotifyPeriodSeconds int64     `json:"notify_period_seconds,omitempty"`
	Active              *bool     `json:"active,omitempty"`
	UpdatedBy           string    `json:"updated_by,omitempty"`
	UpdatedAt           time.Time `json:"updated_at,omitzero"`
}

// LegalRefIn is the legal reference in lang ("kk", "ru" or "en"): its form in that
// language where the directory has one, otherwise the reference as cited. A notice
// never cites the law in another of the cabinet's languages than the one it is
// written in when the directory knows better.
func (g Ground) LegalRefIn(lang string) string { return g.LegalRefs.Or(lang, g.LegalRef) }

// deferral returns until when an access at t on this ground is sealed (zero: notify now).
func (g *Ground) deferral(t time.Time) time.Time {
	switch g.Notify {
	case NotifyUntil:
		if g.NotifyUntil.After(t) {
			return g.NotifyUntil
		}
	case NotifyPeriod:
		if g.NotifyPeriodSeconds > 0 {
			return t.Add(time.Duration(g.NotifyPeriodSeconds) * time.Second)
		}
	}
	return time.Time{}
}

// Consent and access methods known to the service.
var (
	ConsentMethods = []string{"biometric", "eds", "paper"} // PD-6.1.1
	// otpMethods are names of one-time-password confirmations that flows 1 and 2 refuse
	// with their own code (PD-6.X), so the initiator learns why.
	otpMethods = []string{"sms", "otp", "sms_otp", "push_otp"}
)

func isTrue(b *bool) bool { return b == nil || *b }

// snapshot is an in-memory copy of the directories, small enough to read whole.
type snapshot struct {
	loaded    time.Time
	owners    map[string]*DataOwner
	services  map[string]*ServiceCode
	grounds   map[string]*Ground
	protocol  map[string]map[string]bool // BIN -> ground codes
	objects   map[string]*TrustedObject
	byOwner   map[string][]*TrustedObject
	enforceTR bool
}

// directory returns the current snapshot, re-reading it when older than DirectoryTTL.
func (s *Service) directory(ctx context.Context) (*snapshot, error) {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if s.dir != nil && s.now().Sub(s.dir.loaded) < s.cfg.DirectoryTTL && s.now().Sub(s.dir.loaded) >= 0 {
		return s.dir, nil
	}
	d, err := s.loadDirectory(ctx)
	if err != nil {
		return nil, err
	}
	s.dir = d
	return d, nil
}

func (s *Service) invalidate() {
	s.dirMu.Lock()
	s.dir = nil
	s.dirMu.Unlock()
}

func (s *Service) loadDirectory(ctx context.Context) (*snapshot, error) {
	d := &snapshot{
		loaded: s.now(), owners: map[string]*DataOwner{}, services: map[string]*ServiceCode{},
		grounds: map[string]*Ground{}, protocol: map[string]map[string]bool{},
		objects: map[string]*TrustedObject{}, byOwner: map[string][]*TrustedObject{},
	}
	owners, err := s.listOwners(ctx)
	if err != nil {
		return nil, err
	}
	for i := range owners {
		d.owners[owners[i].BIN] = &owners[i]
	}
	codes, err := s.listServiceCodes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range codes {
		d.services[codes[i].Code] = &codes[i]
	}
	grounds, err := s.Grounds(ctx)
	if err != nil {
		return nil, err
	}
	for i := range grounds {
		d.grounds[grounds[i].Code] = &grounds[i]
	}
	perms, err := s.listPermissions(ctx)
	if err != nil {
		return nil, err
	}
	for bin, codes := range perms {
		m := map[string]bool{}
		for _, c := range codes {
			m[c] = true
		}
		d.protocol[bin] = m
	}
	objs, err := s.TrustedObjects(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range objs {
		o := &objs[i]
		d.objects[o.ID] = o
		d.byOwner[o.OwnerBIN] = append(d.byOwner[o.OwnerBIN], o)
	}
	d.enforceTR, err = s.TR2Enforced(ctx)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled
	}
	return string(b)
}

func validCode(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func sortedUnique(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

func subset(xs, of []string) bool {
	for _, x := range xs {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}

// MaxName is the longest name or title a directory entry may have, in characters.
const MaxName = 300

// tooLong reports whether any of texts is longer than MaxName characters or is not
// UTF-8.
func tooLong(texts ...string) bool {
	for _, t := range texts {
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxName {
			return true
		}
	}
	return false
}

func (t Titles) tooLong() bool { return tooLong(t.KK, t.RU, t.EN) }

// PutDataOwner creates or replaces a data owner and its data sets.
func (s *Service) PutDataOwner(ctx context.Context, actor string, o DataOwner) (*DataOwner, error) {
	if tooLong(o.Name) || o.Names.tooLong() {
		return nil, ErrInvalidDirectory.WithDetail("names are at most 300 characters").With("field", "name")
	}
	if !kzid.ValidBIN(o.BIN) || strings.TrimSpace(o.Name) == "" || len(o.DataSets) == 0 {
		return nil, ErrInvalidDirectory.WithDetail("a data owner needs a valid BIN, a name and at least one data set")
	}
	seen := map[string]bool{}
	for _, ds := range o.DataSets {
		if !validCode(ds.Code) || ds.Title == "" || seen[ds.Code] || tooLong(ds.Title) || ds.Titles.tooLong() {
			return nil, ErrInvalidDirectory.WithDetail("data set codes must be unique [A-Za-z0-9._-] and have a title")
		}
		seen[ds.Code] = true
	}
	o.UpdatedBy, o.UpdatedAt = actor, s.now().UTC().Truncate(time.Microsecond)
	constrained := o.Constrained()
	o.SenderConstraint = &constrained
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pd_data_owners (bin, name, data_sets, sender_constraint, updated_by, updated_at, names) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (bin) DO UPDATE SET name = excluded.name, data_sets = excluded.data_sets, sender_constraint = excluded.sender_constraint, updated_by = excluded.updated_by, updated_at = excluded.updated_at, deleted = 0, names = excluded.names`,
			o.BIN, o.Name, marshal(o.DataSets), constrained, actor, store.Micros(o.UpdatedAt), marshal(o.Names))
		if err != nil {
			return err
		}
		if err := recordChange(ctx, tx, EntryOwner, o.BIN, o, false, actor, o.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvDataOwnerPut, Actor: actor, Payload: []byte(marshal(o))})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return &o, nil
}

func (s *Service) listOwners(ctx context.Context) ([]DataOwner, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT bin, name, data_sets, sender_constraint, updated_by, updated_at, names FROM pd_data_owners WHERE deleted = 0 ORDER BY bin`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DataOwner
	for rows.Next() {
		var o DataOwner
		var ds, names string
		var sc bool
		var at int64
		if err := rows.Scan(&o.BIN, &o.Name, &ds, &sc, &o.UpdatedBy, &at, &names); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(names), &o.Names); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ds), &o.DataSets); err != nil {
			return nil, err
		}
		o.SenderConstraint, o.UpdatedAt = &sc, store.FromMicros(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// DataOwners lists the directory of data owners.
func (s *Service) DataOwners(ctx context.Context) ([]DataOwner, error) { return s.listOwners(ctx) }

// PutServiceCode creates or replaces a proactive service code.
func (s *Service) PutServiceCode(ctx context.Context, actor string, c ServiceCode) (*ServiceCode, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case tooLong(c.Title) || c.Titles.tooLong():
		return nil, ErrInvalidDirectory.WithDetail("titles are at most 300 characters").With("field", "title")
	case !validCode(c.Code) || c.Title == "":
		return nil, ErrInvalidDirectory.WithDetail("a service code needs a code [A-Za-z0-9._-] and a title")
	case c.PeriodSeconds <= 0 || time.Duration(c.PeriodSeconds)*time.Second > s.cfg.MaxTokenLifetime:
		return nil, ErrInvalidDirectory.WithDetail(fmt.Sprintf("period_seconds must be 1..%d", int64(s.cfg.MaxTokenLifetime/time.Second)))
	case len(c.BINs) == 0 || len(c.DataSets) == 0 || len(c.ConsentMethods) == 0 || len(c.AccessMethods) == 0:
		return nil, ErrInvalidDirectory.WithDetail("bins, data_sets, consent_methods and access_methods must not be empty")
	case !subset(c.ConsentMethods, ConsentMethods):
		return nil, ErrInvalidDirectory.WithDetail("consent_methods may only be biometric, eds, paper").WithRule("PD-6.1.1")
	}
	for _, b := range c.BINs {
		if !kzid.ValidBIN(b) {
			return nil, ErrInvalidDirectory.WithDetail("bins holds an invalid BIN")
		}
	}
	for _, m := range c.AccessMethods {
		if !validCode(m) {
			return nil, ErrInvalidDirectory.WithDetail("access_methods holds an invalid name")
		}
	}
	owner := d.owners[c.Owner]
	if owner == nil {
		return nil, ErrDataOwnerUnknown.WithDetail("owner is not in the directory of data owners")
	}
	if !owner.has(c.DataSets) {
		return nil, ErrDataSetUnknown.WithDetail("data_sets must be data sets of the owner")
	}
	c.BINs, c.DataSets = sortedUnique(c.BINs), sortedUnique(c.DataSets)
	c.ConsentMethods, c.AccessMethods = sortedUnique(c.ConsentMethods), sortedUnique(c.AccessMethods)
	active := isTrue(c.Active)
	c.Active, c.UpdatedBy, c.UpdatedAt = &active, actor, s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pd_service_codes (code, title, owner_bin, data_sets, bins, consent_methods, access_methods, period_seconds, active, updated_by, updated_at, titles)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET title = excluded.title, owner_bin = excluded.owner_bin, data_sets = excluded.data_sets, bins = excluded.bins,
			consent_methods = excluded.consent_methods, access_methods = excluded.access_methods, period_seconds = excluded.period_seconds,
			active = excluded.active, updated_by = excluded.updated_by, updated_at = excluded.updated_at, titles = excluded.titles`,
			c.Code, c.Title, c.Owner, marshal(c.DataSets), marshal(c.BINs), marshal(c.ConsentMethods), marshal(c.AccessMethods), c.PeriodSeconds, active, actor, store.Micros(c.UpdatedAt), marshal(c.Titles))
		if err != nil {
			return err
		}
		if err := recordChange(ctx, tx, EntryService, c.Code, c, false, actor, c.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvServiceCodePut, Actor: actor, Payload: []byte(marshal(c))})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return &c, nil
}

func (o *DataOwner) has(sets []string) bool {
	for _, x := range sets {
		if !slices.ContainsFunc(o.DataSets, func(d DataSet) bool { return d.Code == x }) {
			return false
		}
	}
	return true
}

func (s *Service) listServiceCodes(ctx context.Context) ([]ServiceCode, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, title, owner_bin, data_sets, bins, consent_methods, access_methods, period_seconds, active, updated_by, updated_at, titles FROM pd_service_codes ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ServiceCode
	for rows.Next() {
		var c ServiceCode
		var ds, bins, cm, am, titles string
		var active bool
		var at int64
		if err := rows.Scan(&c.Code, &c.Title, &c.Owner, &ds, &bins, &cm, &am, &c.PeriodSeconds, &active, &c.UpdatedBy, &at, &titles); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(titles), &c.Titles); err != nil {
			return nil, err
		}
		for _, p := range []struct {
			s string
			v *[]string
		}{{ds, &c.DataSets}, {bins, &c.BINs}, {cm, &c.ConsentMethods}, {am, &c.AccessMethods}} {
			if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
				return nil, err
			}
		}
		c.Active, c.UpdatedAt = &active, store.FromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ServiceCodes lists the directory of proactive service codes.
func (s *Service) ServiceCodes(ctx context.Context) ([]ServiceCode, error) {
	return s.listServiceCodes(ctx)
}

// PutGround creates or replaces a legal ground for access without consent.
func (s *Service) PutGround(ctx context.Context, actor string, g Ground) (*Ground, error) {
	if g.Titles.tooLong() || tooLong(g.LegalRef) || g.LegalRefs.tooLong() {
		return nil, ErrInvalidDirectory.WithDetail("titles and the legal reference are at most 300 characters").With("field", "title_kk")
	}
	if g.LegalRef == "" {
		// Given only in the cabinet's languages: cited as in Russian, then Kazakh.
		g.LegalRef = cmp.Or(g.LegalRefs.RU, g.LegalRefs.KK, g.LegalRefs.EN)
	}
	if !validCode(g.Code) || g.Titles.KK == "" || g.Titles.RU == "" || g.Titles.EN == "" || g.LegalRef == "" {
		return nil, ErrInvalidDirectory.WithDetail("a ground needs a code, titles in kk, ru and en, and a legal reference")
	}
	if g.Notify == "" {
		g.Notify = NotifyNow
	}
	switch g.Notify {
	case NotifyNow:
		g.NotifyUntil, g.NotifyPeriodSeconds = time.Time{}, 0
	case NotifyUntil:
		if g.NotifyUntil.IsZero() {
			return nil, ErrInvalidDirectory.WithDetail("notify=until needs notify_until")
		}
		g.NotifyPeriodSeconds = 0
	case NotifyPeriod:
		if g.NotifyPeriodSeconds <= 0 {
			return nil, ErrInvalidDirectory.WithDetail("notify=period needs notify_period_seconds > 0")
		}
		g.NotifyUntil = time.Time{}
	default:
		return nil, ErrInvalidDirectory.WithDetail("notify must be now, until or period")
	}
	active := isTrue(g.Active)
	g.NotifyUntil = g.NotifyUntil.UTC().Truncate(time.Microsecond)
	g.Active, g.UpdatedBy, g.UpdatedAt = &active, actor, s.now().UTC().Truncate(time.Microsecond)
	var until int64
	if !g.NotifyUntil.IsZero() {
		until = store.Micros(g.NotifyUntil)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pd_grounds (code, title_kk, title_ru, title_en, legal_ref, legal_ref_kk, legal_ref_ru, legal_ref_en, notify, notify_until, notify_period, active, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET title_kk = excluded.title_kk, title_ru = excluded.title_ru, title_en = excluded.title_en, legal_ref = excluded.legal_ref,
			legal_ref_kk = excluded.legal_ref_kk, legal_ref_ru = excluded.legal_ref_ru, legal_ref_en = excluded.legal_ref_en,
			notify = excluded.notify, notify_until = excluded.notify_until, notify_period = excluded.notify_period, active = excluded.active,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			g.Code, g.Titles.KK, g.Titles.RU, g.Titles.EN, g.LegalRef, g.LegalRefs.KK, g.LegalRefs.RU, g.LegalRefs.EN, g.Notify, until, g.NotifyPeriodSeconds, active, actor, store.Micros(g.UpdatedAt))
		if err != nil {
			return err
		}
		if err := recordChange(ctx, tx, EntryGround, g.Code, g, false, actor, g.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvGroundPut, Actor: actor, Payload: []byte(marshal(g))})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return &g, nil
}

// Grounds lists the directory of legal grounds for access without consent.
func (s *Service) Grounds(ctx context.Context) ([]Ground, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, title_kk, title_ru, title_en, legal_ref, legal_ref_kk, legal_ref_ru, legal_ref_en, notify, notify_until, notify_period, active, updated_by, updated_at FROM pd_grounds ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Ground
	for rows.Next() {
		var g Ground
		var until, at int64
		var active bool
		if err := rows.Scan(&g.Code, &g.Titles.KK, &g.Titles.RU, &g.Titles.EN, &g.LegalRef, &g.LegalRefs.KK, &g.LegalRefs.RU, &g.LegalRefs.EN, &g.Notify, &until, &g.NotifyPeriodSeconds, &active, &g.UpdatedBy, &at); err != nil {
			return nil, err
		}
		if until != 0 {
			g.NotifyUntil = store.FromMicros(until)
		}
		g.Active, g.UpdatedAt = &active, store.FromMicros(at)
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetProtocolPermissions replaces the ground codes a BIN may use in protocol mode
// (an empty list withdraws the permission).
func (s *Service) SetProtocolPermissions(ctx context.Context, actor, bin string, grounds []string) error {
	if !kzid.ValidBIN(bin) {
		return ErrInvalidDirectory.WithDetail("invalid BIN")
	}
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	grounds = sortedUnique(grounds)
	for _, g := range grounds {
		if d.grounds[g] == nil {
			return ErrGroundUnknown.WithDetail("ground " + g + " is not in the directory")
		}
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	now := store.Micros(at)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pd_protocol_permissions WHERE bin = ?`, bin); err != nil {
			return err
		}
		if err := recordChange(ctx, tx, EntryPermission, bin, map[string]any{"bin": bin, "grounds": grounds}, len(grounds) == 0, actor, at); err != nil {
			return err
		}
		for _, g := range grounds {
			// ON CONFLICT: a concurrent call that set the same ground for bin (sandbox
			// nodes seeding together) inserted it after this DELETE looked.
			if _, err := tx.ExecContext(ctx, `INSERT INTO pd_protocol_permissions (bin, ground_code, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (bin, ground_code) DO NOTHING`, bin, g, actor, now); err != nil {
				return err
			}
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvPermissionsSet, Actor: actor,
			Payload: []byte(marshal(map[string]any{"bin": bin, "grounds": grounds}))})
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

func (s *Service) listPermissions(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT bin, ground_code FROM pd_protocol_permissions ORDER BY bin, ground_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var b, g string
		if err := rows.Scan(&b, &g); err != nil {
			return nil, err
		}
		out[b] = append(out[b], g)
	}
	return out, rows.Err()
}

// ProtocolPermissions returns, per BIN, the ground codes it may use in protocol mode.
func (s *Service) ProtocolPermissions(ctx context.Context) (map[string][]string, error) {
	return s.listPermissions(ctx)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// NewDirectoryService returns a Service that keeps only the directories (no flows, no
// identity, trust anchors or token keys loaded): what the authorized body's command
// line needs. RotateTokenKey works on it too.
func NewDirectoryService(db *store.DB, now func() time.Time) *Service {
	s := &Service{cfg: Config{DB: db, DirectoryTTL: time.Nanosecond, MaxTokenLifetime: 365 * 24 * time.Hour}, db: db, log: slog.Default(), now: now}
	s.keys = &keyRing{s: s}
	return s
}

// RotateTokenKey retires the security-token signing key and starts a new one at once; actor is
// recorded in the event (an Actor string such as "admin:NAME").
func (s *Service) RotateTokenKey(ctx context.Context, actor string) error {
	return s.keys.rotate(ctx, actor, 0)
}

// RotateCompromisedTokenKey is RotateTokenKey for a key that leaked: in the same
// transaction the keys that signed until now also leave the published set (no node
// publishes them a minute later), each with its pd.key.withdrawn event. It returns the
// kids withdrawn.
func (s *Service) RotateCompromisedTokenKey(ctx context.Context, actor string) ([]string, error) {
	kids, err := s.keys.rotateWithdrawing(ctx, actor, 0, true)
	if err != nil {
		return nil, err
	}
	return kids, s.keys.load(ctx, false) // this node at once; the others within a minute
}

// ErrKeyInUse: the key to withdraw still signs (rotate first); ErrUnknownKey: no key
// of Senim's has that kid.
var (
	ErrKeyInUse   = errors.New("pd: the key still signs: rotate it first")
	ErrUnknownKey = errors.New("pd: no signing key has that kid")
)

// WithdrawTokenKey takes the retired key kid out of /.well-known/jwks.json at once
// (every node re-reads the keys within a minute), where a retired key otherwise stays
// published for MaxTokenLifetime so that the tokens it signed still verify: the answer
// to a key that leaked, which must stop being trusted, not only stop signing. Security
// tokens it signed are refused from then on (a data owner's verifier refetches the set
// and no longer finds the kid); receipts and confirmation evidence it signed stay
// verifiable through the audit log, which a leaked key cannot write (docs/notify.md,
// "Receipts outlive their key"). A key in force or published ahead is refused
// (ErrKeyInUse): withdrawing it would leave Senim without a key. The withdrawal is an
// outbox event (pd.key.withdrawn) and so a log entry.
func (s *Service) WithdrawTokenKey(ctx context.Context, actor, kid string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var retired int64
		if err := tx.QueryRowContext(ctx, `SELECT retired_at FROM pd_signing_keys WHERE kid = ?`, kid).Scan(&retired); errors.Is(err, sql.ErrNoRows) {
			return ErrUnknownKey
		} else if err != nil {
			return err
		}
		if retired == 0 {
			return ErrKeyInUse
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pd_signing_keys SET publish_until = ? WHERE kid = ?`, store.Micros(now), kid); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvKeyWithdrawn, Actor: actor, Payload: []byte(marshal(map[string]string{"kid": kid}))})
		return err
	})
	if err != nil {
		return err
	}
	return s.keys.load(ctx, false) // this node at once; the others within a minute
}

// Directory periods (a service's period, a ground's notice deferral) are kept in
// seconds and set by people in whole days.
const secondsPerDay = 24 * 60 * 60

// PeriodFromDays is a period of days in seconds, as the directories keep it.
func PeriodFromDays(days int) int64 { return int64(days) * secondsPerDay }

// PeriodInDays is a directory period in whole days (rounded down), as people set it.
func PeriodInDays(seconds int64) int64 { return seconds / secondsPerDay }

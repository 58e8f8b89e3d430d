package docs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/secret"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// Signer signs a compact ES256 JWS with Senim's token key under its own typ
// (pd.Service.SignJWS); the JWK set that verifies security tokens verifies records.
type Signer interface {
	SignJWS(ctx context.Context, typ string, payload []byte) (string, error)
}

// Log is what the documents need of the audit log: the leaf of a view's event and its
// evidence bundle (auditlog.Log).
type Log interface {
	IndexOfEvent(ctx context.Context, eventID int64) (int64, error)
	Bundle(ctx context.Context, subject string, index int64) ([]byte, error)
}

// Defaults.
const (
	DefaultLifetime     = 5 * time.Minute
	DefaultCodeLength   = 10
	DefaultCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ" // no 0/O, 1/I: 32 characters
	// MaxLifetime bounds what a configuration may ask for.
	MaxLifetime = time.Hour
)

// Config configures a Service.
type Config struct {
	DB     *store.DB
	Source Source
	Types  *Types // StandardTypes() when nil
	Signer Signer
	Log    Log
	// Issuer is the iss of records: Senim's public URL.
	Issuer string
	// VerifyURL is the verifier page the QR code points to; the token goes in the
	// fragment ("#t=..."), which browsers never send to a server or put in a Referer.
	VerifyURL string
	Lifetime  time.Duration // of a share (DefaultLifetime)
	// CodeLength and CodeAlphabet make the short code (DefaultCodeLength,
	// DefaultCodeAlphabet); the alphabet must be unambiguous upper-case ASCII.
	CodeLength   int
	CodeAlphabet string
	Limits       Limits
	// OrgName names an organisation by BIN for the owner's list of views (optional).
	OrgName func(ctx context.Context, bin string) string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service is the digital documents.
type Service struct {
	cfg   Config
	db    *store.DB
	types *Types
	guard *guard
	batch *store.Group[store.Write]
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Source == nil || cfg.Signer == nil || cfg.Log == nil || cfg.Issuer == "" || cfg.VerifyURL == "" {
		return nil, errors.New("docs: DB, Source, Signer, Log, Issuer and VerifyURL are required")
	}
	if cfg.Types == nil {
		cfg.Types = StandardTypes()
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Lifetime < 30*time.Second || cfg.Lifetime > MaxLifetime {
		return nil, fmt.Errorf("docs: a share's lifetime must be between 30s and %s", MaxLifetime)
	}
	if cfg.CodeLength == 0 {
		cfg.CodeLength = DefaultCodeLength
	}
	if cfg.CodeAlphabet == "" {
		cfg.CodeAlphabet = DefaultCodeAlphabet
	}
	if err := checkAlphabet(cfg.CodeAlphabet); err != nil {
		return nil, err
	}
	if cfg.CodeLength < 6 || cfg.CodeLength > 16 {
		return nil, errors.New("docs: the short code must have 6 to 16 characters")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits = cfg.Limits.withDefaults()
	return &Service{cfg: cfg, db: cfg.DB, types: cfg.Types, guard: newGuard(cfg.Limits, cfg.Now), batch: newBatch(cfg.DB)}, nil
}

// ambiguous are characters a person confuses when reading or typing a code.
const ambiguous = "0O1I"

func checkAlphabet(a string) error {
	if len(a) < 16 || len(a) > 64 {
		return errors.New("docs: the code alphabet must have 16 to 64 characters")
	}
	seen := map[rune]bool{}
	for _, c := range a {
		if !(c >= '2' && c <= '9' || c >= 'A' && c <= 'Z') || strings.ContainsRune(ambiguous, c) || seen[c] {
			return fmt.Errorf("docs: code alphabet: %q is ambiguous, repeated or not an upper-case letter or digit 2-9", c)
		}
		seen[c] = true
	}
	return nil
}

// Types returns the registry of document types.
func (s *Service) Types() *Types { return s.types }

// Now is the service's clock (pages count down from it, not from the browser's).
func (s *Service) Now() time.Time { return s.cfg.Now() }

// Lifetime is a share's lifetime.
func (s *Service) Lifetime() time.Duration { return s.cfg.Lifetime }

// Owner is the authenticated owner of documents (DD-5): a cabinet session's citizen.
type Owner struct {
	Ref  string // "citizen:<id>"
	IIN  string
	Name string
}

func (o Owner) valid() bool { return actor.IsCitizen(o.Ref) && kzid.ValidIIN(o.IIN) }

// Verifier is who redeems a share (DD-3): a citizen in the cabinet, an organisation's
// employee signed in with their EDS (the session names the organisation), or an
// organisation's information system on the API.
type Verifier struct {
	Subject string // "citizen:<id>" (citizen, employee) or "org:<BIN>" (system)
	Kind    string // citizen | employee | system
	IIN     string // the person's, for citizen and employee
	BIN     string // the organisation's, for employee and system
	Name    string // the person's or the system's organisation's name, as shown to the owner
}

// Verifier kinds.
const (
	VerifierCitizen  = "citizen"
	VerifierEmployee = "employee"
	VerifierSystem   = "system"
)

func (v Verifier) valid() bool {
	switch v.Kind {
	case VerifierCitizen:
		return actor.IsCitizen(v.Subject) && kzid.ValidIIN(v.IIN) && v.BIN == ""
	case VerifierEmployee:
		return actor.IsCitizen(v.Subject) && kzid.ValidIIN(v.IIN) && kzid.ValidBIN(v.BIN)
	case VerifierSystem:
		return v.Subject == actor.Org(v.BIN).String() && kzid.ValidBIN(v.BIN) && v.IIN == ""
	}
	return false
}

// Document is a document as formed from its source, at FormedAt. It lives only in
// memory and in the answer that shows it (DC-7).
type Document struct {
	Type     *Type
	Fields   map[string]string
	FormedAt time.Time
}

// Form forms the owner's document of kind now, from the source (the owner looking at
// their own document, and every view).
func (s *Service) Form(ctx context.Context, iin, kind string) (*Document, error) {
	t := s.types.Latest(kind)
	if t == nil {
		return nil, ErrUnknownKind
	}
	rec, err := s.cfg.Source.Fetch(ctx, kind, iin)
	switch {
	case errors.Is(err, ErrNoDocument):
		return nil, ErrNoSuchDocument
	case err != nil:
		return nil, ErrSourceDown.WithCause(err)
	}
	if t = s.types.Get(rec.Kind, rec.Version); t == nil || rec.Kind != kind {
		return nil, ErrSourceDown.WithCause(fmt.Errorf("docs: the source answered unknown type %s/v%d", rec.Kind, rec.Version))
	}
	if err := t.check(rec.Fields); err != nil {
		return nil, ErrSourceDown.WithCause(fmt.Errorf("docs: the source's %s: %w", t.ID(), err))
	}
	return &Document{Type: t, Fields: rec.Fields, FormedAt: s.cfg.Now().UTC()}, nil
}

// Holdings lists the types of the documents the source holds for the person with
// iin now, in the order of Types().Kinds(): the owner's list offers only documents
// that open. The source is asked for every kind at once; a kind it holds nothing of
// is left out. When the source fails for any kind, Holdings returns what it could
// list and ErrSourceDown, so a page can show the rest and say the list may be short.
func (s *Service) Holdings(ctx context.Context, iin string) ([]*Type, error) {
	kinds := s.types.Kinds()
	held := make([]*Type, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() {
			d, err := s.Form(ctx, iin, k)
			if err != nil {
				errs[i] = err
				return
			}
			held[i] = d.Type
		})
	}
	wg.Wait()
	var out []*Type
	var down error
	for i, t := range held {
		switch {
		case t != nil:
			out = append(out, t)
		case errors.Is(errs[i], ErrNoSuchDocument):
		case down == nil:
			down = errs[i]
		}
	}
	return out, down
}

// Share is an owner's access to one document (DD-2).
type Share struct {
	ID        string
	Owner     string
	Kind      string
	Version   int
	State     string // open | cancelled | expired (computed: an open share past ExpiresAt is expired)
	Verifier  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Share states.
const (
	StateOpen      = "open"
	StateCancelled = "cancelled"
	StateExpired   = "expired"
)

// Live reports whether the share can still be redeemed (by its verifier, once bound).
func (sh *Share) Live(now time.Time) bool { return sh.State == StateOpen && now.Before(sh.ExpiresAt) }

// Opened is a share as it is opened: the only time its token and code exist outside
// the owner's and the verifier's screens.
type Opened struct {
	Share *Share
	Token string // 128 random bits, base64url
	Code  string // the short code
	URL   string // what the QR code encodes: VerifyURL#t=Token
}

// Hashes of secrets, each under its own label.
func tokenHash(t string) []byte {
	h := sha256.Sum256([]byte("senim/docs/token/v1\x00" + t))
	return h[:]
}
func codeHash(c string) []byte { h := sha256.Sum256([]byte("senim/docs/code/v1\x00" + c)); return h[:] }

func newID(prefix string) string { return secret.Ref(prefix) }

// newCode draws a code uniformly from the alphabet (rejection sampling).
func (s *Service) newCode() string {
	a := s.cfg.CodeAlphabet
	limit := 256 - 256%len(a)
	out := make([]byte, 0, s.cfg.CodeLength)
	buf := make([]byte, 2*s.cfg.CodeLength)
	for len(out) < s.cfg.CodeLength {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < s.cfg.CodeLength {
				out = append(out, a[int(b)%len(a)])
			}
		}
	}
	return string(out)
}

// NormalizeCode makes a typed code comparable: upper case, without spaces and dashes.
func NormalizeCode(c string) string {
	c = strings.ToUpper(c)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, c)
}

// Open opens access to the owner's document of kind (DD-2, DD-5): a share with a QR
// token and a short code, unique among open shares, for Lifetime. The document must
// exist in the source; nothing of it is kept.
func (s *Service) Open(ctx context.Context, o Owner, kind string) (*Opened, error) {
	if !o.valid() {
		return nil, ErrOwnerRequired
	}
	t := s.types.Latest(kind)
	if t == nil {
		return nil, ErrUnknownKind
	}
	if _, err := s.Form(ctx, o.IIN, kind); err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	op := &Opened{Token: base64.RawURLEncoding.EncodeToString(randomBytes(16))}
	op.URL = s.cfg.VerifyURL + "#t=" + op.Token
	sh := &Share{ID: newID("s_"), Owner: o.Ref, Kind: t.Kind, Version: t.Version, State: StateOpen, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Lifetime)}
	for attempt := 0; ; attempt++ {
		if attempt == 8 {
			return nil, errors.New("docs: no free short code after 8 draws; the code space is too small for the live shares")
		}
		op.Code = s.newCode()
		err := s.batch.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
			ch := codeHash(op.Code)
			// An open share past its end leaves the set of live codes first.
			if _, err := tx.ExecContext(ctx, `UPDATE docs_shares SET state = 'expired' WHERE code_hash = ? AND state = 'open' AND expires_at <= ?`,
				ch, store.Micros(now)); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO docs_shares (id, owner, owner_iin, kind, version, token_hash, code_hash, state, created_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (code_hash) WHERE state = 'open' DO NOTHING`,
				sh.ID, o.Ref, o.IIN, t.Kind, t.Version, tokenHash(op.Token), ch, store.Micros(now), store.Micros(sh.ExpiresAt))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				return errCodeTaken // the code is live in another share: draw again
			}
			ev, _ := json.Marshal(map[string]any{"share": sh.ID, "type": t.ID(), "expires_at": sh.ExpiresAt.Format(time.RFC3339)})
			_, err = tx.Emit(ctx, store.Event{Type: EventShareOpened, Actor: o.Ref, Subject: o.Ref, Payload: ev})
			return err
		})
		if errors.Is(err, errCodeTaken) {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	op.Share = sh
	return op, nil
}

func randomBytes(n int) []byte { return secret.Bytes(n) }

const shareCols = `id, owner, kind, version, state, verifier, created_at, expires_at, used_at`

func (s *Service) scanShare(sc interface{ Scan(...any) error }) (*Share, error) {
	var sh Share
	var created, expires, used int64
	if err := sc.Scan(&sh.ID, &sh.Owner, &sh.Kind, &sh.Version, &sh.State, &sh.Verifier, &created, &expires, &used); err != nil {
		return nil, err
	}
	sh.CreatedAt, sh.ExpiresAt = store.FromMicros(created), store.FromMicros(expires)
	if used != 0 {
		sh.UsedAt = store.FromMicros(used)
	}
	if sh.State == StateOpen && !s.cfg.Now().Before(sh.ExpiresAt) {
		sh.State = StateExpired
	}
	return &sh, nil
}

// Share returns the owner's share id; anyone else's is ErrNotYours.
func (s *Service) Share(ctx context.Context, owner, id string) (*Share, error) {
	sh, err := s.scanShare(s.db.QueryRowContext(ctx, `SELECT `+shareCols+` FROM docs_shares WHERE id = ? AND owner = ?`, id, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotYours
	}
	return sh, err
}

// Shares returns the owner's newest shares (at most 50).
func (s *Service) Shares(ctx context.Context, owner string) ([]Share, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+shareCols+` FROM docs_shares WHERE owner = ? ORDER BY created_at DESC LIMIT 50`, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Share
	for rows.Next() {
		sh, err := s.scanShare(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *sh)
	}
	return out, rows.Err()
}

// Cancel closes the owner's open share id (DD-2): nobody can redeem it afterwards.
// Cancelling a share that is no longer open is ErrShareClosed; anyone else's is
// ErrNotYours.
func (s *Service) Cancel(ctx context.Context, owner, id string) error {
	now := s.cfg.Now().UTC()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE docs_shares SET state = 'cancelled', cancelled_at = ? WHERE id = ? AND owner = ? AND state = 'open' AND expires_at > ?`,
			store.Micros(now), id, owner, store.Micros(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM docs_shares WHERE id = ? AND owner = ?`, id, owner).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return ErrNotYours
			}
			return ErrShareClosed
		}
		ev, _ := json.Marshal(map[string]string{"share": id})
		_, err = tx.Emit(ctx, store.Event{Type: EventShareCancelled, Actor: owner, Subject: owner, Payload: ev})
		return err
	})
}

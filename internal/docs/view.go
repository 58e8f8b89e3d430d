package docs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"github.com/senimkz/senim/internal/evtype"
	"regexp"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// Secret is what a verifier presents: the QR code's token or the typed short code.
type Secret struct {
	Token string
	Code  string
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// ParseSecret accepts a token, a URL carrying one (…#t=TOKEN, what the QR encodes) or
// a short code as typed.
func ParseSecret(s string) Secret {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "#t="); i >= 0 {
		return Secret{Token: s[i+3:]}
	}
	if tokenPattern.MatchString(s) && strings.ToUpper(s) != s {
		return Secret{Token: s}
	}
	return Secret{Code: NormalizeCode(s)}
}

func (s *Service) validSecret(sec Secret) bool {
	switch {
	case sec.Token != "" && sec.Code == "":
		return tokenPattern.MatchString(sec.Token)
	case sec.Code != "" && sec.Token == "":
		if len(sec.Code) != s.cfg.CodeLength {
			return false
		}
		for i := 0; i < len(sec.Code); i++ {
			if !strings.ContainsRune(s.cfg.CodeAlphabet, rune(sec.Code[i])) {
				return false
			}
		}
		return true
	}
	return false
}

// View is one view of a document by a verifier: the document as formed for it, and
// the signed record of the view (DC-8).
type View struct {
	ID       string
	Share    *Share
	Document *Document
	Verifier Verifier
	Record   string // compact JWS
	// Salt opens the record's doc_sha256 over Document (base64url); only this answer
	// carries it, so only who saw the document can prove what they saw.
	Salt    string
	EventID int64
	// RecordEventID is the docs.record.signed event binding Record's SHA-256.
	RecordEventID int64
}

// Redeem shows the document behind sec to v (DD-3) and records the view for both
// parties (DD-4): the share's one verifier is bound, the view and its outbox event —
// which notify turns into the owner's notice (DD-6) — are written in one transaction,
// and the record is signed with the event's id. An expired, cancelled or another
// verifier's share shows nothing. Every failure counts against v's guessing limits.
func (s *Service) Redeem(ctx context.Context, v Verifier, sec Secret) (*View, error) {
	if !v.valid() {
		return nil, ErrVerifierRequired
	}
	if err := s.guard.allow(v.Subject); err != nil {
		return nil, err
	}
	view, err := s.redeem(ctx, v, sec)
	if err != nil && isRefusal(err) {
		s.guard.fail(v.Subject)
	}
	return view, err
}

func isRefusal(err error) bool {
	for _, p := range []error{ErrBadSecret, ErrShareNotFound, ErrShareExpired, ErrShareCancelled, ErrShareUsed, ErrOwnShare} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

func (s *Service) redeem(ctx context.Context, v Verifier, sec Secret) (*View, error) {
	if !s.validSecret(sec) {
		return nil, ErrBadSecret
	}
	q := `SELECT ` + shareCols + `, owner_iin FROM docs_shares WHERE token_hash = ?`
	arg := tokenHash(sec.Token)
	if sec.Code != "" {
		// Codes are unique among open shares only: the open one first, else the newest.
		q = `SELECT ` + shareCols + `, owner_iin FROM docs_shares WHERE code_hash = ? ORDER BY CASE state WHEN 'open' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`
		arg = codeHash(sec.Code)
	}
	var ownerIIN string
	sh, err := s.scanShare(scanExtra{s.db.QueryRowContext(ctx, q, arg), &ownerIIN})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrShareNotFound
	}
	if err != nil {
		return nil, err
	}
	switch {
	case sh.Owner == v.Subject:
		return nil, ErrOwnShare
	case sh.State == StateCancelled:
		return nil, ErrShareCancelled
	case sh.State != StateOpen:
		return nil, ErrShareExpired
	case sh.Verifier != "" && sh.Verifier != v.Subject:
		return nil, ErrShareUsed
	}
	doc, err := s.Form(ctx, ownerIIN, sh.Kind)
	if err != nil {
		return nil, err
	}
	now := doc.FormedAt
	view := &View{ID: newID("v_"), Share: sh, Document: doc, Verifier: v}
	salt := randomBytes(32)
	view.Salt = base64.RawURLEncoding.EncodeToString(salt)
	claims := RecordClaims{Issuer: s.cfg.Issuer, ID: view.ID, Share: sh.ID, Type: doc.Type.ID(),
		Owner: RecordOwner{IIN: ownerIIN}, Verifier: RecordVerifier{Kind: v.Kind, IIN: v.IIN, BIN: v.BIN, Name: v.Name},
		ViewedAt: now.Format(time.RFC3339Nano), DocSHA256: DocumentHash(salt, doc.Fields), IssuedAt: now.Unix()}
	write := func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE docs_shares SET verifier = ?, used_at = CASE used_at WHEN 0 THEN ? ELSE used_at END
			WHERE id = ? AND state = 'open' AND expires_at > ? AND (verifier = '' OR verifier = ?)`,
			v.Subject, store.Micros(now), sh.ID, store.Micros(now), v.Subject)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrShareUsed // another verifier, a cancellation or the end came first
		}
		ev, _ := json.Marshal(map[string]string{"view": view.ID, "share": sh.ID, "type": doc.Type.ID(),
			"verifier_kind": v.Kind, "verifier_bin": v.BIN, "viewed_at": claims.ViewedAt})
		if view.EventID, err = tx.Emit(ctx, store.Event{Type: EventViewed, Actor: v.Subject, Subject: sh.Owner, Payload: ev}); err != nil {
			return err
		}
		claims.Event = view.EventID
		payload, err := json.Marshal(claims)
		if err != nil {
			return err
		}
		if view.Record, err = s.cfg.Signer.SignJWS(ctx, RecordType, payload); err != nil {
			return err
		}
		// The record's own log entry: its SHA-256, so that the log vouches for this very
		// record once its key has left the JWK set (VerifyInformation). No field of the
		// document and no IIN: the hash is of a signed JWS, not of the data.
		sum := sha256.Sum256([]byte(view.Record))
		rev, _ := json.Marshal(map[string]string{"view": view.ID, "record_sha256": base64.RawURLEncoding.EncodeToString(sum[:])})
		if view.RecordEventID, err = tx.Emit(ctx, store.Event{Type: EventRecordSigned, Actor: v.Subject, Subject: sh.Owner, Payload: rev}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO docs_views (id, share_id, owner, verifier, verifier_kind, verifier_bin, verifier_name, kind, version, viewed_at, event_id, record, record_event_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, view.ID, sh.ID, sh.Owner, v.Subject, v.Kind, v.BIN, v.Name, doc.Type.Kind, doc.Type.Version,
			store.Micros(now), view.EventID, view.Record, view.RecordEventID)
		return err
	}
	// Concurrent views share commits (group commit; batch.go): measured faster on both
	// engines than a transaction each (docs/performance.md).
	if err = s.batch.Do(ctx, write); err != nil {
		return nil, err
	}
	sh.Verifier = v.Subject
	if sh.UsedAt.IsZero() {
		sh.UsedAt = now
	}
	return view, nil
}

// The outbox event types of the documents; each names the owner as its subject and
// carries no field of a document. The cabinet's texts are the catalog keys
// "event.<type>" (internal/web/documents/catalog).
var (
	// EventViewed: a view; its actor is the verifier (notify tells the owner, DD-6).
	EventViewed = evtype.Register("docs.view.recorded", 1, evtype.Citizen)
	// EventRecordSigned: the view's digital information record was signed; its payload
	// is the view's id and the record's SHA-256, which the record's log entry binds.
	EventRecordSigned = evtype.Register("docs.record.signed", 1, evtype.Citizen)
	// EventShareOpened and EventShareCancelled: the owner opened or cancelled access.
	EventShareOpened    = evtype.Register("docs.share.opened", 1, evtype.Citizen)
	EventShareCancelled = evtype.Register("docs.share.cancelled", 1, evtype.Citizen)
)

type scanExtra struct {
	row   *sql.Row
	extra *string
}

func (s scanExtra) Scan(dst ...any) error { return s.row.Scan(append(dst, s.extra)...) }

// Viewed is a recorded view as the cabinets list it: never the document.
type Viewed struct {
	ID           string
	Share        string
	Owner        string
	Verifier     string
	VerifierKind string
	VerifierBIN  string
	VerifierName string
	Kind         string
	Version      int
	ViewedAt     time.Time
	EventID      int64
	Record       string
	// RecordEventID is the docs.record.signed event of Record; 0 for a view recorded
	// before migration 0027.
	RecordEventID int64
}

const viewCols = `id, share_id, owner, verifier, verifier_kind, verifier_bin, verifier_name, kind, version, viewed_at, event_id, record, record_event_id`

func scanViewed(sc interface{ Scan(...any) error }) (*Viewed, error) {
	var v Viewed
	var at int64
	if err := sc.Scan(&v.ID, &v.Share, &v.Owner, &v.Verifier, &v.VerifierKind, &v.VerifierBIN, &v.VerifierName, &v.Kind, &v.Version, &at, &v.EventID, &v.Record, &v.RecordEventID); err != nil {
		return nil, err
	}
	v.ViewedAt = store.FromMicros(at)
	return &v, nil
}

// ViewsAsOwner lists the views of the owner's documents, newest first (at most 100).
func (s *Service) ViewsAsOwner(ctx context.Context, owner string) ([]Viewed, error) {
	return s.views(ctx, `owner = ?`, owner)
}

// ViewsAsVerifier lists the views subject made as a verifier, newest first.
func (s *Service) ViewsAsVerifier(ctx context.Context, subject string) ([]Viewed, error) {
	return s.views(ctx, `verifier = ?`, subject)
}

func (s *Service) views(ctx context.Context, where, arg string) ([]Viewed, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+viewCols+` FROM docs_views WHERE `+where+` ORDER BY viewed_at DESC LIMIT 100`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Viewed
	for rows.Next() {
		v, err := scanViewed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// Viewed returns view id if subject is its owner or its verifier; else ErrNotYours.
func (s *Service) Viewed(ctx context.Context, subject, id string) (*Viewed, error) {
	v, err := scanViewed(s.db.QueryRowContext(ctx, `SELECT `+viewCols+` FROM docs_views WHERE id = ? AND (owner = ? OR verifier = ?)`, id, subject, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotYours
	}
	return v, err
}

// Seal is the live seal of a view (DD-1): the server's time and a pattern keyed to the
// view and the time, refreshed by the verifier's page, so a screenshot or a photo of
// the page shows a time and pattern that no longer match the live page.
type Seal struct {
	Now  time.Time `json:"now"`
	Live bool      `json:"live"` // the share is still open: the document may stay on screen
	Word string    `json:"word"` // 4 characters that change every SealStep
	Hue  int       `json:"hue"`  // 0..359, changes with Word
	// Until is the share's end.
	Until time.Time `json:"until"`
}

// SealStep is how often a seal's word and colour change.
const SealStep = 5 * time.Second

// Seal returns the live seal of view id for its verifier; anyone else gets ErrNotYours.
func (s *Service) Seal(ctx context.Context, verifier, id string) (*Seal, error) {
	var shareID, record string
	err := s.db.QueryRowContext(ctx, `SELECT share_id, record FROM docs_views WHERE id = ? AND verifier = ?`, id, verifier).Scan(&shareID, &record)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotYours
	}
	if err != nil {
		return nil, err
	}
	sh, err := s.scanShare(s.db.QueryRowContext(ctx, `SELECT `+shareCols+` FROM docs_shares WHERE id = ?`, shareID))
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	return sealAt(record, now, sh.Live(now) && sh.Verifier == verifier, sh.ExpiresAt), nil
}

// sealAt keys the seal with the record's signature, which only the two parties hold.
func sealAt(record string, now time.Time, live bool, until time.Time) *Seal {
	key := sha256.Sum256([]byte("senim/docs/seal/v1\x00" + record))
	m := hmac.New(sha256.New, key[:])
	var step [8]byte
	binary.BigEndian.PutUint64(step[:], uint64(now.UnixNano()/int64(SealStep)))
	m.Write(step[:])
	sum := m.Sum(nil)
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
	w := make([]byte, 4)
	for i := range w {
		w[i] = letters[int(sum[i])%len(letters)]
	}
	return &Seal{Now: now, Live: live, Word: string(w), Hue: int(binary.BigEndian.Uint16(sum[4:])) % 360, Until: until}
}

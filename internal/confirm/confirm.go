// Package confirm carries confirmation requests: a relying party (a bank, an insurer)
// asks a citizen to confirm a transaction; the policy (internal/confirm/policy) decides
// whether an EDS signature is needed or a push confirmation is enough (rules DC-3,
// DC-4); the citizen answers in an authenticated cabinet session (rule DC-1).
//
// A push answer gets an evidence package (rule DC-5: a push proves consent at a moment
// but does not keep the content, so Senim keeps it): a JWS, signed with Senim's key,
// over the SHA-256 of the exact text shown, the answer, the time, how the session was
// authenticated and which session, committed to the citizen's IIN with a salt; the
// text itself; and the audit log's inclusion proof of the answer's event, whose
// payload binds the JWS. `senim confirm verify` checks it offline.
//
// An EDS answer is a CMS signature over the exact text, checked for its chain,
// revocation and time-stamp, and kept with its hash in confirm_signatures; the
// ArchiveConsumer then puts the text and the CMS into the archive (CAdES-LT, evidence
// records, ASiC-E export) with the relying party and the citizen as parties, and the
// request names the archive document.
//
// Every decision and every answer is an outbox event in the transaction that records
// it: confirm.request.created (notify turns it into the citizen's inbox notice),
// confirm.push.answered, confirm.eds.signed, and confirm.request.expired (once, by the
// sweep in Run). Events carry hashes, never the text or an IIN.
package confirm

import (
	"context"
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
	"time"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// States of a request. Expired is not stored: a pending request past its deadline
// reads as expired.
const (
	StatePending   = "pending"
	StateConfirmed = "confirmed"
	StateDeclined  = "declined"
	StateExpired   = "expired"
)

// Citizens finds or makes the subject reference of an IIN within the caller's
// transaction, so that a refused request makes no citizen (identity.Service).
type Citizens interface {
	SubjectRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error)
}

// Signer signs a compact ES256 JWS with Senim's key under its own typ (pd.Service).
type Signer interface {
	SignJWS(ctx context.Context, typ string, payload []byte) (string, error)
}

// Log is the audit log as evidence needs it (auditlog.Log).
type Log interface {
	IndexOfEvent(ctx context.Context, eventID int64) (int64, error)
	Bundle(ctx context.Context, subject string, index int64) ([]byte, error)
}

// Config configures a Service.
type Config struct {
	DB       *store.DB
	Policy   *policy.Policy // policy.Default() when nil
	Citizens Citizens
	Signer   Signer
	Log      Log
	// Validator and Revocation check EDS answers' certificates.
	Validator  *pki.Validator
	Revocation []pki.RevocationMethod
	// Issuer is the iss of evidence: Senim's public URL.
	Issuer string
	Now    func() time.Time
	// MaxDeadline bounds how far ahead a deadline may be (default 30 days).
	MaxDeadline time.Duration
	// Archive, when set, receives every EDS-signed agreement (ArchiveConsumer).
	Archive *archive.Service
	// SweepEvery is how often Run sweeps expired requests (default 1 minute).
	SweepEvery time.Duration
	Logger     *slog.Logger
}

// Service is the confirmation point.
type Service struct {
	cfg Config
	db  *store.DB
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Citizens == nil || cfg.Signer == nil || cfg.Log == nil || cfg.Validator == nil || cfg.Issuer == "" {
		return nil, errors.New("confirm: DB, Citizens, Signer, Log, Validator and Issuer are required")
	}
	if cfg.Policy == nil {
		cfg.Policy = policy.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxDeadline <= 0 {
		cfg.MaxDeadline = 30 * 24 * time.Hour
	}
	return &Service{cfg: cfg, db: cfg.DB}, nil
}

// Policy is the policy in force.
func (s *Service) Policy() *policy.Policy { return s.cfg.Policy }

// Languages of a request's text: the citizen reads and answers one of them.
var Langs = []string{"kk", "ru"}

// Request is what a relying party asks.
type Request struct {
	// SubjectIIN is who must confirm.
	SubjectIIN  string             `json:"subject_iin"`
	Transaction policy.Transaction `json:"transaction"`
	// Text is exactly what the citizen is shown and confirms: kk and ru, both required.
	Text     map[string]string `json:"text"`
	Deadline time.Time         `json:"deadline"`
	// Method is what the party asks for: "" (whatever the policy decides), "push"
	// (refused where the policy requires an EDS) or "eds" (always allowed).
	Method string `json:"method,omitempty"`
}

// maxText bounds each language's text.
const maxText = 20000

// Confirmation is a request as its creator and its addressee see it.
type Confirmation struct {
	ID            string             `json:"id"`
	Org           string             `json:"org_bin"`
	Subject       string             `json:"-"`
	Transaction   policy.Transaction `json:"transaction"`
	Text          map[string]string  `json:"-"`
	TextSHA256    map[string]string  `json:"text_sha256"` // base64url, by language
	Method        string             `json:"method"`
	Decision      policy.Decision    `json:"decision"`
	PolicyVersion string             `json:"policy_version"`
	State         string             `json:"state"`
	Deadline      time.Time          `json:"deadline"`
	CreatedAt     time.Time          `json:"created_at"`
	AnsweredAt    time.Time          `json:"answered_at,omitzero"`
	Lang          string             `json:"lang,omitempty"` // the text's language she answered
	EventID       int64              `json:"event_id"`       // confirm.request.created
	AnswerEvent   int64              `json:"answer_event,omitempty"`
	// ArchiveID is the archive document of an EDS-signed agreement, once the archive
	// has it (rule DC-5): the relying party exports it at
	// /v1/archive/documents/{id}/asice, the citizen finds it in her archive.
	ArchiveID string `json:"archive_document,omitempty"`
}

// Hash is the base64url SHA-256 of a text, what evidence and events commit to.
func Hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Create decides what org's request needs and records it with its decision event
// (confirm.request.created), which notify delivers to the citizen's inbox. A push asked
// for where an EDS is required is ErrEDSRequired and nothing is recorded.
func (s *Service) Create(ctx context.Context, org string, r Request) (*Confirmation, error) {
	c, _, err := s.create(ctx, org, r, nil)
	return c, err
}

// Idempotency is a creating request's Idempotency-Key, scoped to the relying party and
// bound to a digest of its body: a repeat gets the stored answer and records nothing
// more; the same key with another body is ErrIdempotencyConflict.
type Idempotency struct {
	Key store.IdempotencyKey
	// Encode renders the answer stored for a repeat (status 201).
	Encode func(*Confirmation) ([]byte, error)
}

// errPeek rolls back the transaction that only looked for a stored answer.
var errPeek = errors.New("confirm: idempotency peek")

// CreateIdempotent is Create honouring an Idempotency-Key: it returns either the new
// request or, for a repeat of an earlier one, the answer stored then (a replay) and
// no request. The stored answer is looked for before the request is checked, so a
// repeat gets the first answer even when, say, its deadline is now too close.
func (s *Service) CreateIdempotent(ctx context.Context, org string, r Request, idem Idempotency) (*Confirmation, *store.StoredResponse, error) {
	var replay *store.StoredResponse
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		resp, err := tx.ClaimIdempotencyKey(ctx, idem.Key)
		if err != nil {
			return err
		}
		replay = resp
		return errPeek
	})
	if err != nil && !errors.Is(err, errPeek) {
		return nil, nil, idemProblem(err)
	}
	if replay != nil {
		return nil, replay, nil
	}
	c, replay, err := s.create(ctx, org, r, &idem)
	return c, replay, idemProblem(err)
}

func (s *Service) create(ctx context.Context, org string, r Request, idem *Idempotency) (*Confirmation, *store.StoredResponse, error) {
	c, err := s.prepare(ctx, org, r)
	if err != nil {
		return nil, nil, err
	}
	var replay *store.StoredResponse
	tx, _ := json.Marshal(r.Transaction)
	dec, _ := json.Marshal(c.Decision)
	d, method := c.Decision, c.Method
	err = s.db.Tx(ctx, func(t *store.Tx) error {
		if idem != nil {
			resp, err := t.ClaimIdempotencyKey(ctx, idem.Key)
			if err != nil || resp != nil {
				replay = resp
				return err
			}
		}
		// The subject's record, made for an IIN Senim has not seen only now that the
		// request is recorded: one refused (its Idempotency-Key used for another) makes
		// no one.
		subject, err := s.cfg.Citizens.SubjectRefTx(ctx, t, r.SubjectIIN)
		if err != nil {
			return err
		}
		c.Subject = subject
		pl, _ := json.Marshal(map[string]any{"id": c.ID, "org": org, "method": method, "policy_version": d.PolicyVersion,
			"policy_method": d.Method, "reasons": reasonCodes(d), "text_sha256": c.TextSHA256, "deadline": c.Deadline})
		id, err := t.Emit(ctx, store.Event{Type: EvRequestCreated, Actor: actor.Org(org).String(), Subject: c.Subject, Payload: pl})
		if err != nil {
			return err
		}
		c.EventID = id
		_, err = t.ExecContext(ctx, `INSERT INTO confirm_requests (id, org_bin, subject, tx, text_kk, text_ru, method, reasons, policy_version,
			deadline, state, created_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, org, c.Subject, string(tx), r.Text["kk"], r.Text["ru"], method, string(dec), d.PolicyVersion,
			store.Micros(c.Deadline), StatePending, store.Micros(c.CreatedAt), id)
		if err != nil || idem == nil {
			return err
		}
		b, err := idem.Encode(c)
		if err != nil {
			return err
		}
		return t.SaveIdempotentResponse(ctx, idem.Key, store.StoredResponse{Status: 201, ContentType: "application/json", Body: b})
	})
	if err != nil {
		return nil, nil, err
	}
	if replay != nil {
		return nil, replay, nil
	}
	return c, nil, nil
}

// prepare checks r and decides it: the request to record, not yet recorded.
func (s *Service) prepare(ctx context.Context, org string, r Request) (*Confirmation, error) {
	if !kzid.ValidBIN(org) {
		return nil, ErrUnidentified.WithDetail("the relying party must be identified by the BIN of its certificate")
	}
	if !kzid.ValidIIN(r.SubjectIIN) {
		return nil, ErrRequestInvalid.WithDetail("subject_iin: not a valid IIN")
	}
	if len(r.Text) != len(Langs) {
		return nil, ErrRequestInvalid.WithDetail("text: exactly kk and ru are required")
	}
	for _, l := range Langs {
		t, ok := r.Text[l]
		if !ok || strings.TrimSpace(t) == "" || len(t) > maxText || !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
			return nil, ErrRequestInvalid.WithDetail("text." + l + ": 1 to 20000 bytes of UTF-8 text is required")
		}
	}
	now := s.now()
	switch {
	case r.Deadline.IsZero():
		return nil, ErrRequestInvalid.WithDetail("deadline is required")
	case !r.Deadline.After(now.Add(time.Minute)):
		return nil, ErrRequestInvalid.WithDetail("deadline: must be at least a minute ahead")
	case r.Deadline.After(now.Add(s.cfg.MaxDeadline)):
		return nil, ErrRequestInvalid.WithDetail(fmt.Sprintf("deadline: at most %d days ahead", int(s.cfg.MaxDeadline.Hours()/24)))
	}
	if r.Method != "" && r.Method != policy.EDS && r.Method != policy.Push {
		return nil, ErrRequestInvalid.WithDetail("method: eds, push or empty")
	}
	d, err := s.cfg.Policy.Decide(r.Transaction, now)
	if err != nil {
		return nil, err
	}
	if r.Method == policy.Push && d.Method == policy.EDS {
		return nil, ErrEDSRequired.With("decision", d)
	}
	method := d.Method
	if r.Method == policy.EDS {
		method = policy.EDS
	}
	// The subject is found (or made) in the recording transaction: create.
	return &Confirmation{ID: secret.Ref("c_"), Org: org, Transaction: r.Transaction, Text: r.Text,
		TextSHA256: map[string]string{"kk": Hash(r.Text["kk"]), "ru": Hash(r.Text["ru"])}, Method: method, Decision: d,
		PolicyVersion: d.PolicyVersion, State: StatePending, Deadline: r.Deadline.UTC().Truncate(time.Second), CreatedAt: now}, nil
}

// reasonCodes are the decision's reasons as "RULE code" for the event: the log shows
// why without any amount.
func reasonCodes(d policy.Decision) []string {
	out := make([]string, 0, len(d.Reasons))
	for _, r := range d.Reasons {
		out = append(out, r.Rule+" "+r.Code)
	}
	return out
}

const columns = `id, org_bin, subject, tx, text_kk, text_ru, method, reasons, policy_version, deadline, state, created_at, event_id, decided_at, lang, answer_event,
	COALESCE((SELECT g.archive_id FROM confirm_signatures g WHERE g.request_id = confirm_requests.id), '')`

func (s *Service) scan(sc interface{ Scan(...any) error }) (*Confirmation, error) {
	var c Confirmation
	var tx, dec, kk, ru string
	var deadline, created, decided int64
	if err := sc.Scan(&c.ID, &c.Org, &c.Subject, &tx, &kk, &ru, &c.Method, &dec, &c.PolicyVersion, &deadline, &c.State, &created,
		&c.EventID, &decided, &c.Lang, &c.AnswerEvent, &c.ArchiveID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tx), &c.Transaction); err != nil {
		return nil, fmt.Errorf("confirm: request %s: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(dec), &c.Decision); err != nil {
		return nil, fmt.Errorf("confirm: request %s: %w", c.ID, err)
	}
	c.Text = map[string]string{"kk": kk, "ru": ru}
	c.TextSHA256 = map[string]string{"kk": Hash(kk), "ru": Hash(ru)}
	c.Deadline, c.CreatedAt = store.FromMicros(deadline), store.FromMicros(created)
	if decided != 0 {
		c.AnsweredAt = store.FromMicros(decided)
	}
	if c.State == StatePending && !s.now().Before(c.Deadline) {
		c.State = StateExpired
	}
	return &c, nil
}

func (s *Service) one(ctx context.Context, where string, args ...any) (*Confirmation, error) {
	c, err := s.scan(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM confirm_requests WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return c, err
}

// ForOrg returns org's own request id; anyone else's is ErrNotFound.
func (s *Service) ForOrg(ctx context.Context, org, id string) (*Confirmation, error) {
	if org == "" || !validID(id) {
		return nil, ErrNotFound
	}
	return s.one(ctx, `id = ? AND org_bin = ?`, id, org)
}

// ForSubject returns the citizen's own request id; anyone else's is ErrNotFound.
func (s *Service) ForSubject(ctx context.Context, subject, id string) (*Confirmation, error) {
	if !actor.IsCitizen(subject) || !validID(id) {
		return nil, ErrNotFound
	}
	return s.one(ctx, `id = ? AND subject = ?`, id, subject)
}

// maxList bounds a listing.
const maxList = 500

// Mine lists the citizen's requests, newest first (at most 500): pending ones first
// when pendingOnly, else all.
func (s *Service) Mine(ctx context.Context, subject string, pendingOnly bool) ([]Confirmation, error) {
	q := `SELECT ` + columns + ` FROM confirm_requests WHERE subject = ?`
	args := []any{subject}
	if pendingOnly {
		q += ` AND state = 'pending' AND deadline > ?`
		args = append(args, store.Micros(s.now()))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC LIMIT ?`, append(args, maxList)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Confirmation{}
	for rows.Next() {
		c, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// Pending counts the citizen's requests awaiting an answer.
func (s *Service) Pending(ctx context.Context, subject string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM confirm_requests WHERE subject = ? AND state = 'pending' AND deadline > ?`,
		subject, store.Micros(s.now())).Scan(&n)
	return n, err
}

func validID(id string) bool {
	if len(id) != 24 || !strings.HasPrefix(id, "c_") {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id[2:])
	return err == nil
}

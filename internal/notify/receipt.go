package notify

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
	"net/http"
	"regexp"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/jwskey"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// ReceiptType is the typ of a read receipt's JWS header; it differs from a security
// token's, so neither passes for the other.
const ReceiptType = "senim-read-receipt+jwt"

// commitPrefix separates the IIN commitment from every other hash.
const commitPrefix = "senim/notify/receipt/v1 iin\x00"

// Reader is who is reading: the addressee in an authenticated cabinet session.
type Reader struct {
	Subject string // "citizen:<id>", the session's citizen
	IIN     string // for the receipt's commitment only; never stored or signed in clear
	Lang    string // the language the content is shown in
	Method  string // how the session was authenticated (identity.Method)
	Session string // an opaque reference to the session, never its cookie
}

func (r Reader) valid() bool {
	return actor.IsCitizen(r.Subject) && kzid.ValidIIN(r.IIN) && r.Method != "" && len(r.Method) <= 64 &&
		len(r.Session) >= 16 && len(r.Session) <= 128
}

// Opened is a notice as its addressee opens it. Content is nil while a legally
// significant notice waits for its acknowledgement: the content opens only after it.
type Opened struct {
	Notice  *Notice
	Content *Content
	// NeedsAcknowledgement: show the acknowledgement screen, not the content.
	NeedsAcknowledgement bool
	Receipt              *Receipt // the read receipt of an acknowledged notice
	// Overdue: the notice's read-by deadline has passed (at the service's clock).
	Overdue bool
	// Reworded: Content is not what Receipt covers. Only a receipt issued before the
	// content was kept with it (migration 0026) can be so, after a release reworded
	// notices: its content is rendered again and no longer has the receipt's hash.
	Reworded bool
	// Unread is the addressee's unread count after this opening, as Unread counts it
	// (at most UnreadCap), so that the page's header needs no count of its own: counted
	// with the notice, less this notice when this opening read it.
	Unread int
}

// unreadAfter is Opened.Unread: before is the count read with the notice, up to
// UnreadCap+1, so that one less is still exact at the cap.
func unreadAfter(before int, n *Notice, wasUnread bool) int {
	if wasUnread && n.State != StateDelivered {
		before--
	}
	return min(before, UnreadCap)
}

// Open opens the addressee's notice ref. Opening a notice that is not legally
// significant reads it (delivered → read). A legally significant one opens only after
// Acknowledge; until then Content is nil. Anyone else's notice is ErrNotFound.
func (s *Service) Open(ctx context.Context, rd Reader, ref string) (*Opened, error) {
	if !rd.valid() {
		return nil, ErrReader
	}
	n, before, err := s.noticeUnread(ctx, rd.Subject, ref)
	if err != nil {
		return nil, err
	}
	wasUnread := n.State == StateDelivered
	o, err := s.open(ctx, rd, n)
	if err != nil {
		return nil, err
	}
	o.Unread = unreadAfter(before, n, wasUnread)
	return o, nil
}

func (s *Service) open(ctx context.Context, rd Reader, n *Notice) (*Opened, error) {
	if n.Significant {
		rc, err := s.storedReceipt(ctx, rd.Subject, n)
		if errors.Is(err, ErrNotAcknowledged) {
			return &Opened{Notice: n, NeedsAcknowledgement: true, Overdue: !n.ReadBy.IsZero() && !s.cfg.Now().Before(n.ReadBy)}, nil
		}
		if err != nil {
			return nil, err
		}
		return s.opened(ctx, n, rc), nil
	}
	if n.State == StateDelivered {
		now := s.cfg.Now()
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE notify_notices SET state = 'read', read_at = ? WHERE id = ? AND state = 'delivered'`,
				store.Micros(now), n.Seq)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return nil // read concurrently
			}
			if n.SenderBIN != "" { // an automatic notice has no sender to tell
				if err := emitStatus(ctx, tx, n.Ref, n.Subject, n.SenderBIN, StateRead, "", ""); err != nil {
					return err
				}
			}
			return unreadDelta{n.Subject: -1}.flush(ctx, tx)
		})
		if err != nil {
			return nil, err
		}
		n.State, n.ReadAt = StateRead, now
		s.hub.publish(rd.Subject)
	}
	c := n.Content(rd.Lang)
	return &Opened{Notice: n, Content: &c}, nil
}

// Receipt is a read receipt as the addressee downloads it: the signed JWS and the salt
// that opens its commitment to their IIN.
type Receipt struct {
	ID     string `json:"-"`
	Notice string `json:"-"`
	Lang   string `json:"-"`
	// shown is the content as it was shown, as stored with the receipt (receiptOf);
	// nil for a receipt issued before the content was kept.
	shown   *Content
	hash    string // content_sha256, as stored
	JWS     string `json:"receipt"`
	IINSalt string `json:"iin_salt"` // base64url
	// Log is the audit log's evidence bundle of the receipt's notify.receipt.issued
	// event (inclusion proof, signed checkpoint); absent until the log covers it.
	Log json.RawMessage `json:"log,omitempty"`
	// Key is the public JWK of the key that signed JWS (its kid is the key's RFC 7638
	// thumbprint), so that the receipt stays verifiable once that key has left
	// /.well-known/jwks.json — only together with Log, which proves that Senim issued
	// this very JWS (VerifyReceiptBundle). Absent when the Signer cannot say.
	Key json.RawMessage `json:"key,omitempty"`
	// Content is the content as it was shown, in the very JSON whose SHA-256 the
	// receipt's content_sha256 is (kept as a string, so that re-formatting the bundle
	// cannot change its bytes): what the addressee read, word for word, with the lines
	// Senim adds to a sender's text, so that the sender too can see and check what the
	// receipt covers (VerifyReceiptBundle). Absent for a receipt issued before the
	// content was kept (migration 0026) whose notice has been reworded since.
	Content string `json:"content,omitempty"`
}

// ReceiptClaims are the signed fields of a read receipt (rule DC-2).
type ReceiptClaims struct {
	Issuer        string `json:"iss"`
	ID            string `json:"jti"`
	Notice        string `json:"notice"`
	SubjectCommit string `json:"sub_commit"`     // base64url SHA-256(prefix || salt || IIN)
	ContentSHA256 string `json:"content_sha256"` // base64url, of Content as shown
	Lang          string `json:"lang"`
	ReadAt        string `json:"read_at"` // RFC 3339, UTC
	AuthMethod    string `json:"amr"`
	Session       string `json:"sid"`
	IssuedAt      int64  `json:"iat"`
}

// Acknowledge records that the addressee passed the acknowledgement screen of a
// legally significant notice and opens it: the content in rd.Lang is what is shown and
// what the receipt's hash covers. The receipt's event (notify.receipt.issued) goes to
// the outbox in the same transaction. Acknowledging again returns the same receipt.
func (s *Service) Acknowledge(ctx context.Context, rd Reader, ref string) (*Opened, error) {
	if !rd.valid() {
		return nil, ErrReader
	}
	if !validLang(rd.Lang) {
		rd.Lang = "ru"
	}
	n, before, err := s.noticeUnread(ctx, rd.Subject, ref)
	if err != nil {
		return nil, err
	}
	if !n.Significant {
		return nil, ErrNotSignificant
	}
	wasUnread := n.State == StateDelivered
	o, err := s.acknowledge(ctx, rd, n)
	if err != nil {
		return nil, err
	}
	o.Unread = unreadAfter(before, n, wasUnread)
	return o, nil
}

func (s *Service) acknowledge(ctx context.Context, rd Reader, n *Notice) (*Opened, error) {
	if rc, err := s.storedReceipt(ctx, rd.Subject, n); err == nil {
		return s.opened(ctx, n, rc), nil
	} else if !errors.Is(err, ErrNotAcknowledged) {
		return nil, err
	}
	content := n.Content(rd.Lang)
	shown, err := json.Marshal(content) // what Content.Hash covers
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(shown)
	now := s.cfg.Now().UTC().Truncate(time.Second)
	salt := secret.Bytes(32)
	claims := ReceiptClaims{Issuer: s.cfg.Issuer, ID: secret.Ref("r_"), Notice: n.Ref, SubjectCommit: Commit(salt, rd.IIN),
		ContentSHA256: base64.RawURLEncoding.EncodeToString(sum[:]), Lang: content.Lang, ReadAt: now.Format(time.RFC3339), AuthMethod: rd.Method,
		Session: rd.Session, IssuedAt: now.Unix()}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	jws, err := s.cfg.Signer.SignJWS(ctx, ReceiptType, payload)
	if err != nil {
		return nil, fmt.Errorf("notify: sign receipt: %w", err)
	}
	err = s.commit(ctx, func(tx *store.Tx, u unreadDelta) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_notices SET state = 'read', read_at = ? WHERE id = ? AND state = 'delivered'`, store.Micros(now), n.Seq)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return errAlreadyRead // acknowledged concurrently: the other receipt stands
		}
		u.add(n.Subject, -1)
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_receipts (id, notice_id, subject, content_hash, lang, auth_method, session_ref, read_at, iin_salt, jws, content)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, claims.ID, n.Seq, rd.Subject, claims.ContentSHA256, claims.Lang, rd.Method, rd.Session,
			store.Micros(now), salt, jws, string(shown)); err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(jws))
		ev, _ := json.Marshal(map[string]string{"notice": n.Ref, "receipt": claims.ID, "content_sha256": claims.ContentSHA256,
			"receipt_sha256": base64.RawURLEncoding.EncodeToString(sum[:]), "amr": rd.Method})
		evs := []store.Event{{Type: EvReceiptIssued, Actor: rd.Subject, Subject: rd.Subject, Payload: ev}}
		if n.SenderBIN != "" {
			evs = append(evs, statusEvent(n.Ref, n.Subject, n.SenderBIN, StateRead, "", ""))
		}
		return tx.EmitAll(ctx, evs) // one statement for both
	})
	if errors.Is(err, errAlreadyRead) {
		rc, err := s.receiptOf(ctx, rd.Subject, n)
		if err != nil {
			return nil, err
		}
		n.State = StateRead
		return s.opened(ctx, n, rc), nil
	}
	if err != nil {
		return nil, err
	}
	n.State, n.ReadAt = StateRead, now
	s.hub.publish(rd.Subject)
	return &Opened{Notice: n, Content: &content, Receipt: &Receipt{ID: claims.ID, Notice: n.Ref, Lang: claims.Lang, shown: &content, hash: claims.ContentSHA256, JWS: jws,
		IINSalt: base64.RawURLEncoding.EncodeToString(salt), Content: string(shown)}}, nil
}

// errAlreadyRead: acknowledged concurrently; the other receipt stands. A problem (never
// rendered: Acknowledge answers the standing receipt) so that in a group commit it
// refuses this caller's work alone; it is returned before anything is written.
var errAlreadyRead = problem.New(http.StatusConflict, "notify.notice.already_read", "Acknowledged concurrently")

// Receipt returns the read receipt of the addressee's notice ref.
func (s *Service) Receipt(ctx context.Context, subject, ref string) (*Receipt, error) {
	n, err := s.notice(ctx, s.db.QueryRowContext, subject, ref)
	if err != nil {
		return nil, err
	}
	if !n.Significant {
		return nil, ErrNotSignificant
	}
	rc, err := s.receiptOf(ctx, subject, n)
	if err != nil {
		return nil, err
	}
	rc.Key = s.signingKey(ctx, rc.JWS)
	return rc, s.attachLog(ctx, subject, rc)
}

// KeyPublisher is the optional part of a Signer (pd.Service) that gives the public JWK
// of any key it ever signed with, retired or not.
type KeyPublisher interface {
	PublicJWK(ctx context.Context, kid string) ([]byte, error)
}

// signingKey is the public JWK of the key that signed jws, for the bundle (Receipt.Key);
// nil when the Signer is no KeyPublisher or cannot say (logged: the bundle is still
// good while the key is published, and a later download has it).
func (s *Service) signingKey(ctx context.Context, jws string) json.RawMessage {
	kp, ok := s.cfg.Signer.(KeyPublisher)
	if !ok {
		return nil
	}
	kid, err := KeyID(jws)
	if err == nil {
		var b []byte
		if b, err = kp.PublicJWK(ctx, kid); err == nil {
			return b
		}
	}
	s.log.WarnContext(ctx, "notify: the public key of a receipt", "kid", kid, "error", err)
	return nil
}

// KeyID returns the kid of a compact JWS's header, without verifying anything.
func KeyID(compact string) (string, error) { return jwskey.KeyID(compact) }

// attachLog adds to rc the audit log's evidence bundle of its notify.receipt.issued
// event, once the log has integrated it and a checkpoint covers it; until then the
// receipt goes without (a later download has it).
func (s *Service) attachLog(ctx context.Context, subject string, rc *Receipt) error {
	if s.cfg.Log == nil {
		return nil
	}
	idx, _, err := s.cfg.Log.IndexOfSubjectEvent(ctx, subject, EvReceiptIssued, func(e store.Event) bool {
		var p struct {
			Receipt string `json:"receipt"`
		}
		return json.Unmarshal(e.Payload, &p) == nil && p.Receipt == rc.ID
	})
	if errors.Is(err, auditlog.ErrLeafNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := s.cfg.Log.Bundle(ctx, subject, idx)
	if errors.Is(err, auditlog.ErrNotYours) || errors.Is(err, auditlog.ErrEmptyLog) {
		return nil
	}
	if err != nil {
		return err
	}
	rc.Log = b
	return nil
}

// ReceiptLog is what the log part of a receipt bundle proves.
type ReceiptLog struct {
	Index      int64
	Checkpoint auditlog.Checkpoint
}

// VerifyReceiptLog checks the log part of a receipt bundle whose JWS VerifyReceipt
// accepted as c: the evidence bundle verifies against the log's key (signed
// checkpoint, inclusion proof, the event opens its leaf), and its event is the
// notify.receipt.issued of this receipt — this notice, this receipt id, this content
// hash and the SHA-256 of this very JWS. Errors are ErrReceiptInvalid with the reason.
func VerifyReceiptLog(rc *Receipt, c *ReceiptClaims, logKey note.Verifier) (*ReceiptLog, error) {
	if len(rc.Log) == 0 {
		return nil, ErrReceiptInvalid.WithDetail("the bundle carries no audit-log proof (download it again once the log covers the receipt)")
	}
	ev, cp, err := auditlog.VerifyEvidence(rc.Log, logKey)
	if err != nil {
		return nil, ErrReceiptInvalid.WithDetail("log: " + err.Error())
	}
	var p struct {
		Notice        string `json:"notice"`
		Receipt       string `json:"receipt"`
		ContentSHA256 string `json:"content_sha256"`
		ReceiptSHA256 string `json:"receipt_sha256"`
	}
	if ev.Event.Type != EvReceiptIssued || json.Unmarshal([]byte(ev.Event.Payload), &p) != nil {
		return nil, ErrReceiptInvalid.WithDetail("the log entry is not a read receipt's")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(rc.JWS)))
	if p.Notice != c.Notice || p.Receipt != c.ID || p.ContentSHA256 != c.ContentSHA256 ||
		p.ReceiptSHA256 != base64.RawURLEncoding.EncodeToString(sum[:]) {
		return nil, ErrReceiptInvalid.WithDetail("the log entry is about another receipt or another JWS")
	}
	return &ReceiptLog{Index: ev.Index, Checkpoint: cp}, nil
}

// storedReceipt is receiptOf for a notice n just read from the database: one still
// delivered has no receipt — the receipt is written in the transaction that makes the
// notice read, and nothing makes a read notice delivered again — so for it the answer
// is ErrNotAcknowledged without a query (every acknowledgement asks first).
func (s *Service) storedReceipt(ctx context.Context, subject string, n *Notice) (*Receipt, error) {
	if n.State == StateDelivered {
		return nil, ErrNotAcknowledged
	}
	return s.receiptOf(ctx, subject, n)
}

// receiptOf returns the addressee's receipt of n; ErrNotAcknowledged when it has none.
func (s *Service) receiptOf(ctx context.Context, subject string, n *Notice) (*Receipt, error) {
	rc := Receipt{Notice: n.Ref}
	var salt []byte
	var shown sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT id, lang, jws, iin_salt, content_hash, content FROM notify_receipts WHERE notice_id = ? AND subject = ?`, n.Seq, subject).
		Scan(&rc.ID, &rc.Lang, &rc.JWS, &salt, &rc.hash, &shown)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotAcknowledged
	}
	if err != nil {
		return nil, err
	}
	rc.IINSalt = base64.RawURLEncoding.EncodeToString(salt)
	if shown.Valid {
		var c Content
		if err := json.Unmarshal([]byte(shown.String), &c); err != nil {
			return nil, fmt.Errorf("notify: receipt %s: stored content: %w", rc.ID, err)
		}
		rc.shown, rc.Content = &c, shown.String
	}
	return &rc, nil
}

// opened is the acknowledged notice n as its receipt's reader was shown it: the
// content stored with the receipt, word for word whatever a later release changed in
// the wording of notices (rule DC-2). A receipt issued before the content was stored
// (migration 0026) has none: the notice is rendered again in the receipt's language.
// When that rendering has the receipt's hash it is what was shown, and it is stored
// now, so that a later rewording cannot change it; when it has not, the notice was
// reworded since and Opened says so (Reworded) rather than pass it off as what the
// receipt covers.
func (s *Service) opened(ctx context.Context, n *Notice, rc *Receipt) *Opened {
	if rc.shown != nil {
		return &Opened{Notice: n, Content: rc.shown, Receipt: rc}
	}
	c := n.Content(rc.Lang)
	b, err := json.Marshal(c)
	if err != nil {
		return &Opened{Notice: n, Content: &c, Receipt: rc, Reworded: true}
	}
	sum := sha256.Sum256(b)
	if base64.RawURLEncoding.EncodeToString(sum[:]) != rc.hash {
		return &Opened{Notice: n, Content: &c, Receipt: rc, Reworded: true}
	}
	// Best effort: unstored, it is rendered again next time.
	if _, err := s.db.ExecContext(ctx, `UPDATE notify_receipts SET content = ? WHERE id = ? AND content IS NULL`, string(b), rc.ID); err != nil {
		s.log.WarnContext(ctx, "notify: keep an old receipt's content", "receipt", rc.ID, "error", err)
	}
	rc.shown, rc.Content = &c, string(b)
	return &Opened{Notice: n, Content: &c, Receipt: rc}
}

// Commit is a receipt's commitment to an IIN: base64url SHA-256 of a fixed prefix, the
// salt and the IIN. Without the salt it does not tell whose receipt it is.
func Commit(salt []byte, iin string) string {
	h := sha256.New()
	h.Write([]byte(commitPrefix))
	h.Write(salt)
	h.Write([]byte(iin))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

var (
	refPattern  = regexp.MustCompile(`^[nr]_[A-Za-z0-9_-]{22}$`)
	hashPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// ValidNoticeID reports whether id has the form of a notice's id: n_ and 22 base64url
// characters.
func ValidNoticeID(id string) bool { return refPattern.MatchString(id) && strings.HasPrefix(id, "n_") }

// VerifyReceipt checks a read receipt offline: an ES256 JWS of typ ReceiptType whose
// kid is in the JWK set, signed by that key, with every field well-formed. It returns
// the claims; the caller compares them with what it expects (the notice, the content's
// hash, CheckCommit for the IIN).
func VerifyReceipt(compact string, jwks []byte) (*ReceiptClaims, error) {
	pb, err := VerifyJWS(compact, ReceiptType, jwks)
	if err != nil {
		return nil, ErrReceiptInvalid.WithDetail(err.Error()).WithCause(err)
	}
	return receiptClaims(pb)
}

// VerifiedReceipt is what VerifyReceiptBundle proves of a receipt bundle.
type VerifiedReceipt struct {
	Claims *ReceiptClaims
	Kid    string
	// FromBundleKey: the signing key is not in the JWK set given; the signature was
	// checked under the bundle's Key, and Log proves that Senim issued this very JWS.
	FromBundleKey bool
	// Log is the checked audit-log proof; nil when no log key was given (and the key
	// was in the JWK set).
	Log *ReceiptLog
	// Content is the bundle's content, checked to be the one the receipt covers; nil
	// when the bundle carries none.
	Content *Content
}

// VerifyReceiptBundle checks a receipt bundle offline, as `senim notify verify` does
// (rule DC-2). The JWS is checked under its kid's key in jwks when the set holds it;
// when it does not — the key retired and left /.well-known/jwks.json a year later,
// while a receipt is kept for years — under the bundle's Key, whose RFC 7638
// thumbprint must be the kid, and then only with logKey and a log proof that binds
// this very JWS (VerifyReceiptLog): the log, whose retired keys still verify old
// checkpoints, vouches that Senim issued it; a key alone, leaked or made up, vouches
// for nothing. With logKey the log proof is checked whichever key signed.
func VerifyReceiptBundle(rc *Receipt, jwks []byte, logKey note.Verifier) (*VerifiedReceipt, error) {
	pb, fromKey, err := VerifyJWSWithKey(rc.JWS, ReceiptType, jwks, rc.Key)
	if err != nil {
		detail := err.Error()
		if errors.Is(err, ErrKeyNotInSet) && len(rc.Key) == 0 {
			detail += " (a bundle downloaded again carries its key, which the audit log proof makes usable)"
		}
		return nil, ErrReceiptInvalid.WithDetail(detail)
	}
	c, err := receiptClaims(pb)
	if err != nil {
		return nil, err
	}
	kid, _ := KeyID(rc.JWS)
	v := &VerifiedReceipt{Claims: c, Kid: kid, FromBundleKey: fromKey}
	if rc.Content != "" {
		if v.Content, err = receiptContent(rc.Content, c); err != nil {
			return nil, err
		}
	}
	if fromKey && logKey == nil {
		return nil, ErrReceiptInvalid.WithDetail("the key " + kid + " is not in the JWK set: only the audit log can prove that Senim issued this receipt (give the log's key)")
	}
	if logKey != nil {
		if v.Log, err = VerifyReceiptLog(rc, c, logKey); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// receiptContent checks that shown, the content a bundle carries, is the content the
// receipt c covers — its SHA-256 is c's content_sha256, and it is a notice's content in
// c's language — and returns it.
func receiptContent(shown string, c *ReceiptClaims) (*Content, error) {
	sum := sha256.Sum256([]byte(shown))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != c.ContentSHA256 {
		return nil, ErrReceiptInvalid.WithDetail("the content the bundle carries is not the content the receipt covers (its SHA-256 is not content_sha256)")
	}
	var ct Content
	if err := json.Unmarshal([]byte(shown), &ct); err != nil || ct.Lang != c.Lang || ct.Title == "" {
		return nil, ErrReceiptInvalid.WithDetail("the content the bundle carries is not a notice's content in the receipt's language")
	}
	return &ct, nil
}

// receiptClaims decodes and checks the claims of a receipt whose signature verified.
func receiptClaims(pb []byte) (*ReceiptClaims, error) {
	var c ReceiptClaims
	dec := json.NewDecoder(strings.NewReader(string(pb)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, ErrReceiptInvalid.WithDetail("the claims are not a read receipt")
	}
	readAt, err := time.Parse(time.RFC3339, c.ReadAt)
	switch {
	case c.Issuer == "":
		return nil, ErrReceiptInvalid.WithDetail("iss is missing")
	case !refPattern.MatchString(c.ID) || !strings.HasPrefix(c.ID, "r_"):
		return nil, ErrReceiptInvalid.WithDetail("jti is not a receipt id")
	case !refPattern.MatchString(c.Notice) || !strings.HasPrefix(c.Notice, "n_"):
		return nil, ErrReceiptInvalid.WithDetail("notice is not a notice id")
	case !hashPattern.MatchString(c.SubjectCommit) || !hashPattern.MatchString(c.ContentSHA256):
		return nil, ErrReceiptInvalid.WithDetail("sub_commit and content_sha256 must be base64url SHA-256")
	case !validLang(c.Lang):
		return nil, ErrReceiptInvalid.WithDetail("lang must be kk, ru or en")
	case err != nil || readAt.Unix() != c.IssuedAt:
		return nil, ErrReceiptInvalid.WithDetail("read_at must be RFC 3339 and equal iat")
	case c.AuthMethod == "" || len(c.Session) < 16:
		return nil, ErrReceiptInvalid.WithDetail("amr and sid are required")
	}
	return &c, nil
}

// CheckCommit reports whether the receipt commits to iin with salt (base64url).
func (c *ReceiptClaims) CheckCommit(salt, iin string) bool {
	b, err := base64.RawURLEncoding.DecodeString(salt)
	return err == nil && len(b) == 32 && Commit(b, iin) == c.SubjectCommit
}

// VerifyJWS checks a compact ES256 JWS of type typ offline against Senim's JWK set
// (the set that verifies security tokens) and returns its payload. It is the
// signature check shared by every artefact Senim signs with that key under its own
// typ: read receipts here, confirmation evidence in internal/confirm. A kid the set
// does not hold is an error wrapping ErrKeyNotInSet.
func VerifyJWS(compact, typ string, jwks []byte) ([]byte, error) {
	pb, _, err := VerifyJWSWithKey(compact, typ, jwks, nil)
	return pb, err
}

// ErrKeyNotInSet: the JWS names a key the given JWK set does not hold (jwskey.ErrNotInSet).
var ErrKeyNotInSet = jwskey.ErrNotInSet

// VerifyJWSWithKey is VerifyJWS for evidence kept for years (jwskey.Verify): when the
// kid is not in jwks, the signature is checked under key, the public JWK the evidence
// carries, and fromKey says so — the caller must then accept the JWS only with an
// audit-log proof that Senim issued this very JWS (docs/notify.md, "Receipts outlive
// their key").
func VerifyJWSWithKey(compact, typ string, jwks, key []byte) (payload []byte, fromKey bool, err error) {
	return jwskey.Verify(compact, typ, jwks, key)
}

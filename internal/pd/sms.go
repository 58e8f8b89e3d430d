package pd

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"math/big"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// Statuses of a flow-3 request.
const (
	SMSAwaiting = "awaiting_subject_response"
	SMSApproved = "approved"
	SMSDenied   = "denied"
	SMSExpired  = "expired"
	SMSLocked   = "locked"
	SMSIssued   = "issued"
	SMSFailed   = "failed"
)

// SMSRequest is an initiator's (or operator's) request for access by SMS (PD-6.3.1).
// RequestID repeats an earlier request (PD-6.3.6).
type SMSRequest struct {
	RequestID string   `json:"request_id,omitempty"`
	Subject   string   `json:"subject,omitempty"` // IIN
	Owner     string   `json:"owner,omitempty"`
	DataSets  []string `json:"data_sets,omitempty"`
	Purpose   string   `json:"purpose,omitempty"`
}

// SMSResponse is the answer to a flow-3 request: awaiting the subject, or the token.
type SMSResponse struct {
	Status    string    `json:"status"`
	RequestID string    `json:"request_id"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // of the one-time code while awaiting
	*TokenResponse
}

var codeAlphabet = []byte("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") // no 0/O, 1/I

func (s *Service) newCode() string {
	b := make([]byte, s.cfg.SMSCodeLength)
	alpha := "0123456789"
	if s.cfg.SMSAlphanumeric {
		alpha = string(codeAlphabet)
	}
	max := big.NewInt(int64(len(alpha)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b[i] = alpha[n.Int64()]
	}
	return string(b)
}

func (s *Service) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func normalizeCode(c string) string { return strings.ToUpper(strings.TrimSpace(c)) }

func defaultSMSText(lang, name, bin, code string) string {
	if lang != "en" {
		name = quoteOnce(name)
	}
	switch lang {
	case "ru":
		if name != "" {
			return fmt.Sprintf("Senim: %s (БИН %s) запрашивает доступ к вашим данным. Код: %s. Ответьте кодом, чтобы разрешить, или НЕТ, чтобы отказать.", name, bin, code)
		}
		return fmt.Sprintf("Senim: организация БИН %s запрашивает доступ к вашим данным. Код: %s. Ответьте кодом, чтобы разрешить, или НЕТ, чтобы отказать.", bin, code)
	case "en":
		if name != "" {
			return fmt.Sprintf("Senim: %s (BIN %s) asks for access to your data. Code: %s. Reply with the code to allow, or NO to refuse.", name, bin, code)
		}
		return fmt.Sprintf("Senim: organization BIN %s asks for access to your data. Code: %s. Reply with the code to allow, or NO to refuse.", bin, code)
	}
	if name != "" {
		return fmt.Sprintf("Senim: %s (БСН %s) деректеріңізге қол жеткізуді сұрайды. Код: %s. Рұқсат беру үшін кодпен, бас тарту үшін ЖОҚ деп жауап беріңіз.", name, bin, code)
	}
	return fmt.Sprintf("Senim: БСН %s ұйымы деректеріңізге қол жеткізуді сұрайды. Код: %s. Рұқсат беру үшін кодпен, бас тарту үшін ЖОҚ деп жауап беріңіз.", bin, code)
}

// quoteOnce puts a name in «» as Kazakh and Russian write an organisation's name,
// unless it carries its quotes already (АО «Демо Банк», «Демо Банк» АҚ): the
// directories keep each language's name as it is written, quotes and all.
func quoteOnce(name string) string {
	if name == "" || strings.ContainsAny(name, "«»\"“”„") {
		return name
	}
	return "«" + name + "»"
}

// initiatorName is the name in lang of the organization bin, or "" when the service
// has no directory of organizations or it does not know bin.
func (s *Service) initiatorName(ctx context.Context, bin, lang string) string {
	if s.cfg.Organizations == nil {
		return ""
	}
	o, err := s.cfg.Organizations.OrganizationByBIN(ctx, bin)
	if err != nil {
		if !errors.Is(err, identity.ErrNotFound) {
			s.log.WarnContext(ctx, "organization name", "err", err)
		}
		return ""
	}
	return o.NameIn(lang)
}

// RequestSMS is flow 3 (PD-6.3.1–PD-6.3.7). With a RequestID it repeats an earlier
// request: the token once the subject approved, else the status. Without, it starts a
// request: one already in processing answers awaiting_subject_response with its id
// (PD-6.3.2); otherwise the mobile citizens database gives the number (PD-6.3.3,
// PD-6.3.4) and an SMS with a one-time code goes out (PD-6.3.5).
func (s *Service) RequestSMS(ctx context.Context, caller *orgauth.Caller, r SMSRequest) (*SMSResponse, error) {
	if caller == nil {
		return nil, ErrForbidden
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	trusted, err := d.trust(caller, s.now()) // TR-2
	if err != nil {
		return nil, err
	}
	if r.RequestID != "" {
		return s.pollSMS(ctx, caller, r.RequestID)
	}
	if !kzid.ValidIIN(r.Subject) {
		return nil, ErrSubjectInvalid.WithRule("PD-6.3.1")
	}
	if len(r.Purpose) > 500 || len(r.DataSets) == 0 {
		return nil, ErrInvalidRequest.WithDetail("data_sets are required and purpose is at most 500 characters").WithRule("PD-6.3.1")
	}
	owner := d.owners[r.Owner]
	if owner == nil {
		return nil, ErrDataOwnerUnknown.WithRule("PD-6.3.1")
	}
	if !owner.has(r.DataSets) {
		return nil, ErrDataSetUnknown.WithRule("PD-6.3.1")
	}
	sets := sortedUnique(r.DataSets)
	fingerprint := func(ref string) string {
		return hex.EncodeToString(s.mac("fp", caller.BIN, ref, r.Owner, strings.Join(sets, ","), r.Purpose))
	}
	// The subject's record is made only in the transaction that records the request,
	// so a request refused below (PD-6.3.4, SMS unavailable) creates no citizen.
	ref, known := s.cachedRef(r.Subject)
	if !known {
		c, err := s.cfg.Citizens.CitizenByIIN(ctx, r.Subject)
		if err != nil && !errors.Is(err, identity.ErrNotFound) {
			return nil, err
		}
		if known = err == nil; known {
			ref = c.Ref()
		}
	}
	// PD-6.3.2: the same request is already being processed (never for a subject
	// Senim has no record of).
	if known {
		if resp, err := s.pendingSMS(ctx, s.db.QueryRowContext, fingerprint(ref)); resp != nil || err != nil {
			return resp, err
		}
	}
	// PD-6.3.3: the subject's mobile number from the mobile citizens database.
	if s.cfg.Mobile == nil || s.cfg.SMS == nil {
		return nil, ErrSMSUnavailable.WithDetail("flow 3 is not configured on this server")
	}
	phone, err := s.cfg.Mobile.Phone(ctx, r.Subject)
	if errors.Is(err, mgov.ErrNotRegistered) {
		return nil, ErrSMSNotRegistered // PD-6.3.4
	}
	if err != nil {
		return nil, ErrSMSUnavailable.WithCause(err).WithRule("PD-6.3.3")
	}
	id := "sms_" + newJTI()
	code := s.newCode()
	now := s.now()
	expires := now.Add(s.cfg.SMSCodeLifetime)
	var dup *SMSResponse
	var fp string
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if ref, err = s.cfg.Citizens.SubjectRefTx(ctx, tx, r.Subject); err != nil {
			return err
		}
		fp = fingerprint(ref)
		if dup, err = s.pendingSMS(ctx, tx.QueryRowContext, fp); dup != nil || err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO pd_sms_requests (id, fingerprint, subject, initiator_bin, owner_bin, data_sets, purpose, thumbprint, trusted, phone_mac, code_mac, status, created_at, expires_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, fp, ref, caller.BIN, r.Owner, marshal(sets), r.Purpose, caller.Thumbprint, trusted, hex.EncodeToString(s.mac("phone", phone)),
			s.mac("code", id, code), SMSAwaiting, store.Micros(now), store.Micros(expires), store.Micros(now))
		if err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvSMSRequested, Actor: actor.Org(caller.BIN).String(), Subject: ref,
			Payload: []byte(marshal(map[string]any{"request_id": id, "initiator": caller.BIN, "owner": r.Owner, "scope": sets, "purpose": r.Purpose, "trusted_system": trusted}))})
		return err
	})
	if err != nil || dup != nil {
		return dup, err
	}
	s.cacheRef(r.Subject, ref)
	// PD-6.3.5: the SMS with the one-time code, through mobile government.
	lang := ""
	if c, err := s.cfg.Citizens.CitizenByIIN(ctx, r.Subject); err == nil {
		lang = c.Lang
	} else if !errors.Is(err, identity.ErrNotFound) {
		s.log.WarnContext(ctx, "citizen language", "err", err)
	}
	if _, err := s.cfg.SMS.Send(ctx, phone, s.cfg.SMSText(lang, s.initiatorName(ctx, caller.BIN, lang), caller.BIN, code)); err != nil {
		s.setSMSStatus(ctx, id, SMSFailed, actor.Org(caller.BIN).String(), ref)
		return nil, ErrSMSUnavailable.WithCause(err)
	}
	return &SMSResponse{Status: SMSAwaiting, RequestID: id, ExpiresAt: expires.UTC()}, nil
}

func (s *Service) pendingSMS(ctx context.Context, q func(context.Context, string, ...any) *sql.Row, fp string) (*SMSResponse, error) {
	var id string
	var exp int64
	err := q(ctx, `SELECT id, expires_at FROM pd_sms_requests WHERE fingerprint = ? AND status = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1`,
		fp, SMSAwaiting, store.Micros(s.now())).Scan(&id, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &SMSResponse{Status: SMSAwaiting, RequestID: id, ExpiresAt: store.FromMicros(exp)}, nil
}

func (s *Service) setSMSStatus(ctx context.Context, id, status, actor, subject string) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET status = ?, updated_at = ? WHERE id = ?`, status, store.Micros(s.now()), id); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: smsEvent[status], Actor: actor, Subject: subject, Payload: []byte(marshal(map[string]string{"request_id": id}))})
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "flow-3 status", "err", err)
	}
}

type smsRow struct {
	id, fp, subject, initiator, owner, sets, purpose, thumbprint, status, tokenJTI string
	trusted                                                                        bool
	codeMAC                                                                        []byte
	attempts                                                                       int
	expires                                                                        time.Time
}

const smsColumns = `id, fingerprint, subject, initiator_bin, owner_bin, data_sets, purpose, thumbprint, status, token_jti, trusted, code_mac, attempts, expires_at`

func scanSMS(sc interface{ Scan(...any) error }) (*smsRow, error) {
	var r smsRow
	var exp int64
	err := sc.Scan(&r.id, &r.fp, &r.subject, &r.initiator, &r.owner, &r.sets, &r.purpose, &r.thumbprint, &r.status, &r.tokenJTI, &r.trusted, &r.codeMAC, &r.attempts, &exp)
	r.expires = store.FromMicros(exp)
	return &r, err
}

func (s *Service) loadSMS(ctx context.Context, q func(context.Context, string, ...any) *sql.Row, caller *orgauth.Caller, id string) (*smsRow, error) {
	r, err := scanSMS(q(ctx, `SELECT `+smsColumns+` FROM pd_sms_requests WHERE id = ? AND initiator_bin = ?`, id, caller.BIN))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSMSNotFound
	}
	return r, err
}

// pollSMS is PD-6.3.6–PD-6.3.7: the repeated request with the identifier.
func (s *Service) pollSMS(ctx context.Context, caller *orgauth.Caller, id string) (*SMSResponse, error) {
	r, err := s.loadSMS(ctx, s.db.QueryRowContext, caller, id)
	if err != nil {
		return nil, err
	}
	switch r.status {
	case SMSAwaiting:
		if !s.now().Before(r.expires) {
			return nil, ErrSMSExpired
		}
		return &SMSResponse{Status: SMSAwaiting, RequestID: id, ExpiresAt: r.expires}, nil
	case SMSApproved:
		return s.issueSMS(ctx, caller, r)
	case SMSDenied:
		return nil, ErrSMSDenied
	case SMSLocked:
		return nil, ErrSMSLocked
	case SMSIssued:
		return nil, ErrSMSIssued.With("jti", r.tokenJTI)
	default:
		return nil, ErrSMSExpired
	}
}

func (s *Service) issueSMS(ctx context.Context, caller *orgauth.Caller, r *smsRow) (*SMSResponse, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	var sets []string
	if err := jsonUnmarshal(r.sets, &sets); err != nil {
		return nil, err
	}
	iin, err := s.iinOf(ctx, r.subject)
	if err != nil {
		return nil, err
	}
	now := s.now()
	is := &issuance{flow: verifier.ModeSMS, knownRef: r.subject, iin: iin, initiator: r.initiator, owner: r.owner, scope: sets,
		purpose: r.purpose, trusted: r.trusted, issuedAt: now, expires: now.Add(s.cfg.SMSTokenLifetime), smsID: r.id}
	if o := d.owners[r.owner]; o == nil || o.Constrained() {
		is.thumbprint = caller.Thumbprint
	}
	is.check = func(ctx context.Context, tx *store.Tx) error {
		var st string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM pd_sms_requests WHERE id = ?`, r.id).Scan(&st); err != nil {
			return err
		}
		if st != SMSApproved {
			return ErrSMSIssued // a concurrent poll took it
		}
		return nil
	}
	tr, err := s.issueToken(ctx, is)
	if err != nil {
		return nil, err
	}
	return &SMSResponse{Status: SMSIssued, RequestID: r.id, TokenResponse: tr}, nil
}

// EnterSMSCode is the operator entering the code the subject tells them (PD-6.3.7):
// compared in constant time, with a limited number of attempts; on success the token.
func (s *Service) EnterSMSCode(ctx context.Context, caller *orgauth.Caller, id, code string) (*SMSResponse, error) {
	if caller == nil {
		return nil, ErrForbidden
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := d.trust(caller, s.now()); err != nil {
		return nil, err
	}
	var outcome error
	var row *smsRow
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		outcome = nil
		r, err := s.loadSMS(ctx, tx.QueryRowContext, caller, id)
		if err != nil {
			return err
		}
		row = r
		switch {
		case r.status == SMSLocked:
			return ErrSMSLocked
		case r.status == SMSDenied:
			return ErrSMSDenied
		case r.status == SMSIssued:
			return ErrSMSIssued
		case r.status == SMSApproved:
			return nil
		case r.status != SMSAwaiting || !s.now().Before(r.expires):
			return ErrSMSExpired
		}
		now := store.Micros(s.now())
		if hmac.Equal(s.mac("code", id, normalizeCode(code)), r.codeMAC) {
			if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET status = ?, approved_via = 'operator', updated_at = ? WHERE id = ?`, SMSApproved, now, id); err != nil {
				return err
			}
			_, err := tx.Emit(ctx, store.Event{Type: EvSMSApproved, Actor: actor.Org(caller.BIN).String(), Subject: r.subject,
				Payload: []byte(marshal(map[string]string{"request_id": id, "via": "operator"}))})
			return err
		}
		// A wrong code: count it (this commits), then refuse.
		attempts := r.attempts + 1
		status := SMSAwaiting
		outcome = ErrSMSCode.With("attempts_left", s.cfg.SMSCodeAttempts-attempts)
		if attempts >= s.cfg.SMSCodeAttempts {
			status, outcome = SMSLocked, ErrSMSLocked
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET attempts = ?, status = ?, updated_at = ? WHERE id = ?`, attempts, status, now, id); err != nil {
			return err
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvSMSCodeFailed, Actor: actor.Org(caller.BIN).String(), Subject: r.subject,
			Payload: []byte(marshal(map[string]any{"request_id": id, "attempts": attempts, "locked": status == SMSLocked}))})
		return err
	})
	if err != nil {
		return nil, err
	}
	if outcome != nil {
		return nil, outcome
	}
	row.status = SMSApproved
	return s.issueSMS(ctx, caller, row)
}

var refusals = []string{"NO", "НЕТ", "ЖОҚ", "ЖОК"}

// HandleReply implements mgov.ReplyHandler: the subject's SMS reply approves the
// request whose code it carries, or refuses with NO / НЕТ / ЖОҚ (PD-6.3.7). A reply
// that matches no code counts as a wrong attempt on every pending request of that
// number. Unknown numbers are ignored.
func (s *Service) HandleReply(ctx context.Context, reply mgov.Reply) error {
	pm := hex.EncodeToString(s.mac("phone", reply.Phone))
	text := normalizeCode(reply.Text)
	refuse := false
	for _, w := range refusals {
		if text == w || strings.HasPrefix(text, w+" ") {
			refuse, text = true, strings.TrimSpace(strings.TrimPrefix(text, w))
		}
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+smsColumns+` FROM pd_sms_requests WHERE phone_mac = ? AND status = ? AND expires_at > ? ORDER BY created_at DESC`,
			pm, SMSAwaiting, store.Micros(s.now()))
		if err != nil {
			return err
		}
		var pending []*smsRow
		for rows.Next() {
			r, err := scanSMS(rows)
			if err != nil {
				rows.Close()
				return err
			}
			pending = append(pending, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var match *smsRow
		for _, r := range pending {
			if hmac.Equal(s.mac("code", r.id, text), r.codeMAC) {
				match = r
			}
		}
		if match == nil && refuse && text == "" && len(pending) == 1 {
			match = pending[0]
		}
		now := store.Micros(s.now())
		if match != nil {
			status, ev := SMSApproved, EvSMSApproved
			if refuse {
				status, ev = SMSDenied, EvSMSDenied
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET status = ?, approved_via = 'sms_reply', updated_at = ? WHERE id = ?`, status, now, match.id); err != nil {
				return err
			}
			_, err := tx.Emit(ctx, store.Event{Type: ev, Actor: match.subject, Subject: match.subject,
				Payload: []byte(marshal(map[string]string{"request_id": match.id, "via": "sms_reply"}))})
			return err
		}
		for _, r := range pending {
			attempts, status := r.attempts+1, SMSAwaiting
			if attempts >= s.cfg.SMSCodeAttempts {
				status = SMSLocked
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET attempts = ?, status = ?, updated_at = ? WHERE id = ?`, attempts, status, now, r.id); err != nil {
				return err
			}
			if _, err := tx.Emit(ctx, store.Event{Type: EvSMSCodeFailed, Actor: r.subject, Subject: r.subject,
				Payload: []byte(marshal(map[string]any{"request_id": r.id, "attempts": attempts, "locked": status == SMSLocked, "via": "sms_reply"}))}); err != nil {
				return err
			}
		}
		return nil
	})
}

// iinOf returns the IIN of a subject reference (only to put it into the token the data
// owner needs; never logged).
func (s *Service) iinOf(ctx context.Context, ref string) (string, error) {
	id, err := actor.ParseCitizen(ref)
	if err != nil {
		return "", fmt.Errorf("pd: bad subject reference: %w", err)
	}
	c, err := s.cfg.Citizens.CitizenByID(ctx, id)
	if err != nil {
		return "", err
	}
	return c.IIN, nil
}

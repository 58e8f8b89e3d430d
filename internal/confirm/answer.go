package confirm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/store"
)

// EvidenceType is the typ of a push confirmation's evidence JWS; it differs from a
// security token's and a read receipt's, so none passes for another.
const EvidenceType = "senim-confirmation+jwt"

// commitPrefix separates the IIN commitment of evidence from every other hash.
const commitPrefix = "senim/confirm/evidence/v1 iin\x00"

// Answerer is who answers: the addressee in an authenticated cabinet session (rule DC-1).
type Answerer struct {
	Subject string // "citizen:<id>", the session's citizen
	IIN     string // the session's IIN: the evidence's commitment, the EDS signer's check
	Method  string // how the session was authenticated (identity.Method)
	Session string // an opaque reference to the session, never its cookie
}

func (a Answerer) valid() bool {
	return actor.IsCitizen(a.Subject) && kzid.ValidIIN(a.IIN) && a.Method != "" && len(a.Method) <= 64 &&
		len(a.Session) >= 16 && len(a.Session) <= 128
}

// Answers.
const (
	Confirm = "confirm"
	Decline = "decline"
)

// Answer is a citizen's answer.
type Answer struct {
	Decision string // Confirm or Decline
	// Lang is the language of the text she was shown (kk or ru) and TextSHA256 its hash
	// as the page showed it: a text changed since is ErrTextChanged.
	Lang       string
	TextSHA256 string
}

// open returns the addressee's request ready for an answer in lang.
func (s *Service) open(ctx context.Context, a Answerer, id, lang, shown string) (*Confirmation, error) {
	if !a.valid() {
		return nil, ErrUnidentified
	}
	c, err := s.ForSubject(ctx, a.Subject, id)
	if err != nil {
		return nil, err
	}
	switch c.State {
	case StateExpired:
		return nil, ErrExpired
	case StateConfirmed, StateDeclined:
		return nil, ErrAnswered
	}
	text, ok := c.Text[lang]
	if !ok {
		return nil, ErrRequestInvalid.WithDetail("lang: kk or ru")
	}
	if shown != Hash(text) {
		return nil, ErrTextChanged
	}
	return c, nil
}

// EvidenceClaims are the signed fields of a push confirmation's evidence (rule DC-5).
type EvidenceClaims struct {
	Issuer        string `json:"iss"`
	ID            string `json:"jti"`
	Request       string `json:"req"`
	Party         string `json:"org"`            // the relying party's BIN
	SubjectCommit string `json:"sub_commit"`     // base64url SHA-256(prefix || salt || IIN)
	TextSHA256    string `json:"text_sha256"`    // base64url, of the exact text shown
	Lang          string `json:"lang"`           // kk | ru
	Decision      string `json:"decision"`       // confirm | decline
	At            string `json:"at"`             // RFC 3339, UTC
	AuthMethod    string `json:"amr"`            // how the session was authenticated
	Session       string `json:"sid"`            // the session's opaque reference
	Method        string `json:"method"`         // the request's method: push, or eds for a decline
	PolicyVersion string `json:"policy_version"` // the policy that decided
	IssuedAt      int64  `json:"iat"`
}

// Respond records a citizen's answer without a signature: a confirmation of a push
// request, or a decline of any request. A confirmation of an EDS request is
// ErrEDSRequired (rule DC-3). Senim signs the evidence and records it with its event
// (confirm.push.answered) in one transaction.
func (s *Service) Respond(ctx context.Context, a Answerer, id string, ans Answer) (*Confirmation, error) {
	if ans.Decision != Confirm && ans.Decision != Decline {
		return nil, ErrDecision
	}
	c, err := s.open(ctx, a, id, ans.Lang, ans.TextSHA256)
	if err != nil {
		return nil, err
	}
	if ans.Decision == Confirm && c.Method != policy.Push {
		return nil, ErrEDSRequired
	}
	now := s.now().UTC().Truncate(time.Second)
	salt := make([]byte, 32)
	rand.Read(salt)
	claims := EvidenceClaims{Issuer: s.cfg.Issuer, ID: newID("e_"), Request: c.ID, Party: c.Org, SubjectCommit: Commit(salt, a.IIN),
		TextSHA256: c.TextSHA256[ans.Lang], Lang: ans.Lang, Decision: ans.Decision, At: now.Format(time.RFC3339), AuthMethod: a.Method,
		Session: a.Session, Method: c.Method, PolicyVersion: c.PolicyVersion, IssuedAt: now.Unix()}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	jws, err := s.cfg.Signer.SignJWS(ctx, EvidenceType, payload)
	if err != nil {
		return nil, fmt.Errorf("confirm: sign evidence: %w", err)
	}
	state := StateConfirmed
	if ans.Decision == Decline {
		state = StateDeclined
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		ev, _ := json.Marshal(map[string]string{"request": c.ID, "decision": ans.Decision, "method": c.Method, "lang": ans.Lang,
			"text_sha256": claims.TextSHA256, "evidence": claims.ID, "evidence_sha256": Hash(jws), "amr": a.Method})
		return s.answer(ctx, tx, c, a, state, ans.Lang, now, EvPushAnswered, ev, func() error {
			_, err := tx.ExecContext(ctx, `INSERT INTO confirm_evidence (request_id, id, auth_method, session_ref, iin_salt, jws) VALUES (?, ?, ?, ?, ?, ?)`,
				c.ID, claims.ID, a.Method, a.Session, salt, jws)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return s.ForSubject(ctx, a.Subject, id)
}

// answer moves c from pending to state (only if it is still pending and within its
// deadline), runs rows, and emits the answer's event; all in tx.
func (s *Service) answer(ctx context.Context, tx *store.Tx, c *Confirmation, a Answerer, state, lang string, now time.Time,
	event string, payload []byte, rows func() error) error {
	id, err := tx.Emit(ctx, store.Event{Type: event, Actor: a.Subject, Subject: a.Subject, Payload: payload})
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE confirm_requests SET state = ?, decided_at = ?, lang = ?, answer_event = ?
		WHERE id = ? AND subject = ? AND state = 'pending' AND deadline > ?`, state, store.Micros(now), lang, id, c.ID, a.Subject, store.Micros(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrAnswered // answered concurrently, or the deadline passed meanwhile
	}
	return rows()
}

// Sign records a citizen's EDS confirmation: cms must be her valid signature over
// exactly the request's text in lang, with a valid chain, revocation status and
// signature time-stamp (rules DC-3, DC-5). The CMS is kept as signed, with its hash,
// and the event confirm.eds.signed is emitted in the same transaction.
func (s *Service) Sign(ctx context.Context, a Answerer, id, lang, shownSHA256 string, der []byte) (*Confirmation, error) {
	c, err := s.open(ctx, a, id, lang, shownSHA256)
	if err != nil {
		return nil, err
	}
	if c.Method != policy.EDS {
		return nil, ErrRequestInvalid.WithDetail("this request is confirmed by push, not by EDS")
	}
	text := []byte(c.Text[lang])
	if len(der) == 0 || len(der) > 256<<10 {
		return nil, ErrSignature.WithDetail("a CMS signature is required")
	}
	opts := cms.VerifyOptions{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.cfg.Now, MaxSigners: 1}
	res, err := cms.Verify(ctx, der, text, opts)
	if err != nil {
		// An attached CMS is refused with detached content given: check it attached.
		res, err = cms.Verify(ctx, der, nil, opts)
		if err != nil || !bytes.Equal(res.Content, text) {
			return nil, ErrSignature.WithDetail("the CMS must sign exactly the text of the request")
		}
	}
	if !res.Valid || len(res.Signers) != 1 || res.Signers[0].CertInfo == nil || !res.Signers[0].ChainChecked {
		detail := "the signature, its certificate chain or its revocation check failed"
		if len(res.Signers) == 1 {
			detail += ": " + strings.Join(res.Signers[0].Codes(), ", ")
		}
		return nil, ErrSignature.WithDetail(detail)
	}
	sr := res.Signers[0]
	if sr.CertInfo.Subject.IIN != a.IIN {
		return nil, ErrSignature.WithDetail("the signer is not the person asked to confirm")
	}
	if sr.TimeStamp == nil || !sr.TimeStamp.Valid {
		return nil, ErrSignature.WithDetail("the signature needs a valid time-stamp (CAdES-T), as NCALayer makes")
	}
	now := s.now().UTC()
	cmsSum := sha256.Sum256(der)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		ev, _ := json.Marshal(map[string]string{"request": c.ID, "decision": Confirm, "method": policy.EDS, "lang": lang,
			"text_sha256": c.TextSHA256[lang], "cms_sha256": base64.RawURLEncoding.EncodeToString(cmsSum[:]),
			"signed_at": sr.TimeStamp.GenTime.UTC().Format(time.RFC3339)})
		return s.answer(ctx, tx, c, a, StateConfirmed, lang, now, EvEDSSigned, ev, func() error {
			_, err := tx.ExecContext(ctx, `INSERT INTO confirm_signatures (request_id, cms, cms_sha256, text_sha256, signer_serial, signed_at, tsa)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, der, hex.EncodeToString(cmsSum[:]), c.TextSHA256[lang], sr.CertInfo.SerialNumber,
				store.Micros(sr.TimeStamp.GenTime), sr.TimeStamp.TSA)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return s.ForSubject(ctx, a.Subject, id)
}

// Signature is a kept EDS confirmation.
type Signature struct {
	CMS      []byte
	SignedAt time.Time
	TSA      string
}

// SignatureOf returns the CMS of an EDS-confirmed request c.
func (s *Service) SignatureOf(ctx context.Context, c *Confirmation) (*Signature, error) {
	var sg Signature
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT cms, signed_at, tsa FROM confirm_signatures WHERE request_id = ?`, c.ID).Scan(&sg.CMS, &at, &sg.TSA)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoEvidence
	}
	if err != nil {
		return nil, err
	}
	sg.SignedAt = store.FromMicros(at)
	return &sg, nil
}

// Commit is evidence's commitment to an IIN: base64url SHA-256 of a fixed prefix, the
// salt and the IIN.
func Commit(salt []byte, iin string) string {
	h := sha256.New()
	h.Write([]byte(commitPrefix))
	h.Write(salt)
	h.Write([]byte(iin))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

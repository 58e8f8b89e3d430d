package confirm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/notify"
)

// EvidenceFormat names the evidence package format.
const EvidenceFormat = "senim.kz/confirm/evidence/v1"

// Evidence is the evidence package of a push answer (rule DC-5): the signed evidence,
// the salt that opens its commitment to the IIN, the exact text shown, and the audit
// log's evidence bundle of the answer's event (its inclusion proof and signed
// checkpoint), whose payload carries the SHA-256 of the JWS.
type Evidence struct {
	Format  string          `json:"format"`
	JWS     string          `json:"evidence"`
	IINSalt string          `json:"iin_salt"` // base64url
	Text    string          `json:"text"`
	Log     json.RawMessage `json:"log"`
	// Key is the public JWK of the key that signed JWS (its kid is the key's RFC 7638
	// thumbprint), so that the evidence stays verifiable once that key has left
	// /.well-known/jwks.json, a year after its retirement: VerifyEvidence then checks
	// the signature under it, and Log — which binds the SHA-256 of this very JWS —
	// vouches that Senim issued it. Absent when the Signer cannot say.
	Key json.RawMessage `json:"key,omitempty"`
}

// Evidence returns the evidence package of c, answered without a signature.
// ErrNoEvidence while it is unanswered (or answered by EDS: its evidence is the CMS),
// ErrNotLogged until the audit log's checkpoint covers the answer.
func (s *Service) Evidence(ctx context.Context, c *Confirmation) ([]byte, error) {
	if c.AnswerEvent == 0 {
		return nil, ErrNoEvidence
	}
	var jws string
	var salt []byte
	err := s.db.QueryRowContext(ctx, `SELECT jws, iin_salt FROM confirm_evidence WHERE request_id = ?`, c.ID).Scan(&jws, &salt)
	if err != nil {
		return nil, ErrNoEvidence.WithCause(err)
	}
	idx, err := s.cfg.Log.IndexOfEvent(ctx, c.AnswerEvent)
	if errors.Is(err, auditlog.ErrLeafNotFound) {
		return nil, ErrNotLogged
	}
	if err != nil {
		return nil, err
	}
	bundle, err := s.cfg.Log.Bundle(ctx, c.Subject, idx)
	if errors.Is(err, auditlog.ErrNotYours) || errors.Is(err, auditlog.ErrEmptyLog) {
		return nil, ErrNotLogged.WithCause(err)
	}
	if err != nil {
		return nil, err
	}
	ev := Evidence{Format: EvidenceFormat, JWS: jws, IINSalt: base64.RawURLEncoding.EncodeToString(salt), Text: c.Text[c.Lang], Log: bundle,
		Key: s.signingKey(ctx, jws)}
	return json.MarshalIndent(ev, "", "  ")
}

var (
	evidenceID  = regexp.MustCompile(`^e_[A-Za-z0-9_-]{22}$`)
	requestID   = regexp.MustCompile(`^c_[A-Za-z0-9_-]{22}$`)
	hashPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	binPattern  = regexp.MustCompile(`^[0-9]{12}$`)
)

// Verified is what an evidence package proves.
type Verified struct {
	Claims EvidenceClaims
	// FromBundleKey: the signing key is not in the JWK set given; the signature was
	// checked under the package's Key, and the log proof — which binds this very JWS —
	// is what vouches for it.
	FromBundleKey bool
	Text          string
	LogIndex      int64
	Checkpoint    auditlog.Checkpoint
}

// VerifyEvidence checks an evidence package offline: the JWS is signed by a key of
// Senim's JWK set under EvidenceType with every claim well-formed; the text hashes to
// its text_sha256; the log bundle verifies against the log's key, and its event is the
// answer's confirm.push.answered whose payload names this request, this answer and the
// SHA-256 of this very JWS. Errors are ErrEvidenceInvalid with the reason.
//
// Evidence is kept for years and its key leaves the JWK set a year after its
// retirement: when the set does not hold the kid, the signature is checked under the
// package's Key, whose RFC 7638 thumbprint must be the kid (notify.VerifyJWSWithKey).
// The log proof, always required here, then vouches that Senim issued this very JWS; a
// key alone — leaked in an emergency rotation, or made up — mints nothing that passes.
func VerifyEvidence(b []byte, jwks []byte, logKey note.Verifier) (*Verified, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ev Evidence
	if err := dec.Decode(&ev); err != nil || dec.More() || ev.Format != EvidenceFormat {
		return nil, ErrEvidenceInvalid.WithDetail("not a " + EvidenceFormat + " package")
	}
	pb, fromKey, err := notify.VerifyJWSWithKey(ev.JWS, EvidenceType, jwks, ev.Key)
	if err != nil {
		return nil, ErrEvidenceInvalid.WithDetail(err.Error())
	}
	var c EvidenceClaims
	cd := json.NewDecoder(bytes.NewReader(pb))
	cd.DisallowUnknownFields()
	if err := cd.Decode(&c); err != nil {
		return nil, ErrEvidenceInvalid.WithDetail("the claims are not confirmation evidence")
	}
	at, err := time.Parse(time.RFC3339, c.At)
	switch {
	case c.Issuer == "":
		return nil, ErrEvidenceInvalid.WithDetail("iss is missing")
	case !evidenceID.MatchString(c.ID) || !requestID.MatchString(c.Request):
		return nil, ErrEvidenceInvalid.WithDetail("jti and req must be an evidence and a request id")
	case !binPattern.MatchString(c.Party):
		return nil, ErrEvidenceInvalid.WithDetail("org must be a BIN")
	case !hashPattern.MatchString(c.SubjectCommit) || !hashPattern.MatchString(c.TextSHA256):
		return nil, ErrEvidenceInvalid.WithDetail("sub_commit and text_sha256 must be base64url SHA-256")
	case c.Lang != "kk" && c.Lang != "ru":
		return nil, ErrEvidenceInvalid.WithDetail("lang must be kk or ru")
	case c.Decision != Confirm && c.Decision != Decline:
		return nil, ErrEvidenceInvalid.WithDetail("decision must be confirm or decline")
	case err != nil || at.Unix() != c.IssuedAt:
		return nil, ErrEvidenceInvalid.WithDetail("at must be RFC 3339 and equal iat")
	case c.AuthMethod == "" || len(c.Session) < 16 || c.PolicyVersion == "" || (c.Method != "push" && c.Method != "eds"):
		return nil, ErrEvidenceInvalid.WithDetail("amr, sid, method and policy_version are required")
	}
	if Hash(ev.Text) != c.TextSHA256 {
		return nil, ErrEvidenceInvalid.WithDetail("the text is not the text the evidence was signed over")
	}
	lb, cp, err := auditlog.VerifyEvidence(ev.Log, logKey)
	if err != nil {
		return nil, ErrEvidenceInvalid.WithDetail("log: " + err.Error())
	}
	var pl struct {
		Request        string `json:"request"`
		Decision       string `json:"decision"`
		TextSHA256     string `json:"text_sha256"`
		Evidence       string `json:"evidence"`
		EvidenceSHA256 string `json:"evidence_sha256"`
	}
	if lb.Event.Type != "confirm.push.answered" || json.Unmarshal([]byte(lb.Event.Payload), &pl) != nil {
		return nil, ErrEvidenceInvalid.WithDetail("the log entry is not a confirmation answer")
	}
	if pl.Request != c.Request || pl.Decision != c.Decision || pl.TextSHA256 != c.TextSHA256 || pl.Evidence != c.ID || pl.EvidenceSHA256 != Hash(ev.JWS) {
		return nil, ErrEvidenceInvalid.WithDetail("the log entry is about another answer or another JWS")
	}
	return &Verified{Claims: c, FromBundleKey: fromKey, Text: ev.Text, LogIndex: lb.Index, Checkpoint: cp}, nil
}

// CheckCommit reports whether the evidence commits to iin with salt (base64url).
func (c *EvidenceClaims) CheckCommit(salt, iin string) bool {
	b, err := base64.RawURLEncoding.DecodeString(salt)
	return err == nil && len(b) == 32 && Commit(b, iin) == c.SubjectCommit
}

// IINSalt returns the salt of a package (for --iin checks), without verifying it.
func IINSalt(b []byte) (string, error) {
	var ev Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		return "", fmt.Errorf("not an evidence package: %w", err)
	}
	return ev.IINSalt, nil
}

// signingKey is the public JWK of the key that signed jws, for the package
// (Evidence.Key); nil when the Signer is no notify.KeyPublisher or cannot say (logged:
// the package is still good while the key is published, and a later download has it).
func (s *Service) signingKey(ctx context.Context, jws string) json.RawMessage {
	kp, ok := s.cfg.Signer.(notify.KeyPublisher)
	if !ok {
		return nil
	}
	kid, err := notify.KeyID(jws)
	if err == nil {
		var b []byte
		if b, err = kp.PublicJWK(ctx, kid); err == nil {
			return b
		}
	}
	s.cfg.Logger.WarnContext(ctx, "confirm: the public key of evidence", "kid", kid, "error", err)
	return nil
}

package docs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/jwskey"
	"github.com/senimkz/senim/internal/kzid"
)

// RecordType is the typ of a "digital information" record's JWS header; it differs
// from a security token's and a read receipt's, so none passes for another.
const RecordType = "senim-digital-information+jwt"

// RecordClaims are the signed fields of a "digital information" record (DC-8): which
// document type of whom was shown to whom, when, through which share, and the outbox
// event whose audit-log leaf proves the view was logged.
type RecordClaims struct {
	Issuer   string         `json:"iss"`
	ID       string         `json:"jti"` // the view's id
	Share    string         `json:"share"`
	Type     string         `json:"doc_type"` // kind/vN
	Owner    RecordOwner    `json:"owner"`
	Verifier RecordVerifier `json:"verifier"`
	ViewedAt string         `json:"viewed_at"` // RFC 3339 with fraction, UTC: when the document was formed and shown
	// DocSHA256 is base64url SHA-256 over a salt and the document's fields
	// (DocumentHash); the salt went only to whoever saw the document.
	DocSHA256 string `json:"doc_sha256"`
	Event     int64  `json:"evt"`
	IssuedAt  int64  `json:"iat"`
}

// RecordOwner is whose document it is.
type RecordOwner struct {
	IIN string `json:"iin"`
}

// RecordVerifier is to whom it was shown.
type RecordVerifier struct {
	Kind string `json:"kind"`
	IIN  string `json:"iin,omitempty"`
	BIN  string `json:"bin,omitempty"`
	Name string `json:"name,omitempty"`
}

// DocumentHash is base64url SHA-256(label || salt || canonical JSON of fields); Go's
// encoding/json sorts map keys, so the JSON is canonical for a map of strings.
func DocumentHash(salt []byte, fields map[string]string) string {
	b, _ := json.Marshal(fields)
	h := sha256.New()
	h.Write([]byte("senim/docs/document/v1\x00"))
	h.Write(salt)
	h.Write(b)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

var (
	viewIDPattern  = regexp.MustCompile(`^v_[A-Za-z0-9_-]{22}$`)
	shareIDPattern = regexp.MustCompile(`^s_[A-Za-z0-9_-]{22}$`)
	hashPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	typeIDPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}/v[1-9][0-9]{0,5}$`)
)

// VerifyRecord checks a record offline: an ES256 JWS of typ RecordType whose kid is in
// the JWK set, signed by that key, every claim well-formed. It returns the claims.
func VerifyRecord(compact string, jwks []byte) (*RecordClaims, error) {
	c, _, err := VerifyRecordWithKey(compact, jwks, nil)
	return c, err
}

// VerifyRecordWithKey is VerifyRecord for a record kept longer than its key stays in
// the JWK set (a retired key leaves it a year after its retirement): when the kid is
// not in jwks, the signature is checked under key, the public JWK the bundle carries
// (its RFC 7638 thumbprint must be the kid), and fromKey is true — then the record is
// good only with the audit-log proof that Senim issued this very record
// (VerifyInformation: the docs.record.signed event binding its SHA-256).
func VerifyRecordWithKey(compact string, jwks, key []byte) (c *RecordClaims, fromKey bool, err error) {
	pb, fromKey, err := jwskey.Verify(compact, RecordType, jwks, key)
	if err != nil {
		return nil, false, ErrRecordInvalid.WithDetail(err.Error()).WithCause(err)
	}
	c, err = recordClaims(pb)
	return c, fromKey, err
}

// recordClaims decodes and checks the claims of a record whose signature verified.
func recordClaims(pb []byte) (*RecordClaims, error) {
	var c RecordClaims
	dec := json.NewDecoder(bytes.NewReader(pb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, ErrRecordInvalid.WithDetail("the claims are not a digital information record")
	}
	at, err := time.Parse(time.RFC3339Nano, c.ViewedAt)
	v := c.Verifier
	switch {
	case c.Issuer == "":
		return nil, ErrRecordInvalid.WithDetail("iss is missing")
	case !viewIDPattern.MatchString(c.ID):
		return nil, ErrRecordInvalid.WithDetail("jti is not a view id")
	case !shareIDPattern.MatchString(c.Share):
		return nil, ErrRecordInvalid.WithDetail("share is not a share id")
	case !typeIDPattern.MatchString(c.Type):
		return nil, ErrRecordInvalid.WithDetail("doc_type is not kind/vN")
	case !kzid.ValidIIN(c.Owner.IIN):
		return nil, ErrRecordInvalid.WithDetail("owner.iin is not an IIN")
	case !slices.Contains([]string{VerifierCitizen, VerifierEmployee, VerifierSystem}, v.Kind),
		v.Kind != VerifierSystem && !kzid.ValidIIN(v.IIN),
		v.Kind != VerifierCitizen && !kzid.ValidBIN(v.BIN):
		return nil, ErrRecordInvalid.WithDetail("verifier must be a citizen (iin), an employee (iin, bin) or a system (bin)")
	case err != nil || at.Unix() != c.IssuedAt:
		return nil, ErrRecordInvalid.WithDetail("viewed_at must be RFC 3339 and agree with iat")
	case !hashPattern.MatchString(c.DocSHA256):
		return nil, ErrRecordInvalid.WithDetail("doc_sha256 must be base64url SHA-256")
	case c.Event <= 0:
		return nil, ErrRecordInvalid.WithDetail("evt must be the view's outbox event id")
	}
	return &c, nil
}

// InformationFormat names the downloadable "digital information" bundle.
const InformationFormat = "senim.kz/docs/information/v1"

// Information is the bundle both parties download: the signed record and the
// audit-log evidence of its view's event (auditlog.Evidence, JSON).
type Information struct {
	Format   string          `json:"format"`
	Record   string          `json:"record"`
	Evidence json.RawMessage `json:"evidence"`
	// RecordEvidence is the audit-log evidence of the record's own event
	// (docs.record.signed: the view's id and the record's SHA-256), and Key the public
	// JWK of the key that signed the record: with both, the record verifies after that
	// key has left the JWK set (a year after its retirement; a record is kept for
	// years). Absent for views recorded before they existed (migration 0027).
	RecordEvidence json.RawMessage `json:"record_evidence,omitempty"`
	Key            json.RawMessage `json:"key,omitempty"`
}

// KeyPublisher is the optional part of a Signer (pd.Service) that gives the public JWK
// of any key it ever signed with, retired or not.
type KeyPublisher interface {
	PublicJWK(ctx context.Context, kid string) ([]byte, error)
}

// Information returns the bundle of view id for its owner or its verifier;
// ErrNotLogged while the audit log has not integrated the view's event.
func (s *Service) Information(ctx context.Context, subject, id string) ([]byte, error) {
	v, err := s.Viewed(ctx, subject, id)
	if err != nil {
		return nil, err
	}
	idx, err := s.cfg.Log.IndexOfEvent(ctx, v.EventID)
	if errors.Is(err, auditlog.ErrLeafNotFound) {
		return nil, ErrNotLogged
	}
	if err != nil {
		return nil, err
	}
	ev, err := s.cfg.Log.Bundle(ctx, v.Owner, idx)
	if errors.Is(err, auditlog.ErrNotYours) {
		return nil, ErrNotLogged.WithCause(err) // no checkpoint covers it yet
	}
	if err != nil {
		return nil, err
	}
	info := Information{Format: InformationFormat, Record: v.Record, Evidence: ev}
	if v.RecordEventID != 0 {
		idx, err := s.cfg.Log.IndexOfEvent(ctx, v.RecordEventID)
		if errors.Is(err, auditlog.ErrLeafNotFound) {
			return nil, ErrNotLogged
		}
		if err != nil {
			return nil, err
		}
		if info.RecordEvidence, err = s.cfg.Log.Bundle(ctx, v.Owner, idx); errors.Is(err, auditlog.ErrNotYours) {
			return nil, ErrNotLogged.WithCause(err)
		} else if err != nil {
			return nil, err
		}
	}
	// The key is best effort, as a receipt's (notify.Service.signingKey): without it the
	// bundle verifies while the key is published, and a later download has it.
	if kp, ok := s.cfg.Signer.(KeyPublisher); ok {
		kid, err := jwskey.KeyID(v.Record)
		if err == nil {
			info.Key, err = kp.PublicJWK(ctx, kid)
		}
		if err != nil {
			info.Key = nil
			s.cfg.Logger.WarnContext(ctx, "docs: the public key of a record", "kid", kid, "error", err)
		}
	}
	return json.MarshalIndent(info, "", "  ")
}

// VerifyInformation checks a bundle offline (senim docs verify): the record against
// the JWK set, the evidence against the log's key, and that the evidence's event is
// the record's — its id is evt, its type EventViewed, and its payload names the
// record's view, share and type.
func VerifyInformation(b []byte, jwks []byte, logKey note.Verifier) (*RecordClaims, *auditlog.Evidence, error) {
	v, err := CheckInformation(b, jwks, logKey)
	if err != nil {
		return nil, nil, err
	}
	return v.Claims, v.Evidence, nil
}

// CheckedInformation is what CheckInformation proves of a bundle.
type CheckedInformation struct {
	Claims   *RecordClaims
	Evidence *auditlog.Evidence // of the view's event
	Kid      string
	// FromBundleKey: the record's key is not in the JWK set given; its signature was
	// checked under the bundle's Key, which the record's own log entry vouches for.
	FromBundleKey bool
}

// CheckInformation is VerifyInformation, also saying which key checked the record.
func CheckInformation(b []byte, jwks []byte, logKey note.Verifier) (*CheckedInformation, error) {
	var info Information
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil || info.Format != InformationFormat {
		return nil, ErrRecordInvalid.WithDetail("not a digital information bundle (" + InformationFormat + ")")
	}
	c, fromKey, err := VerifyRecordWithKey(info.Record, jwks, info.Key)
	if err != nil {
		return nil, err
	}
	ev, _, err := auditlog.VerifyEvidence(info.Evidence, logKey)
	if err != nil {
		return nil, ErrRecordInvalid.WithDetail("the audit-log evidence does not verify: " + err.Error())
	}
	var pl map[string]string
	if err := json.Unmarshal([]byte(ev.Event.Payload), &pl); err != nil {
		return nil, ErrRecordInvalid.WithDetail("the logged event's payload is unreadable")
	}
	if ev.Event.ID != c.Event || ev.Event.Type != EventViewed || pl["view"] != c.ID || pl["share"] != c.Share || pl["type"] != c.Type {
		return nil, ErrRecordInvalid.WithDetail(fmt.Sprintf("the logged event %d is not this record's view", ev.Event.ID))
	}
	kid, _ := jwskey.KeyID(info.Record)
	checked := &CheckedInformation{Claims: c, Evidence: ev, Kid: kid, FromBundleKey: fromKey}
	// The record's own entry: required when the record was checked under the key the
	// bundle carries (the log, not that key, vouches for it), checked whenever present.
	if len(info.RecordEvidence) == 0 {
		if fromKey {
			return nil, ErrRecordInvalid.WithDetail("the record's key is not in the JWK set, and the bundle has no log entry of the record to vouch for it (download the bundle again)")
		}
		return checked, nil
	}
	rev, _, err := auditlog.VerifyEvidence(info.RecordEvidence, logKey)
	if err != nil {
		return nil, ErrRecordInvalid.WithDetail("the audit-log evidence of the record does not verify: " + err.Error())
	}
	var rp map[string]string
	sum := sha256.Sum256([]byte(info.Record))
	if json.Unmarshal([]byte(rev.Event.Payload), &rp) != nil || rev.Event.Type != EventRecordSigned || rp["view"] != c.ID ||
		rp["record_sha256"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
		return nil, ErrRecordInvalid.WithDetail(fmt.Sprintf("the logged event %d is not this very record's", rev.Event.ID))
	}
	return checked, nil
}

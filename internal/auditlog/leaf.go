package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// LeafHeader is the first line of a leaf without a token binding; a new leaf format
// gets a new header.
const LeafHeader = "senim.kz/log/leaf/v1"

// LeafHeaderV2 is the first line of a leaf with a token binding: a v1 leaf with a
// "token <base64 TokenBinding>" line after the event line, open or sealed. Only the
// leaves of security-token issuances (TokenEventType) are v2; every other leaf stays
// v1, byte for byte.
const LeafHeaderV2 = "senim.kz/log/leaf/v2"

// TokenEventType is the event type whose leaf binds the security token it issued:
// its payload's top-level string member TokenIDMember is the token's jti. A token
// carries its event's id (evt), and a data owner's verifier accepts the leaf at evt
// only if its binding is TokenBinding(jti) of the token in hand; so an event id that
// a database rollback handed out twice cannot prove another token's issuance.
const (
	TokenEventType = "pd.token.issued"
	TokenIDMember  = "jti"
)

// tokenLabel is the domain label of TokenBinding.
const tokenLabel = "senim.kz/log/token/v1\n"

// TokenBinding is the public binding of a security token to its issuance leaf:
// SHA-256("senim.kz/log/token/v1\n" || jti). A jti is 128 random bits, so the
// binding reveals nothing and links nothing without the token itself.
func TokenBinding(jti string) []byte {
	h := sha256.Sum256([]byte(tokenLabel + jti))
	return h[:]
}

// eventBinding returns the token binding of e, or nil when e is not a token issuance
// or its payload names no jti (its leaf is then v1 and proves no token).
func eventBinding(e store.Event) []byte {
	if e.Type != TokenEventType || len(e.Payload) == 0 {
		return nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	var jti string
	if json.Unmarshal(p[TokenIDMember], &jti) != nil || jti == "" {
		return nil
	}
	return TokenBinding(jti)
}

// SealedUntilMember is the top-level payload member that seals an event: an RFC 3339
// time until which the leaf commits to everything (type, time, actor, subject and
// details) and the event is hidden from its subject's history. The PD code sets it for
// an access on a legal ground with a deferred notice.
const SealedUntilMember = "sealed_until"

// Commitment field names, bound into every salt and commitment.
const (
	fieldActor   = "actor"
	fieldSubject = "subject"
	fieldDetails = "details"
	fieldSealed  = "sealed"
)

// SaltSize is the size of the per-leaf secret salt.
const SaltSize = 32

// Leaf is a parsed leaf. Exactly one of Sealed or the open fields is set.
type Leaf struct {
	EventID int64
	// Token is the token binding of a v2 leaf (TokenBinding), nil in a v1 leaf. It is
	// public in sealed leaves too.
	Token []byte
	// Sealed is the commitment to the whole open leaf of a sealed event.
	Sealed []byte
	// Time of the event, to the microsecond.
	Time time.Time
	Type string
	// Actor is the actor in the clear ("org:<BIN>", "system") or its role
	// ("citizen", "admin") when ActorCommit is set.
	Actor       string
	ActorCommit []byte
	// SubjectCommit and DetailsCommit are nil when the event has no subject / payload.
	SubjectCommit []byte
	DetailsCommit []byte
}

// fieldSalt derives the salt of one field from the leaf salt, so that opening one
// field (revealing its salt) does not let anyone brute-force another.
func fieldSalt(leafSalt []byte, field string) []byte {
	h := sha256.New()
	h.Write([]byte("senim.kz/log/salt/v1\n" + field + "\n"))
	h.Write(leafSalt)
	return h.Sum(nil)
}

// commit is the salted hash commitment of value in field.
func commit(field string, fsalt, value []byte) []byte {
	h := sha256.New()
	h.Write([]byte("senim.kz/log/commit/v1\n" + field + "\n"))
	h.Write(fsalt)
	h.Write(value)
	return h.Sum(nil)
}

// publicActor reports whether the actor may appear in the clear: an organization
// by its BIN, or a bare role such as "system". Citizens, admins and anything else
// are committed to, with only their role in the clear.
func publicActor(actor string) (role string, public bool) {
	r, id, ok := strings.Cut(actor, ":")
	if !ok {
		return actor, validRole(actor)
	}
	if r == "org" && len(id) == 12 && allDigits(id) {
		return actor, true
	}
	if !validRole(r) {
		r = "other"
	}
	return r, false
}

func validRole(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sealedUntil returns the sealing time of an event (zero if it is not sealed).
// A payload whose sealed_until member is present but unreadable seals the event
// for ever: failing closed keeps a secret access secret.
func sealedUntil(e store.Event) time.Time {
	if len(e.Payload) == 0 || !bytes.Contains(e.Payload, []byte(SealedUntilMember)) {
		return time.Time{}
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(e.Payload, &p) != nil {
		return time.Time{}
	}
	raw, ok := p[SealedUntilMember]
	if !ok {
		return time.Time{}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.After(time.Unix(0, 0)) {
			return t.UTC()
		}
	}
	return forever
}

var forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// openLeaf returns the text of the open (unsealed) leaf of e with the given salt.
func openLeaf(e store.Event, salt []byte) []byte {
	b, _ := openLeafFromSalts(e, Opening{
		Actor:   fieldSalt(salt, fieldActor),
		Subject: fieldSalt(salt, fieldSubject),
		Details: fieldSalt(salt, fieldDetails),
	})
	return b
}

// BuildLeaf returns the leaf of event e committed with salt: the open leaf, or for a
// sealed event (see SealedUntilMember) a leaf that commits to the open one.
func BuildLeaf(e store.Event, salt []byte) []byte {
	open := openLeaf(e, salt)
	if sealedUntil(e).IsZero() {
		return open
	}
	return sealedLeaf(e.ID, eventBinding(e), commit(fieldSealed, fieldSalt(salt, fieldSealed), open))
}

func sealedLeaf(eventID int64, token, c []byte) []byte {
	return []byte(leafStart(eventID, token) + "\nsealed " + b64(c) + "\n")
}

// leafStart is the header and event line of a leaf, and its token line if it has a
// binding, without the final newline.
func leafStart(eventID int64, token []byte) string {
	if token == nil {
		return LeafHeader + "\nevent " + strconv.FormatInt(eventID, 10)
	}
	return LeafHeaderV2 + "\nevent " + strconv.FormatInt(eventID, 10) + "\ntoken " + b64(token)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// ParseLeaf parses a leaf strictly: the exact header, fields in order, canonical
// numbers and base64, one trailing newline. It is what an auditor calls
// "well-formed". Errors wrap ErrLeafMalformed.
func ParseLeaf(data []byte) (*Leaf, error) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("%w: no final newline", ErrLeafMalformed)
	}
	lines := strings.Split(string(data[:len(data)-1]), "\n")
	v2 := lines[0] == LeafHeaderV2
	if lines[0] != LeafHeader && !v2 {
		return nil, fmt.Errorf("%w: unknown header", ErrLeafMalformed)
	}
	field := func(i int, key string) (string, error) {
		if i >= len(lines) {
			return "", fmt.Errorf("%w: missing %s", ErrLeafMalformed, key)
		}
		v, ok := strings.CutPrefix(lines[i], key+" ")
		if !ok || v == "" {
			return "", fmt.Errorf("%w: line %d is not %q", ErrLeafMalformed, i+1, key)
		}
		return v, nil
	}
	var l Leaf
	v, err := field(1, "event")
	if err != nil {
		return nil, err
	}
	if l.EventID, err = canonicalInt(v); err != nil || l.EventID < 1 {
		return nil, fmt.Errorf("%w: bad event id", ErrLeafMalformed)
	}
	if v2 {
		// The token line; the rest is a v1 leaf's.
		if v, err = field(2, "token"); err != nil {
			return nil, err
		}
		if l.Token, err = hash64(v); err != nil {
			return nil, err
		}
		lines = slices.Delete(lines, 2, 3)
	}
	if len(lines) == 3 {
		v, err := field(2, "sealed")
		if err != nil {
			return nil, err
		}
		if l.Sealed, err = hash64(v); err != nil {
			return nil, err
		}
		return &l, nil
	}
	if len(lines) != 7 {
		return nil, fmt.Errorf("%w: %d lines", ErrLeafMalformed, len(lines))
	}
	if v, err = field(2, "time"); err != nil {
		return nil, err
	}
	us, err := canonicalInt(v)
	if err != nil {
		return nil, fmt.Errorf("%w: bad time", ErrLeafMalformed)
	}
	l.Time = store.FromMicros(us)
	if l.Type, err = field(3, "type"); err != nil {
		return nil, err
	}
	if !validType(l.Type) {
		return nil, fmt.Errorf("%w: bad event type", ErrLeafMalformed)
	}
	if v, err = field(4, "actor"); err != nil {
		return nil, err
	}
	role, c, committed := strings.Cut(v, " ")
	if committed {
		if !validRole(role) {
			return nil, fmt.Errorf("%w: bad actor role", ErrLeafMalformed)
		}
		if l.ActorCommit, err = hash64(c); err != nil {
			return nil, err
		}
	} else if _, public := publicActor(role); !public {
		return nil, fmt.Errorf("%w: actor in the clear must be an organization or a role", ErrLeafMalformed)
	}
	l.Actor = role
	for i, dst := range []*[]byte{&l.SubjectCommit, &l.DetailsCommit} {
		key := []string{"subject", "details"}[i]
		if v, err = field(5+i, key); err != nil {
			return nil, err
		}
		if v == "-" {
			continue
		}
		if *dst, err = hash64(v); err != nil {
			return nil, err
		}
	}
	return &l, nil
}

func validType(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// canonicalInt parses a non-negative decimal without sign or leading zeros.
func canonicalInt(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') || !allDigits(s) {
		return 0, fmt.Errorf("not a canonical number")
	}
	return strconv.ParseInt(s, 10, 64)
}

func hash64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != sha256.Size || b64(b) != s {
		return nil, fmt.Errorf("%w: bad commitment", ErrLeafMalformed)
	}
	return b, nil
}

// Opening holds what opens a leaf's commitments: the field salts (never the leaf salt
// itself, so opening one field reveals nothing about another). A nil salt means the
// field is not opened.
type Opening struct {
	Actor   []byte `json:"actor_salt,omitempty"`
	Subject []byte `json:"subject_salt,omitempty"`
	Details []byte `json:"details_salt,omitempty"`
	Sealed  []byte `json:"sealed_salt,omitempty"`
}

// OpeningFor returns the full opening of a leaf built with salt.
func OpeningFor(e store.Event, salt []byte) Opening {
	o := Opening{
		Actor:   fieldSalt(salt, fieldActor),
		Subject: fieldSalt(salt, fieldSubject),
		Details: fieldSalt(salt, fieldDetails),
	}
	if !sealedUntil(e).IsZero() {
		o.Sealed = fieldSalt(salt, fieldSealed)
	}
	return o
}

// CheckOpening reports whether event e, opened with o, is what leaf commits to.
// Errors wrap ErrOpeningMismatch (or ErrLeafMalformed).
func CheckOpening(leaf []byte, e store.Event, o Opening) error {
	l, err := ParseLeaf(leaf)
	if err != nil {
		return err
	}
	if l.EventID != e.ID {
		return fmt.Errorf("%w: event id", ErrOpeningMismatch)
	}
	// Rebuild the open leaf from the event and the field salts.
	open, err := openLeafFromSalts(e, o)
	if err != nil {
		return err
	}
	if l.Sealed != nil {
		// The open leaf carries the binding too, but the sealed leaf's public copy must
		// be the event's.
		if !bytes.Equal(l.Token, eventBinding(e)) {
			return fmt.Errorf("%w: token binding", ErrOpeningMismatch)
		}
		if o.Sealed == nil || !bytes.Equal(commit(fieldSealed, o.Sealed, open), l.Sealed) {
			return fmt.Errorf("%w: sealed commitment", ErrOpeningMismatch)
		}
		return nil
	}
	if !bytes.Equal(open, leaf) {
		return fmt.Errorf("%w: event does not match the leaf", ErrOpeningMismatch)
	}
	return nil
}

func openLeafFromSalts(e store.Event, o Opening) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(leafStart(e.ID, eventBinding(e)))
	b.WriteString("\ntime " + strconv.FormatInt(store.Micros(e.CreatedAt), 10))
	b.WriteString("\ntype " + e.Type + "\nactor ")
	role, public := publicActor(e.Actor)
	b.WriteString(role)
	if !public {
		if len(o.Actor) != sha256.Size {
			return nil, fmt.Errorf("%w: actor salt missing", ErrOpeningMismatch)
		}
		b.WriteString(" " + b64(commit(fieldActor, o.Actor, []byte(e.Actor))))
	}
	b.WriteString("\nsubject ")
	if e.Subject == "" {
		b.WriteByte('-')
	} else {
		if len(o.Subject) != sha256.Size {
			return nil, fmt.Errorf("%w: subject salt missing", ErrOpeningMismatch)
		}
		b.WriteString(b64(commit(fieldSubject, o.Subject, []byte(e.Subject))))
	}
	b.WriteString("\ndetails ")
	if len(e.Payload) == 0 {
		b.WriteByte('-')
	} else {
		if len(o.Details) != sha256.Size {
			return nil, fmt.Errorf("%w: details salt missing", ErrOpeningMismatch)
		}
		b.WriteString(b64(commit(fieldDetails, o.Details, e.Payload)))
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/store"
)

// LeafHeader is the first line of every leaf; a new leaf format gets a new header.
const LeafHeader = "senim.kz/log/leaf/v1"

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
	return sealedLeaf(e.ID, commit(fieldSealed, fieldSalt(salt, fieldSealed), open))
}

func sealedLeaf(eventID int64, c []byte) []byte {
	return []byte(LeafHeader + "\nevent " + strconv.FormatInt(eventID, 10) + "\nsealed " + b64(c) + "\n")
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
	if lines[0] != LeafHeader {
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
	b.WriteString(LeafHeader + "\nevent " + strconv.FormatInt(e.ID, 10))
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

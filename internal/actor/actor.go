// Package actor names who did something, in the one string form that outbox events,
// the audit log and idempotency scopes carry. Every actor is made by a constructor
// here and read back by Parse; no other package concatenates or trims these strings.
//
// The forms are fixed — they are inside events already in the log:
//
//	org:<BIN>               an organization (an initiator, a data owner, a sender)
//	citizen:<id>            a citizen, by identity's opaque id, never the IIN
//	admin:<id>@<BIN>        a staff member (a citizen id) acting for a body (console)
//	admin:<name>            an operator at the command line (senim admin --as NAME)
//	system                  Senim itself
//
// A subject reference (store.Event.Subject) is a citizen actor's string.
package actor

import (
	"errors"
	"strconv"
	"strings"
)

// Kind is what sort of actor an Actor is.
type Kind uint8

const (
	KindSystem Kind = iota + 1
	KindOrg
	KindCitizen
	KindAdmin
)

// String is the role as the log shows it when the actor is committed to.
func (k Kind) String() string {
	switch k {
	case KindSystem:
		return "system"
	case KindOrg:
		return "org"
	case KindCitizen:
		return "citizen"
	case KindAdmin:
		return "admin"
	}
	return "invalid"
}

// Actor is a parsed actor. The zero value is invalid.
type Actor struct {
	kind Kind
	id   int64  // citizen id (citizen, staff)
	bin  string // organization (org, staff)
	name string // operator's name (admin)
}

// System is Senim itself.
var System = Actor{kind: KindSystem}

// Org is the organization with bin.
func Org(bin string) Actor { return Actor{kind: KindOrg, bin: bin} }

// Citizen is the citizen with identity's opaque id.
func Citizen(id int64) Actor { return Actor{kind: KindCitizen, id: id} }

// Staff is the staff member (a citizen, by id) acting for the body with bin.
func Staff(citizenID int64, bin string) Actor { return Actor{kind: KindAdmin, id: citizenID, bin: bin} }

// Operator is a named operator at the command line.
func Operator(name string) Actor { return Actor{kind: KindAdmin, name: name} }

// Kind reports what sort of actor a is.
func (a Actor) Kind() Kind { return a.kind }

// IsZero reports whether a is the invalid zero value.
func (a Actor) IsZero() bool { return a.kind == 0 }

// BIN is the organization of an org or staff actor.
func (a Actor) BIN() (string, bool) { return a.bin, a.bin != "" }

// CitizenID is the citizen of a citizen or staff actor.
func (a Actor) CitizenID() (int64, bool) {
	return a.id, (a.kind == KindCitizen || a.kind == KindAdmin && a.name == "") && a.id > 0
}

// String is the actor's one string form.
func (a Actor) String() string {
	switch a.kind {
	case KindSystem:
		return "system"
	case KindOrg:
		return "org:" + a.bin
	case KindCitizen:
		return "citizen:" + strconv.FormatInt(a.id, 10)
	case KindAdmin:
		if a.name != "" {
			return "admin:" + a.name
		}
		return "admin:" + strconv.FormatInt(a.id, 10) + "@" + a.bin
	}
	return ""
}

// ErrInvalid is returned by Parse for a string no constructor makes.
var ErrInvalid = errors.New("actor: not a valid actor")

// Parse reads an actor's string form back. It accepts exactly what the constructors
// make (with a non-empty BIN or name and a positive citizen id).
func Parse(s string) (Actor, error) {
	if s == "system" {
		return System, nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Actor{}, ErrInvalid
	}
	switch kind {
	case "org":
		if !printable(rest) || strings.ContainsAny(rest, ":@") {
			return Actor{}, ErrInvalid
		}
		return Org(rest), nil
	case "citizen":
		id, err := positive(rest)
		if err != nil {
			return Actor{}, err
		}
		return Citizen(id), nil
	case "admin":
		if idPart, bin, ok := strings.Cut(rest, "@"); ok {
			id, err := positive(idPart)
			if err != nil || bin == "" || !printable(bin) || strings.ContainsAny(bin, ":@") {
				return Actor{}, ErrInvalid
			}
			return Staff(id, bin), nil
		}
		if !printable(rest) {
			return Actor{}, ErrInvalid
		}
		return Operator(rest), nil
	}
	return Actor{}, ErrInvalid
}

// ParseCitizen reads a subject reference ("citizen:<id>") and returns the citizen id.
func ParseCitizen(s string) (int64, error) {
	a, err := Parse(s)
	if err != nil || a.kind != KindCitizen {
		return 0, ErrInvalid
	}
	return a.id, nil
}

// IsCitizen reports whether s is a citizen's reference.
func IsCitizen(s string) bool {
	_, err := ParseCitizen(s)
	return err == nil
}

func positive(s string) (int64, error) {
	// Canonical decimal only: no sign, no leading zero, so one id has one string.
	if s == "" || s[0] == '0' || len(s) > 19 {
		return 0, ErrInvalid
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrInvalid
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrInvalid
	}
	return id, nil
}

func printable(s string) bool {
	if len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

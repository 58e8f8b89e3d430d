// Package kzid parses and validates Kazakh individual and business identification numbers
// (IIN and BIN, Government Decree No. 406 of 22.05.2007).
//
// A number is valid when it has twelve digits and its check digit holds (with the
// second weighting pass when the first gives 10). Everything else that can be decoded
// from the digits — an IIN's birth date, century and sex, a BIN's registration month,
// entity type and attribute — is checked softly: since 2013 those digits are not
// guaranteed to match the person or company, so a mismatch is reported as a warning
// and never makes the number invalid.
//
// The kind of a number is decided by its fifth digit: an IIN holds the first digit of
// the birth day there (0–3), a BIN its entity type (4 and above). Callers that know the
// kind from context (a certificate's SERIALNUMBER=IIN… field) use ParseIIN or ParseBIN.
package kzid

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what a number identifies.
type Kind string

const (
	KindIIN Kind = "iin" // an individual
	KindBIN Kind = "bin" // a legal entity, branch or joint entrepreneurship
)

// Errors that make a number invalid. Each carries a stable code.
var (
	ErrLength       = &Error{Code: "kzid.length", Msg: "a number must be exactly 12 digits"}
	ErrNotDigits    = &Error{Code: "kzid.not_digits", Msg: "a number may contain only the digits 0-9"}
	ErrCheckDigit   = &Error{Code: "kzid.check_digit", Msg: "the check digit does not match"}
	ErrUnresolvable = &Error{Code: "kzid.check_digit_unresolvable", Msg: "both weighting passes give 10: no number may end this way"}
	errKindConflict = errors.New("kzid: number is not of the requested kind")
)

// Error is an invalid-number error with a stable machine code.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return "kzid: " + e.Msg }

// Soft-check warnings: reported, never a reason to reject.
const (
	WarnBirthDate         = "kzid.iin.birth_date_invalid"     // digits 1-6 are not a calendar date
	WarnBirthInFuture     = "kzid.iin.birth_date_in_future"   // the decoded birth date lies after today
	WarnCenturyUnassigned = "kzid.iin.century_sex_unassigned" // digit 7 is 0, 7, 8 or 9 (0 is used by test data)
	WarnRegMonth          = "kzid.bin.registration_month_invalid"
	WarnRegInFuture       = "kzid.bin.registration_in_future"
	WarnEntityType        = "kzid.bin.entity_type_unassigned" // digit 5 is not 4, 5 or 6 (9 is used by test data)
	WarnAttribute         = "kzid.bin.attribute_unassigned"   // digit 6 is not 0-3
	WarnKindMismatch      = "kzid.kind_mismatch"              // parsed as a kind its digits do not suggest
)

// Number is a parsed IIN or BIN with everything its digits say.
type Number struct {
	Number   string   `json:"number"`
	Kind     Kind     `json:"kind,omitempty"`
	Valid    bool     `json:"valid"`
	Error    string   `json:"error,omitempty"` // stable code when not valid
	Warnings []string `json:"warnings"`

	// IIN fields (decoded softly).
	BirthDate string `json:"birth_date,omitempty"` // YYYY-MM-DD
	Sex       string `json:"sex,omitempty"`        // male | female
	Century   int    `json:"century,omitempty"`    // 19, 20 or 21

	// BIN fields (decoded softly).
	Registered string `json:"registered,omitempty"`  // YYYY-MM
	EntityType string `json:"entity_type,omitempty"` // resident_legal_entity | nonresident_legal_entity | joint_entrepreneurship
	Attribute  string `json:"attribute,omitempty"`   // head_office | branch | representative_office | peasant_farm_joint

	Serial string `json:"serial,omitempty"` // the registration digits before the check digit
}

// Parse decides the kind of number from its fifth digit and decodes it. It never
// returns nil; n.Valid and n.Error say whether the number stands. The clock is used
// only for the "in the future" soft checks; pass nil for time.Now.
func Parse(s string, now func() time.Time) *Number {
	n := &Number{Number: s, Warnings: []string{}}
	err := checkDigits(s)
	if err == nil || err == ErrCheckDigit || err == ErrUnresolvable {
		// Twelve digits: the kind is known even when the check digit fails.
		if s[4] <= '3' {
			n.Kind = KindIIN
		} else {
			n.Kind = KindBIN
		}
	}
	if err != nil {
		n.Error = err.(*Error).Code
		return n
	}
	decode(n, now)
	return n
}

// ParseIIN parses s as an IIN, whatever its fifth digit suggests (a warning says so).
func ParseIIN(s string, now func() time.Time) *Number { return parseAs(s, KindIIN, now) }

// ParseBIN parses s as a BIN, whatever its fifth digit suggests (a warning says so).
func ParseBIN(s string, now func() time.Time) *Number { return parseAs(s, KindBIN, now) }

func parseAs(s string, k Kind, now func() time.Time) *Number {
	n := &Number{Number: s, Kind: k, Warnings: []string{}}
	if err := checkDigits(s); err != nil {
		n.Error = err.(*Error).Code
		return n
	}
	if (s[4] <= '3') != (k == KindIIN) {
		n.Warnings = append(n.Warnings, WarnKindMismatch)
	}
	decode(n, now)
	return n
}

// Validate reports whether s is a valid number of kind k (an empty kind accepts either),
// returning the *Error that makes it invalid. Soft checks do not count.
func Validate(s string, k Kind) error {
	if err := checkDigits(s); err != nil {
		return err
	}
	if k != "" && (s[4] <= '3') != (k == KindIIN) {
		return fmt.Errorf("%w: %s", errKindConflict, k)
	}
	return nil
}

// ValidIIN reports whether s is a 12-digit number with a correct check digit whose
// fifth digit marks an individual.
func ValidIIN(s string) bool { return Validate(s, KindIIN) == nil }

// ValidBIN reports whether s is a 12-digit number with a correct check digit whose
// fifth digit marks an organisation.
func ValidBIN(s string) bool { return Validate(s, KindBIN) == nil }

// CheckDigit computes the check digit of the first eleven digits of s. ok is false when
// s[:11] is not all digits or when both weighting passes give 10.
func CheckDigit(s string) (d byte, ok bool) {
	if len(s) < 11 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 11; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * (i + 1)
	}
	if r := sum % 11; r != 10 {
		return byte(r), true
	}
	sum = 0
	for i := 0; i < 11; i++ {
		w := (i+2)%11 + 1 // 3, 4, ..., 11, 1, 2
		sum += int(s[i]-'0') * w
	}
	if r := sum % 11; r != 10 {
		return byte(r), true
	}
	return 0, false
}

func checkDigits(s string) error {
	if len(s) != 12 {
		// Say "not digits" first when the input is not even numeric: that is the more
		// useful message for a pasted name or a number with spaces.
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return ErrNotDigits
			}
		}
		return ErrLength
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrNotDigits
		}
	}
	d, ok := CheckDigit(s)
	if !ok {
		return ErrUnresolvable
	}
	if s[11]-'0' != d {
		return ErrCheckDigit
	}
	return nil
}

func decode(n *Number, now func() time.Time) {
	n.Valid = true
	if now == nil {
		now = time.Now
	}
	s := n.Number
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	if n.Kind == KindIIN {
		n.Serial = s[7:11]
		dd := int(s[4]-'0')*10 + int(s[5]-'0')
		century := 0
		switch s[6] {
		case '1', '2':
			century = 19
		case '3', '4':
			century = 20
		case '5', '6':
			century = 21
		default:
			n.Warnings = append(n.Warnings, WarnCenturyUnassigned)
		}
		if century != 0 {
			n.Century = century
			if (s[6]-'0')%2 == 1 {
				n.Sex = "male"
			} else {
				n.Sex = "female"
			}
			year := (century-1)*100 + yy
			t := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
			if mm < 1 || mm > 12 || dd < 1 || t.Day() != dd {
				n.Warnings = append(n.Warnings, WarnBirthDate)
			} else {
				n.BirthDate = t.Format(time.DateOnly)
				if t.After(now()) {
					n.Warnings = append(n.Warnings, WarnBirthInFuture)
				}
			}
		} else if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
			n.Warnings = append(n.Warnings, WarnBirthDate)
		}
		return
	}
	n.Serial = s[6:11]
	if mm < 1 || mm > 12 {
		n.Warnings = append(n.Warnings, WarnRegMonth)
	} else {
		// BINs were introduced in 2007 for companies registered since the 1990s; a two-digit
		// year after the current one belongs to the previous century.
		cur := now().UTC()
		year := 2000 + yy
		if year > cur.Year() {
			year -= 100
		}
		t := time.Date(year, time.Month(mm), 1, 0, 0, 0, 0, time.UTC)
		n.Registered = t.Format("2006-01")
		if t.After(cur) {
			n.Warnings = append(n.Warnings, WarnRegInFuture)
		}
	}
	switch s[4] {
	case '4':
		n.EntityType = "resident_legal_entity"
	case '5':
		n.EntityType = "nonresident_legal_entity"
	case '6':
		n.EntityType = "joint_entrepreneurship"
	default:
		n.Warnings = append(n.Warnings, WarnEntityType)
	}
	switch s[5] {
	case '0':
		n.Attribute = "head_office"
	case '1':
		n.Attribute = "branch"
	case '2':
		n.Attribute = "representative_office"
	case '3':
		n.Attribute = "peasant_farm_joint"
	default:
		n.Warnings = append(n.Warnings, WarnAttribute)
	}
}

// Message returns the English explanation of an invalid-number code.
func Message(code string) string {
	for _, e := range []*Error{ErrLength, ErrNotDigits, ErrCheckDigit, ErrUnresolvable} {
		if e.Code == code {
			return e.Msg
		}
	}
	return ""
}

// Complete returns the 12-digit number whose first eleven digits are prefix, with its
// check digit appended; ok is false when no check digit exists for that prefix. It is
// how the sandbox makes demo numbers that pass validation.
func Complete(prefix string) (string, bool) {
	if len(prefix) != 11 {
		return "", false
	}
	d, ok := CheckDigit(prefix)
	if !ok {
		return "", false
	}
	return prefix + string('0'+d), true
}

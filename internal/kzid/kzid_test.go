package kzid

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fixedNow() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func TestParseKnownNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want Number
	}{
		{"871008401427", Number{Kind: KindIIN, Valid: true, BirthDate: "1987-10-08", Sex: "female", Century: 20, Serial: "0142", Warnings: []string{}}},
		{"760212350620", Number{Kind: KindIIN, Valid: true, BirthDate: "1976-02-12", Sex: "male", Century: 20, Serial: "5062", Warnings: []string{}}},
		{"940140000385", Number{Kind: KindBIN, Valid: true, Registered: "1994-01", EntityType: "resident_legal_entity", Attribute: "head_office", Serial: "00038", Warnings: []string{}}},
		{"070941024691", Number{Kind: KindBIN, Valid: true, Registered: "2007-09", EntityType: "resident_legal_entity", Attribute: "branch", Serial: "02469", Warnings: []string{}}},
		// These two need the second weighting pass.
		{"961141000023", Number{Kind: KindBIN, Valid: true, Registered: "1996-11", EntityType: "resident_legal_entity", Attribute: "branch", Serial: "00002", Warnings: []string{}}},
		{"061211600012", Number{Kind: KindIIN, Valid: true, BirthDate: "2006-12-11", Sex: "female", Century: 21, Serial: "0001", Warnings: []string{}}},
		{"871008401428", Number{Kind: KindIIN, Error: "kzid.check_digit", Warnings: []string{}}},
		{"87100840142", Number{Error: "kzid.length", Warnings: []string{}}},
		{"8710084014270", Number{Error: "kzid.length", Warnings: []string{}}},
		{"", Number{Error: "kzid.length", Warnings: []string{}}},
		{"87100840142a", Number{Error: "kzid.not_digits", Warnings: []string{}}},
		{"8710 0840142", Number{Error: "kzid.not_digits", Warnings: []string{}}},
		{"８71008401427", Number{Error: "kzid.not_digits", Warnings: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in, fixedNow)
			want := tt.want
			want.Number = tt.in
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestSoftChecksAreWarningsNotErrors(t *testing.T) {
	tests := []struct {
		prefix string
		kind   Kind
		warn   string
	}{
		{"8713084014", KindIIN, WarnBirthDate},         // month 13
		{"8702304014", KindIIN, WarnBirthDate},         // 30 February
		{"9001010123", KindIIN, WarnCenturyUnassigned}, // century digit 0: the sandbox's demo IINs
		{"3001015123", KindIIN, WarnBirthInFuture},     // born 2030
		{"9413400003", KindBIN, WarnRegMonth},
		{"9401900003", KindBIN, WarnEntityType}, // type digit 9: the sandbox's demo BINs
		{"9401470003", KindBIN, WarnAttribute},
	}
	for _, tt := range tests {
		t.Run(tt.warn, func(t *testing.T) {
			// Find a completion that has a check digit.
			var num string
			for d := '0'; d <= '9' && num == ""; d++ {
				if s, ok := Complete(tt.prefix + string(d)); ok {
					num = s
				}
			}
			if num == "" {
				t.Fatalf("no completion for %s", tt.prefix)
			}
			n := Parse(num, fixedNow)
			if !n.Valid || n.Kind != tt.kind {
				t.Fatalf("Parse(%s) = valid %v kind %s, want valid %s", num, n.Valid, n.Kind, tt.kind)
			}
			if !contains(n.Warnings, tt.warn) {
				t.Errorf("Parse(%s).Warnings = %v, want %s", num, n.Warnings, tt.warn)
			}
		})
	}
}

func TestCertificateTestNumbersFailCheckDigit(t *testing.T) {
	// The NCA test PKI's numbers do not pass the check digit; callers report that.
	for _, s := range []string{"123456789011", "123456789012", "123456789021"} {
		if err := Validate(s, ""); !errors.Is(err, ErrCheckDigit) && !errors.Is(err, ErrUnresolvable) {
			t.Errorf("Validate(%s) = %v, want a check-digit error", s, err)
		}
	}
}

func TestParseAsKind(t *testing.T) {
	n := ParseIIN("940140000385", fixedNow)
	if !n.Valid || n.Kind != KindIIN || !contains(n.Warnings, WarnKindMismatch) {
		t.Errorf("ParseIIN(BIN) = %+v, want valid IIN with a kind-mismatch warning", n)
	}
	if !ValidBIN("940140000385") || ValidIIN("940140000385") {
		t.Error("ValidBIN/ValidIIN disagree with the fifth digit")
	}
	if !ValidIIN("871008401427") || ValidBIN("871008401427") {
		t.Error("ValidIIN/ValidBIN disagree with the fifth digit")
	}
}

// Property: for any eleven-digit prefix, exactly one twelfth digit completes a valid
// number, or none when both weighting passes give 10; Complete finds that digit.
func TestPropertyExactlyOneCheckDigit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	unresolvable := 0
	for range 20000 {
		var b strings.Builder
		for range 11 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		prefix := b.String()
		valid := 0
		for d := byte('0'); d <= '9'; d++ {
			if Validate(prefix+string(d), "") == nil {
				valid++
			}
		}
		s, ok := Complete(prefix)
		switch {
		case ok && (valid != 1 || Validate(s, "") != nil):
			t.Fatalf("prefix %s: Complete gives %s, %d valid completions", prefix, s, valid)
		case !ok && valid != 0:
			t.Fatalf("prefix %s: no check digit, yet %d valid completions", prefix, valid)
		case !ok:
			unresolvable++
			if err := Validate(prefix+"0", ""); !errors.Is(err, ErrUnresolvable) {
				t.Fatalf("prefix %s: Validate = %v, want ErrUnresolvable", prefix, err)
			}
		}
	}
	// About 1 in 11 prefixes needs the second pass, and 1 in 11 of those has none.
	if unresolvable == 0 || unresolvable > 1000 {
		t.Errorf("unresolvable prefixes = %d of 20000, want about 165", unresolvable)
	}
}

// Property: changing the last digit of a valid number always invalidates it.
func TestPropertyLastDigitChange(t *testing.T) {
	for _, s := range []string{"871008401427", "760212350620", "940140000385", "961141000023", "061211600012"} {
		for d := byte('0'); d <= '9'; d++ {
			if d == s[11] {
				continue
			}
			if Validate(s[:11]+string(d), "") == nil {
				t.Errorf("%s with last digit %c validated", s, d)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"871008401427", "940140000385", "961141000023", "", "abc", "12345678901234567890", "900101012345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Parse(s, fixedNow)
		err := Validate(s, "")
		if n.Valid != (err == nil) {
			t.Fatalf("Parse(%q).Valid = %v but Validate = %v", s, n.Valid, err)
		}
		if n.Valid && (n.Kind != KindIIN && n.Kind != KindBIN) {
			t.Fatalf("valid number without a kind: %+v", n)
		}
		if !n.Valid && n.Error == "" {
			t.Fatalf("invalid number without an error code: %+v", n)
		}
	})
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

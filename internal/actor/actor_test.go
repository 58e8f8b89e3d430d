package actor

import (
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, a := range []Actor{System, Org("100000000001"), Citizen(17), Staff(3, "000000000001"), Operator("alice")} {
		s := a.String()
		b, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if b != a || b.String() != s {
			t.Fatalf("Parse(%q) = %#v, want %#v", s, b, a)
		}
	}
}

// The forms are inside events already in the log: they must not change.
func TestFormsAreFixed(t *testing.T) {
	for a, want := range map[Actor]string{
		System:                   "system",
		Org("100000000001"):      "org:100000000001",
		Citizen(17):              "citizen:17",
		Staff(3, "000000000001"): "admin:3@000000000001",
		Operator("alice"):        "admin:alice",
	} {
		if got := a.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", a, got, want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"", "org", "org:", "citizen:", "citizen:0", "citizen:-1", "citizen:017", "citizen:1x",
		"citizen:99999999999999999999", "admin:", "admin:x@", "admin:@1", "admin:0@1", "bank:1", "System", "org:a b",
		"org:1:2", "admin:1@2@3", "citizen:+1", "org:\x00"} {
		if a, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %#v, want an error", s, a)
		}
	}
}

func TestAccessors(t *testing.T) {
	if id, ok := Citizen(5).CitizenID(); !ok || id != 5 {
		t.Fatal("citizen id")
	}
	if _, ok := Org("1").CitizenID(); ok {
		t.Fatal("an org has no citizen id")
	}
	if _, ok := Operator("x").CitizenID(); ok {
		t.Fatal("an operator has no citizen id")
	}
	if bin, ok := Staff(2, "9").BIN(); !ok || bin != "9" {
		t.Fatal("staff bin")
	}
	if id, err := ParseCitizen("citizen:42"); err != nil || id != 42 {
		t.Fatal("ParseCitizen")
	}
	if _, err := ParseCitizen("org:42"); err == nil {
		t.Fatal("ParseCitizen accepted an org")
	}
	if !IsCitizen("citizen:1") || IsCitizen("admin:1@2") {
		t.Fatal("IsCitizen")
	}
	if !(Actor{}).IsZero() || (Actor{}).String() != "" {
		t.Fatal("zero value")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"system", "org:100000000001", "citizen:17", "admin:3@000000000001", "admin:alice", "citizen:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		// Whatever parses prints back to exactly the same string: one actor, one form.
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, a.String())
		}
	})
}

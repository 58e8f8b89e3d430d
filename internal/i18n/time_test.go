package i18n

import (
	"strings"
	"testing"
	"time"
)

// Times show in Kazakhstan's zone (UTC+5 since 2024) in each language's format, with
// the zone named (issue 10 item 3).
func TestWhen(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // 08:04 in Astana
	for lang, want := range map[string]string{
		"kk": "2026 жылғы 2 қаңтар, 08:04 (Астана уақыты, UTC+5)",
		"ru": "2 января 2026 г., 08:04 (время Астаны, UTC+5)",
		"en": "2 January 2026, 08:04 (Astana time, UTC+5)",
	} {
		if got := When(lang, at); got != want {
			t.Errorf("When(%s) = %q, want %q", lang, got, want)
		}
	}
	// The day changes at midnight in Astana, not in UTC.
	if got := Date("en", time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC)); got != "1 April 2026" {
		t.Errorf("Date = %q", got)
	}
	// Before March 2024 Almaty was UTC+6: the offset comes from tzdata, not a constant.
	if got := When("en", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)); !strings.Contains(got, "06:00 (Astana time, UTC+6)") {
		t.Errorf("2023: %q", got)
	}
}

// A consent lasting through a day says the day; one ending at another time says when.
func TestUntil(t *testing.T) {
	endOfDay := time.Date(2027, 3, 1, 18, 59, 59, 0, time.UTC) // 23:59:59 in Astana
	if got := Until("en", endOfDay); got != "1 March 2027" {
		t.Errorf("end of day: %q", got)
	}
	if got := Until("ru", time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)); got != "1 марта 2027 г., 14:00 (время Астаны, UTC+5)" {
		t.Errorf("14:00: %q", got)
	}
	// 23:59:59 UTC is 04:59:59 the next day in Astana: not the end of a day there.
	if got := Until("en", time.Date(2027, 3, 1, 23, 59, 59, 0, time.UTC)); got != "2 March 2027, 04:59 (Astana time, UTC+5)" {
		t.Errorf("23:59:59 UTC: %q", got)
	}
}

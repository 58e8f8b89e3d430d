package i18n

import (
	"fmt"
	"time"
	_ "time/tzdata" // Asia/Almaty even on a machine without a time-zone database
)

// Zone is Kazakhstan's time zone, from the time-zone database embedded in the binary:
// the country has used one zone, UTC+5, since March 2024, and tzdata knows its history.
var Zone = mustZone()

func mustZone() *time.Location {
	loc, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		panic(err) // time/tzdata is linked in: this cannot fail
	}
	return loc
}

// monthKeys are the catalog keys of the months' names in a date ("2 January 2026").
var monthKeys = [...]string{"", "time.m1", "time.m2", "time.m3", "time.m4", "time.m5", "time.m6",
	"time.m7", "time.m8", "time.m9", "time.m10", "time.m11", "time.m12"}

// Date is t's calendar day in Kazakhstan in lang's format: "2026 жылғы 2 қаңтар",
// "2 января 2026 г.", "2 January 2026".
func Date(lang string, t time.Time) string {
	t = t.In(Zone)
	return T(lang, "time.date", t.Day(), T(lang, monthKeys[t.Month()]), t.Year())
}

// When is t in Kazakhstan's time in lang's format, with the zone named:
// "2 January 2026, 08:04 (Astana time, UTC+5)". It is the one way a time is written
// for people: on the cabinet's pages and in notices alike.
func When(lang string, t time.Time) string {
	t = t.In(Zone)
	return T(lang, "time.when", Date(lang, t), t.Format("15:04"), zoneName(lang, t))
}

// Until writes the end of something that lasts (a consent's "valid until"): its day
// alone when it ends with that day in Kazakhstan (23:59:59), as the cabinet's consents
// do, and the time with it otherwise, so that a consent ending at 14:00 is not read as
// lasting through the day.
func Until(lang string, t time.Time) string {
	if l := t.In(Zone); l.Hour() == 23 && l.Minute() == 59 && l.Second() == 59 {
		return Date(lang, t)
	}
	return When(lang, t)
}

// zoneName names the zone with its offset at t, taken from tzdata.
func zoneName(lang string, t time.Time) string {
	_, off := t.Zone()
	h, m := off/3600, (off%3600)/60
	utc := fmt.Sprintf("UTC%+d", h)
	if m != 0 {
		utc += fmt.Sprintf(":%02d", max(m, -m))
	}
	return T(lang, "time.zone", utc)
}

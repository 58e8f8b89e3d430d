package identity

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

const binBank = "940140000385"

func bank() Organization {
	return Organization{BIN: binBank, Name: "Bank JSC", Role: "bank",
		Names:   Names{KK: "«Банк» АҚ", RU: "АО «Банк»", EN: "Bank JSC"},
		Systems: []InformationSystem{{"core", "Core banking"}, {"loans", "Retail lending"}}}
}

// counts is how many organisation events and history rows the database holds.
func counts(t *testing.T, db *store.DB) (events, history int) {
	t.Helper()
	ctx := t.Context()
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE type = ?`, EvOrganizationSet).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pd_directory_history WHERE kind = ?`, EntryOrganization).Scan(&history); err != nil {
		t.Fatal(err)
	}
	return events, history
}

// The authorized body registers and renames organisations: one history row and one
// event per change, none for a put that changes nothing, and what notices read
// (OrganizationByBIN, NameIn) is the new name at once.
func TestPutOrganization(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		s := NewDirectory(db, func() time.Time { return now })

		got, err := s.PutOrganization(ctx, "admin:alice", bank())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(bank(), *got, cmpopts.IgnoreFields(Organization{}, "ID")); diff != "" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		if e, h := counts(t, db); e != 1 || h != 1 {
			t.Fatalf("after the creation: %d events, %d history rows; want 1 and 1", e, h)
		}

		// A rename in every language, one system renamed, one dropped, one added.
		now = now.Add(time.Hour)
		renamed := Organization{BIN: binBank, Name: "New Bank JSC", Role: "bank",
			Names:   Names{KK: "«Жаңа Банк» АҚ", RU: "АО «Новый Банк»", EN: "New Bank JSC"},
			Systems: []InformationSystem{{"cards", "Cards"}, {"core", "Core banking v2"}}}
		if _, err := s.PutOrganization(ctx, "admin:bob", renamed); err != nil {
			t.Fatal(err)
		}
		o, err := s.OrganizationByBIN(ctx, binBank)
		if err != nil {
			t.Fatal(err)
		}
		for lang, want := range map[string]string{"kk": "«Жаңа Банк» АҚ", "ru": "АО «Новый Банк»", "en": "New Bank JSC"} {
			if got := o.NameIn(lang); got != want {
				t.Errorf("NameIn(%s) after the rename = %q, want %q", lang, got, want)
			}
		}
		wantSystems := []InformationSystem{{"core", "Core banking v2"}, {"cards", "Cards"}} // by id: core kept its row
		if diff := cmp.Diff(wantSystems, o.Systems); diff != "" {
			t.Errorf("systems after the rename (-want +got):\n%s", diff)
		}
		if e, h := counts(t, db); e != 2 || h != 2 {
			t.Fatalf("after the rename: %d events, %d history rows; want 2 and 2", e, h)
		}

		// The same again, systems in another order and with stray spaces: nothing written.
		again := renamed
		again.Name = " New Bank JSC "
		again.Systems = []InformationSystem{{"core", "Core banking v2"}, {"cards", "Cards"}}
		if _, err := s.PutOrganization(ctx, "admin:carol", again); err != nil {
			t.Fatal(err)
		}
		if e, h := counts(t, db); e != 2 || h != 2 {
			t.Errorf("an identical put wrote: %d events, %d history rows; want 2 and 2", e, h)
		}

		hist, err := s.OrganizationHistory(ctx, binBank)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Actor != "admin:alice" || hist[1].Actor != "admin:bob" || hist[1].Organization.Name != "New Bank JSC" ||
			!hist[1].At.Equal(now) || len(hist[1].Organization.Systems) != 2 {
			t.Errorf("history = %+v", hist)
		}
		// The sandbox's EnsureOrganization leaves a registered organisation as it is.
		if _, created, err := s.EnsureOrganization(ctx, Organization{BIN: binBank, Name: "Other", Role: "insurer"}); err != nil || created {
			t.Errorf("EnsureOrganization over a registered one: %v %v", created, err)
		}
		if o, _ := s.OrganizationByBIN(ctx, binBank); o.Name != "New Bank JSC" || o.Role != "bank" {
			t.Errorf("EnsureOrganization changed it: %+v", o)
		}

		// The events and history name the organisation by BIN and the actor only: the
		// only 12-digit number in them is the BIN, so no IIN.
		twelve := regexp.MustCompile(`[0-9]{12}`)
		check := func(what, text string) {
			for _, n := range twelve.FindAllString(text, -1) {
				if n != binBank {
					t.Errorf("%s holds %s, not the BIN: %s", what, n, text)
				}
			}
			if !strings.Contains(text, binBank) {
				t.Errorf("%s does not name the BIN: %s", what, text)
			}
		}
		rows, err := db.QueryContext(ctx, `SELECT payload, actor FROM outbox_events WHERE type = ? ORDER BY id`, EvOrganizationSet)
		if err != nil {
			t.Fatal(err)
		}
		var actors []string
		for rows.Next() {
			var p []byte
			var a string
			if err := rows.Scan(&p, &a); err != nil {
				t.Fatal(err)
			}
			check("event", string(p))
			var v struct {
				BIN string       `json:"bin"`
				Org Organization `json:"organization"`
			}
			if err := json.Unmarshal(p, &v); err != nil || v.BIN != binBank || v.Org.Role != "bank" {
				t.Errorf("event payload %s: %v", p, err)
			}
			actors = append(actors, a)
		}
		rows.Close()
		if diff := cmp.Diff([]string{"admin:alice", "admin:bob"}, actors); diff != "" {
			t.Errorf("event actors (-want +got):\n%s", diff)
		}
		rows, err = db.QueryContext(ctx, `SELECT state FROM pd_directory_history WHERE kind = ?`, EntryOrganization)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			rows.Scan(&st)
			check("history", st)
		}
		rows.Close()

		// Every organisation's history at once (the console's page): the same, by BIN;
		// an organisation without a change has none.
		other := Organization{BIN: "050490000015", Name: "Police", Role: "law_enforcement", Names: Names{KK: "Полиция", RU: "Полиция"}}
		if _, err := s.PutOrganization(ctx, "admin:dan", other); err != nil {
			t.Fatal(err)
		}
		police, _ := s.OrganizationHistory(ctx, other.BIN)
		all, err := s.OrganizationHistories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string][]OrganizationChange{binBank: hist, other.BIN: police}, all); d != "" || len(police) != 1 {
			t.Errorf("OrganizationHistories (-want +got):\n%s", d)
		}
		if h, err := s.OrganizationHistory(ctx, "990140000002"); err != nil || h == nil || len(h) != 0 {
			t.Errorf("an organisation without changes: %+v, %v", h, err)
		}
	})
}

// Concurrent identical puts of a new organisation create it once: one history row and
// one event, whichever transaction wins the insert.
func TestPutOrganizationConcurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := NewDirectory(db, nil)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = s.PutOrganization(t.Context(), "admin:alice", bank()) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if e, h := counts(t, db); e != 1 || h != 1 {
			t.Errorf("%d events, %d history rows; want 1 and 1", e, h)
		}
		if o, err := s.OrganizationByBIN(t.Context(), binBank); err != nil || len(o.Systems) != 2 {
			t.Errorf("%+v %v", o, err)
		}
	})
}

// Every check refuses with identity.organization.invalid naming the field, and
// changes nothing.
func TestPutOrganizationInvalid(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := NewDirectory(db, nil)
		if _, err := s.PutOrganization(ctx, "admin:alice", bank()); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("я", MaxOrgName+1)
		many := make([]InformationSystem, MaxSystems+1)
		for i := range many {
			many[i] = InformationSystem{Code: "s" + strings.Repeat("x", i%50) + string(rune('a'+i%26)), Name: "S"}
		}
		for _, c := range []struct {
			name, field string
			edit        func(o *Organization)
		}{
			{"an IIN as BIN", "bin", func(o *Organization) { o.BIN = "871008401427" }},
			{"a BIN with a bad check digit", "bin", func(o *Organization) { o.BIN = "940140000386" }},
			{"no name", "name", func(o *Organization) { o.Name = "  " }},
			{"no Kazakh name", "names.kk", func(o *Organization) { o.Names.KK = "" }},
			{"no Russian name", "names.ru", func(o *Organization) { o.Names.RU = "" }},
			{"a name too long", "name", func(o *Organization) { o.Name = long }},
			{"a Kazakh name too long", "names.kk", func(o *Organization) { o.Names.KK = long }},
			{"a Russian name too long", "names.ru", func(o *Organization) { o.Names.RU = long }},
			{"an English name too long", "names.en", func(o *Organization) { o.Names.EN = long }},
			{"not UTF-8", "name", func(o *Organization) { o.Name = "Bank \xff" }},
			{"no role", "role", func(o *Organization) { o.Role = "" }},
			{"an unknown role", "role", func(o *Organization) { o.Role = "pirate" }},
			{"a system without a code", "information_systems", func(o *Organization) { o.Systems = []InformationSystem{{"", "Core"}} }},
			{"a system code with a space", "information_systems", func(o *Organization) { o.Systems = []InformationSystem{{"co re", "Core"}} }},
			{"a system code too long", "information_systems", func(o *Organization) {
				o.Systems = []InformationSystem{{strings.Repeat("c", MaxSystemCode+1), "Core"}}
			}},
			{"a system without a name", "information_systems", func(o *Organization) { o.Systems = []InformationSystem{{"core", " "}} }},
			{"a system name too long", "information_systems", func(o *Organization) { o.Systems = []InformationSystem{{"core", long}} }},
			{"a duplicate system code", "information_systems", func(o *Organization) {
				o.Systems = []InformationSystem{{"core", "Core"}, {"core", "Core again"}}
			}},
			{"too many systems", "information_systems", func(o *Organization) { o.Systems = many }},
		} {
			t.Run(c.name, func(t *testing.T) {
				o := bank()
				o.Name, o.Names.EN = "Renamed", "Renamed" // a change, were it valid
				c.edit(&o)
				_, err := s.PutOrganization(ctx, "admin:mallory", o)
				var p *problem.Problem
				if !errors.Is(err, ErrInvalidOrg) || !errors.As(err, &p) || p.Extra["field"] != c.field {
					t.Fatalf("err = %v (%+v), want %s on field %s", err, p, ErrInvalidOrg.Code, c.field)
				}
				got, err := s.OrganizationByBIN(ctx, binBank)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(bank(), *got, cmpopts.IgnoreFields(Organization{}, "ID")); diff != "" {
					t.Errorf("changed (-want +got):\n%s", diff)
				}
				if e, h := counts(t, db); e != 1 || h != 1 {
					t.Errorf("%d events, %d history rows; want 1 and 1", e, h)
				}
			})
		}
		// An English name is optional: it falls back to the registered name.
		o := bank()
		o.Names.EN = ""
		if got, err := s.PutOrganization(ctx, "admin:alice", o); err != nil || got.NameIn("en") != "Bank JSC" {
			t.Errorf("without an English name: %+v, %v", got, err)
		}
	})
}

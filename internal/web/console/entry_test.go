package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web/webtest"
)

// DirectoryHistory: every entry of the fake has a creation by the system and an edit
// by staff member 5; a deleted one ends with its deletion.
func (f *fakeDirs) DirectoryHistory(_ context.Context, kind, key string) ([]pd.DirectoryChange, error) {
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	if !strings.HasPrefix(key, "o") && !slices.Contains([]string{"CPC-199", "ORD-12", "ORD-13", "LOAN-KYC", "100000000002", "100000000009"}, key) {
		return []pd.DirectoryChange{}, nil // never existed
	}
	var first, second map[string]any
	switch kind {
	case pd.EntryGround:
		first = map[string]any{"code": key, "titles": map[string]any{"kk": "Тергеу", "ru": "Расследование", "en": "Investigation"}, "notify": "now", "legal_ref": "CPC 199"}
		second = map[string]any{"code": key, "titles": map[string]any{"kk": "Тергеу", "ru": "Расследование", "en": "Investigation"}, "notify": "period", "notify_period_seconds": 2592000.0, "legal_ref": "CPC 199"}
	case pd.EntryObject:
		first = map[string]any{"id": key, "kind": "platform", "status": "trusted", "certificate_expires": "2028-01-01T00:00:00Z"}
		second = map[string]any{"id": key, "kind": "information_system", "status": "suspended", "certificate_expires": "2028-01-01T00:00:00Z"}
	case pd.EntryService:
		first = map[string]any{"code": key, "consent_methods": []any{"eds"}, "bins": []any{"100000000001"}}
		second = map[string]any{"code": key, "consent_methods": []any{"biometric", "eds", "paper"}, "bins": []any{"100000000001"}}
	case pd.EntryOwner:
		first = map[string]any{"bin": key, "name": "Тізілім", "sender_constraint": true, "data_sets": []any{map[string]any{"code": "identity", "title": "Identity", "titles": map[string]any{"kk": "Жеке куәлік", "ru": "Удостоверение личности", "en": "Identity card"}}}}
		second = map[string]any{"bin": key, "name": "Тізілім", "sender_constraint": false, "data_sets": first["data_sets"]}
	case pd.EntryPermission:
		first = map[string]any{"bin": key, "grounds": []any{"CPC-199"}}
		second = map[string]any{"bin": key, "grounds": []any{"CPC-199", "ORD-12"}}
	default:
		return nil, pd.ErrInvalidDirectory
	}
	b1, _ := json.Marshal(first)
	b2, _ := json.Marshal(second)
	out := []pd.DirectoryChange{{Kind: kind, Entry: key, State: b1, Actor: "system", At: at},
		{Kind: kind, Entry: key, State: b2, Actor: "admin:5@" + webtest.RegulatorBIN, At: at.Add(time.Hour)}}
	if slices.Contains(f.deleted, kind+"/"+key) {
		out = append(out, pd.DirectoryChange{Kind: kind, Entry: key, State: b2, Deleted: true, Actor: "admin:5@" + webtest.RegulatorBIN, At: at.Add(2 * time.Hour)})
	}
	return out, nil
}

func (f *fakeDirs) DeleteEntry(_ context.Context, actor, kind, key string) error {
	if slices.Contains(f.deleted, kind+"/"+key) {
		return pd.ErrNotFound
	}
	if kind == pd.EntryOwner {
		return pd.ErrInvalidDirectory.With("field", "entry")
	}
	f.deleted = append(f.deleted, kind+"/"+key)
	f.writes = append(f.writes, actor+": delete "+kind+" "+key)
	return nil
}

func (f *fakeDirs) DeletedEntries(context.Context) ([]pd.DeletedEntry, error) {
	var out []pd.DeletedEntry
	for _, d := range f.deleted {
		kind, key, _ := strings.Cut(d, "/")
		out = append(out, pd.DeletedEntry{Kind: kind, Key: key, Name: key})
	}
	return out, nil
}

// TestEntryEditHistoryDelete: each directory entry opens on its own page with its form
// filled in (selects and checkboxes from the directories, not comma-separated text), its
// change history (who, when, what) and a deletion that asks for confirmation first and
// is kept in the history (rule TR-1). Unknown kinds and keys are not found; a data owner
// still in use is refused with the page kept; nothing changes without confirmation.
func TestEntryEditHistoryDelete(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	console := h.Get("/console?lang=en", s).Body.String()
	for _, want := range []string{`href="/console/entries/object/obj-1"`, `href="/console/entries/ground/CPC-199"`, `href="/console/entries/permission/100000000009"`,
		`href="/console/entries/service/LOAN-KYC"`, `href="/console/entries/owner/100000000002"`, `href="/console/entries/ground/new"`} {
		if !strings.Contains(console, want) {
			t.Errorf("console: no %s", want)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"/console/entries/ground/CPC-199", `id="ground-code" name="code" required maxlength="40" value="CPC-199" readonly`},
		// The law in each language: a form the directory lacks (Russian) is left to fill,
		// English shows the reference as cited, which a notice in English cites.
		{"/console/entries/ground/CPC-199", `name="legal_ref_kk" required maxlength="300" lang="kk" value="ҚР ҚПК 199-бабы"`},
		{"/console/entries/ground/CPC-199", `name="legal_ref_ru" required maxlength="300" lang="ru" value=""`},
		{"/console/entries/ground/CPC-199", `value="CPC RK art. 199"`},
		{"/console/entries/object/obj-1", `<option value="100000000001" selected>Bank of Tests`},
		{"/console/entries/permission/100000000009", `value="CPC-199" id="perm-ground-0" checked`},
		{"/console/entries/service/LOAN-KYC", `value="identity" id="svc-ds-0-0" checked`},
		{"/console/entries/owner/100000000002", `id="ds-kk-0" name="ds_kk" maxlength="200" lang="kk" value="Жеке куәлік"`},
		{"/console/entries/service/new", `value="eds" id="svc-method-eds" checked`},
	} {
		w := h.Get(tc.path+"?lang=en", s)
		if w.Code != 200 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d, no %s", tc.path, w.Code, tc.want)
		}
	}
	// The history says who changed what, newest first.
	page := h.Get("/console/entries/ground/CPC-199?lang=en", s).Body.String()
	for _, want := range []string{`id="entry-history"`, i18n.T("en", "console.actor.staff", "5@"+webtest.RegulatorBIN), i18n.T("en", "console.actor.system"),
		i18n.T("en", "console.field.notify") + ": " + i18n.T("en", "notify.period"), i18n.T("en", "console.field.notify_period_seconds") + ": 2592000"} {
		if !strings.Contains(page, want) {
			t.Errorf("ground history: no %q", want)
		}
	}
	if strings.Index(page, i18n.T("en", "console.entry.changed")) > strings.Index(page, i18n.T("en", "console.entry.created")) {
		t.Error("the history is not newest first")
	}
	if svc := h.Get("/console/entries/service/LOAN-KYC?lang=en", s).Body.String(); !strings.Contains(svc, i18n.T("en", "console.method.biometric")) {
		t.Error("the service history does not name the consent methods")
	}
	for _, p := range []string{"/console/entries/nope/x", "/console/entries/ground/NOPE", "/console/entries/object/nope/delete", "/console/entries/nope/x/delete"} {
		if w := h.Get(p, s); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	// Deleting: the question first, nothing changed without the confirmation.
	w := h.Get("/console/entries/ground/CPC-199/delete?lang=en", s)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "console.delete.effect.ground")) || !strings.Contains(w.Body.String(), `name="confirmed" value="yes"`) {
		t.Errorf("delete confirmation: %d", w.Code)
	}
	if w := h.Post("/console/entries/ground/CPC-199/delete?lang=en", nil, s); w.Code != 200 || !strings.Contains(w.Body.String(), `id="delete-confirm"`) || len(f.writes) != 0 {
		t.Errorf("delete without confirmation: %d, %q", w.Code, f.writes)
	}
	if w := h.Post("/console/entries/nope/x/delete", url.Values{"confirmed": {"yes"}}, s); w.Code != http.StatusNotFound || len(f.writes) != 0 {
		t.Errorf("delete of an unknown kind: %d", w.Code)
	}
	// A data owner still in use: refused, the entry page with the reason.
	w = h.Post("/console/entries/owner/100000000002/delete?lang=en", url.Values{"confirmed": {"yes"}}, s)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `id="owner-form"`) || len(f.writes) != 0 {
		t.Errorf("delete of an owner in use: %d, %q", w.Code, f.writes)
	}
	// A citizen cannot delete.
	c := h.Citizen("900101300001", "A")
	if w := h.Post("/console/entries/ground/CPC-199/delete", url.Values{"confirmed": {"yes"}}, c); w.Code != http.StatusForbidden || len(f.writes) != 0 {
		t.Errorf("a citizen deleted: %d", w.Code)
	}
	w = h.Post("/console/entries/ground/CPC-199/delete?lang=en", url.Values{"confirmed": {"yes"}}, s)
	if w.Code != 200 || !strings.Contains(w.Body.String(), i18n.T("en", "console.deleted")) || len(f.writes) != 1 || !strings.HasSuffix(f.writes[0], "delete ground CPC-199") {
		t.Fatalf("delete: %d %q", w.Code, f.writes)
	}
	if !strings.Contains(w.Body.String(), `id="deleted-ground-CPC-199"`) {
		t.Error("the deleted entry is not listed")
	}
	// A replayed deletion changes nothing more.
	if w := h.Post("/console/entries/ground/CPC-199/delete", url.Values{"confirmed": {"yes"}}, s); w.Code != http.StatusNotFound || len(f.writes) != 1 {
		t.Errorf("replayed delete: %d, %q", w.Code, f.writes)
	}
}

// TestEntriesReadable: every entry page, its history and its deletion question in every
// language.
func TestEntriesReadable(t *testing.T) {
	h, f := mount(t)
	f.all = true
	s := h.Staff("900101300003", "Staff")
	f.deleted = []string{"object/o00"}
	for _, lang := range i18n.Langs {
		for _, p := range []string{"/console/entries/ground/CPC-199", "/console/entries/object/obj-1", "/console/entries/permission/100000000009",
			"/console/entries/service/LOAN-KYC", "/console/entries/owner/100000000002", "/console/entries/ground/new", "/console/entries/service/new",
			"/console/entries/owner/new", "/console/entries/permission/new", "/console/entries/object/new", "/console/entries/ground/CPC-199/delete",
			"/console/entries/object/obj-1/delete", "/console/entries/service/LOAN-KYC/delete", "/console/entries/owner/100000000002/delete",
			"/console/entries/permission/100000000009/delete", "/console"} {
			w := h.Get(p+"?lang="+lang, s)
			if w.Code != 200 {
				t.Errorf("%s: %d", p, w.Code)
			}
			webtest.Readable(t, p, lang, w.Body.String())
		}
	}
}

// TestOwnerFormNamesAndRows: a data owner is entered with its name in each language and
// its data sets as rows (a code and a title per language), never as comma-separated
// text; empty rows are skipped; no data set at all is refused next to the rows.
func TestOwnerFormNamesAndRows(t *testing.T) {
	h, f := mount(t)
	s := h.Staff("900101300003", "Staff")
	w := h.Post("/console/owners?lang=en", url.Values{"bin": {"100000000002"}, "name": {"Register"}, "name_kk": {"Тізілім"}, "name_ru": {"Регистр"},
		"ds_code": {"identity", "", "address"}, "ds_kk": {"Жеке куәлік", "", "Мекенжай"}, "ds_ru": {"Удостоверение", "", "Адрес"}, "ds_en": {"Identity", "", "Address"},
		"sender_constraint": {"true"}}, s)
	o := f.lastOwner
	if w.Code != 200 || o.Names.KK != "Тізілім" || o.Names.RU != "Регистр" || o.Names.EN != "" || len(o.DataSets) != 2 ||
		o.DataSets[1].Code != "address" || o.DataSets[1].Titles.KK != "Мекенжай" || !o.Constrained() {
		t.Errorf("owner put: %d %+v", w.Code, o)
	}
	// No data set at all: refused next to the rows.
	n := len(f.writes)
	w = h.Post("/console/owners?lang=en", url.Values{"bin": {"100000000002"}, "name": {"Register"}, "ds_code": {""}, "ds_kk": {""}, "ds_ru": {""}, "ds_en": {""}}, s)
	if w.Code != 400 || len(f.writes) != n || !strings.Contains(w.Body.String(), `href="#owner-data_sets"`) {
		t.Errorf("owner without data sets: %d", w.Code)
	}
	// The edit page shows the names in each language.
	if page := h.Get("/console/entries/owner/100000000002?lang=en", s).Body.String(); !strings.Contains(page, `id="owner-name_kk" name="name_kk"`) {
		t.Error("no Kazakh name field on the owner's page")
	}
}

// Every member a directory entry's history can hold has a label in each language: a
// member added to an entry without one showed its catalog key on the history page.
func TestHistoryFieldsLabelled(t *testing.T) {
	for _, v := range []any{pd.Ground{}, pd.DataOwner{}, pd.ServiceCode{}, pd.TrustedObject{}, map[string]any{"bin": "", "grounds": nil}} {
		var keys []string
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				keys = append(keys, k)
			}
		} else {
			rt := reflect.TypeOf(v)
			for i := range rt.NumField() {
				name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
				keys = append(keys, name)
			}
		}
		for _, k := range keys {
			if k == "updated_by" || k == "updated_at" || k == "active" || k == "" || k == "-" {
				continue
			}
			for _, lang := range []string{"kk", "ru", "en"} {
				if !i18n.Has(lang, "console.field."+k) {
					t.Errorf("%T member %q has no label in %s", v, k, lang)
				}
			}
		}
	}
}

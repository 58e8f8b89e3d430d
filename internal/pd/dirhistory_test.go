package pd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule TR-1: every change of every directory entry is kept with who made it and when,
// deletions too; a deleted entry stops being used at once (a deleted service issues no
// token, a deleted ground and a withdrawn permission allow no protocol access), and is
// restored by putting it again; bad kinds, unknown keys, a data owner still named by a
// live service are refused and change nothing.
func TestDirectoryHistoryAndSoftDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		s := f.svc
		bank := orgOf(t, binBank, ca.GOST2015)

		// The seed's puts are in the history.
		for _, e := range []struct{ kind, key string }{{EntryOwner, binRegister}, {EntryService, "LOAN-KYC"}, {EntryGround, "CPC-199"}, {EntryPermission, binPolice}} {
			h, err := s.DirectoryHistory(ctx, e.kind, e.key)
			if err != nil || len(h) != 1 || h[0].Actor != actorAdmin || h[0].Deleted || h[0].At.IsZero() || !json.Valid(h[0].State) {
				t.Errorf("%s %s history = %+v, %v", e.kind, e.key, h, err)
			}
		}
		// An edit is a second entry with what it became.
		f.now = f.now.Add(time.Minute)
		if _, err := s.PutGround(ctx, "admin:2@"+binRegulator, Ground{Code: "CPC-199", Titles: Titles{"ҚПК 199-бап", "УПК ст. 199", "CPC art. 199"}, LegalRef: "CPC RK art. 199"}); err != nil {
			t.Fatal(err)
		}
		h, _ := s.DirectoryHistory(ctx, EntryGround, "CPC-199")
		var g Ground
		if len(h) != 2 || json.Unmarshal(h[1].State, &g) != nil || g.Titles.KK != "ҚПК 199-бап" || h[1].Actor != "admin:2@"+binRegulator || !h[1].At.After(h[0].At) {
			t.Errorf("edit history = %+v", h)
		}

		// Refused, nothing changed.
		before := countEvents(t, db, "pd.directory.entry.deleted")
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, "nope", "x"), "pd.directory.invalid", "")
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, EntryService, "NO-SUCH"), "pd.not_found", "")
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, EntryObject, "no-such"), "pd.not_found", "")
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, EntryPermission, "123"), "pd.not_found", "")
		wantCode(t, s.DeleteEntry(ctx, "", EntryGround, "CPC-199"), "pd.forbidden", "")
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, EntryOwner, binRegister), "pd.directory.invalid", "") // LOAN-KYC names it
		_, err := s.DirectoryHistory(ctx, "nope", "x")
		wantCode(t, err, "pd.directory.invalid", "")
		if countEvents(t, db, "pd.directory.entry.deleted") != before {
			t.Fatal("a refused deletion emitted an event")
		}

		// Delete the service: flow 1 on it is refused at once; the history says so.
		f.consent(binBank)
		if err := s.DeleteEntry(ctx, actorAdmin, EntryService, "LOAN-KYC"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Proactive(ctx, bank.caller, f.vt(bank, nil)); err == nil {
			t.Error("a deleted service still issues tokens")
		}
		wantCode(t, s.DeleteEntry(ctx, actorAdmin, EntryService, "LOAN-KYC"), "pd.not_found", "") // already deleted
		if h, _ := s.DirectoryHistory(ctx, EntryService, "LOAN-KYC"); len(h) != 2 || !h[1].Deleted || h[1].Actor != actorAdmin {
			t.Errorf("service history after deletion = %+v", h)
		}
		// Now the owner may go; it is gone from the directory but kept.
		if err := s.DeleteEntry(ctx, actorAdmin, EntryOwner, binRegister); err != nil {
			t.Fatal(err)
		}
		if owners, _ := s.DataOwners(ctx); len(owners) != 0 {
			t.Errorf("a deleted owner is listed: %+v", owners)
		}
		// The ground and the permission: protocol access stops.
		if err := s.DeleteEntry(ctx, actorAdmin, EntryPermission, binPolice); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.ProtocolPermissions(ctx); len(p[binPolice]) != 0 {
			t.Errorf("permissions after deletion: %v", p)
		}
		if err := s.DeleteEntry(ctx, actorAdmin, EntryGround, "ORD-12"); err != nil {
			t.Fatal(err)
		}
		del, err := s.DeletedEntries(ctx)
		if err != nil || len(del) != 3 {
			t.Errorf("deleted entries = %+v, %v", del, err)
		}
		if countEvents(t, db, "pd.directory.entry.deleted") != before+4 {
			t.Error("deletions without their events")
		}
		// A trusted object: deleted, it no longer vouches; put again, it is back.
		o := TrustedObject{ID: "bank-app", Kind: KindInformationSystem, OwnerBIN: binBank, Name: "Bank app", Status: StatusTrusted,
			CertNumber: "№ 7", CertExpires: f.now.AddDate(1, 0, 0)}
		if _, err := s.PutTrustedObject(ctx, actorAdmin, o); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteEntry(ctx, actorAdmin, EntryObject, "bank-app"); err != nil {
			t.Fatal(err)
		}
		if objs, _ := s.TrustedObjects(ctx, binBank); len(objs) != 0 {
			t.Errorf("a deleted object is listed: %+v", objs)
		}
		if _, err := s.TrustedObject(ctx, "bank-app"); err == nil {
			t.Error("a deleted object is found")
		}
		if _, err := s.PutTrustedObject(ctx, actorAdmin, o); err != nil {
			t.Fatal(err)
		}
		if objs, _ := s.TrustedObjects(ctx, binBank); len(objs) != 1 {
			t.Errorf("a restored object is not listed: %+v", objs)
		}
		if h, _ := s.DirectoryHistory(ctx, EntryObject, "bank-app"); len(h) != 3 || h[0].Deleted || !h[1].Deleted || h[2].Deleted {
			t.Errorf("object history = %+v", h)
		}
	})
}

// Oversize or broken names and titles are refused with the field named, and nothing is
// stored.
func TestDirectoryOversize(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		long := strings.Repeat("ж", MaxName+1)
		before, _ := f.svc.DirectoryHistory(ctx, EntryOwner, binRegister)
		_, err := f.svc.PutDataOwner(ctx, actorAdmin, DataOwner{BIN: binRegister, Name: "R", Names: Titles{KK: long}, DataSets: []DataSet{{Code: "identity", Title: "I"}}})
		wantCode(t, err, "pd.directory.invalid", "")
		_, err = f.svc.PutDataOwner(ctx, actorAdmin, DataOwner{BIN: binRegister, Name: "R", DataSets: []DataSet{{Code: "identity", Title: long}}})
		wantCode(t, err, "pd.directory.invalid", "")
		_, err = f.svc.PutServiceCode(ctx, actorAdmin, ServiceCode{Code: "LOAN-KYC", Title: "bad \xff", Owner: binRegister})
		wantCode(t, err, "pd.directory.invalid", "")
		_, err = f.svc.PutGround(ctx, actorAdmin, Ground{Code: "CPC-199", Titles: Titles{KK: long, RU: "р", EN: "e"}, LegalRef: "x"})
		wantCode(t, err, "pd.directory.invalid", "")
		_, err = f.svc.PutTrustedObject(ctx, actorAdmin, TrustedObject{ID: "app", Kind: KindPlatform, OwnerBIN: binBank, Name: long, Status: StatusSuspended})
		wantCode(t, err, "pd.trusted_object.invalid", "TR-1")
		if after, _ := f.svc.DirectoryHistory(ctx, EntryOwner, binRegister); len(after) != len(before) {
			t.Error("a refused put changed the history")
		}
		if _, err := f.svc.TrustedObject(ctx, "app"); err == nil {
			t.Error("an oversize object was stored")
		}
	})
}

// rule PD-6.2.4: the ground of an access without consent is shown to the subject, so a
// legal ground of the directory (PD-6.2.1) keeps its legal reference in each of the
// cabinet's languages on both engines; a language without its own form cites the reference as the authorized body
// does; a ground given only the languages' forms is cited as in Russian; an oversize
// form is refused and nothing is stored.
func TestGroundLegalRefs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := t.Context()
		refs := Titles{KK: "ҚР ҚПК 199-бабы", RU: "УПК РК, статья 199"}
		if _, err := f.svc.PutGround(ctx, actorAdmin, Ground{Code: "CPC-199", Titles: Titles{"ҚПК 199", "УПК 199", "CPC art. 199"},
			LegalRef: "CPC RK art. 199", LegalRefs: refs}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PutGround(ctx, actorAdmin, Ground{Code: "ORD-12", Titles: Titles{"ЖІҚ", "ОРД", "Covert"},
			LegalRefs: Titles{KK: "ЖІҚ туралы Заңның 12-бабы", RU: "Закон об ОРД, статья 12"}}); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.PutGround(ctx, actorAdmin, Ground{Code: "CPC-199", Titles: Titles{"ҚПК 199", "УПК 199", "CPC art. 199"},
			LegalRef: "CPC RK art. 199", LegalRefs: Titles{RU: strings.Repeat("ж", MaxName+1)}})
		wantCode(t, err, "pd.directory.invalid", "")
		_, err = f.svc.PutGround(ctx, actorAdmin, Ground{Code: "NONE-1", Titles: Titles{"Ж", "О", "C"}})
		wantCode(t, err, "pd.directory.invalid", "")

		gs, err := f.svc.Grounds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]Ground{}
		for _, g := range gs {
			byCode[g.Code] = g
		}
		cpc, ord := byCode["CPC-199"], byCode["ORD-12"]
		if cpc.LegalRefs != refs || cpc.LegalRef != "CPC RK art. 199" {
			t.Fatalf("stored %q %+v", cpc.LegalRef, cpc.LegalRefs)
		}
		for lang, want := range map[string]string{"kk": refs.KK, "ru": refs.RU, "en": "CPC RK art. 199", "": "CPC RK art. 199"} {
			if got := cpc.LegalRefIn(lang); got != want {
				t.Errorf("LegalRefIn(%q) = %q, want %q", lang, got, want)
			}
		}
		if ord.LegalRef != "Закон об ОРД, статья 12" || ord.LegalRefIn("kk") != "ЖІҚ туралы Заңның 12-бабы" {
			t.Errorf("a ground given only its languages' forms: %q, kk %q", ord.LegalRef, ord.LegalRefIn("kk"))
		}
		if _, ok := byCode["NONE-1"]; ok {
			t.Error("a ground without any legal reference was stored")
		}
	})
}

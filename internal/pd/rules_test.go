package pd

import (
	"errors"
	"testing"

	"github.com/senimkz/senim/internal/store/storetest"
)

// rule TR-1: a trusted object's status changes through the domain, keeping the rest
// of the entry; an unknown object or status is refused and nothing changes.
func TestSetTrustedObjectStatus(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	ctx, s := t.Context(), f.svc
	o := TrustedObject{ID: "bank-app", Kind: KindInformationSystem, OwnerBIN: binBank, Name: "Bank app", Status: StatusTrusted,
		CertNumber: "№ 7", CertExpires: f.now.AddDate(1, 0, 0)}
	if _, err := s.PutTrustedObject(ctx, actorAdmin, o); err != nil {
		t.Fatal(err)
	}
	before, err := s.CountTrusted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SetTrustedObjectStatus(ctx, actorAdmin, "bank-app", StatusSuspended)
	if err != nil || got.Status != StatusSuspended || got.CertNumber != "№ 7" || got.Name != "Bank app" {
		t.Fatalf("suspended: %+v, %v", got, err)
	}
	if n, _ := s.CountTrusted(ctx); n != before-1 {
		t.Errorf("trusted count %d after suspending one of %d", n, before)
	}
	if _, err := s.SetTrustedObjectStatus(ctx, actorAdmin, "no-such-app", StatusRevoked); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown object: %v", err)
	}
	if _, err := s.SetTrustedObjectStatus(ctx, actorAdmin, "bank-app", "blessed"); err == nil {
		t.Error("an unknown status was accepted")
	}
	if cur, _ := s.TrustedObject(ctx, "bank-app"); cur.Status != StatusSuspended {
		t.Errorf("a refused change changed the status to %s", cur.Status)
	}
}

func TestPeriodDays(t *testing.T) {
	if PeriodFromDays(30) != 30*24*3600 || PeriodInDays(30*24*3600+5) != 30 || PeriodInDays(PeriodFromDays(1)) != 1 {
		t.Fatal("period conversion")
	}
}

package pd

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

func (f *fixture) person(iin string) *ca.Issued {
	f.t.Helper()
	is, err := sandboxCA(f.t).IssueIndividual(ca.Person{IIN: iin, Surname: "TESTOV", Name: "TEST"}, ca.GOST2015)
	if err != nil {
		f.t.Fatal(err)
	}
	return is
}

func signText(t testing.TB, f *fixture, is *ca.Issued, text string) []byte {
	t.Helper()
	der, err := cms.Sign(t.Context(), []byte(text), []cms.SignerSpec{{Signer: is.Key, Cert: is.Certificate, Chain: is.Chain}}, cms.SignOptions{Detached: true, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func cabinetReq(f *fixture, subject string) ConsentRequest {
	return ConsentRequest{SubjectIIN: subject, Initiator: binBank, Owner: binRegister, DataSets: []string{"identity"},
		Purpose: "loan", ValidUntil: f.now.Add(30 * 24 * time.Hour)}
}

// rule PD-3.2 rule PD-6.1.1: a cabinet consent is confirmed by an EDS signature over
// its exact text; without one (an SMS-code session alone) it is refused; the signer
// must be the person deciding. rule PD-3.5: the subject sees who holds the consent.
func TestGiveConsentEDS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		me := f.person(iinAdult)
		req := cabinetReq(f, iinAdult)

		_, err := f.svc.GiveConsent(t.Context(), req)
		wantCode(t, err, "pd.consent.eds_required", "PD-6.1.1")

		other := f.person(iinOther)
		bad := req
		bad.Signature = signText(t, f, other, ConsentText(req))
		_, err = f.svc.GiveConsent(t.Context(), bad)
		wantCode(t, err, "pd.consent.signature_invalid", "PD-6.1.1")

		wrongText := req
		wrongText.Signature = signText(t, f, me, ConsentText(req)+"x")
		_, err = f.svc.GiveConsent(t.Context(), wrongText)
		wantCode(t, err, "pd.consent.signature_invalid", "PD-6.1.1")

		req.Signature = signText(t, f, me, ConsentText(req))
		c, err := f.svc.GiveConsent(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if c.Method != "eds" || c.Evidence.SignerSerial == "" || c.Evidence.TextSHA256 == "" || c.Representative {
			t.Errorf("%+v", c)
		}
		h, err := f.svc.HoldersOfConsent(t.Context(), iinAdult)
		if err != nil || len(h) != 1 || h[0].Initiator != binBank || h[0].ConsentID != c.ID {
			t.Fatalf("holders %+v %v", h, err)
		}
		// Another citizen sees nothing of it and cannot revoke it.
		if h, _ := f.svc.HoldersOfConsent(t.Context(), iinOther); len(h) != 0 {
			t.Errorf("another citizen sees %+v", h)
		}
		_, err = f.svc.RevokeConsent(t.Context(), iinOther, "", c.ID)
		wantCode(t, err, "pd.not_found", "")
		if _, err := f.svc.RevokeConsent(t.Context(), iinAdult, "", c.ID); err != nil {
			t.Fatal(err)
		}
		if h, _ := f.svc.HoldersOfConsent(t.Context(), iinAdult); len(h) != 0 {
			t.Errorf("revoked consent still held: %+v", h)
		}
		if countEvents(t, db, "pd.consent.given") != 1 || countEvents(t, db, "pd.consent.revoked") != 1 {
			t.Error("events missing")
		}
	})
}

// rule PD-3.2 rule PD-3.3: a legal representative decides for a minor, signs with their
// own EDS and is recorded; anyone else is refused.
func TestRepresentative(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	parent := f.person(iinParent)
	req := cabinetReq(f, iinMinor)
	req.ActorIIN = iinParent
	req.Signature = signText(t, f, parent, ConsentText(req))
	c, err := f.svc.GiveConsent(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	parentRef, _ := f.ids.SubjectRef(t.Context(), iinParent)
	if !c.Representative || c.ActedBy != parentRef {
		t.Errorf("%+v", c)
	}
	stranger := req
	stranger.ActorIIN = iinOther
	stranger.Signature = signText(t, f, f.person(iinOther), ConsentText(req))
	_, err = f.svc.GiveConsent(t.Context(), stranger)
	wantCode(t, err, "pd.consent.not_representative", "PD-3.2")
	_, err = f.svc.RevokeConsent(t.Context(), iinMinor, iinOther, c.ID)
	wantCode(t, err, "pd.consent.not_representative", "PD-3.2")
	if _, err := f.svc.RevokeConsent(t.Context(), iinMinor, iinParent, c.ID); err != nil {
		t.Fatal(err)
	}
}

// rule PD-6.1.1: an initiator records consent obtained by biometrics, EDS or paper, with
// evidence; rule PD-6.X: never by an OTP.
func TestRecordConsentEvidence(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	base := ConsentRequest{SubjectIIN: iinAdult, Owner: binRegister, DataSets: []string{"identity"}, Purpose: "loan", ValidUntil: f.now.Add(time.Hour)}
	me := f.person(iinAdult)
	withSig := base
	withSig.Method = "eds"
	withSig.Initiator = binBank
	withSig.Signature = signText(t, f, me, ConsentText(withSig))
	cases := []struct {
		name       string
		mut        func(*ConsentRequest)
		code, rule string
	}{
		{"sms otp", func(r *ConsentRequest) { r.Method = "sms" }, "pd.consent.otp_not_allowed", "PD-6.X"},
		{"unknown method", func(r *ConsentRequest) { r.Method = "phone" }, "pd.consent.method_not_allowed", "PD-6.1.1"},
		{"biometric without reference", func(r *ConsentRequest) { r.Method = "biometric" }, "pd.consent.evidence_missing", "PD-6.1.1"},
		{"paper without scan digest", func(r *ConsentRequest) { r.Method, r.Reference = "paper", "form 17" }, "pd.consent.evidence_missing", "PD-6.1.1"},
		{"eds without signature", func(r *ConsentRequest) { r.Method = "eds" }, "pd.consent.eds_required", "PD-6.1.1"},
		{"unknown owner", func(r *ConsentRequest) { r.Method, r.Reference, r.Owner = "biometric", "b1", binOther }, "pd.data_owner.unknown", ""},
		{"unknown data set", func(r *ConsentRequest) { r.Method, r.Reference, r.DataSets = "biometric", "b1", []string{"dna"} }, "pd.data_set.unknown", ""},
		{"past validity", func(r *ConsentRequest) {
			r.Method, r.Reference, r.ValidUntil = "biometric", "b1", f.now.Add(-time.Hour)
		}, "pd.consent.invalid", "PD-3.2"},
		{"bad IIN", func(r *ConsentRequest) { r.Method, r.Reference, r.SubjectIIN = "biometric", "b1", "123456789012" }, "pd.subject.invalid", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.mut(&r)
			_, err := f.svc.RecordConsent(t.Context(), binBank, r)
			wantCode(t, err, tc.code, tc.rule)
		})
	}
	if countEvents(t, f.db, "pd.consent.given") != 0 {
		t.Fatal("a refused consent was recorded")
	}
	for _, r := range []ConsentRequest{withSig,
		func() ConsentRequest { r := base; r.Method, r.Reference = "biometric", "bio-42"; return r }(),
		func() ConsentRequest {
			r := base
			r.Method, r.Reference, r.DocumentSHA256 = "paper", "form 17", "0000000000000000000000000000000000000000000000000000000000000000"
			return r
		}()} {
		if _, err := f.svc.RecordConsent(t.Context(), binBank, r); err != nil {
			t.Fatalf("%s: %v", r.Method, err)
		}
	}
	all, _ := f.svc.ListConsents(t.Context(), iinAdult)
	if len(all) != 3 {
		t.Errorf("%d consents", len(all))
	}
}

var _ = x509.Certificate{}

// rule PD-6.1.1 rule PD-3.2: one EDS signature records one consent. The same signature
// submitted again — a reloaded cabinet page, a repeated API call — finds the consent it
// recorded, with no new consent and no new event (so no new log entry); a different
// signature of the same text is another decision and records another consent.
func TestOneSignatureOneConsent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		me := f.person(iinAdult)
		req := cabinetReq(f, iinAdult)
		req.Signature = signText(t, f, me, ConsentText(req))
		first, err := f.svc.GiveConsent(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.GiveConsent(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.Evidence != first.Evidence || !again.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("re-submitted signature: got %+v, want the first consent %+v", again, first)
		}
		// The initiator's API path with the very same signature: the same consent.
		api := req
		api.Method = "eds"
		viaAPI, err := f.svc.RecordConsent(t.Context(), binBank, api)
		if err != nil {
			t.Fatal(err)
		}
		if viaAPI.ID != first.ID {
			t.Errorf("RecordConsent with the same signature recorded %s, want %s", viaAPI.ID, first.ID)
		}
		if n := countEvents(t, db, "pd.consent.given"); n != 1 {
			t.Errorf("%d consent events after re-submissions, want 1", n)
		}
		if all, _ := f.svc.ListConsents(t.Context(), iinAdult); len(all) != 1 {
			t.Errorf("%d consents after re-submissions, want 1", len(all))
		}

		// Negative: a new signature (a second signing of the same text) is a new consent.
		f.now = f.now.Add(time.Second)
		other := req
		other.Signature = signText(t, f, me, ConsentText(req))
		if string(other.Signature) == string(req.Signature) {
			t.Fatal("the second signing produced the same bytes")
		}
		second, err := f.svc.GiveConsent(t.Context(), other)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID == first.ID {
			t.Error("a different signature returned the first consent")
		}
		if n := countEvents(t, db, "pd.consent.given"); n != 2 {
			t.Errorf("%d consent events, want 2", n)
		}
		// The API path: a new signature records; the same one again does not.
		api2 := api
		f.now = f.now.Add(time.Second)
		api2.Signature = signText(t, f, me, ConsentText(req))
		a1, err := f.svc.RecordConsent(t.Context(), binBank, api2)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := f.svc.RecordConsent(t.Context(), binBank, api2)
		if err != nil {
			t.Fatal(err)
		}
		if a1.ID == first.ID || a1.ID == second.ID || a2.ID != a1.ID {
			t.Errorf("API: %s then %s (cabinet %s, %s)", a1.ID, a2.ID, first.ID, second.ID)
		}
		if all, _ := f.svc.ListConsents(t.Context(), iinAdult); len(all) != 3 {
			t.Errorf("%d consents, want 3", len(all))
		}
	})
}

// rule PD-3.2: the end a person chose is stated readably in the v3 text she signs (date
// and time in Astana time), a v2 text signed before stays verifiable (style rule 14),
// a signature is checked against the format it names, and an end that is past or beyond
// the longest a consent lasts is refused before signing.
func TestConsentTextV3AndEnd(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	me := f.person(iinAdult)
	day := f.now.In(Astana).AddDate(0, 1, 0)
	end := EndOfDay(day)
	if got := end.In(Astana); got.Hour() != 23 || got.Minute() != 59 || got.Second() != 59 || got.Day() != day.Day() {
		t.Fatalf("EndOfDay(%v) = %v", day, got)
	}
	req := cabinetReq(f, iinAdult)
	req.ValidUntil, req.Lang = end, "en"
	v2, err := f.svc.ConsentTextFor(t.Context(), req)
	if err != nil || !strings.HasPrefix(v2, "SENIM v2 en\n") {
		t.Fatalf("v2: %q %v", v2, err)
	}
	v3req := req
	v3req.Format = FormatV3
	v3, err := f.svc.ConsentTextFor(t.Context(), v3req)
	wantEnd := "Valid until: " + day.Format(time.DateOnly) + " 23:59:59 (Astana time, UTC+5)\n"
	if err != nil || !strings.HasPrefix(v3, "SENIM v3 en\n") || !strings.HasSuffix(v3, wantEnd) {
		t.Fatalf("v3: %q %v, want it to end with %q", v3, err, wantEnd)
	}
	for _, lang := range []string{"kk", "ru"} {
		r := v3req
		r.Lang = lang
		if txt, _ := f.svc.ConsentTextFor(t.Context(), r); !strings.Contains(txt, day.Format(time.DateOnly)+" 23:59:59 ("+astanaTime[lang]+")") {
			t.Errorf("%s v3: %q", lang, txt)
		}
	}
	bad := v3req
	bad.Format = "9"
	if _, err := f.svc.ConsentTextFor(t.Context(), bad); err == nil {
		t.Error("an unknown format was accepted")
	}
	// A v2 text signed before v3 is still recorded; a v2 signature presented as v3 is not.
	old := req
	old.Signature = signText(t, f, me, v2)
	if _, err := f.svc.GiveConsent(t.Context(), old); err != nil {
		t.Errorf("v2 signature: %v", err)
	}
	mixed := old
	mixed.Format = FormatV3
	_, err = f.svc.GiveConsent(t.Context(), mixed)
	wantCode(t, err, "pd.consent.signature_invalid", "PD-6.1.1")
	v3req.Signature = signText(t, f, me, v3)
	c, err := f.svc.GiveConsent(t.Context(), v3req)
	if err != nil || !c.ValidUntil.Equal(end) {
		t.Errorf("v3 signature: %v, until %v want %v", err, c, end)
	}

	wantCode(t, f.svc.CheckConsentEnd(f.now.Add(-time.Second)), "pd.consent.end_past", "PD-3.2")
	wantCode(t, f.svc.CheckConsentEnd(f.now.Add(f.svc.maxConsent()+time.Second)), "pd.consent.end_too_far", "PD-3.2")
	if err := f.svc.CheckConsentEnd(f.now.Add(f.svc.maxConsent())); err != nil {
		t.Errorf("the longest allowed end: %v", err)
	}
}

// rule PD-3.2: the days the form offers for a consent's end are exactly those that
// CheckConsentEnd accepts, at any time of day, including the last second of one.
func TestConsentEndRange(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	base := time.Date(2026, 12, 5, 0, 0, 0, 0, Astana)
	for _, at := range []time.Time{
		base,
		base.Add(9 * time.Hour),
		base.Add(19*time.Hour + 30*time.Minute), // 14:30 UTC: the next day in UTC+5 starts at 19:00 UTC
		base.Add(24*time.Hour - 500*time.Millisecond),
	} {
		f.now = at.UTC()
		first, last := f.svc.ConsentEndRange()
		if first.Location() != Astana || first.Hour() != 0 || last.Hour() != 0 {
			t.Fatalf("%v: not days in Astana: %v %v", at, first, last)
		}
		if err := f.svc.CheckConsentEnd(EndOfDay(first)); err != nil {
			t.Errorf("%v: first day %v refused: %v", at, first, err)
		}
		wantCode(t, f.svc.CheckConsentEnd(EndOfDay(first.AddDate(0, 0, -1))), "pd.consent.end_past", "PD-3.2")
		if err := f.svc.CheckConsentEnd(EndOfDay(last)); err != nil {
			t.Errorf("%v: last day %v refused: %v", at, last, err)
		}
		wantCode(t, f.svc.CheckConsentEnd(EndOfDay(last.AddDate(0, 0, 1))), "pd.consent.end_too_far", "PD-3.2")
	}
	// In its last half-second, today can no longer be chosen.
	f.now = base.Add(24*time.Hour - 500*time.Millisecond).UTC()
	if first, _ := f.svc.ConsentEndRange(); !first.Equal(base.AddDate(0, 0, 1)) {
		t.Errorf("first day at 23:59:59.5: %v", first)
	}
	f.now = base.Add(9 * time.Hour).UTC()
	if first, _ := f.svc.ConsentEndRange(); !first.Equal(base) {
		t.Errorf("first day at 09:00: %v", first)
	}

	// The API's refusal names the latest end allowed and the field.
	req := cabinetReq(f, iinAdult)
	req.ValidUntil = EndOfDay(base.AddDate(10, 0, 0))
	_, err := f.svc.GiveConsent(t.Context(), req)
	var p *problem.Problem
	if !errors.As(err, &p) || p.Code != "pd.consent.invalid" || p.Extra["field"] != "valid_until" || !strings.Contains(p.Detail, "2031-12-0") {
		t.Errorf("ten years: %v", err)
	}
}

package pki

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// history is a CA of our own that revokes a certificate in 2022, lets it expire at the
// start of 2023 and drops it from its CRLs after that, as the NCA does (RFC 5280, 3.3).
type history struct {
	ca       *testCA
	revoked  *x509.Certificate // revoked 2022-03-01, keyCompromise; expired 2023-01-01
	good     *x509.Certificate // never revoked; same validity
	crls     map[string]*CRL
	numbers  map[string]string
	validity [2]time.Time
}

var (
	histRevokedAt = day(2022, 3, 1)
	histAt        = day(2022, 6, 1) // after the revocation, while the certificate was valid
	histBefore    = day(2021, 6, 1) // before the revocation
)

func newHistory(t *testing.T) *history {
	t.Helper()
	h := &history{ca: newTestRootFor(t, "History CA", day(2019, 1, 1), day(2035, 1, 1)), crls: map[string]*CRL{}, numbers: map[string]string{}}
	h.validity = [2]time.Time{day(2021, 1, 1), day(2023, 1, 1)}
	leaf := func(cn string) *x509.Certificate {
		return h.ca.issue(t, &x509.Certificate{
			Subject:   pkix.Name{CommonName: cn, Country: []string{"KZ"}},
			NotBefore: h.validity[0], NotAfter: h.validity[1],
			KeyUsage: x509.KeyUsageDigitalSignature,
		}, nil)
	}
	h.revoked, h.good = leaf("Revoked in 2022"), leaf("Never revoked")
	other := revoked(nextSerial(), day(2026, 9, 1), ReasonSuperseded) // keeps lists non-empty
	entry := revoked(h.revoked.SerialNumber, histRevokedAt, ReasonKeyCompromise)
	for name, s := range map[string]crlSpec{
		// stale: current 2022-01 only, before the revocation.
		"stale": {number: 10, thisUpdate: day(2022, 1, 1), nextUpdate: day(2022, 2, 1)},
		// old: current at histAt, lists the revocation.
		"old": {number: 20, thisUpdate: day(2022, 5, 15), nextUpdate: day(2022, 6, 15), entries: []x509.RevocationListEntry{entry}},
		// later: issued after histAt, before the expiry; lists the revocation.
		"later": {number: 30, thisUpdate: day(2022, 9, 1), nextUpdate: day(2022, 10, 1), entries: []x509.RevocationListEntry{entry}},
		// today: after the expiry; the entry is gone.
		"today": {number: 90, thisUpdate: day(2026, 10, 1), nextUpdate: day(2026, 11, 1), entries: []x509.RevocationListEntry{other}},
		// archive: after the expiry, but keeps expired certificates since 2020.
		"archive": {number: 91, thisUpdate: day(2026, 10, 2), nextUpdate: day(2026, 11, 2), expiredCertsOnCRL: day(2020, 1, 1),
			entries: []x509.RevocationListEntry{entry, other}},
	} {
		c, err := ParseCRL(h.ca.crl(t, s))
		if err != nil {
			t.Fatal(err)
		}
		h.crls[name] = c
		h.numbers[name] = fmt.Sprint(s.number)
	}
	return h
}

func (h *history) validator(t *testing.T, names []string) *Validator {
	t.Helper()
	var crls []*CRL
	for _, n := range names {
		crls = append(crls, h.crls[n])
	}
	v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: crls, Clock: fixedClock(day(2026, 11, 1))})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A certificate revoked in 2022 that has since expired and left the CRL is never "good"
// at 2022 because today's CRL does not list it: every combination of CRLs given.
func TestCRLHistoricalEveryCombination(t *testing.T) {
	h := newHistory(t)
	all := []string{"stale", "old", "later", "today", "archive"}
	for mask := 0; mask < 1<<len(all); mask++ {
		var given []string
		has := map[string]bool{}
		for i, n := range all {
			if mask&(1<<i) != 0 {
				given = append(given, n)
				has[n] = true
			}
		}
		// first returns the first given CRL of names (the preference order), or "".
		first := func(names ...string) string {
			for _, n := range names {
				if has[n] {
					return n
				}
			}
			return ""
		}
		// The CRLs that speak for the certificate at histAt, by preference: the one
		// current then, else the earliest issued after it. "today" never does.
		atDecider := first("old", "later", "archive")
		beforeDecider := first("stale", "old", "later", "archive")
		unknownAt := "eds.crl.missing"
		switch {
		case has["today"]:
			unknownAt = "eds.crl.not_covered"
		case has["stale"]:
			unknownAt = "eds.crl.stale"
		}
		unknownBefore := "eds.crl.missing"
		if has["today"] {
			unknownBefore = "eds.crl.not_covered"
		}
		cases := []struct {
			name    string
			cert    *x509.Certificate
			at      time.Time
			decider string
			status  RevocationStatus // when a CRL decides
			unknown string           // the code when none does
		}{
			{"revoked, at 2022-06", h.revoked, histAt, atDecider, StatusRevoked, unknownAt},
			{"revoked, before the revocation", h.revoked, histBefore, beforeDecider, StatusGood, unknownBefore},
			{"never revoked, at 2022-06", h.good, histAt, atDecider, StatusGood, unknownAt},
		}
		for _, tc := range cases {
			t.Run(strings.Join(append(given, tc.name), "+"), func(t *testing.T) {
				res := h.validator(t, given).Validate(t.Context(), tc.cert, tc.at, crlOnly)
				rc := res.CRL
				if tc.decider == "" {
					if rc.Status != StatusUnknown || Code(rc.Err) != tc.unknown || res.Valid {
						t.Fatalf("CRL %s err %v valid %v, want unknown %s", rc.Status, rc.Err, res.Valid, tc.unknown)
					}
					for _, e := range rc.Evidence {
						if e.Decided {
							t.Errorf("evidence %+v decided, yet the status is unknown", e)
						}
					}
					return
				}
				if rc.Status != tc.status || rc.CRLNumber != h.numbers[tc.decider] {
					t.Fatalf("CRL %s #%s (err %v), want %s by %s #%s", rc.Status, rc.CRLNumber, rc.Err, tc.status, tc.decider, h.numbers[tc.decider])
				}
				if res.Valid != (tc.status == StatusGood) {
					t.Errorf("valid %v with CRL %s", res.Valid, rc.Status)
				}
				// Every given CRL is accounted for: one decided, each other set aside.
				got := map[string]string{}
				for _, e := range rc.Evidence {
					if e.Decided {
						got[e.CRLNumber] = "decided"
					} else {
						got[e.CRLNumber] = e.SetAside
					}
				}
				want := map[string]string{}
				for _, n := range given {
					switch {
					case n == tc.decider:
						want[h.numbers[n]] = "decided"
					case n == "today":
						want[h.numbers[n]] = SetAsideIssuedAfterExpiry
					case n == "stale" && tc.at.Equal(histAt):
						want[h.numbers[n]] = SetAsideStale
					default:
						want[h.numbers[n]] = SetAsideSuperseded
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("evidence (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// The key case of the issue, spelled out: today's CRL alone never makes the 2022
// revocation "good"; with the 2022 CRL too it is revoked, decided by the 2022 CRL.
func TestCRLHistoricalTodayOnly(t *testing.T) {
	h := newHistory(t)
	res := h.validator(t, []string{"today"}).Validate(t.Context(), h.revoked, histAt, crlOnly)
	if res.Valid || res.CRL.Status != StatusUnknown || !errors.Is(res.CRL.Err, ErrCRLNotCovered) {
		t.Fatalf("today's CRL only: valid %v CRL %s err %v", res.Valid, res.CRL.Status, res.CRL.Err)
	}
	res = h.validator(t, []string{"today", "old"}).Validate(t.Context(), h.revoked, histAt, crlOnly)
	if res.Valid || res.CRL.Status != StatusRevoked || res.CRL.CRLNumber != "20" || res.CRL.Basis != BasisCoversTime ||
		!res.CRL.RevokedAt.Equal(histRevokedAt) || res.CRL.Reason != ReasonKeyCompromise {
		t.Fatalf("with the 2022 CRL: valid %v CRL %+v", res.Valid, res.CRL)
	}
	// Today, the expired certificate is expired, and still not "good" by CRL.
	res = h.validator(t, []string{"today"}).Validate(t.Context(), h.good, day(2026, 10, 15), crlOnly)
	if res.Valid || res.CRL.Status != StatusUnknown || Code(res.CRL.Err) != "eds.crl.not_covered" {
		t.Errorf("today: valid %v CRL %s err %v", res.Valid, res.CRL.Status, res.CRL.Err)
	}
}

// An authentic CRL that lists a revocation before the validation time is conclusive,
// whatever the deciding CRL says; a certificate hold is not, it is the deciding CRL's to
// say.
func TestCRLRevocationIsPermanent(t *testing.T) {
	h := newHistory(t)
	// Current at histAt, but issued before the revocation: it does not list it.
	early, err := ParseCRL(h.ca.crl(t, crlSpec{number: 15, thisUpdate: day(2022, 2, 15), nextUpdate: day(2022, 6, 15)}))
	if err != nil {
		t.Fatal(err)
	}
	hold, err := ParseCRL(h.ca.crl(t, crlSpec{number: 31, thisUpdate: day(2022, 9, 1), nextUpdate: day(2022, 10, 1),
		entries: []x509.RevocationListEntry{revoked(h.good.SerialNumber, histRevokedAt, ReasonCertificateHold)}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		crls   []*CRL
		cert   *x509.Certificate
		status RevocationStatus
		number string
		basis  string
	}{
		{"early CRL alone says good", []*CRL{early}, h.revoked, StatusGood, "15", BasisCoversTime},
		{"a later CRL lists the revocation", []*CRL{early, h.crls["later"]}, h.revoked, StatusRevoked, "30", BasisListsRevocation},
		{"the list of today's archive too", []*CRL{h.crls["archive"], early}, h.revoked, StatusRevoked, "91", BasisListsRevocation},
		{"a hold in a CRL that does not decide", []*CRL{early, hold}, h.good, StatusGood, "15", BasisCoversTime},
		{"a hold in the deciding CRL", []*CRL{hold}, h.good, StatusRevoked, "31", BasisIssuedAfterTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: tc.crls})
			if err != nil {
				t.Fatal(err)
			}
			rc := v.Validate(t.Context(), tc.cert, histAt, crlOnly).CRL
			if rc.Status != tc.status || rc.CRLNumber != tc.number || rc.Basis != tc.basis {
				t.Errorf("CRL %s #%s basis %s (err %v), want %s #%s %s", rc.Status, rc.CRLNumber, rc.Basis, rc.Err, tc.status, tc.number, tc.basis)
			}
			decided := 0
			for _, e := range rc.Evidence {
				if e.Decided {
					decided++
					if e.CRLNumber != tc.number {
						t.Errorf("decided evidence #%s, want #%s", e.CRLNumber, tc.number)
					}
				}
			}
			if decided != 1 {
				t.Errorf("%d pieces of evidence decided: %+v", decided, rc.Evidence)
			}
		})
	}
}

// ExpiredCertsOnCRL makes a CRL issued after the expiry answer for a certificate only
// when its date is not after the certificate's notAfter.
func TestCRLExpiredCertsOnCRL(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		since  time.Time
		status RevocationStatus
	}{
		{h.validity[1], StatusGood},                     // kept from the very expiry
		{h.validity[1].Add(time.Second), StatusUnknown}, // a second too late
		{day(2025, 1, 1), StatusUnknown},
	} {
		der := h.ca.crl(t, crlSpec{number: 95, thisUpdate: day(2026, 10, 1), nextUpdate: day(2026, 11, 1), expiredCertsOnCRL: tc.since})
		c, err := ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ExpiredCertsOnCRL.Equal(tc.since) {
			t.Errorf("parsed ExpiredCertsOnCRL %v, want %v", c.ExpiredCertsOnCRL, tc.since)
		}
		v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: []*CRL{c}})
		if err != nil {
			t.Fatal(err)
		}
		rc := v.Validate(t.Context(), h.good, histAt, crlOnly).CRL
		if rc.Status != tc.status {
			t.Errorf("since %v: CRL %s err %v, want %s", tc.since, rc.Status, rc.Err, tc.status)
		}
		if tc.status == StatusUnknown && (Code(rc.Err) != "eds.crl.not_covered" || rc.Evidence[0].SetAside != SetAsideIssuedAfterExpiry) {
			t.Errorf("since %v: err %v evidence %+v", tc.since, rc.Err, rc.Evidence)
		}
	}
	// A malformed value is refused with the CRL's code.
	bad, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(96), ThisUpdate: day(2026, 10, 1), NextUpdate: day(2026, 11, 1),
		ExtraExtensions: []pkix.Extension{{Id: oidExtExpiredCerts, Value: []byte{0x02, 0x01, 0x05}}}, // an INTEGER
	}, h.ca.cert, h.ca.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCRL(bad); !errors.Is(err, ErrMalformedCRL) {
		t.Errorf("malformed expiredCertsOnCRL: %v", err)
	}
}

// A CRL whose signature does not verify, or that has an unknown critical extension, is
// set aside and named in the evidence.
func TestCRLEvidenceSetAside(t *testing.T) {
	h := newHistory(t)
	forged := newTestRootFor(t, "History CA", day(2019, 1, 1), day(2035, 1, 1)) // same name, other key
	fake, err := ParseCRL(forged.crl(t, crlSpec{number: 25, thisUpdate: day(2022, 5, 20), nextUpdate: day(2022, 6, 20)}))
	if err != nil {
		t.Fatal(err)
	}
	fake.AuthorityKeyID = nil // make it claim the right issuer
	v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: []*CRL{fake, h.crls["later"]}})
	if err != nil {
		t.Fatal(err)
	}
	rc := v.Validate(t.Context(), h.good, histAt, crlOnly).CRL
	want := []Evidence{
		{CRLNumber: "25", ThisUpdate: day(2022, 5, 20), NextUpdate: day(2022, 6, 20), SetAside: SetAsideNotAuthentic},
		{CRLNumber: "30", ThisUpdate: day(2022, 9, 1), NextUpdate: day(2022, 10, 1), Decided: true},
	}
	if diff := cmp.Diff(want, rc.Evidence); diff != "" || rc.Status != StatusGood || rc.Basis != BasisIssuedAfterTime {
		t.Errorf("CRL %s basis %s evidence (-want +got):\n%s", rc.Status, rc.Basis, diff)
	}
	// The forged CRL alone: unknown, with the signature's code.
	v, _ = New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: []*CRL{fake}})
	if rc := v.Validate(t.Context(), h.good, histAt, crlOnly).CRL; rc.Status != StatusUnknown || Code(rc.Err) != "eds.crl.signature_invalid" {
		t.Errorf("forged CRL alone: %s %v", rc.Status, rc.Err)
	}
}

// A later revocation that the deciding CRL does not list is still reported, with the
// status good at the earlier time (package tsp needs it to doubt a compromised TSA key).
func TestCRLLaterRevocationReported(t *testing.T) {
	h := newHistory(t)
	rc := h.validator(t, []string{"stale", "later"}).Validate(t.Context(), h.revoked, histBefore, crlOnly).CRL
	if rc.Status != StatusGood || rc.CRLNumber != "10" || !rc.RevokedAt.Equal(histRevokedAt) || rc.Reason != ReasonKeyCompromise {
		t.Errorf("CRL %+v", rc)
	}
}

// OCSP at a past time: an answer decides only when it speaks for the time and, produced
// after the certificate expired, only with an archive cutoff not after the expiry.
func TestOCSPAtTime(t *testing.T) {
	h := newHistory(t) // certificates valid 2021..2023
	today := day(2026, 11, 1)
	fresh := OCSPStatus{Status: StatusGood, ProducedAt: today, ThisUpdate: today, NextUpdate: today.Add(time.Hour)}
	with := func(f func(*OCSPStatus)) OCSPStatus { s := fresh; f(&s); return s }
	tests := []struct {
		name   string
		st     OCSPStatus
		at     time.Time
		status RevocationStatus
		code   string
		basis  string
		aside  string
	}{
		{"good today, at today", with(func(s *OCSPStatus) { s.ProducedAt, s.ThisUpdate, s.NextUpdate = histAt, histAt, histAt.Add(time.Hour) }),
			histAt, StatusGood, "", BasisCoversTime, ""},
		{"good today about a certificate expired in 2023", fresh, histAt, StatusUnknown, "eds.ocsp.not_covered", "", SetAsideIssuedAfterExpiry},
		{"with an archive cutoff before the expiry", with(func(s *OCSPStatus) { s.ArchiveCutoff = day(2020, 1, 1) }),
			histAt, StatusGood, "", BasisIssuedAfterTime, ""},
		{"with an archive cutoff at the expiry", with(func(s *OCSPStatus) { s.ArchiveCutoff = h.validity[1] }),
			histAt, StatusGood, "", BasisIssuedAfterTime, ""},
		{"with an archive cutoff after the expiry", with(func(s *OCSPStatus) { s.ArchiveCutoff = day(2024, 1, 1) }),
			histAt, StatusUnknown, "eds.ocsp.not_covered", "", SetAsideIssuedAfterExpiry},
		{"an answer current before the time", with(func(s *OCSPStatus) {
			s.ProducedAt, s.ThisUpdate, s.NextUpdate = day(2022, 5, 1), day(2022, 5, 1), day(2022, 5, 2)
		}), histAt, StatusUnknown, "eds.ocsp.stale", "", SetAsideStale},
		{"no nextUpdate, produced after the time", with(func(s *OCSPStatus) {
			s.ProducedAt, s.ThisUpdate, s.NextUpdate = histAt.Add(time.Hour), histAt.Add(-time.Hour), time.Time{}
		}), histAt, StatusGood, "", BasisCoversTime, ""},
		{"no nextUpdate, produced before the time", with(func(s *OCSPStatus) {
			s.ProducedAt, s.ThisUpdate, s.NextUpdate = histAt.Add(-time.Minute), histAt.Add(-time.Hour), time.Time{}
		}), histAt, StatusUnknown, "eds.ocsp.stale", "", SetAsideStale},
		{"revoked before the time", with(func(s *OCSPStatus) {
			s.Status, s.RevokedAt, s.Reason = StatusRevoked, histRevokedAt, ReasonKeyCompromise
		}), histAt, StatusRevoked, "eds.cert.revoked", BasisListsRevocation, ""},
		{"revoked after the time", with(func(s *OCSPStatus) {
			s.Status, s.RevokedAt, s.Reason = StatusRevoked, histRevokedAt, ReasonKeyCompromise
		}), histBefore, StatusGood, "", BasisIssuedAfterTime, ""},
		// RFC 6960, 2.2: the marker of a certificate the CA never issued (issue 12, item 5).
		{"never issued", with(func(s *OCSPStatus) {
			s.Status, s.RevokedAt, s.Reason = StatusRevoked, time.Unix(0, 0), ReasonCertificateHold
		}), histAt, StatusUnknown, "eds.ocsp.not_issued", "", SetAsideNotIssued},
		{"a hold at 1970 with another reason is a revocation", with(func(s *OCSPStatus) {
			s.Status, s.RevokedAt, s.Reason = StatusRevoked, time.Unix(0, 0), ReasonKeyCompromise
		}), histAt, StatusRevoked, "eds.cert.revoked", BasisListsRevocation, ""},
		{"responder does not know", with(func(s *OCSPStatus) { s.Status = StatusUnknown }),
			histAt, StatusUnknown, "eds.ocsp.unknown_cert", "", SetAsideUnknownCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, OCSP: &fakeOCSP{check: func(_, _ *x509.Certificate) (*OCSPStatus, error) {
				return &st, nil
			}}})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), h.good, tt.at, Options{Revocation: []RevocationMethod{RevocationOCSP}})
			rc := res.OCSP
			if rc.Status != tt.status || Code(rc.Err) != tt.code || rc.Basis != tt.basis {
				t.Errorf("OCSP %s err %v basis %q, want %s %q %q", rc.Status, rc.Err, rc.Basis, tt.status, tt.code, tt.basis)
			}
			if res.Valid != (tt.status == StatusGood) {
				t.Errorf("valid %v", res.Valid)
			}
			if len(rc.Evidence) != 1 || rc.Evidence[0].Decided != (tt.basis != "") || rc.Evidence[0].SetAside != tt.aside {
				t.Errorf("evidence %+v", rc.Evidence)
			}
			if tt.code == "eds.ocsp.not_issued" && !rc.RevokedAt.IsZero() {
				t.Errorf("a never-issued certificate reported revoked at %v", rc.RevokedAt)
			}
		})
	}
}

// A delta CRL issued after the expiry, applied to a base issued before it, makes a view
// that no longer answers for the certificate; the base alone still does. The merged view
// keeps expired certificates only when both CRLs say so, from the later date.
func TestCRLHistoricalDelta(t *testing.T) {
	h := newHistory(t)
	entry := revoked(h.revoked.SerialNumber, histRevokedAt, ReasonKeyCompromise)
	spec := func(number, base int64, this time.Time, since time.Time, entries ...x509.RevocationListEntry) *CRL {
		c, err := ParseCRL(h.ca.crl(t, crlSpec{number: number, baseNumber: base, thisUpdate: this, nextUpdate: this.AddDate(0, 1, 0),
			expiredCertsOnCRL: since, entries: entries}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := spec(40, 0, day(2022, 9, 1), time.Time{}, entry)
	late := spec(41, 40, day(2023, 2, 1), time.Time{})
	v, err := New(Config{Roots: []*x509.Certificate{h.ca.cert}, CRLs: []*CRL{base, late}})
	if err != nil {
		t.Fatal(err)
	}
	rc := v.Validate(t.Context(), h.good, histAt, crlOnly).CRL
	want := []Evidence{
		{CRLNumber: "40", ThisUpdate: day(2022, 9, 1), NextUpdate: day(2022, 10, 1), Decided: true},
		{CRLNumber: "41", BaseCRLNumber: "40", ThisUpdate: day(2023, 2, 1), NextUpdate: day(2023, 3, 1), SetAside: SetAsideIssuedAfterExpiry},
	}
	if diff := cmp.Diff(want, rc.Evidence); diff != "" || rc.Status != StatusGood {
		t.Errorf("CRL %s err %v evidence (-want +got):\n%s", rc.Status, rc.Err, diff)
	}

	for _, tc := range []struct {
		name              string
		baseSince, dSince time.Time
		want              time.Time
	}{
		{"both", day(2020, 1, 1), day(2021, 1, 1), day(2021, 1, 1)},
		{"base only", day(2020, 1, 1), time.Time{}, time.Time{}},
		{"delta only", time.Time{}, day(2020, 1, 1), time.Time{}},
	} {
		m, err := ApplyDelta(spec(50, 0, day(2026, 1, 1), tc.baseSince, entry), spec(51, 50, day(2026, 1, 2), tc.dSince))
		if err != nil {
			t.Fatal(err)
		}
		if !m.ExpiredCertsOnCRL.Equal(tc.want) {
			t.Errorf("%s: merged ExpiredCertsOnCRL %v, want %v", tc.name, m.ExpiredCertsOnCRL, tc.want)
		}
	}
}

package edscmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// `eds verify --at T --crl FILE...` reproduces a validation at a past time from archived
// CRLs, judged fresh at T, not at the wall clock (2026-11-01 in these tests), and names the
// deciding CRL and why each other was set aside (issue 12, items 1 and 2).
func TestVerifyHistoricalFromArchivedCRLs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Archive CA", day(2019, 1, 1), day(2035, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	caFile := write("ca.cer", root.Cert.Raw)
	signed := func(name string) (string, *tsptest.Revoked) {
		cert, key, err := root.Leaf(eds.KeyECDSA, name, day(2021, 1, 1), day(2023, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		der, err := cms.Sign(t.Context(), []byte("contract of 2022"), []cms.SignerSpec{{Signer: key, Cert: cert}},
			cms.SignOptions{Now: func() time.Time { return day(2022, 5, 1) }})
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".cms", der), &tsptest.Revoked{Serial: cert.SerialNumber, At: day(2022, 3, 1), Reason: int(pki.ReasonKeyCompromise)}
	}
	goodCMS, _ := signed("good")
	revokedCMS, entry := signed("revoked")
	crl := func(name string, number int64, this, next time.Time, entries ...tsptest.Revoked) string {
		der, err := root.CRL(number, this, next, entries)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, der)
	}
	// Archived in 2022: current at 2022-06-01, long stale by the clock; lists the revocation.
	archived := crl("2022-05.crl", 1, day(2022, 5, 15), day(2022, 6, 15), *entry)
	// Today's: the expired certificate has left it.
	today := crl("today.crl", 9, day(2026, 10, 1), day(2026, 11, 15))

	type evidence struct{ number, role string }
	tests := []struct {
		name     string
		cms      string
		at       string
		crls     []string
		exit     int
		status   string
		code     string
		basis    string
		evidence []evidence
	}{
		{"archived CRL current at T", goodCMS, "2022-06-01T00:00:00Z", []string{archived}, 0, "good", "", "covers_time",
			[]evidence{{"1", "decided"}}},
		{"archived CRL, T after its nextUpdate", goodCMS, "2022-07-01T00:00:00Z", []string{archived}, 1, "unknown", "eds.crl.stale", "",
			[]evidence{{"1", "stale_for_time"}}},
		{"today's CRL only", goodCMS, "2022-06-01T00:00:00Z", []string{today}, 1, "unknown", "eds.crl.not_covered", "",
			[]evidence{{"9", "issued_after_expiry"}}},
		{"revoked, today's CRL only: never good", revokedCMS, "2022-06-01T00:00:00Z", []string{today}, 1, "unknown", "eds.crl.not_covered", "",
			[]evidence{{"9", "issued_after_expiry"}}},
		{"revoked, both CRLs", revokedCMS, "2022-06-01T00:00:00Z", []string{today, archived}, 1, "revoked", "eds.cert.revoked", "covers_time",
			[]evidence{{"9", "issued_after_expiry"}, {"1", "decided"}}},
		{"revoked, before the revocation", revokedCMS, "2022-02-01T00:00:00Z", []string{today, archived}, 0, "good", "", "issued_after_time",
			[]evidence{{"9", "issued_after_expiry"}, {"1", "decided"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"verify", tt.cms, "--ca", caFile, "--at", tt.at}
			for _, c := range tt.crls {
				args = append(args, "--crl", c)
			}
			code, out, errs := run(t, args...)
			var rep VerifyReport
			if err := json.Unmarshal(out, &rep); err != nil || len(rep.Signers) != 1 {
				t.Fatalf("exit %d %s\n%s", code, errs, out)
			}
			s := rep.Signers[0]
			crl := s.Chain.CRL
			if code != tt.exit || crl == nil || crl.Status != tt.status || crl.Basis != tt.basis {
				t.Fatalf("exit %d CRL %+v, want %d %s %s\n%s", code, crl, tt.exit, tt.status, tt.basis, out)
			}
			if tt.code != "" && !strings.Contains(strings.Join(s.Errors, ","), tt.code) {
				t.Errorf("errors %v, want %s", s.Errors, tt.code)
			}
			if !s.ValidationTime.Equal(mustTime(t, tt.at)) {
				t.Errorf("validation time %v", s.ValidationTime)
			}
			var got []evidence
			for _, e := range crl.Evidence {
				role := e.SetAside
				if e.Decided {
					role = "decided"
				}
				got = append(got, evidence{e.CRLNumber, role})
			}
			if len(got) != len(tt.evidence) {
				t.Fatalf("evidence %v, want %v", got, tt.evidence)
			}
			for i := range got {
				if got[i] != tt.evidence[i] {
					t.Errorf("evidence %v, want %v", got, tt.evidence)
				}
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

package edscmd

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// rule DC-6: the time-stamps prove the document from when they were made, not before:
// `senim eds verify --at T` with T before the signature time-stamps existed reports
// archive.evidence.gap and exits 1, sealed or not; the clocks of the TSA and of the
// verifier may differ by up to 10 minutes (archive.ClockSkew). Between the signature
// time-stamp and the seal the signature time-stamp alone proves it.
func TestNotValidBeforeItWasMade(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Archive Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := root.TSA(eds.KeyGOST2015_512, "TSA 2026", day(2026, 1, 1), day(2031, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyGOST2015_512, "Signer", day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	der, err := root.CRL(1, clock, clock.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	crl, _ := pki.ParseCRL(der)
	v, _ := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl}})
	content := []byte("Loan agreement, 24 months")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Detached: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	signed := clock // the signature time-stamp
	lt, _, err := archive.MakeLT(ctx, sig, content, archive.Validation{Validator: v, CRLs: []*pki.CRL{crl}, TSA: &tsp.Local{Config: tc}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	unsealed := &archive.Document{Name: "agreement.txt", Content: content, Signatures: [][]byte{lt}}
	clock = clock.Add(24 * time.Hour)
	sealed := clock // the archive time-stamp
	ers, err := archive.SealDocuments(ctx, &tsp.Local{Config: tc}, archive.Policy{}, []*archive.Document{unsealed},
		[]*x509.Certificate{tc.Cert, root.Cert}, [][]byte{crl.Raw})
	if err != nil {
		t.Fatal(err)
	}
	doc := *unsealed
	doc.Evidence = ers[0]

	dir := t.TempDir()
	write := func(name string, d *archive.Document) string {
		var buf bytes.Buffer
		if err := archive.WriteASiCE(&buf, d, clock); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := filepath.Join(dir, "root.cer")
	os.WriteFile(caFile, root.Cert.Raw, 0o600)
	withER, withoutER := write("sealed.asice", &doc), write("unsealed.asice", unsealed)
	tests := []struct {
		name string
		file string
		at   time.Time
		exit int
	}{
		{"a year before", withER, signed.AddDate(-1, 0, 0), 1},
		{"11 minutes before signing", withER, signed.Add(-11 * time.Minute), 1},
		{"9 minutes before signing: clock skew", withER, signed.Add(-9 * time.Minute), 0},
		// The signature time-stamp proves the signature until the evidence takes over.
		{"between signing and sealing", withER, sealed.Add(-time.Hour), 0},
		{"after the seal", withER, sealed.Add(time.Hour), 0},
		{"unsealed, a day before signing", withoutER, signed.Add(-24 * time.Hour), 1},
		{"unsealed, 11 minutes before signing", withoutER, signed.Add(-11 * time.Minute), 1},
		{"unsealed, 9 minutes before signing", withoutER, signed.Add(-9 * time.Minute), 0},
		{"unsealed, after signing", withoutER, signed.Add(time.Hour), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "verify", tt.file, "--ca", caFile, "--at", tt.at.Format(time.RFC3339))
			var rep ContainerReport
			if err := json.Unmarshal(out, &rep); err != nil || code != tt.exit || rep.Valid != (tt.exit == 0) {
				t.Fatalf("exit %d (want %d) %s\n%s", code, tt.exit, errs, out)
			}
			var codes []string
			if rep.Evidence != nil && rep.Evidence.Error != "" {
				codes = append(codes, rep.Evidence.Error)
			}
			for _, s := range rep.Signatures {
				for _, sr := range s.Signers {
					codes = append(codes, sr.Errors...)
				}
			}
			if got := slices.Contains(codes, "archive.evidence.gap"); got != (tt.exit == 1) {
				t.Fatalf("codes %v\n%s", codes, out)
			}
		})
	}
}

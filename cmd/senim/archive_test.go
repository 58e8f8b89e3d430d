package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// rule DC-6: `senim archive seal` puts an archived document under an evidence record
// time-stamped by the TSA at --tsa, and `senim archive renew` renews it when the TSA
// certificate expires within --renew-before (the renewal job until a job engine exists).
func TestArchiveSealRenewCommands(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "migrate", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	now := time.Now().UTC()
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Root", now.AddDate(-1, 0, 0), now.AddDate(20, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	tsaServer := func(years int) string {
		cfg, err := root.TSA(eds.KeyECDSA, "TSA", now.AddDate(-1, 0, 0), now.AddDate(years, 0, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := tsp.Handler(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tsa1, tsa2 := tsaServer(2), tsaServer(10) // the key is rolled between seal and renewal
	cert, key, err := root.Leaf(eds.KeyECDSA, "Signer", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("agreement")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crlDER, err := root.CRL(1, now.Add(-time.Hour), now.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	crl, _ := pki.ParseCRL(crlDER)
	v, _ := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl}})
	db, err := app.OpenDB(ctx, app.Config{DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := archive.New(archive.Config{DB: db, Validation: archive.Validation{Validator: v, CRLs: []*pki.CRL{crl}, TSA: &tsp.Client{URL: tsa1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, "org:900140000009", "a.txt", content, [][]byte{sig}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	certFile := filepath.Join(dir, "root.cer")
	os.WriteFile(certFile, root.Cert.Raw, 0o600)
	crlFile := filepath.Join(dir, "root.crl")
	os.WriteFile(crlFile, crlDER, 0o600)
	// rule DC-6: without the TSA's root or a CRL of its CA, the archive time-stamp would
	// not verify offline later: the seal is refused, nothing is sealed.
	for _, args := range [][]string{{"--tsa-cert", certFile}, {"--crl", crlFile}} {
		code, _, errs := runCmd(t, append([]string{"archive", "seal", "--data-dir", dir, "--tsa", tsa1}, args...)...)
		if code != 2 || !strings.Contains(errs, "would not verify offline") {
			t.Fatalf("seal %v: exit %d %s", args, code, errs)
		}
	}
	val := func(args ...string) []string { return append(args, "--tsa-cert", certFile, "--crl", crlFile) }
	policyFile := filepath.Join(dir, "hashpolicy.json")
	os.WriteFile(policyFile, fmt.Appendf(nil, `{"algorithms":[{"oid":"1.2.398.3.10.1.3.3","weak_from":%q}]}`, now.AddDate(0, 6, 0).Format(time.DateOnly)), 0o600)
	steps := []struct {
		args []string
		want string
	}{
		{val("archive", "seal", "--data-dir", dir, "--tsa", tsa1), "sealed 1 document(s)"},
		{val("archive", "seal", "--data-dir", dir, "--tsa", tsa1), "sealed 0 document(s)"},
		{val("archive", "renew", "--data-dir", dir, "--tsa", tsa2), "renewed 0 batch(es)"}, // the first expires in 2 years
		{val("archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--renew-before", "20000h"), "renewed 1 batch(es)"},
		{val("archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--renew-before", "20000h"), "renewed 0 batch(es)"},
		// rule DC-6: a hash policy that declares Streebog-512 weak within the margin makes
		// renew move the document to a new SHA-512 hash tree, once.
		{nil, ""},
		{val("archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--hash-policy", policyFile, "--hash", "2.16.840.1.101.3.4.2.3"),
			"renewed 0 batch(es) by a new time-stamp; 1 document(s) of 1 batch(es) by a new hash tree"},
		{val("archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--hash-policy", policyFile, "--hash", "2.16.840.1.101.3.4.2.3"),
			"renewed 0 batch(es) by a new time-stamp; 0 document(s) of 0 batch(es)"},
	}
	for _, s := range steps {
		if s.args == nil {
			// Renewing by a new tree with the hash the policy declares weak is refused.
			if code, _, errs := runCmd(t, "archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--hash-policy", policyFile); code != 2 ||
				!strings.Contains(errs, "itself weak") {
				t.Fatalf("renewal to a weak hash: %d %s", code, errs)
			}
			continue
		}
		code, out, errs := runCmd(t, s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v: exit %d %q %s", s.args, code, out, errs)
		}
	}
	// Renewing with a TSA whose own certificate is due is refused.
	if code, _, errs := runCmd(t, "archive", "renew", "--data-dir", dir, "--tsa", tsa1, "--renew-before", "200000h"); code != 2 ||
		!strings.Contains(errs, "within the renewal margin") {
		t.Fatalf("renewal with an expiring TSA: %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, "archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--hash-policy", filepath.Join(dir, "root.cer")); code != 2 {
		t.Fatal("a policy file that is not one")
	}
	if code, _, _ := runCmd(t, "archive", "renew", "--data-dir", dir); code != 2 {
		t.Fatal("renew without --tsa")
	}
	if code, _, errs := runCmd(t, "archive", "renew", "--data-dir", dir, "--tsa", tsa2, "--archive-blobs", "blobs"); code != 2 || !strings.Contains(errs, "--archive-blobs") {
		t.Fatalf("a relative blob directory: %d %s", code, errs)
	}

	// The manual runs were runs of serve's jobs: `senim jobs` counts them and shows the
	// last refusal.
	code, out, errs := runCmd(t, "jobs", "--data-dir", dir)
	if code != 0 || !regexp.MustCompile(`archive_seal +\S+ +- +\S+ +4 +2 +-\n`).MatchString(out) ||
		!regexp.MustCompile(`archive_renew .* 7 +2 +"archive: the TSA certificate expires within the renewal margin: .*" \(1 in a row\)`).MatchString(out) {
		t.Fatalf("senim jobs: exit %d\n%s%s", code, out, errs)
	}
	// While serve's seal job runs (a node holds its lease), a manual seal is refused and
	// runs nothing.
	db, err = app.OpenDB(ctx, app.Config{DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE jobs SET lease_owner = 'node-b/1', lease_until = ? WHERE name = 'archive_seal'`,
		time.Now().Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, _, errs := runCmd(t, "archive", "seal", "--data-dir", dir, "--tsa", tsa1); code != 2 || !strings.Contains(errs, "running in senim serve") {
		t.Fatalf("a manual seal while the job runs: exit %d %s", code, errs)
	}
	if code, out, _ := runCmd(t, "jobs", "--data-dir", dir); code != 0 || !regexp.MustCompile(`archive_seal +\S+ +node-b/1 until \S+ +\S+ +4 +2`).MatchString(out) {
		t.Fatalf("senim jobs while the seal runs elsewhere:\n%s", out)
	}
	if code, _, _ := runCmd(t, "jobs", "--data-dir", dir, "extra"); code != 2 {
		t.Fatal("senim jobs with an argument")
	}
}

// Before serve or a manual run has run a job, `senim jobs` lists none.
func TestJobsCommandEmpty(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "migrate", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := runCmd(t, "jobs", "--data-dir", dir)
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "JOB ") {
		t.Fatalf("exit %d %q %s", code, out, errs)
	}
}

// rule DC-6: the NCA's TSA is under a GOST root: `senim archive seal --tsa-cert` takes
// that root (PEM, with the TSA certificate) and --crl its GOST-signed CRL, and the seal
// is stored; another GOST root given in its place is refused, nothing sealed.
func TestSealGOSTRootInTSAChain(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "migrate", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	now := time.Now().UTC()
	newRoot := func(cn string) *tsptest.CA {
		r, err := tsptest.NewRoot(eds.KeyGOST2015_512, cn, now.AddDate(-1, 0, 0), now.AddDate(20, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	root, other := newRoot("GOST TSA Root"), newRoot("Other GOST Root")
	tc, err := root.TSA(eds.KeyGOST2015_512, "GOST TSA", now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	tc.Chain = nil // the TSA answers with its own certificate only
	h, err := tsp.Handler(tc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	signerRoot, err := tsptest.NewRoot(eds.KeyECDSA, "Signer Root", now.AddDate(-1, 0, 0), now.AddDate(20, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := signerRoot.Leaf(eds.KeyECDSA, "Signer", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("agreement")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signerCRL, _ := signerRoot.CRL(1, now.Add(-time.Hour), now.AddDate(0, 1, 0), nil)
	crlDER, err := root.CRL(1, now.Add(-time.Hour), now.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	var crls []*pki.CRL
	for _, der := range [][]byte{signerCRL, crlDER} {
		c, err := pki.ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		crls = append(crls, c)
	}
	v, _ := pki.New(pki.Config{Roots: []*x509.Certificate{signerRoot.Cert, root.Cert}, CRLs: crls})
	db, err := app.OpenDB(ctx, app.Config{DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := archive.New(archive.Config{DB: db, Validation: archive.Validation{Validator: v, CRLs: crls, TSA: &tsp.Client{URL: srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, "org:900140000009", "a.txt", content, [][]byte{sig}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	pemOf := func(cs ...*x509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return b
	}
	chainFile, otherFile, crlFile := filepath.Join(dir, "tsa-chain.pem"), filepath.Join(dir, "other.pem"), filepath.Join(dir, "tsa-root.crl")
	os.WriteFile(chainFile, pemOf(tc.Cert, root.Cert), 0o600)
	os.WriteFile(otherFile, pemOf(tc.Cert, other.Cert), 0o600)
	os.WriteFile(crlFile, crlDER, 0o600)
	if code, out, errs := runCmd(t, "archive", "seal", "--data-dir", dir, "--tsa", srv.URL, "--tsa-cert", otherFile, "--crl", crlFile); code != 2 ||
		!strings.Contains(errs, "would not verify offline") {
		t.Fatalf("another GOST root: exit %d %q %s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "archive", "seal", "--data-dir", dir, "--tsa", srv.URL, "--tsa-cert", chainFile, "--crl", crlFile); code != 0 ||
		!strings.Contains(out, "sealed 1 document(s)") {
		t.Fatalf("the TSA's GOST root: exit %d %q %s", code, out, errs)
	}
}

package edscmd

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
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

// rule DC-5, DC-6: `senim eds verify FILE.asics` (the default export, ASiC-S) and
// `senim eds verify FILE.asice` verify an exported container with nothing
// but the container and the root certificate (no server, no network): valid in 2035,
// after the signer's certificate was revoked (2027) and expired (2028) and the first
// TSA certificate expired (2031), because the evidence record was renewed in 2030 with
// the rolled TSA key; invalid in 2041 (not renewed again) and after a content byte
// changed; a hostile container is refused with its code.
func TestVerifyASiCEDecadesLater(t *testing.T) {
	ctx := t.Context()
	clock := day(2026, 6, 1)
	now := func() time.Time { return clock }
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Archive Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cfg1, err := root.TSA(eds.KeyGOST2015_512, "TSA 2026", day(2026, 1, 1), day(2031, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	cfg2, err := root.TSA(eds.KeyGOST2015_512, "TSA 2030", day(2030, 1, 1), day(2040, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyGOST2015_512, "Signer", day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	crlAt := func(n int64, entries ...tsptest.Revoked) *pki.CRL {
		der, err := root.CRL(n, clock, clock.AddDate(0, 1, 0), entries)
		if err != nil {
			t.Fatal(err)
		}
		c, err := pki.ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	content := []byte("Loan agreement, 24 months")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Detached: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	crl1 := crlAt(1)
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl1}})
	if err != nil {
		t.Fatal(err)
	}
	lt, _, err := archive.MakeLT(ctx, sig, content, archive.Validation{Validator: v, CRLs: []*pki.CRL{crl1}, TSA: &tsp.Local{Config: cfg1}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	doc := &archive.Document{Name: "agreement.txt", Content: content, Signatures: [][]byte{lt}}
	ers, err := archive.SealDocuments(ctx, &tsp.Local{Config: cfg1}, archive.Policy{}, []*archive.Document{doc},
		[]*x509.Certificate{cfg1.Cert, root.Cert}, [][]byte{crl1.Raw})
	if err != nil {
		t.Fatal(err)
	}
	clock = day(2030, 6, 1)
	crl2 := crlAt(2, tsptest.Revoked{Serial: cert.SerialNumber, At: day(2027, 3, 1), Reason: int(pki.ReasonSuperseded)})
	ers, err = archive.RenewRecords(ctx, &tsp.Local{Config: cfg2}, ers, []*x509.Certificate{root.Cert}, [][]byte{crl2.Raw})
	if err != nil {
		t.Fatal(err)
	}
	doc.Evidence = ers[0]

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("root.cer", root.Cert.Raw)
	var good string
	for _, form := range []struct {
		ext   string
		write func(io.Writer, *archive.Document, time.Time) error
	}{{".asics", archive.WriteASiCS}, {".asice", archive.WriteASiCE}} {
		container := func(d *archive.Document) []byte {
			var buf bytes.Buffer
			if err := form.write(&buf, d, clock); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		good = write("good"+form.ext, container(doc))
		tampered := *doc
		tampered.Content = bytes.Clone(content)
		tampered.Content[0] ^= 1
		bad := write("tampered"+form.ext, container(&tampered))

		tests := []struct {
			name, file, at string
			exit           int
			evidence       string
		}{
			{"2035: signer revoked and expired, first TSA expired", good, "2035-01-01T00:00:00Z", 0, ""},
			{"2041: not renewed after 2040", good, "2041-01-01T00:00:00Z", 1, "archive.evidence.gap"},
			{"one content byte changed", bad, "2035-01-01T00:00:00Z", 1, "archive.evidence.not_covered"},
		}
		for _, tt := range tests {
			t.Run(form.ext+" "+tt.name, func(t *testing.T) {
				code, out, errs := run(t, "verify", tt.file, "--ca", caFile, "--at", tt.at)
				var rep ContainerReport
				if err := json.Unmarshal(out, &rep); err != nil || code != tt.exit {
					t.Fatalf("exit %d (want %d) %s\n%s", code, tt.exit, errs, out)
				}
				if rep.Valid != (tt.exit == 0) || rep.Evidence == nil || rep.Evidence.Error != tt.evidence || len(rep.Signatures) != 1 {
					t.Fatalf("%s", out)
				}
				// The report's errors name why it is not valid (and nothing when it is).
				if (tt.evidence == "" && len(rep.Errors) != 0) || (tt.evidence != "" && !slices.Contains(rep.Errors, tt.evidence)) {
					t.Fatalf("errors %v, want %q", rep.Errors, tt.evidence)
				}
				if tt.exit == 0 && (len(rep.Evidence.TimeStamps) != 2 || rep.Signatures[0].Signers[0].TimeStamp == nil || rep.Document != "agreement.txt") {
					t.Fatalf("%s", out)
				}
			})
		}
		if form.ext == ".asice" {
			// One byte of the document changed inside the container, its manifest left
			// as it was: the signed document is not what was signed (rule DC-5).
			changed := write("changed"+form.ext, changeDocumentByte(t, container(doc), "agreement.txt", content))
			code, out, errs := run(t, "verify", changed, "--ca", caFile, "--at", "2035-01-01T00:00:00Z")
			var rep ContainerReport
			if err := json.Unmarshal(out, &rep); err != nil || code != 1 || rep.Valid || !slices.Contains(rep.Errors, "archive.signature.invalid") {
				t.Fatalf("a changed byte in the document: exit %d %s\n%s", code, errs, out)
			}
		}
		// A container that climbs out of its folder.
		hostile := bytes.ReplaceAll(container(doc), []byte("agreement.txt"), []byte("../../a.txt.."))
		code, out, _ := run(t, "verify", write("hostile"+form.ext, hostile), "--ca", caFile)
		var f struct{ Error string }
		json.Unmarshal(out, &f)
		if code != 2 || f.Error != "archive.asic.bad_path" {
			t.Fatalf("%s hostile: exit %d %s", form.ext, code, out)
		}
	}

	// Without trust there is nothing to verify against.
	if code, _, _ := run(t, "verify", good); code != 2 {
		t.Fatalf("no --ca: exit %d", code)
	}
}

// changeDocumentByte rewrites an ASiC container with the document entry name stored
// (not deflated), then flips one byte of it in the container's bytes: what a changed
// byte on a disk or in transit does to the document.
func changeDocumentByte(t *testing.T, b []byte, name string, content []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		h := f.FileHeader
		if f.Name == name {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: h.Name, Method: h.Method, Modified: h.Modified})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	i := bytes.Index(out, content)
	if i < 0 {
		t.Fatal("the document is not stored in the container")
	}
	out[i+3] ^= 0x20
	return out
}

// rule DC-6: an auditor who brings a later CRL (--crl) on which the signer's certificate
// was revoked before the signature time-stamp gets exit 1, and the report's errors name
// the revocation, as they name nothing for the same container without that CRL. Before,
// the container's "errors" held only unreadable signature files: "valid": false stood
// beside "errors": [].
func TestContainerErrorsNameTheReason(t *testing.T) {
	ctx := t.Context()
	clock := day(2026, 6, 1)
	now := func() time.Time { return clock }
	root, err := tsptest.NewRoot(eds.KeyECDSA, "Archive Root", day(2020, 1, 1), day(2060, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	tsaCfg, err := root.TSA(eds.KeyGOST2015_512, "TSA 2026", day(2026, 1, 1), day(2031, 1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyGOST2015_512, "Signer", day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	crlAt := func(n int64, entries ...tsptest.Revoked) *pki.CRL {
		der, err := root.CRL(n, clock, clock.AddDate(0, 1, 0), entries)
		if err != nil {
			t.Fatal(err)
		}
		c, err := pki.ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	content := []byte("Loan agreement, 24 months")
	sig, err := cms.Sign(ctx, content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Detached: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	crl1 := crlAt(1)
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl1}})
	if err != nil {
		t.Fatal(err)
	}
	lt, _, err := archive.MakeLT(ctx, sig, content, archive.Validation{Validator: v, CRLs: []*pki.CRL{crl1}, TSA: &tsp.Local{Config: tsaCfg}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	doc := &archive.Document{Name: "agreement.txt", Content: content, Signatures: [][]byte{lt}}
	ers, err := archive.SealDocuments(ctx, &tsp.Local{Config: tsaCfg}, archive.Policy{}, []*archive.Document{doc},
		[]*x509.Certificate{tsaCfg.Cert, root.Cert}, [][]byte{crl1.Raw})
	if err != nil {
		t.Fatal(err)
	}
	doc.Evidence = ers[0]
	// Three months later the CA publishes that the key was compromised in March.
	clock = day(2026, 9, 1)
	later := crlAt(2, tsptest.Revoked{Serial: cert.SerialNumber, At: day(2026, 3, 1), Reason: int(pki.ReasonKeyCompromise)})
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var buf bytes.Buffer
	if err := archive.WriteASiCS(&buf, doc, clock); err != nil {
		t.Fatal(err)
	}
	file, caFile, crlFile := write("a.asics", buf.Bytes()), write("root.cer", root.Cert.Raw), write("later.crl", later.Raw)
	for _, tc := range []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"without the later CRL", nil, 0, ""},
		{"with the later CRL", []string{"--crl", crlFile}, 1, "eds.cert.revoked"},
	} {
		code, out, errs := run(t, append([]string{"verify", file, "--ca", caFile, "--at", "2026-10-01T00:00:00Z"}, tc.args...)...)
		var rep ContainerReport
		if err := json.Unmarshal(out, &rep); err != nil || code != tc.exit {
			t.Fatalf("%s: exit %d (want %d) %s\n%s", tc.name, code, tc.exit, errs, out)
		}
		if (tc.want == "" && len(rep.Errors) != 0) || (tc.want != "" && !slices.Contains(rep.Errors, tc.want)) {
			t.Fatalf("%s: errors %v, want %q", tc.name, rep.Errors, tc.want)
		}
	}
}

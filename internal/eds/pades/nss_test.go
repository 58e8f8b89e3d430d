package pades

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
)

// issue 12 item 7 (differential, the other direction): PDFs rewritten by qpdf
// (object streams and cross-reference streams, linearized) and by cairo and signed by poppler's
// pdfsig with NSS (adbe.pkcs7.detached, RSA) verify with
// Verify; each of them changed by one byte does not. And Sign's signature over the
// qpdf files verifies with pdfsig. Skipped where qpdf, pdfsig, certutil or pk12util
// are missing (apt-get install qpdf poppler-utils libnss3-tools).
func TestPopplerSignedPDFs(t *testing.T) {
	tools := map[string]string{}
	for _, name := range []string{"qpdf", "pdfsig", "certutil", "pk12util", "pdftocairo"} {
		tools[name] = tool(t, name)
	}
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(t.Context(), tools[name], args...).CombinedOutput()
		if err != nil && name != "qpdf" { // qpdf exits 3 on warnings
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	p := newPKI(t, eds.KeyRSA)
	p12, err := pkcs12.EncodeFormat(pkcs12.FormatPBES2, p.spec.Signer.(*eds.PrivateKey), p.spec.Cert, nil, "pw", "signer")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	nss := filepath.Join(dir, "nss")
	os.Mkdir(nss, 0o700)
	run("certutil", "-N", "-d", "sql:"+nss, "--empty-password")
	run("pk12util", "-i", write("signer.p12", p12), "-d", "sql:"+nss, "-W", "pw")

	plain := write("plain.pdf", makePDF(t, classicXref))
	variants := map[string][]string{
		"object streams": {"--object-streams=generate", plain},
		"linearized":     {"--linearize", plain},
	}
	variants["cairo"] = nil // rewritten by cairo (poppler's pdftocairo), another producer
	for name, args := range variants {
		out := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".pdf")
		if args == nil {
			run("pdftocairo", "-pdf", plain, out)
		} else {
			run("qpdf", append(args, out)...)
		}
		in, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		// pdfsig 22.12 makes adbe.pkcs7.detached only (-etsi is not supported with -add-signature).
		for _, etsi := range []bool{false} {
			signedPath := out + ".signed.pdf"
			args := []string{"-add-signature", "-nssdir", "sql:" + nss, "-nick", "signer", "-reason", "poppler", "-new-signature-field-name", "Poppler1"}
			if etsi {
				args = append(args, "-etsi")
			}
			run("pdfsig", append(args, out, signedPath)...)
			signed, err := os.ReadFile(signedPath)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(t.Context(), signed, p.opts())
			if err != nil {
				t.Fatalf("%s etsi %v: %v", name, etsi, err)
			}
			if !res.Valid || len(res.Signatures) != 1 || res.Signatures[0].Reason != "poppler" {
				t.Errorf("%s etsi %v: poppler's signature: valid %v %v", name, etsi, res.Valid, codes(res.Signatures[0].Errors))
			}
			// A signed byte changed: one of the header's binary comment (line 2).
			nl := bytes.IndexByte(signed, '\n')
			if nl < 0 || signed[nl+1] != '%' {
				t.Fatalf("unexpected header %q", signed[:16])
			}
			bad := bytes.Clone(signed)
			bad[nl+2] ^= 1
			if res, err := Verify(t.Context(), bad, p.opts()); err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, "eds.cms.digest_mismatch") {
				t.Errorf("%s etsi %v: a changed byte: %v %v", name, etsi, err, res)
			}
		}
		// Ours over qpdf's file, checked by pdfsig.
		ours, err := Sign(t.Context(), in, p.spec, SignOptions{Now: clock})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out := run("pdfsig", "-nocert", write("ours.pdf", ours)); !strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Total document signed") {
			t.Errorf("%s: pdfsig on our signature:\n%s", name, out)
		}
	}
}

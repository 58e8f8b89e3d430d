package pades

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

// issue 12 item 7 (differential): an RSA signature made by Sign is valid for
// poppler's pdfsig, an independent PDF signature verifier (skipped where pdfsig is
// not installed: apt-get install poppler-utils). The negative case: the same file
// with one signed byte changed is reported invalid by pdfsig too.
func TestPdfsigAcceptsOurSignature(t *testing.T) {
	bin := tool(t, "pdfsig")
	p := newPKI(t, eds.KeyRSA)
	for _, kind := range []pdfKind{classicXref, objStreams} {
		signed, err := Sign(t.Context(), makePDF(t, kind), p.spec, SignOptions{Now: clock, Reason: "test"})
		if err != nil {
			t.Fatal(err)
		}
		out := pdfsig(t, bin, signed)
		if !strings.Contains(out, "Signature Validation: Signature is Valid.") || !strings.Contains(out, "Total document signed") {
			t.Errorf("kind %d: pdfsig says:\n%s", kind, out)
		}
		bad := bytes.Replace(signed, []byte("(Hello)"), []byte("(Hellp)"), 1)
		if out := pdfsig(t, bin, bad); strings.Contains(out, "Signature is Valid.") {
			t.Errorf("kind %d: pdfsig accepts a changed file:\n%s", kind, out)
		}
	}
}

func pdfsig(t *testing.T, bin string, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.CommandContext(t.Context(), bin, "-nocert", path).CombinedOutput()
	return string(out)
}

// qpdf --check, an independent PDF reader, finds no syntax or cross-reference
// error in what Sign and TimeStampDocument write, in every layout (skipped without
// qpdf). The negative case: a file whose xref offset is broken is reported.
func TestQpdfChecksOurUpdates(t *testing.T) {
	bin := tool(t, "qpdf")
	check := func(pdf []byte) string {
		path := filepath.Join(t.TempDir(), "f.pdf")
		os.WriteFile(path, pdf, 0o600)
		out, _ := exec.CommandContext(t.Context(), bin, "--check", path).CombinedOutput()
		return string(out)
	}
	p := newPKI(t, eds.KeyRSA)
	for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
		signed, err := Sign(t.Context(), makePDF(t, kind), p.spec, SignOptions{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		stamped, err := TimeStampDocument(t.Context(), signed, p.tsa(t), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for name, pdf := range map[string][]byte{"signed": signed, "stamped": stamped} {
			if out := check(pdf); !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out, "WARNING") {
				t.Errorf("kind %d %s: qpdf --check:\n%s", kind, name, out)
			}
		}
		broken := bytes.Clone(signed)
		i := bytes.LastIndex(broken, []byte("startxref\n"))
		copy(broken[i+len("startxref\n"):], "1")
		if out := check(broken); !strings.Contains(out, "WARNING") && !strings.Contains(out, "error") {
			t.Errorf("kind %d: qpdf finds nothing wrong with a broken startxref:\n%s", kind, out)
		}
	}
}

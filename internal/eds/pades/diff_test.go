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
	bin, err := exec.LookPath("pdfsig")
	if err != nil {
		t.Skip("pdfsig (poppler-utils) is not installed")
	}
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

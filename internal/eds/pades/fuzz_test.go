package pades

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/senimkz/senim/internal/eds/cms"
)

// FuzzVerify feeds arbitrary bytes to the reader and the signature checks (no
// chain validation, so that iterations stay fast): never a panic, and never a valid
// document without a signature that covers it.
// Run: go test ./internal/eds/pades/ -run '^$' -fuzz FuzzVerify
func FuzzVerify(f *testing.F) {
	for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
		f.Add(makePDF(f, kind))
	}
	names, _ := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, pdf []byte) {
		res, err := Verify(t.Context(), pdf, cms.VerifyOptions{Now: clock})
		if err != nil {
			return
		}
		if res.Valid {
			for _, s := range res.Signatures {
				if !s.Valid || s.CMS == nil || s.SignedLength < contentEnd(pdf) {
					t.Fatalf("valid document with a signature that is not: %+v", s)
				}
			}
		}
	})
}

// FuzzObject parses arbitrary bytes as one object and writes it back: what is
// written parses to the same serialisation.
func FuzzObject(f *testing.F) {
	for _, s := range []string{"<< /A [1 2.5 (x\\)y) <414> /N#20m 3 0 R] /B << >> >>", "[true false null -3 +.5]", "(a(b)c\\101)"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &parser{buf: in}
		o, err := p.object(0)
		if err != nil {
			return
		}
		var w1 bytesBuffer
		writeObject(&w1.Buffer, o)
		p2 := &parser{buf: w1.Bytes()}
		o2, err := p2.object(0)
		if err != nil {
			t.Fatalf("%q: written form %q does not parse: %v", in, w1.Bytes(), err)
		}
		var w2 bytesBuffer
		writeObject(&w2.Buffer, o2)
		if w1.String() != w2.String() {
			t.Fatalf("%q: %q != %q", in, w1.String(), w2.String())
		}
	})
}

type bytesBuffer struct{ bytes.Buffer }

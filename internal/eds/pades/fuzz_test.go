package pades

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
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
			var last int64
			for _, s := range res.Signatures {
				if !s.Valid || (s.CMS == nil && s.DocTimeStamp == nil) {
					t.Fatalf("valid document with a signature that is not: %+v", s)
				}
				last = max(last, s.SignedLength)
			}
			// Only a document security store may follow the last signature.
			if d, err := Open(pdf); err != nil || (last < contentEnd(pdf) && !d.onlyDSSAfter(last)) {
				t.Fatalf("valid document with unsigned changes after %d", last)
			}
		}
	})
}

// FuzzDSS reads the /DSS of arbitrary PDFs and checks what follows a revision
// (onlyDSSAfter), and AddDSS writes a store that reads back: never a panic.
// Seeds: PAdES-LT and -LTA files. Run: go test ./internal/eds/pades/ -run '^$' -fuzz FuzzDSS
func FuzzDSS(f *testing.F) {
	p := newLTPKI(f, "Fuzz")
	signed, err := Sign(f.Context(), makePDF(f, xrefStream), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		f.Fatal(err)
	}
	for _, archive := range []bool{false, true} {
		out, _, err := ExtendLT(f.Context(), signed, p.ltOptions(archive))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out, int64(len(signed)))
	}
	f.Add(makePDF(f, objStreams), int64(10))
	f.Fuzz(func(t *testing.T, pdf []byte, n int64) {
		d, err := Open(pdf)
		if err != nil {
			return
		}
		ds, err := d.DSS()
		if err == nil && ds != nil {
			ds.Evidence()
		}
		if n > 0 && n < int64(len(pdf)) {
			d.onlyDSSAfter(n)
		}
		out, err := AddDSS(pdf, []DSSEntry{{Signature: pdf[:min(len(pdf), 8)], Material: pki.LTMaterial{CRLs: [][]byte{[]byte("crl")}}}})
		if err != nil {
			return
		}
		d2, err := Open(out)
		if err != nil {
			t.Fatalf("AddDSS wrote a file that does not open: %v", err)
		}
		ds2, err := d2.DSS()
		if err != nil || ds2 == nil || !containsDER(ds2.CRLs, []byte("crl")) {
			t.Fatalf("the store written does not read back: %v %+v", err, ds2)
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

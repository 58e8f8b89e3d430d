package pades

import (
	"bytes"
	"compress/zlib"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// pdfKind selects how makePDF writes its cross-reference data.
type pdfKind int

const (
	classicXref pdfKind = iota // an xref table and trailer (PDF 1.4)
	xrefStream                 // a compressed, PNG-predicted cross-reference stream
	objStreams                 // a cross-reference stream and the catalog, pages and page in an object stream
)

// makePDF writes a one-page PDF with the text "Hello" (offsets computed, so the file
// is valid) in one of three layouts.
func makePDF(t testing.TB, kind pdfKind) []byte {
	t.Helper()
	content := "BT /F1 24 Tf 72 720 Td (Hello) Tj ET"
	objs := []string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, 8)
	inStream := map[int]bool{}
	if kind == objStreams {
		inStream = map[int]bool{1: true, 2: true, 3: true}
	}
	for i := 1; i <= 5; i++ {
		if inStream[i] {
			continue
		}
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i, objs[i])
	}
	if kind == objStreams {
		var hdr, body bytes.Buffer
		for _, i := range []int{1, 2, 3} {
			fmt.Fprintf(&hdr, "%d %d ", i, body.Len())
			body.WriteString(objs[i] + "\n")
		}
		data := deflate(append(hdr.Bytes(), body.Bytes()...))
		offsets[6] = b.Len()
		fmt.Fprintf(&b, "6 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n", hdr.Len(), len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
	}
	xrefAt := b.Len()
	switch kind {
	case classicXref:
		b.WriteString("xref\n0 6\n0000000000 65535 f\r\n")
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(&b, "%010d 00000 n\r\n", offsets[i])
		}
		b.WriteString("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n")
	default:
		// Rows: type, offset (3 bytes), field 3 (1 byte); PNG "Up" predictor.
		row := func(typ, f2, f3 int) []byte {
			return []byte{byte(typ), byte(f2 >> 16), byte(f2 >> 8), byte(f2), byte(f3)}
		}
		rows := [][]byte{row(0, 0, 255)}
		for i := 1; i <= 5; i++ {
			if inStream[i] {
				rows = append(rows, row(2, 6, i-1))
			} else {
				rows = append(rows, row(1, offsets[i], 0))
			}
		}
		n := 6
		if kind == objStreams {
			rows = append(rows, row(1, offsets[6], 0))
			n = 7
		}
		rows = append(rows, row(1, xrefAt, 0))
		n++
		var pred []byte
		prev := make([]byte, 5)
		for _, r := range rows {
			pred = append(pred, 2)
			for j := range r {
				pred = append(pred, r[j]-prev[j])
			}
			prev = r
		}
		data := deflate(pred)
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 3 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >> /Length %d >>\nstream\n", n-1, n, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\nstartxref\n")
	}
	fmt.Fprintf(&b, "%d\n%%%%EOF\n", xrefAt)
	return b.Bytes()
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// testPKI is a root, a signer under it and a validator trusting the root.
type testPKI struct {
	root *tsptest.CA
	spec cms.SignerSpec
	v    *pki.Validator
}

func newPKI(t testing.TB, kt eds.KeyType) *testPKI {
	t.Helper()
	root, err := tsptest.NewRoot(kt, "PDF Test Root", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(kt, "PDF Signer", date(2026, 1, 1), date(2027, 6, 1))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{root: root, spec: cms.SignerSpec{Signer: key, Cert: cert}, v: v}
}

func (p *testPKI) opts() cms.VerifyOptions {
	return cms.VerifyOptions{Validator: p.v, Revocation: []pki.RevocationMethod{}, Now: clock}
}

// tsa makes a time-stamping authority under p's root.
func (p *testPKI) tsa(t testing.TB) cms.TimeStamper {
	t.Helper()
	cfg, err := p.root.TSA(eds.KeyECDSA, "PDF Test TSA", date(2025, 1, 1), date(2030, 1, 1), clock)
	if err != nil {
		t.Fatal(err)
	}
	return &tsp.Local{Config: cfg}
}

func codes(errs []error) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, eds.Code(e))
	}
	return out
}

func hasCode(errs []error, code string) bool {
	for _, e := range errs {
		if eds.Code(e) == code {
			return true
		}
	}
	return false
}

// rewriteByteRange rewrites the first signature's /ByteRange in place (same width).
func rewriteByteRange(t testing.TB, pdf []byte, f func([4]int64) [4]int64) []byte {
	t.Helper()
	d, err := Open(pdf)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := d.Signatures()
	if err != nil || len(sigs) == 0 {
		t.Fatal("no signature", err)
	}
	var br [4]int64
	for i, x := range sigs[0].Dict.Get("ByteRange").(Array) {
		br[i] = x.(int64)
	}
	out := bytes.Clone(pdf)
	old := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3])
	i := bytes.Index(out, []byte(old))
	if i < 0 {
		t.Fatal("ByteRange not found")
	}
	n := f(br)
	repl := fmt.Sprintf("/ByteRange [%d %d %d %d]", n[0], n[1], n[2], n[3])
	width := len("/ByteRange ") + len(byteRangePlaceholder)
	if len(repl) > width {
		t.Fatal("ByteRange too wide")
	}
	copy(out[i:], repl+strings.Repeat(" ", width-len(repl)))
	return out
}

// tool finds an external program of a differential test: skipped where it is not
// installed, unless SENIM_REQUIRE_PDFTOOLS=1 (CI installs them) makes it a failure.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SENIM_REQUIRE_PDFTOOLS") == "1" {
			t.Fatalf("%s is not installed (SENIM_REQUIRE_PDFTOOLS=1)", name)
		}
		t.Skipf("%s is not installed (apt-get install poppler-utils qpdf libnss3-tools)", name)
	}
	return p
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func execOut(t testing.TB, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
	return string(out), err
}

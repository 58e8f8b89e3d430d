package pades

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// rule: the parse budget is per document: an object stream that points many object
// numbers at the same large dictionary (each listed as a form field) is refused with
// eds.pdf.too_large instead of being parsed once per number. The negative case:
// the same file with few numbers is read.
func TestTokenBudget(t *testing.T) {
	build := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("%PDF-1.7\n")
		off := map[int]int{}
		var fields []string
		for i := range n {
			fields = append(fields, fmt.Sprintf("%d 0 R", 10+i))
		}
		objs := map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + strings.Join(fields, " ") + "] >> >>",
			2: "<< /Type /Pages /Kids [] /Count 0 >>",
		}
		for _, i := range []int{1, 2} {
			off[i] = b.Len()
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i, objs[i])
		}
		var hdr bytes.Buffer
		for i := range n {
			fmt.Fprintf(&hdr, "%d 0 ", 10+i)
		}
		body := "<< /X [" + strings.Repeat("0 ", 40000) + "] >>"
		data := deflate(append(hdr.Bytes(), body...))
		off[3] = b.Len()
		fmt.Fprintf(&b, "3 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n", n, hdr.Len(), len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		xrefAt := b.Len()
		size := 10 + n
		var rows []byte
		for i := range size {
			switch {
			case i >= 1 && i <= 3:
				rows = append(rows, 1, byte(off[i]>>16), byte(off[i]>>8), byte(off[i]), 0)
			case i == 4:
				rows = append(rows, 1, byte(xrefAt>>16), byte(xrefAt>>8), byte(xrefAt), 0)
			case i >= 10:
				rows = append(rows, 2, 0, 0, 3, byte(i-10))
			default:
				rows = append(rows, 0, 0, 0, 0, 0)
			}
		}
		fmt.Fprintf(&b, "4 0 obj\n<< /Type /XRef /Size %d /W [1 3 1] /Root 1 0 R /Length %d >>\nstream\n", size, len(rows))
		b.Write(rows)
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefAt)
		return b.Bytes()
	}
	d, err := Open(build(4))
	if err != nil {
		t.Fatal(err)
	}
	if sigs, err := d.Signatures(); err != nil || len(sigs) != 0 {
		t.Fatalf("few numbers: %v %v", sigs, err)
	}
	d, err = Open(build(64))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Signatures(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("64 numbers at one dictionary of a 40,000-element array: %v, want eds.pdf.too_large", err)
	}
}

package docs

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// QR is a QR code's modules, encoded by github.com/yeqown/go-qrcode/v2 (medium error
// correction); SVG and PNG draw it with a quiet zone of 4 modules.
type QR struct {
	bits [][]bool // [y][x], true = dark
}

// NewQR encodes text.
func NewQR(text string) (*QR, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("docs: QR: %w", err)
	}
	var w matrixWriter
	if err := q.Save(&w); err != nil {
		return nil, fmt.Errorf("docs: QR: %w", err)
	}
	return &QR{bits: w.bits}, nil
}

type matrixWriter struct{ bits [][]bool }

func (m *matrixWriter) Write(mat qrcode.Matrix) error {
	// Bitmap is [x][y]; keep [y][x] for drawing row by row.
	b := mat.Bitmap()
	m.bits = make([][]bool, mat.Height())
	for y := range m.bits {
		m.bits[y] = make([]bool, mat.Width())
		for x := range m.bits[y] {
			m.bits[y][x] = b[x][y]
		}
	}
	return nil
}

func (m *matrixWriter) Close() error { return nil }

const quiet = 4

// Size is the width in modules, quiet zone included.
func (q *QR) Size() int { return len(q.bits) + 2*quiet }

// SVG draws the code as one path, each module a unit square, scaled by the viewer.
func (q *QR) SVG(title string) string {
	var b strings.Builder
	n := q.Size()
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, n, n)
	if title != "" {
		b.WriteString("<title>")
		xmlEscape(&b, title)
		b.WriteString("</title>")
	}
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range q.bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	r.WriteString(b, s)
}

// PNG draws the code with scale pixels a module.
func (q *QR) PNG(scale int) ([]byte, error) {
	if scale < 1 || scale > 32 {
		return nil, fmt.Errorf("docs: QR scale %d out of 1..32", scale)
	}
	n := q.Size() * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range q.bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetGray((x+quiet)*scale+dx, (y+quiet)*scale+dy, color.Gray{})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

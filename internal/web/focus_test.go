package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// luminance is the WCAG 2 relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	var l [3]float64
	for i := range l {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b string) float64 {
	x, y := luminance(a), luminance(b)
	return (math.Max(x, y) + 0.05) / (math.Min(x, y) + 0.05)
}

// The focus outline stands out from the page at least 3:1 (WCAG 2.2, 1.4.11 and
// 2.4.13); the old #ffbf47 ring had about 1.6:1 on white (issue 10 item 6).
func TestFocusOutlineContrast(t *testing.T) {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`a:focus-visible[^{]*\{[^}]*outline: 3px solid (#[0-9a-fA-F]{6})`).FindSubmatch(css)
	bg := regexp.MustCompile(`--bg: (#[0-9a-fA-F]{6})`).FindSubmatch(css)
	if m == nil || bg == nil {
		t.Fatal("no focus outline or background colour in style.css")
	}
	if c := contrast(string(m[1]), string(bg[1])); c < 3 {
		t.Errorf("focus outline %s on %s: %.1f:1, want at least 3:1", m[1], bg[1], c)
	}
	if c := contrast("#ffbf47", "#ffffff"); c >= 3 { // the check itself can fail
		t.Errorf("the old outline measures %.1f:1", c)
	}
}

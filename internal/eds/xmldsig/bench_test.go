package xmldsig

import (
	"os"
	"strings"
	"testing"
)

// BenchmarkVerifyKalkan verifies the real Kalkan GOST 2015-512 XML signature:
// parse, canonicalise, Streebog digest and one GOST verification.
func BenchmarkVerifyKalkan(b *testing.B) {
	doc, err := os.ReadFile("testdata/kalkan-gost2015-512.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(doc, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalize100KiB: exclusive C14N of a 100 KiB document.
func BenchmarkCanonicalize100KiB(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<doc xmlns="urn:d" xmlns:x="urn:x">`)
	for sb.Len() < 100<<10 {
		sb.WriteString(`<x:row a="1" b="два"><v>значение &amp; text</v></x:row>`)
	}
	sb.WriteString(`</doc>`)
	p, err := parse([]byte(sb.String()), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		canonicalDocument(p.doc, c14nMethod{exclusive: true}, nil)
	}
}

// BenchmarkSignXAdESB and BenchmarkVerifyXAdESB: a XAdES-B signature with the NCA
// test key (GOST 2015-512) against plain XML-DSig of the same document, in the same
// run: the extra cost is one more reference (canonicalise and digest the
// SignedProperties) and two more parses while signing.
func BenchmarkSignXAdESB(b *testing.B) {
	k := gost(b)
	for _, x := range []bool{false, true} {
		name := "plain"
		if x {
			name = "xades-b"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Sign([]byte(sample), k.key, k.chain, Options{XAdES: x}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyXAdESB(b *testing.B) {
	k := gost(b)
	for _, x := range []bool{false, true} {
		name := "plain"
		if x {
			name = "xades-b"
		}
		doc, err := Sign([]byte(sample), k.key, k.chain, Options{XAdES: x})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(doc, VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package xmldsig

import (
	"bytes"
	"os"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

func addSeeds(f *testing.F) {
	kalkan, _ := os.ReadFile("testdata/kalkan-gost2015-512.xml")
	f.Add(kalkan)
	for _, doc := range diffDocs {
		f.Add([]byte(doc))
	}
	k := rsaKey(f)
	for _, o := range []Options{{}, {ReferenceURI: "#it1", Inclusive: true}} {
		out, err := Sign([]byte(sample), k.key, k.chain, o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
	}
	// XAdES-B, and its properties moved out of the signature (rule XAdES-BIND).
	for _, uri := range []string{"", "#it1"} {
		out, err := Sign([]byte(sample), k.key, k.chain, Options{XAdES: true, ReferenceURI: uri})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
		if i, j := bytes.Index(out, []byte("<xades:SignedProperties ")), bytes.Index(out, []byte("</xades:SignedProperties>")); i > 0 && j > i {
			sp := out[i : j+len("</xades:SignedProperties>")]
			moved := append(append(append([]byte{}, out[:i]...), out[j+len("</xades:SignedProperties>"):]...), sp...)
			f.Add(moved)
		}
	}
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>`))
	// XAdES-LT: CertificateValues and RevocationValues (rule XAdES-LT).
	f.Add(ltSigned(f))
}

// FuzzVerify: any input is answered with a coded error or a result, never a
// panic; a nil error means every signature has a certificate and references
// whose content was digested.
func FuzzVerify(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := Verify(doc, VerifyOptions{Limits: Limits{MaxBytes: 1 << 16}})
		if err != nil && eds.Code(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		if err == nil {
			for _, s := range res.Signatures {
				if s.Err != nil || s.Certificate == nil || len(s.References) == 0 {
					t.Fatalf("valid result without content: %+v", s)
				}
				// rule XAdES-BIND: a level only with bound signed properties.
				if (s.Level != "") != (s.XAdES != nil) || (s.Level == LevelT && s.TimeStampErr != nil) {
					t.Fatalf("level %q without its evidence: %+v", s.Level, s)
				}
			}
		}
	})
}

// FuzzCanonicalize: the parser never panics, and the canonical form of any
// document it reads is a fixed point (it parses, and canonicalising it again
// gives the same bytes) in each canonicalisation. Separate from FuzzVerify, so
// that slow GOST verifications do not starve the parser.
func FuzzCanonicalize(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, perr := parse(doc, Limits{MaxBytes: 1 << 16})
		if perr != nil {
			return
		}
		for _, m := range []c14nMethod{{}, {comments: true}, {exclusive: true}} {
			c1 := canonicalDocument(p.doc, m, nil)
			p2, err := parse(c1, Limits{MaxBytes: 1 << 20})
			if err != nil {
				t.Fatalf("canonical form does not parse: %v\n%q", err, c1)
			}
			if c2 := canonicalDocument(p2.doc, m, nil); !bytes.Equal(c1, c2) {
				t.Fatalf("canonical form is not a fixed point:\n%q\n%q", c1, c2)
			}
		}
	})
}

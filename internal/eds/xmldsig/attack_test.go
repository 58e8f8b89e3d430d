package xmldsig

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

func signedSample(t *testing.T, uri string) []byte {
	t.Helper()
	k := rsaKey(t)
	out, err := Sign([]byte(sample), k.key, k.chain, Options{ReferenceURI: uri})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// issue 12 (bad input): XML bombs, external entities, deep nesting and other
// malformed input are refused before anything is expanded, each with its code.
func TestHostileInput(t *testing.T) {
	signed := signedSample(t, "")
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	veryDeep := strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000)
	wide := "<r " + func() string {
		var b strings.Builder
		for i := range 100 {
			b.WriteString("a" + strings.Repeat("x", i) + `="1" `)
		}
		return b.String()
	}() + "/>"
	cases := []struct {
		name, doc string
		want      error
		code      string
	}{
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
			`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`, ErrDTD, "eds.xml.dtd_forbidden"},
		{"external entity", `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`, ErrDTD, "eds.xml.dtd_forbidden"},
		{"doctype only", `<!DOCTYPE r SYSTEM "http://example.com/r.dtd"><r/>`, ErrDTD, "eds.xml.dtd_forbidden"},
		{"undeclared entity", `<r>&x;</r>`, ErrMalformed, "eds.xml.malformed"},
		{"deep", deep, ErrTooDeep, "eds.xml.too_deep"},
		{"very deep", veryDeep, ErrTooDeep, "eds.xml.too_deep"},
		{"many attributes", wide, ErrTooLarge, "eds.xml.too_large"},
		{"truncated", string(signed[:len(signed)/2]), ErrMalformed, "eds.xml.malformed"},
		{"empty", "", ErrMalformed, "eds.xml.malformed"},
		{"two roots", "<a/><b/>", ErrMalformed, "eds.xml.malformed"},
		{"text outside", "<a/>text", ErrMalformed, "eds.xml.malformed"},
		{"not utf-8", `<?xml version="1.0" encoding="windows-1251"?><a/>`, ErrMalformed, "eds.xml.malformed"},
		{"duplicate attribute", `<a x="1" x="2"/>`, ErrMalformed, "eds.xml.malformed"},
		{"undeclared prefix", `<p:a/>`, ErrMalformed, "eds.xml.malformed"},
		{"no signature", `<a><b/></a>`, ErrNoSignature, "eds.xml.no_signature"},
	}
	for _, c := range cases {
		_, err := Verify([]byte(c.doc), VerifyOptions{})
		if !errors.Is(err, c.want) || eds.Code(err) != c.code {
			t.Errorf("%s: %v (code %q), want %v", c.name, err, eds.Code(err), c.want)
		}
		k := gost(t)
		if _, err := Sign([]byte(c.doc), k.key, k.chain, Options{}); c.want != ErrNoSignature && !errors.Is(err, c.want) {
			t.Errorf("Sign %s: %v, want %v", c.name, err, c.want)
		}
	}
	big := bytes.Repeat([]byte("<a/>"), 10)
	if _, err := Verify(big, VerifyOptions{Limits: Limits{MaxBytes: 16}}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size limit: %v", err)
	}
}

// issue 12 (bad input): signature wrapping. A second element with the signed
// ID is refused; a signed element moved elsewhere still verifies, but what the
// Result says was signed is the original content only, never the element the
// attacker put in its place.
func TestSignatureWrapping(t *testing.T) {
	signed := signedSample(t, "#it1")
	orig := `<x:item Id="it1" b="2" a="1">Сәлем &amp; &lt;hi&gt;</x:item>`
	if !bytes.Contains(signed, []byte(orig)) {
		t.Fatal("fixture")
	}
	evil := `<x:item Id="it1" b="2" a="1">pay 1000000</x:item>`

	// Duplicate: the evil element is added next to the signed one.
	dup := bytes.Replace(signed, []byte(orig), []byte(evil+orig), 1)
	if _, err := Verify(dup, VerifyOptions{}); !errors.Is(err, ErrDuplicateID) || eds.Code(err) != "eds.xml.duplicate_id" {
		t.Errorf("duplicate id: %v", err)
	}
	// The duplicate may also hide in the signature's Object.
	hidden := bytes.Replace(signed, []byte("</ds:Signature>"), []byte("<ds:Object>"+evil+"</ds:Object></ds:Signature>"), 1)
	if _, err := Verify(hidden, VerifyOptions{}); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("duplicate in Object: %v", err)
	}
	// Moved: the signed element goes into ds:Object; an element with another ID
	// takes its place. The signature holds, and Canonical is the original.
	moved := bytes.Replace(signed, []byte(orig), []byte(`<x:item Id="it2">pay 1000000</x:item>`), 1)
	moved = bytes.Replace(moved, []byte("</ds:Signature>"), []byte("<ds:Object>"+orig+"</ds:Object></ds:Signature>"), 1)
	res, err := Verify(moved, VerifyOptions{})
	if err != nil {
		t.Fatalf("moved: %v", err)
	}
	if got := string(res.Signatures[0].References[0].Canonical); strings.Contains(got, "1000000") || !strings.Contains(got, "Сәлем") {
		t.Errorf("moved: reported signed content %q", got)
	}
	// A whole-document signature: any added element breaks it.
	whole := signedSample(t, "")
	added := bytes.Replace(whole, []byte("<empty/>"), []byte("<empty/><x:item>pay</x:item>"), 1)
	if _, err := Verify(added, VerifyOptions{}); !errors.Is(err, ErrDigest) {
		t.Errorf("added element: %v", err)
	}
	// A second SignedInfo (the verifier might check one and report the other).
	two := bytes.Replace(whole, []byte("<ds:SignatureValue>"), []byte("<ds:SignedInfo/><ds:SignatureValue>"), 1)
	if _, err := Verify(two, VerifyOptions{}); !errors.Is(err, ErrStructure) {
		t.Errorf("two SignedInfo: %v", err)
	}
}

// issue 12 (bad input): unknown or weak algorithms and transforms, references
// outside the document and unusable certificates, each with a stable code.
func TestUnsupported(t *testing.T) {
	whole := signedSample(t, "")
	k := rsaKey(t)
	cases := []struct {
		name     string
		from, to string
		want     error
		code     string
	}{
		{"rsa-sha1", SignatureRSASHA256, "http://www.w3.org/2000/09/xmldsig#rsa-sha1", ErrUnknownAlgorithm, "eds.xml.algorithm_unsupported"},
		{"sha1 digest", DigestSHA256, "http://www.w3.org/2000/09/xmldsig#sha1", ErrUnknownAlgorithm, "eds.xml.algorithm_unsupported"},
		{"c14n 1.1", `<ds:CanonicalizationMethod Algorithm="` + ExcC14N10, `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11`, ErrUnknownAlgorithm, "eds.xml.algorithm_unsupported"},
		{"xpath transform", `<ds:Transform Algorithm="` + TransformEnveloped + `"/>`, `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>`, ErrUnknownAlgorithm, "eds.xml.algorithm_unsupported"},
		{"xslt transform", `<ds:Transform Algorithm="` + ExcC14N10 + `"/>`, `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>`, ErrUnknownAlgorithm, "eds.xml.algorithm_unsupported"},
		{"external uri", `URI=""`, `URI="http://example.com/doc.xml"`, ErrReference, "eds.xml.reference_invalid"},
		{"xpointer", `URI=""`, `URI="#xpointer(/)"`, ErrReference, "eds.xml.reference_invalid"},
		{"missing id", `URI=""`, `URI="#nope"`, ErrReference, "eds.xml.reference_invalid"},
		{"gost method, rsa key", SignatureRSASHA256, SignatureGOST2015_512, ErrKeyMismatch, "eds.xml.key_mismatch"},
		{"X509Data outside KeyInfo", "<ds:KeyInfo>", "<ds:Object>", ErrStructure, "eds.xml.signature_malformed"},
		{"truncated certificate", b64(k.chain[0].Raw), b64(k.chain[0].Raw[:100]), ErrBadCertificate, "eds.cert.malformed"},
		{"not base64", "<ds:SignatureValue>", "<ds:SignatureValue>!!", ErrStructure, "eds.xml.signature_malformed"},
	}
	for _, c := range cases {
		bad := bytes.Replace(whole, []byte(c.from), []byte(c.to), 1)
		if c.name == "X509Data outside KeyInfo" {
			bad = bytes.Replace(bad, []byte("</ds:KeyInfo>"), []byte("</ds:Object>"), 1)
			bad = bytes.Replace(bad, []byte("<ds:Object>"), []byte(""), 1)
			bad = bytes.Replace(bad, []byte("</ds:Object>"), []byte(""), 1)
			c.want, c.code = ErrStructure, "eds.xml.signature_malformed"
		}
		if bytes.Equal(bad, whole) {
			t.Fatalf("%s: no change", c.name)
		}
		_, err := Verify(bad, VerifyOptions{})
		if !errors.Is(err, c.want) || eds.Code(err) != c.code {
			t.Errorf("%s: %v (code %q), want %v", c.name, err, eds.Code(err), c.want)
		}
	}
	// Without KeyInfo there is no signer.
	noKey := bytes.Replace(whole, whole[bytes.Index(whole, []byte("<ds:KeyInfo>")):bytes.Index(whole, []byte("</ds:KeyInfo>"))+len("</ds:KeyInfo>")], nil, 1)
	if _, err := Verify(noKey, VerifyOptions{}); !errors.Is(err, ErrNoCertificate) || eds.Code(err) != "eds.xml.no_certificate" {
		t.Errorf("no KeyInfo: %v", err)
	}
}

// The Kalkan fixture with its signed text changed is refused (the positive
// test alone could pass with a verifier that accepts everything).
func TestKalkanTampered(t *testing.T) {
	doc, _ := os.ReadFile("testdata/kalkan-gost2015-512.xml")
	bad := bytes.Replace(doc, []byte("QCxn00hfuH9zCv58"), []byte("QCxn00hfuH9zCv59"), 1)
	if _, err := Verify(bad, VerifyOptions{}); !errors.Is(err, ErrDigest) {
		t.Errorf("changed content: %v", err)
	}
	bad = bytes.Replace(doc, []byte(`<ds:Reference URI="">`), []byte(`<ds:Reference URI="" Type="x">`), 1)
	if _, err := Verify(bad, VerifyOptions{}); !errors.Is(err, eds.ErrSignatureInvalid) {
		t.Errorf("changed SignedInfo: %v", err)
	}
}

// issue 12 (bad input): many references to the whole document cannot make the
// verifier canonicalise it again and again without bound.
func TestReferenceAmplification(t *testing.T) {
	body := strings.Repeat("<x>padding padding padding padding</x>", 30000) // ~1.1 MB
	doc := signedDoc(t, "<r>"+body+"</r>")
	ref := doc[bytes.Index(doc, []byte(`<ds:Reference URI="">`)) : bytes.Index(doc, []byte("</ds:Reference>"))+len("</ds:Reference>")]
	many := bytes.Replace(doc, ref, bytes.Repeat(append(ref, '\n'), 12), 1)
	_, err := Verify(many, VerifyOptions{})
	if !errors.Is(err, ErrTooLarge) && !errors.Is(err, eds.ErrSignatureInvalid) {
		t.Fatalf("%v", err)
	}
	res, _ := Verify(many, VerifyOptions{})
	if res == nil || !errors.Is(res.Signatures[0].Err, ErrTooLarge) {
		t.Errorf("12 whole-document references were all canonicalised: %v", res.Signatures[0].Err)
	}
}

func signedDoc(t *testing.T, doc string) []byte {
	t.Helper()
	k := rsaKey(t)
	out, err := Sign([]byte(doc), k.key, k.chain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

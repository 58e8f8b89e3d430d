package xmldsig

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

const sample = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before -->
<doc xmlns="urn:example:doc" xmlns:x="urn:example:x" xml:lang="kk">
  <x:item Id="it1" b="2" a="1">Сәлем &amp; &lt;hi&gt;</x:item>
  <other x:attr="v"><![CDATA[raw <cdata>]]></other>
  <empty/>
  <!-- inner comment -->
</doc>
`

func signVerify(t *testing.T, k testKey, doc string, opts Options) (*Result, []byte) {
	t.Helper()
	out, err := Sign([]byte(doc), k.key, k.chain, opts)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	res, err := Verify(out, VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v\n%s", err, out)
	}
	return res, out
}

// issue 12 item 8: what Sign makes, Verify accepts, for GOST and RSA, both
// canonicalisations, a whole-document and an ID reference.
func TestSignVerifyRoundTrip(t *testing.T) {
	for _, k := range []struct {
		name string
		key  testKey
		alg  string
	}{{"gost", gost(t), "ECGOST3410-2015-512"}, {"rsa", rsaKey(t), "SHA256withRSA"}} {
		for _, o := range []Options{{}, {Inclusive: true}, {ReferenceURI: "#it1"}, {ReferenceURI: "#it1", Inclusive: true}, {Canonicalization: C14N10}} {
			res, out := signVerify(t, k.key, sample, o)
			s := res.Signatures[0]
			if s.Algorithm.Name != k.alg || !s.Certificate.Equal(k.key.chain[0]) {
				t.Errorf("%s %+v: %s %v", k.name, o, s.Algorithm.Name, s.Certificate.Subject)
			}
			if !bytes.HasPrefix(out, []byte(sample[:len(sample)-8])) {
				t.Errorf("%s %+v: the document's bytes were not kept", k.name, o)
			}
			want := "<doc"
			if o.ReferenceURI != "" {
				want = `<x:item xmlns="urn:example:doc" xmlns:x="urn:example:x" Id="it1" a="1" b="2"`
				if !o.Inclusive && o.Canonicalization == "" {
					want = `<x:item xmlns:x="urn:example:x" Id="it1" a="1" b="2"`
				}
			}
			if got := string(s.References[0].Canonical); !strings.HasPrefix(got, want) || strings.Contains(got, "comment") {
				t.Errorf("%s %+v: signed content %q", k.name, o, got)
			}
		}
	}
}

// issue 12 item 8: several signers, each appended by Sign, all verify (the last one
// covers the earlier ones).
func TestSignTwice(t *testing.T) {
	g, r := gost(t), rsaKey(t)
	once, err := Sign([]byte(sample), g.key, g.chain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Sign(once, r.key, r.chain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(twice, VerifyOptions{})
	if err != nil || len(res.Signatures) != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	if res.Signatures[0].Algorithm.KeyType != eds.KeyGOST2015_512 || res.Signatures[1].Algorithm.KeyType != eds.KeyRSA {
		t.Fatal("order")
	}
	// ClearSignatures drops both and signs anew.
	cleared, err := Sign(twice, r.key, r.chain, Options{ClearSignatures: true, TrimXML: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err = Verify(cleared, VerifyOptions{})
	if err != nil || len(res.Signatures) != 1 || bytes.Contains(cleared, []byte(">\n  <")) {
		t.Fatalf("%v %d\n%s", err, len(res.Signatures), cleared)
	}
}

// issue 12 item 8: a change to the signed content, the SignedInfo or the signature
// value is refused, each with its code.
func TestTamper(t *testing.T) {
	for _, k := range []testKey{gost(t), rsaKey(t)} {
		out, err := Sign([]byte(sample), k.key, k.chain, Options{ReferenceURI: "#it1"})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name     string
			from, to string
			want     error
		}{
			{"content", "Сәлем", "Салем", ErrDigest},
			{"attribute", `a="1"`, `a="2"`, ErrDigest},
			{"unsigned part is free", "raw <cdata>", "raw <CDATA>", nil},
			{"signed info", `<ds:Transform Algorithm="` + TransformEnveloped + `"/>` + "\n", "", eds.ErrSignatureInvalid},
		}
		for _, c := range cases {
			bad := bytes.Replace(out, []byte(c.from), []byte(c.to), 1)
			if bytes.Equal(bad, out) {
				t.Fatalf("%s: no change", c.name)
			}
			_, err := Verify(bad, VerifyOptions{})
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		// The signature value itself: flip one byte of it.
		res, _ := Verify(out, VerifyOptions{})
		sv := res.Signatures[0].SignatureValue
		flipped := append([]byte(nil), sv...)
		flipped[len(flipped)/2] ^= 1
		bad := bytes.Replace(out, []byte(b64(sv)), []byte(b64(flipped)), 1)
		if _, err := Verify(bad, VerifyOptions{}); !errors.Is(err, eds.ErrSignatureInvalid) {
			t.Errorf("flipped signature: %v", err)
		}
	}
}

// issue 12 item 8: the certificate must be the signer's; an unsupported key is refused.
func TestSignRefuses(t *testing.T) {
	g, r := gost(t), rsaKey(t)
	if _, err := Sign([]byte(sample), g.key, r.chain, Options{}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("wrong certificate: %v", err)
	}
	if _, err := Sign([]byte(sample), g.key, nil, Options{}); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("no certificate: %v", err)
	}
	if _, err := Sign([]byte(sample), g.key, g.chain, Options{ReferenceURI: "#nope"}); !errors.Is(err, ErrReference) {
		t.Errorf("missing id: %v", err)
	}
	if _, err := Sign([]byte(sample), g.key, g.chain, Options{ReferenceURI: "http://x/"}); !errors.Is(err, ErrReference) {
		t.Errorf("external uri: %v", err)
	}
	if _, err := Sign([]byte(sample), g.key, g.chain, Options{Canonicalization: "urn:x"}); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("unknown c14n: %v", err)
	}
	if _, err := Sign([]byte("<a/>"), g.key, g.chain, Options{}); err != nil {
		t.Errorf("empty root: %v", err)
	}
}

// issue 12 item 8: a UTF-8 byte order mark is kept and not taken for content.
func TestSignWithBOM(t *testing.T) {
	k := gost(t)
	doc := "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>текст</a>"
	out, err := Sign([]byte(doc), k.key, k.chain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte(doc[:len(doc)-4])) {
		t.Fatalf("%q", out)
	}
	if _, err := Verify(out, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

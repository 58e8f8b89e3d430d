package xmldsig

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Documents for the differential tests: namespaces declared, redeclared and
// undeclared, prefixed attributes to sort, character references that must
// come out escaped, CDATA, comments and PIs inside and outside.
var diffDocs = map[string]string{
	"sample": sample,
	"namespaces": `<r:root xmlns:r="urn:r" xmlns="urn:d" xmlns:z="urn:z" xmlns:a="urn:a">` +
		`<child z:k="1" a:k="2" k="0" Id="c1"><inner xmlns=""><deep xmlns="urn:d2" xmlns:r="urn:r2"><r:x/></deep></inner></child>` +
		`<a:unused xmlns:q="urn:q"/></r:root>`,
	"escapes": "<?pi  some data ?>\n<doc Id=\"e1\" t=\"tab&#9;nl&#10;cr&#13;q&quot;lt&lt;gt>amp&amp;\">text&#13;cr &gt; &lt; &amp; \"quotes\" 'apos'\n" +
		"<e a='single &apos;quoted&apos;'/>\r\n</doc><?after pi?>",
	"attrws": "<doc Id=\"w1\" a=\"line1\nline2\tx\r\ny\" b='ref&#10;kept&#9;'><e c=\"\n\"/>text\r\nline</doc>",
	"wsse": `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/>` +
		`<soap:Body xmlns:wsu="` + NSWSU + `" wsu:Id="id-1"><m:Op xmlns:m="urn:m"><v>1</v></m:Op></soap:Body></soap:Envelope>`,
}

func requireXmlsec1(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("SENIM_REQUIRE_XMLSEC1") != "" {
			t.Fatal("xmlsec1 is not installed (apt-get install xmlsec1)")
		}
		t.Skip("xmlsec1 is not installed")
	}
	return p
}

func writePEMs(t *testing.T, k testKey) (keyFile, certFile string) {
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(k.key.Crypto())
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.chain[0].Raw}), 0o600)
	return keyFile, certFile
}

// idArgs tells xmlsec1 which attributes are IDs in the test documents.
// tamper names a change inside each document's signed content.
var tamper = map[string][2]string{"attrws": {"text", "Text"}, "sample": {"Сәлем", "Салем"}, "namespaces": {`k="0"`, `k="1"`},
	"escapes": {"text", "Text"}, "wsse": {"<v>1", "<v>2"}}

var idArgs = []string{"--id-attr:Id", "urn:example:x:item", "--id-attr:Id", "urn:d:child", "--id-attr:Id", "doc",
	"--id-attr:Id", "http://schemas.xmlsoap.org/soap/envelope/:Body"}

// issue 12 item 8: an RSA signature made here verifies with xmlsec1, for every
// canonicalisation and reference form.
func TestXmlsec1VerifiesOurs(t *testing.T) {
	bin := requireXmlsec1(t)
	k := rsaKey(t)
	_, certFile := writePEMs(t, k)
	refs := map[string]string{"sample": "#it1", "namespaces": "#c1", "escapes": "#e1", "wsse": "#id-1", "attrws": "#w1"}
	for name, doc := range diffDocs {
		for _, o := range []Options{{}, {Inclusive: true}, {ReferenceURI: refs[name]}, {ReferenceURI: refs[name], Inclusive: true}} {
			out, err := Sign([]byte(doc), k.key, k.chain, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			f := filepath.Join(t.TempDir(), "signed.xml")
			os.WriteFile(f, out, 0o600)
			args := append([]string{"--verify", "--trusted-pem", certFile}, idArgs...)
			cmd := exec.Command(bin, append(args, f)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s %+v: xmlsec1 refuses: %v\n%s\n%s", name, o, err, b, out)
			}
			// And a changed byte of signed content makes xmlsec1 refuse too.
			if o.ReferenceURI == "" {
				bad := strings.Replace(string(out), tamper[name][0], tamper[name][1], 1)
				os.WriteFile(f, []byte(bad), 0o600)
				if b, err := exec.Command(bin, append(args, f)...).CombinedOutput(); err == nil {
					t.Errorf("%s: xmlsec1 accepts a changed document\n%s", name, b)
				}
			}
		}
	}
}

// issue 12 item 8: what xmlsec1 signs (RSA-SHA256, each canonicalisation) verifies here.
func TestWeVerifyXmlsec1(t *testing.T) {
	bin := requireXmlsec1(t)
	k := rsaKey(t)
	keyFile, certFile := writePEMs(t, k)
	refs := map[string]string{"sample": "#it1", "namespaces": "#c1", "escapes": "#e1", "wsse": "#id-1", "attrws": "#w1"}
	for name, doc := range diffDocs {
		for _, uri := range []string{"", refs[name]} {
			for _, c14n := range []string{C14N10, C14N10Comments, ExcC14N10, ExcC14N10Comments} {
				tmpl := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
					`<ds:CanonicalizationMethod Algorithm="` + c14n + `"/><ds:SignatureMethod Algorithm="` + SignatureRSASHA256 + `"/>` +
					`<ds:Reference URI="` + uri + `"><ds:Transforms><ds:Transform Algorithm="` + TransformEnveloped + `"/>` +
					`<ds:Transform Algorithm="` + c14n + `"/></ds:Transforms><ds:DigestMethod Algorithm="` + DigestSHA256 + `"/>` +
					`<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
				p, err := parse([]byte(doc), Limits{})
				if err != nil {
					t.Fatal(err)
				}
				withTmpl, _ := insertBeforeRootEnd([]byte(doc), p, tmpl)
				dir := t.TempDir()
				in, out := filepath.Join(dir, "tmpl.xml"), filepath.Join(dir, "out.xml")
				os.WriteFile(in, withTmpl, 0o600)
				args := append([]string{"--sign", "--privkey-pem", keyFile + "," + certFile, "--output", out}, idArgs...)
				if b, err := exec.Command(bin, append(args, in)...).CombinedOutput(); err != nil {
					t.Fatalf("%s %q %s: xmlsec1 --sign: %v\n%s", name, uri, c14n, err, b)
				}
				signed, _ := os.ReadFile(out)
				res, err := Verify(signed, VerifyOptions{})
				if err != nil {
					t.Errorf("%s %q %s: %v\n%s", name, uri, c14n, err, signed)
					continue
				}
				if !res.Signatures[0].Certificate.Equal(k.chain[0]) {
					t.Errorf("%s: certificate", name)
				}
				bad := strings.Replace(string(signed), tamper[name][0], tamper[name][1], 1)
				if _, err := Verify([]byte(bad), VerifyOptions{}); !errors.Is(err, ErrDigest) {
					t.Errorf("%s %q %s: changed document: %v", name, uri, c14n, err)
				}
			}
		}
	}
}

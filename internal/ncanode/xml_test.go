package ncanode

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/xmldsig"
)

const xmlDoc = `<?xml version="1.0" encoding="UTF-8"?>
<request xmlns="urn:example"><iin>123456789011</iin><item Id="part">сумма 100</item></request>`

// issue 12 item 8: /xml/sign writes NCANode's form (inclusive C14N, the
// reference in C14N #WithComments, the NCA's GOST 2015 URIs, the signer's
// certificate in KeyInfo) and /xml/verify accepts it: the signer is valid at
// the NCA test trust, and a revoked signer is reported with its revocation.
func TestXMLSignVerify(t *testing.T) {
	h := newTestServer(t)
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	for _, want := range []string{xmldsig.C14N10 + `"`, xmldsig.C14N10Comments, xmldsig.SignatureGOST2015_512, xmldsig.DigestGOST2015_512, `<ds:Reference URI="">`, "<ds:X509Certificate>"} {
		if !strings.Contains(signed.XML, want) {
			t.Errorf("signed XML lacks %s", want)
		}
	}
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}}, &ver)
	if !ver.Valid || len(ver.Signers) != 1 || ver.Signers[0].Subject.BIN != "123456789021" || ver.Signers[0].Revocations[0].By != "CRL" {
		t.Fatalf("verify: %+v", ver)
	}
	// Two signers, the second signing one element; a revoked second signer.
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{
		{KeyRequest: key(t, "individual/valid/individual_valid.p12")},
		{KeyRequest: key(t, "legal/valid/employee.p12"), ReferenceURI: "#part"},
	}}, &signed)
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}}, &ver)
	if ver.Valid || len(ver.Signers) != 2 || !ver.Signers[0].Valid || ver.Signers[1].Valid || !ver.Signers[1].Revocations[0].Revoked {
		t.Fatalf("two signers: %+v", ver)
	}
	// The content changed: 200, not valid, the digest code first.
	bad := strings.Replace(signed.XML, "сумма 100", "сумма 900", 1)
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: bad}, &ver)
	if ver.Valid || ver.Signers[1].Valid || ver.Signers[1].Errors[0] != "eds.xml.digest_mismatch" {
		t.Fatalf("tampered: %+v", ver.Signers[1])
	}
	// clearSignatures and trimXml: one fresh signature on the trimmed document.
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: signed.XML, ClearSignatures: true, TrimXML: true,
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: signed.XML}, &ver)
	if !ver.Valid || len(ver.Signers) != 1 {
		t.Fatalf("cleared: %+v", ver)
	}
}

// issue 12 item 8: a real signature made by KalkanCrypt (NCANode's signer):
// the cryptography holds; its certificate expired on 2025-10-29, so at the
// test clock (2026-11) the signer is not valid, with the expiry as the reason.
func TestXMLVerifyKalkan(t *testing.T) {
	doc, err := os.ReadFile("../eds/xmldsig/testdata/kalkan-gost2015-512.xml")
	if err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t)
	code, body := post(t, h, "/xml/verify", XmlVerifyRequest{XML: string(doc), RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "xml-verify-kalkan.json", body)
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: string(doc)}, &ver)
	ci := ver.Signers[0]
	if ver.Valid || ci == nil || ci.Subject.IIN != "123456789011" || ci.SignAlg != "ECGOST3410-2015-512" {
		t.Fatalf("%+v", ver)
	}
	for _, c := range ci.Errors {
		if strings.HasPrefix(c, "eds.xml.") || c == eds.ErrSignatureInvalid.Code() {
			t.Errorf("the signature itself is reported bad: %v", ci.Errors)
		}
	}
	if !slices.Contains(ci.Errors, "eds.cert.expired") {
		t.Errorf("errors %v lack the expiry", ci.Errors)
	}
}

// issue 12 item 8: withTsp adds a time-stamp; /xml/verify reports it as
// NCANode's signatureTimestamp and validates the signer at its genTime.
func TestXMLSignWithTsp(t *testing.T) {
	h := newTestServer(t)
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, WithTsp: true, Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}}, &ver)
	ts := ver.SignatureTimestamp
	if !ver.Valid || ts == nil || !ts.Valid || ts.Policy != "1.2.398.3.3.2.6.4" || ts.TspHashAlgorithm != "GOST3411-2015-512" || !time.Time(ts.GenTime).Equal(testNow) {
		t.Fatalf("%+v %+v", ver, ts)
	}
	// The tsa member as /cms/verify writes it: Kalkan's GeneralName form, not RFC 2253.
	if !strings.HasPrefix(ts.TSA, "4: ") {
		t.Fatalf("tsa %q, want Kalkan's GeneralName form", ts.TSA)
	}
	// Without a TSA configured, withTsp is refused.
	h2 := newTestServer(t, func(c *Config) { c.TSA = nil })
	code, body := post(t, h2, "/xml/sign", XmlSignRequest{XML: xmlDoc, WithTsp: true, Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}})
	checkError(t, code, body, 400, "eds.tsp.not_configured")
}

// issue 12 item 8: /wsse/sign signs a SOAP envelope per WS-Security (NCANode's
// KeyIdentifier form) and /wsse/verify accepts it.
func TestWSSESignVerify(t *testing.T) {
	h := newTestServer(t)
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>` +
		`<typ:SendMessage xmlns:typ="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>m1</messageId></requestInfo></request></typ:SendMessage>` +
		`</soapenv:Body></soapenv:Envelope>`
	k := key(t, "legal/valid/head.p12")
	var signed XmlSignResponse
	postOK(t, h, "/wsse/sign", WsseSignRequest{XML: env, Key: k.Key, Password: k.Password}, &signed)
	for _, want := range []string{"wsse:Security", `soapenv:mustUnderstand="1"`, "wsse:KeyIdentifier", "wsu:Id=", xmldsig.ExcC14N10} {
		if !strings.Contains(signed.XML, want) {
			t.Errorf("signed envelope lacks %s", want)
		}
	}
	// The Body had no wsu:Id: it gets NCANode's form, "id-" and a version-4 UUID.
	if !regexp.MustCompile(`<soapenv:Body [^>]*:Id="id-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"`).MatchString(signed.XML) {
		t.Errorf("the Body's wsu:Id is not id-<UUID>: %s", signed.XML)
	}
	var ver XmlVerificationResponse
	postOK(t, h, "/wsse/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}}, &ver)
	if !ver.Valid || len(ver.Signers) != 1 {
		t.Fatalf("%+v", ver)
	}
	// A signed Body moved into the header and replaced: 200, not valid.
	i, j := strings.Index(signed.XML, "<soapenv:Body"), strings.Index(signed.XML, "</soapenv:Body>")+len("</soapenv:Body>")
	evil := `<soapenv:Body xmlns:wsu="` + xmldsig.NSWSU + `" wsu:Id="evil"><pay>1</pay></soapenv:Body>`
	moved := strings.Replace(signed.XML[:i]+evil+signed.XML[j:], "</soapenv:Header>", "<x>"+signed.XML[i:j]+"</x></soapenv:Header>", 1)
	postOK(t, h, "/wsse/verify", XmlVerifyRequest{XML: moved}, &ver)
	if ver.Valid || ver.Signers[0] == nil || ver.Signers[0].Errors[0] != "eds.xml.reference_invalid" {
		t.Fatalf("moved Body: %+v", ver)
	}
	code, body := post(t, h, "/wsse/verify", XmlVerifyRequest{XML: "<a/>"})
	checkError(t, code, body, 400, "eds.xml.malformed")
	// The BinarySecurityToken form (extension) verifies too.
	postOK(t, h, "/wsse/sign", WsseSignRequest{XML: env, Key: k.Key, Password: k.Password, BinarySecurityToken: true}, &signed)
	if !strings.Contains(signed.XML, "wsse:BinarySecurityToken") || strings.Contains(signed.XML, "wsse:KeyIdentifier") {
		t.Errorf("no BinarySecurityToken:\n%s", signed.XML)
	}
	postOK(t, h, "/wsse/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}}, &ver)
	if !ver.Valid {
		t.Fatalf("%+v", ver)
	}
	code, body = post(t, h, "/wsse/sign", WsseSignRequest{XML: "<a/>", Key: k.Key, Password: k.Password})
	checkError(t, code, body, 400, "eds.xml.malformed")
	code, body = post(t, h, "/wsse/sign", WsseSignRequest{XML: env, Key: k.Key, Password: "wrong"})
	checkError(t, code, body, 400, "eds.pkcs12.bad_password")
}

// issue 12 (bad input) on the XML endpoints: each refusal has its code; a
// document without signature is "not valid" (200), as NCANode answers.
func TestXMLErrors(t *testing.T) {
	h := newTestServer(t)
	k := key(t, "legal/valid/head.p12")
	signer := []XmlSignerRequest{{KeyRequest: k}}
	level, unknownLevel, levelB := "LTA", "X", "B"
	bomb := `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>`
	cases := []struct {
		path string
		body any
		code string
	}{
		{"/xml/sign", XmlSignRequest{Signers: signer}, "request.invalid_field"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc}, "request.invalid_field"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: signer, XadesLevel: &level}, "eds.xml.xades_unsupported"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: signer, XadesLevel: &unknownLevel}, "request.invalid_field"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: signer, XadesLevel: &levelB, WithTsp: true}, "request.invalid_field"},
		{"/xml/sign", XmlSignRequest{XML: bomb, Signers: signer}, "eds.xml.dtd_forbidden"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{{KeyRequest: k, ReferenceURI: "#none"}}}, "eds.xml.reference_invalid"},
		{"/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: signer, WithTsp: true, TsaPolicy: "NOPE"}, "eds.tsp.unsupported"},
		{"/xml/verify", XmlVerifyRequest{}, "request.invalid_field"},
		{"/xml/verify", XmlVerifyRequest{XML: bomb}, "eds.xml.dtd_forbidden"},
		{"/xml/verify", XmlVerifyRequest{XML: strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)}, "eds.xml.too_deep"},
		{"/xml/verify", XmlVerifyRequest{XML: "<a><b></a>"}, "eds.xml.malformed"},
		{"/xml/verify", XmlVerifyRequest{XML: xmlDoc, RevocationCheck: []string{"LDAP"}}, "request.invalid_field"},
		{"/wsse/verify", XmlVerifyRequest{XML: bomb}, "eds.xml.dtd_forbidden"},
	}
	for _, c := range cases {
		code, body := post(t, h, c.path, c.body)
		checkError(t, code, body, 400, c.code)
	}
	code, body := post(t, h, "/xml/verify", XmlVerifyRequest{XML: xmlDoc})
	// NCANode leaves out null members (NON_NULL): no AdES members without a signature.
	if code != 200 || string(body) != `{"status":200,"message":"OK","valid":false,"signers":[]}` {
		t.Errorf("no signature: HTTP %d %s", code, body)
	}
}

// issue 12 item 8: the JSON shapes of the XML endpoints, member by member,
// and null for a signature without certificate, as NCANode sends.
func TestXMLShapes(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/xml/sign", XmlSignRequest{XML: "<a/>", Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}})
	var m map[string]any
	if json.Unmarshal(body, &m); code != 200 || len(m) != 3 || m["status"] != float64(200) || m["message"] != "OK" || m["xml"] == nil {
		t.Fatalf("sign shape: %s", body)
	}
	noCert := m["xml"].(string)
	i, j := strings.Index(noCert, "<ds:KeyInfo>"), strings.Index(noCert, "</ds:KeyInfo>")
	noCert = noCert[:i] + noCert[j+len("</ds:KeyInfo>"):]
	code, body = post(t, h, "/xml/verify", XmlVerifyRequest{XML: noCert})
	if code != 200 || string(body) != `{"status":200,"message":"OK","valid":false,"signers":[null],"bestSignatureTime":"2026-11-01T12:00:00.000+00:00",`+
		`"adesStatus":"INDETERMINATE","adesSubIndication":"NO_SIGNING_CERTIFICATE_FOUND"}` {
		t.Errorf("no certificate: HTTP %d %s", code, body)
	}
}

// issue 12 (done when): an XML signature made by /xml/sign with an RSA key
// verifies with xmlsec1, and one made by xmlsec1 verifies at /xml/verify.
func TestXMLSignXmlsec1(t *testing.T) {
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("SENIM_REQUIRE_XMLSEC1") != "" {
			t.Fatal("xmlsec1 is not installed")
		}
		t.Skip("xmlsec1 is not installed")
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "RSA XML TEST", Country: []string{"KZ"}},
		NotBefore: testNow.AddDate(-1, 0, 0), NotAfter: testNow.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	cert, _ := x509.ParseCertificate(der)
	signer, err := eds.NewSigner(rk, eds.OIDSignSHA256WithRSA)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Encode(signer, cert, nil, "Qwerty12", "rsa")
	if err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t, func(c *Config) { c.Validator = testValidator(t, cert) })
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: b64(p12), Password: "Qwerty12"}}}}, &signed)
	dir := t.TempDir()
	certFile, keyFile, docFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "d.xml")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kder, _ := x509.MarshalPKCS8PrivateKey(rk)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(docFile, []byte(signed.XML), 0o600)
	if out, err := exec.Command(bin, "--verify", "--trusted-pem", certFile, docFile).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses /xml/sign's output: %v\n%s", err, out)
	}
	// Back: xmlsec1 signs a template, /xml/verify accepts it.
	tmplDoc := strings.Replace(xmlDoc, "</request>", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>`+
		`<ds:CanonicalizationMethod Algorithm="`+xmldsig.ExcC14N10+`"/><ds:SignatureMethod Algorithm="`+xmldsig.SignatureRSASHA256+`"/>`+
		`<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="`+xmldsig.TransformEnveloped+`"/></ds:Transforms>`+
		`<ds:DigestMethod Algorithm="`+xmldsig.DigestSHA256+`"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>`+
		`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></request>`, 1)
	os.WriteFile(docFile, []byte(tmplDoc), 0o600)
	out := filepath.Join(dir, "out.xml")
	if b, err := exec.Command(bin, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", out, docFile).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
	}
	fromXmlsec, _ := os.ReadFile(out)
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: string(fromXmlsec)}, &ver)
	if !ver.Valid || ver.Signers[0].SignAlg != "SHA256withRSA" {
		t.Fatalf("xmlsec1's signature: %+v", ver.Signers[0])
	}
}

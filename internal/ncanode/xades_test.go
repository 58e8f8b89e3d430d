package ncanode

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/xmldsig"
)

func levelPtr(s string) *string { return &s }

// verifyXML posts to /xml/verify and decodes into a fresh response: members left
// out of the JSON stay empty.
func verifyXML(t *testing.T, h http.Handler, req XmlVerifyRequest) XmlVerificationResponse {
	t.Helper()
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", req, &ver)
	return ver
}

// issue 12 item 8, rule XAdES-B: /xml/sign with NCANode's xadesLevel B writes a
// XAdES-B signature (exclusive C14N, SignedProperties referenced with Type
// SignedProperties, SigningCertificateV2, SigningTime = the server's clock), and
// /xml/verify answers adesLevel B, adesStatus VALID and bestSignatureTime (golden).
// A plain XML-DSig signature has no adesLevel but is graded.
func TestXAdESBSignVerify(t *testing.T) {
	h := newTestServer(t)
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("B"),
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	for _, want := range []string{`<ds:CanonicalizationMethod Algorithm="` + xmldsig.ExcC14N10 + `"/>`, `Type="` + xmldsig.TypeSignedProperties + `"`,
		"<xades:SigningCertificateV2>", "<xades:SigningTime>2026-11-01T12:00:00Z</xades:SigningTime>", xmldsig.DigestGOST2015_512} {
		if !strings.Contains(signed.XML, want) {
			t.Errorf("no %s in\n%s", want, signed.XML)
		}
	}
	if strings.Contains(signed.XML, xmldsig.C14N10Comments) || strings.Contains(signed.XML, "SignatureTimeStamp") {
		t.Errorf("not NCANode's XAdES-B form:\n%s", signed.XML)
	}
	code, body := post(t, h, "/xml/verify", XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "xml-verify-xades-b.json", body)
	var ver XmlVerificationResponse
	json.Unmarshal(body, &ver)
	if !ver.Valid || ver.AdesLevel != "B" || ver.AdesStatus != "VALID" || ver.AdesSubIndication != "" || ver.SignatureTimestamp != nil ||
		ver.BestSignatureTime == nil || !time.Time(*ver.BestSignatureTime).Equal(testNow) {
		t.Fatalf("%s", body)
	}
	// Plain XML-DSig: graded, no level.
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	ver = verifyXML(t, h, XmlVerifyRequest{XML: signed.XML})
	if !ver.Valid || ver.AdesLevel != "" || ver.AdesStatus != "VALID" {
		t.Fatalf("plain: %+v", ver)
	}
	// A revoked signer: INVALID, CERT_REVOKED.
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("B"),
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/revoked/head.p12")}}}, &signed)
	ver = verifyXML(t, h, XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}})
	if ver.Valid || ver.AdesLevel != "B" || ver.AdesStatus != "INVALID" || ver.AdesSubIndication != "CERT_REVOKED" {
		t.Fatalf("revoked: %+v", ver)
	}
}

// issue 12 item 8, rule XAdES-T: xadesLevel T adds the signature time-stamp in the
// same QualifyingProperties; /xml/verify reports level T, the time-stamp, and
// bestSignatureTime = its genTime. Without a TSA, T is refused as withTsp is.
func TestXAdESTSignVerify(t *testing.T) {
	h := newTestServer(t)
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("T"),
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &signed)
	if strings.Count(signed.XML, "<xades:QualifyingProperties") != 1 || !strings.Contains(signed.XML, "<xades:SignatureTimeStamp>") {
		t.Fatalf("no XAdES-T:\n%s", signed.XML)
	}
	ver := verifyXML(t, h, XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}})
	ts := ver.SignatureTimestamp
	if !ver.Valid || ver.AdesLevel != "T" || ver.AdesStatus != "VALID" || ts == nil || !ts.Valid || ts.TspHashAlgorithm != "GOST3411-2015-512" ||
		!time.Time(*ver.BestSignatureTime).Equal(time.Time(ts.GenTime)) {
		t.Fatalf("%+v %+v", ver, ts)
	}
	// The time-stamp of another signature: not valid, INDETERMINATE, level B.
	var other XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("T"),
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}}, &other)
	tokRe := regexp.MustCompile(`<xades:EncapsulatedTimeStamp>[^<]*</xades:EncapsulatedTimeStamp>`)
	swapped := tokRe.ReplaceAllString(signed.XML, tokRe.FindString(other.XML))
	ver = verifyXML(t, h, XmlVerifyRequest{XML: swapped})
	if ver.Valid || ver.AdesLevel != "B" || ver.AdesStatus != "INDETERMINATE" || ver.AdesSubIndication != "TIMESTAMP_INVALID" {
		t.Fatalf("swapped time-stamp: %+v", ver)
	}
	h2 := newTestServer(t, func(c *Config) { c.TSA = nil })
	code, body := post(t, h2, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("T"), Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/valid/head.p12")}}})
	checkError(t, code, body, 400, "eds.tsp.not_configured")
}

// rsaXAdESKey makes an RSA key, its certificate, a second certificate of the same
// key, and a PKCS#12 of the first.
func rsaXAdESKey(t *testing.T) (p12 []byte, cert, twin *x509.Certificate, rk *rsa.PrivateKey) {
	t.Helper()
	rk, _ = rsa.GenerateKey(rand.Reader, 2048)
	mk := func(serial int64) *x509.Certificate {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "RSA XADES TEST", Country: []string{"KZ"}},
			NotBefore: testNow.AddDate(-1, 0, 0), NotAfter: testNow.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
		c, _ := x509.ParseCertificate(der)
		return c
	}
	cert, twin = mk(11), mk(12)
	signer, err := eds.NewSigner(rk, eds.OIDSignSHA256WithRSA)
	if err != nil {
		t.Fatal(err)
	}
	if p12, err = pkcs12.Encode(signer, cert, nil, "Qwerty12", "rsa"); err != nil {
		t.Fatal(err)
	}
	return p12, cert, twin, rk
}

// issue 12 item 8, rule XAdES-BIND at /xml/verify: 200, valid false, the stable code
// first in the signer's errors and NCANode's sub-indication: another certificate of
// the same key in KeyInfo (CERT_HASH_MISMATCH), SignedProperties moved out of the
// signature (FORMAT_FAILURE), changed (SIG_CRYPTO_FAILURE).
func TestXAdESVerifyAttacks(t *testing.T) {
	p12, cert, twin, _ := rsaXAdESKey(t)
	h := newTestServer(t, func(c *Config) { c.Validator = testValidator(t, cert, twin) })
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("B"),
		Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: b64(p12), Password: "Qwerty12"}, ReferenceURI: "#part"}}}, &signed)
	ver := verifyXML(t, h, XmlVerifyRequest{XML: signed.XML})
	if !ver.Valid || ver.AdesLevel != "B" || ver.AdesStatus != "VALID" {
		t.Fatalf("untouched: %+v %+v", ver, ver.Signers[0])
	}
	certRe := regexp.MustCompile(`<ds:X509Certificate>[^<]*</ds:X509Certificate>`)
	spRe := regexp.MustCompile(`(?s)<xades:SignedProperties .*</xades:SignedProperties>`)
	sp := spRe.FindString(signed.XML)
	moved := strings.Replace(strings.Replace(signed.XML, sp, "", 1), "</request>",
		strings.Replace(sp, "<xades:SignedProperties ", `<xades:SignedProperties xmlns:xades="`+xmldsig.NSXAdES+`" xmlns:ds="`+xmldsig.NSDSig+`" `, 1)+"</request>", 1)
	for name, c := range map[string]struct{ doc, code, sub string }{
		"another certificate": {certRe.ReplaceAllString(signed.XML, "<ds:X509Certificate>"+b64(twin.Raw)+"</ds:X509Certificate>"), "eds.xml.signing_certificate_mismatch", "CERT_HASH_MISMATCH"},
		"moved properties":    {moved, "eds.xml.xades_malformed", "FORMAT_FAILURE"},
		"changed properties":  {strings.Replace(signed.XML, "2026-11-01T12:00:00Z", "2026-10-01T12:00:00Z", 1), "eds.xml.digest_mismatch", "SIG_CRYPTO_FAILURE"},
	} {
		ver = verifyXML(t, h, XmlVerifyRequest{XML: c.doc})
		if ver.Valid || ver.AdesLevel != "" || ver.AdesStatus != "INVALID" || ver.AdesSubIndication != c.sub || ver.Signers[0] == nil || ver.Signers[0].Errors[0] != c.code {
			t.Errorf("%s: %+v %+v", name, ver, ver.Signers[0])
		}
	}
}

// issue 12 (done when), rule XAdES-INTEROP: a XAdES-B signature made by /xml/sign
// with an RSA key verifies with xmlsec1 (both references), and xmlsec1 refuses it
// once its signed properties are changed.
func TestXAdESXmlsec1(t *testing.T) {
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("SENIM_REQUIRE_XMLSEC1") != "" {
			t.Fatal("xmlsec1 is not installed")
		}
		t.Skip("xmlsec1 is not installed")
	}
	p12, cert, twin, _ := rsaXAdESKey(t)
	h := newTestServer(t, func(c *Config) { c.Validator = testValidator(t, cert, twin) })
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("B"),
		Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: b64(p12), Password: "Qwerty12"}}}}, &signed)
	dir := t.TempDir()
	certFile, docFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "d.xml")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	args := []string{"--verify", "--trusted-pem", certFile, "--id-attr:Id", xmldsig.NSXAdES + ":SignedProperties", docFile}
	os.WriteFile(docFile, []byte(signed.XML), 0o600)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses /xml/sign's XAdES-B: %v\n%s\n%s", err, out, signed.XML)
	}
	os.WriteFile(docFile, []byte(strings.Replace(signed.XML, "2026-11-01T12:00:00Z", "2026-10-01T12:00:00Z", 1)), 0o600)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 accepts changed signed properties\n%s", out)
	}
}

// issue 12 item 8: /wsse/verify keeps NCANode's shape — no AdES members.
func TestWSSEVerifyShape(t *testing.T) {
	h := newTestServer(t)
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body><m>1</m></soapenv:Body></soapenv:Envelope>`
	k := key(t, "legal/valid/head.p12")
	var signed XmlSignResponse
	postOK(t, h, "/wsse/sign", WsseSignRequest{XML: env, Key: k.Key, Password: k.Password}, &signed)
	code, body := post(t, h, "/wsse/verify", XmlVerifyRequest{XML: signed.XML})
	var m map[string]any
	if json.Unmarshal(body, &m); code != 200 || len(m) != 4 || m["valid"] != true || m["signers"] == nil {
		t.Fatalf("HTTP %d %s", code, body)
	}
}

// issue 12 item 8: with several signers the AdES members describe the first
// signature in document order (the one NCANode checks last): a XAdES-B signer
// followed by a plain one answers adesLevel B; the reverse has no adesLevel.
func TestXAdESSeveralSigners(t *testing.T) {
	h := newTestServer(t)
	k := key(t, "legal/valid/head.p12")
	var signed XmlSignResponse
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("B"), Signers: []XmlSignerRequest{{KeyRequest: k}}}, &signed)
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: signed.XML, Signers: []XmlSignerRequest{{KeyRequest: k}}}, &signed)
	ver := verifyXML(t, h, XmlVerifyRequest{XML: signed.XML})
	if !ver.Valid || len(ver.Signers) != 2 || ver.AdesLevel != "B" || ver.AdesStatus != "VALID" {
		t.Fatalf("XAdES first: %+v", ver)
	}
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: xmlDoc, Signers: []XmlSignerRequest{{KeyRequest: k}}}, &signed)
	postOK(t, h, "/xml/sign", XmlSignRequest{XML: signed.XML, XadesLevel: levelPtr("B"), Signers: []XmlSignerRequest{{KeyRequest: k}}}, &signed)
	ver = verifyXML(t, h, XmlVerifyRequest{XML: signed.XML})
	if !ver.Valid || len(ver.Signers) != 2 || ver.AdesLevel != "" || ver.AdesStatus != "VALID" {
		t.Fatalf("plain first: %+v", ver)
	}
}

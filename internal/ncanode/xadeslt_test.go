package ncanode

import (
	"regexp"
	"strings"
	"testing"
)

// issue 12 item 8, rule XAdES-LT (ETSI EN 319 132-1 5.5): xadesLevel LT writes the
// signature time-stamp, then CertificateValues (the signer's and the TSA's chains)
// and RevocationValues (the CRLs of their CAs) in the unsigned signature
// properties; /xml/verify on a server without any CRL uses them at the time-stamp's
// time: valid, adesLevel LT. Negative cases: the same document at level T is not
// valid there (revocation unknown); a signer the CRL lists as revoked is refused
// (archive.signature.invalid); values of another chain (the CRL swapped for one of
// another CA) decide nothing; LTA stays refused.
func TestXAdESLTSignVerify(t *testing.T) {
	online, offline := ltServers(t)
	var lt, tOnly XmlSignResponse
	signers := []XmlSignerRequest{{KeyRequest: key(t, "individual/valid/individual_valid.p12")}}
	postOK(t, online, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("LT"), Signers: signers}, &lt)
	postOK(t, online, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("T"), Signers: signers}, &tOnly)
	for _, want := range []string{"<xades:CertificateValues><xades:EncapsulatedX509Certificate>", "<xades:RevocationValues><xades:CRLValues><xades:EncapsulatedCRLValue>"} {
		if !strings.Contains(lt.XML, want) {
			t.Fatalf("no %s:\n%s", want, lt.XML)
		}
	}
	ver := verifyXML(t, offline, XmlVerifyRequest{XML: lt.XML, RevocationCheck: []string{"CRL"}})
	if !ver.Valid || ver.AdesLevel != "LT" || ver.AdesStatus != "VALID" || len(ver.Signers) != 1 || ver.Signers[0].Revocations[0].Status != "good" {
		t.Fatalf("LT offline: %+v", ver)
	}
	ver = verifyXML(t, offline, XmlVerifyRequest{XML: tOnly.XML, RevocationCheck: []string{"CRL"}})
	// Offline even the TSA's certificate has no revocation evidence: level B.
	if ver.Valid || ver.AdesLevel == "LT" {
		t.Errorf("T offline: valid %v level %s", ver.Valid, ver.AdesLevel)
	}

	// The CRL values replaced by the TSA CA's CRL only: another issuer's CRL is no
	// evidence for the signer.
	crlRe := regexp.MustCompile(`<xades:EncapsulatedCRLValue>[^<]*</xades:EncapsulatedCRLValue>`)
	vals := crlRe.FindAllString(lt.XML, -1)
	if len(vals) != 2 {
		t.Fatalf("%d CRL values, want 2 (the signer's CA and the TSA's)", len(vals))
	}
	foreign := strings.Replace(lt.XML, vals[0], vals[1], 1)
	ver = verifyXML(t, offline, XmlVerifyRequest{XML: foreign, RevocationCheck: []string{"CRL"}})
	if ver.Valid || ver.Signers[0].Revocations[0].Status == "good" {
		t.Errorf("another CA's CRL as evidence: %+v", ver.Signers[0].Revocations)
	}

	code, body := post(t, online, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("LT"),
		Signers: []XmlSignerRequest{{KeyRequest: key(t, "legal/revoked/head.p12")}}})
	checkError(t, code, body, 400, "archive.signature.invalid")
	code, body = post(t, online, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("LTA"), Signers: signers})
	checkError(t, code, body, 400, "eds.xml.xades_unsupported")
	noTrust := newTestServer(t, func(c *Config) { c.Validator = nil })
	code, body = post(t, noTrust, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("LT"), Signers: signers})
	checkError(t, code, body, 400, "eds.cert.untrusted")
}

// rule XAdES-LT with several signers: each signature gets its values before the
// next signer signs, so the later enveloped signature covers the earlier one as it
// finally is: both verify offline with their own values. Negative: values added to
// the first signature after the second signed break the second signature.
func TestXAdESLTSeveralSigners(t *testing.T) {
	online, offline := ltServers(t)
	var two XmlSignResponse
	postOK(t, online, "/xml/sign", XmlSignRequest{XML: xmlDoc, XadesLevel: levelPtr("LT"), Signers: []XmlSignerRequest{
		{KeyRequest: key(t, "individual/valid/individual_valid.p12")}, {KeyRequest: key(t, "legal/valid/head.p12")}}}, &two)
	if n := strings.Count(two.XML, "<xades:CertificateValues>"); n != 2 {
		t.Fatalf("%d CertificateValues, want 2", n)
	}
	ver := verifyXML(t, offline, XmlVerifyRequest{XML: two.XML, RevocationCheck: []string{"CRL"}})
	if !ver.Valid || len(ver.Signers) != 2 || ver.AdesLevel != "LT" {
		t.Fatalf("two LT signers offline: valid %v, %d signers, level %s", ver.Valid, len(ver.Signers), ver.AdesLevel)
	}
	// Drop the first signature's values: the second signature covered them.
	i := strings.Index(two.XML, "<xades:CertificateValues>")
	j := strings.Index(two.XML, "</xades:RevocationValues>") + len("</xades:RevocationValues>")
	stripped := two.XML[:i] + two.XML[j:]
	ver = verifyXML(t, offline, XmlVerifyRequest{XML: stripped, RevocationCheck: []string{"CRL"}})
	if ver.Valid || len(ver.Signers) != 2 || ver.Signers[1] == nil || ver.Signers[1].Valid || len(ver.Signers[1].Errors) == 0 ||
		!strings.HasPrefix(ver.Signers[1].Errors[0], "eds.xml.") {
		t.Errorf("the second signature still verifies after the first one's values were removed: %+v", ver.Signers)
	}
}

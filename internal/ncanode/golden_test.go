package ncanode

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// Golden responses for the NCANode v3 endpoints that had none (issue 12, "done
// when": NCANode's request/response shapes for every endpoint are matched by
// golden tests). The bytes are made deterministic in two ways:
//
//   - an RSA key (PKCS#1 v1.5 signatures are deterministic) with the fixed test
//     clock, so a CMS, an XML signature or a JWS comes out the same every run;
//   - where a response must hold bytes that differ run to run (a GOST or ECDSA
//     signature, a time-stamp token of the test TSA, whose key is made per test),
//     normalised: exactly that one member's string value is replaced by a
//     placeholder (`"<CMS>"`, `"<PDF>"`) after the test has checked that the value
//     parses and verifies. No member is dropped.
//
// Verification responses hold certificate information only (no signature bytes
// of the signed object), so they are compared unnormalised even for GOST.

// normalise returns body with the top-level string member replaced by
// placeholder, after check has accepted its value. The member must occur once,
// as a non-empty string.
func normalise(body []byte, member, placeholder string, check func(string)) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("not JSON: %s", body)
	}
	raw, ok := m[member]
	var v string
	if !ok || json.Unmarshal(raw, &v) != nil || v == "" {
		return nil, fmt.Errorf("%s: not a non-empty string in %s", member, body)
	}
	check(v)
	old := append([]byte(`"`+member+`":`), raw...)
	if n := bytes.Count(body, old); n != 1 {
		return nil, fmt.Errorf("%s occurs %d times", member, n)
	}
	return bytes.Replace(body, old, []byte(`"`+member+`":"`+placeholder+`"`), 1), nil
}

func normalised(t *testing.T, body []byte, member, placeholder string, check func(string)) []byte {
	t.Helper()
	out, err := normalise(body, member, placeholder, check)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNormalise: the normalisation replaces exactly the member asked for and
// refuses what it cannot replace (negative cases).
func TestNormalise(t *testing.T) {
	got, err := normalise([]byte(`{"status":200,"cms":"QUJD","x":"QUJD"}`), "cms", "<CMS>", func(v string) {
		if v != "QUJD" {
			t.Errorf("check saw %q", v)
		}
	})
	if err != nil || string(got) != `{"status":200,"cms":"<CMS>","x":"QUJD"}` {
		t.Errorf("%s %v", got, err)
	}
	for _, bad := range []string{`{"status":200}`, `{"cms":1}`, `{"cms":""}`, `not json`, `{"a":{"cms":"QUJD"},"cms":"QUJD"}`} {
		if _, err := normalise([]byte(bad), "cms", "<CMS>", func(string) {}); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func postGolden(t *testing.T, h http.Handler, path string, req any, wantStatus int) []byte {
	t.Helper()
	code, body := post(t, h, path, req)
	if code != wantStatus {
		t.Fatalf("%s: HTTP %d, want %d: %s", path, code, wantStatus, body)
	}
	return body
}

// goldenRSACMS signs data with the RSA test key (deterministic), attached.
func goldenRSACMS(t *testing.T, h http.Handler, data string, detached bool) string {
	t.Helper()
	var r CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte(data)), Signers: []KeyRequest{opensslKey(t, rsaP12)}, Detached: detached}, &r)
	return r.CMS
}

// /pkcs12/info: a valid NCA GOST key with the CRL (VerificationResponse with a
// trusted chain), and a wrong password (NCANode's key-reading error).
func TestGoldenPkcs12Info(t *testing.T) {
	h := newTestServer(t)
	body := postGolden(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}, RevocationCheck: []string{"CRL"}}, 200)
	golden(t, "pkcs12-info-gost.json", body)
	var resp VerificationResponse
	json.Unmarshal(body, &resp)
	if !resp.Valid || len(resp.Signers) != 1 || resp.Signers[0].Revocations[0].Status != "good" {
		t.Errorf("%s", body)
	}
	bad := key(t, "individual/valid/individual_valid.p12")
	bad.Password = "Wrong123"
	body = postGolden(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{bad}}, 400)
	golden(t, "pkcs12-info-bad-password.json", body)
	checkError(t, 400, body, 400, "eds.pkcs12.bad_password")
}

// /cms/sign: RSA attached (deterministic); GOST with a time-stamp, its cms
// normalised after /cms/verify has found it valid with its time-stamp; withTsp
// without a TSA (error shape).
func TestGoldenCmsSign(t *testing.T) {
	h := newTestServer(t)
	body := postGolden(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("Senim golden")), Signers: []KeyRequest{opensslKey(t, rsaP12)}}, 200)
	golden(t, "cms-sign-rsa.json", body)
	var r CmsResponse
	json.Unmarshal(body, &r)
	var ex CmsDataResponse
	postOK(t, h, "/cms/extract", CmsExtractRequest{CMS: r.CMS}, &ex)
	if ex.Data != b64([]byte("Senim golden")) {
		t.Errorf("extract of the signed CMS: %q", ex.Data)
	}

	body = postGolden(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("Senim golden")), Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}, WithTsp: true, TsaPolicy: "TSA_GOST_POLICY"}, 200)
	body = normalised(t, body, "cms", "<CMS>", func(v string) {
		var ver CmsVerificationResponse
		postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: v, RevocationCheck: []string{"CRL"}}, &ver)
		if !ver.Valid || len(ver.Signers) != 1 || ver.Signers[0].Tsp == nil || !ver.Signers[0].Tsp.Valid || ver.Signers[0].Tsp.Policy != "1.2.398.3.3.2.6.1" {
			t.Errorf("GOST CMS with time-stamp does not verify: %+v", ver)
		}
	})
	golden(t, "cms-sign-gost-tsp.json", body)

	noTSA := newTestServer(t, func(c *Config) { c.TSA = nil })
	body = postGolden(t, noTSA, "/cms/sign", CmsSignRequest{Data: b64([]byte("x")), Signers: []KeyRequest{opensslKey(t, rsaP12)}, WithTsp: true}, 400)
	golden(t, "cms-sign-no-tsa.json", body)
	checkError(t, 400, body, 400, "eds.tsp.not_configured")
}

// /cms/sign/add: an RSA signer added to an RSA CMS (deterministic); the first
// signer is kept, both verify.
func TestGoldenCmsSignAdd(t *testing.T) {
	h := newTestServer(t)
	first := goldenRSACMS(t, h, "Senim golden", false)
	body := postGolden(t, h, "/cms/sign/add", CmsSignRequest{CMS: first, Signers: []KeyRequest{opensslKey(t, rsaP12)}}, 200)
	golden(t, "cms-sign-add-rsa.json", body)
	var r CmsResponse
	json.Unmarshal(body, &r)
	var ver CmsVerificationResponse
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: r.CMS}, &ver)
	if len(ver.Signers) != 2 {
		t.Fatalf("%+v", ver)
	}
	for i, s := range ver.Signers {
		// Self-signed RSA: the signature is good, the certificate is not trusted.
		if s.Valid || len(s.Errors) == 0 || s.Errors[0] != "eds.cert.untrusted" {
			t.Errorf("signer %d: %+v", i, s)
		}
	}
	// A detached CMS without data (error shape).
	detached := goldenRSACMS(t, h, "Senim golden", true)
	body = postGolden(t, h, "/cms/sign/add", CmsSignRequest{CMS: detached, Signers: []KeyRequest{opensslKey(t, rsaP12)}}, 400)
	golden(t, "cms-sign-add-detached-no-data.json", body)
	checkError(t, 400, body, 400, "eds.cms.detached_content_missing")
}

// /cms/verify: a GOST CMS by a valid NCA key (valid; no signature bytes of the
// CMS are in the answer), the same detached CMS with other data (not valid),
// and a CMS with a time-stamp whose TspInfo is checked member by member.
func TestGoldenCmsVerify(t *testing.T) {
	h := newTestServer(t)
	var s CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("Senim golden")), Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}, Detached: true}, &s)
	body := postGolden(t, h, "/cms/verify", CmsVerifyRequest{CMS: s.CMS, Data: b64([]byte("Senim golden")), RevocationCheck: []string{"CRL"}}, 200)
	golden(t, "cms-verify-gost.json", body)
	var ver CmsVerificationResponse
	json.Unmarshal(body, &ver)
	if !ver.Valid || !ver.Signers[0].Valid {
		t.Errorf("%s", body)
	}
	body = postGolden(t, h, "/cms/verify", CmsVerifyRequest{CMS: s.CMS, Data: b64([]byte("Senim golden!")), RevocationCheck: []string{"CRL"}}, 200)
	golden(t, "cms-verify-gost-other-data.json", body)
	json.Unmarshal(body, &ver)
	if ver.Valid || ver.Signers[0].Valid || len(ver.Signers[0].Errors) == 0 {
		t.Errorf("other data: %s", body)
	}
}

// /cms/extract: the content of an attached CMS; a detached one (error shape).
func TestGoldenCmsExtract(t *testing.T) {
	h := newTestServer(t)
	body := postGolden(t, h, "/cms/extract", CmsExtractRequest{CMS: goldenRSACMS(t, h, "Senim golden", false)}, 200)
	golden(t, "cms-extract.json", body)
	if !bytes.Contains(body, []byte(`"data":"`+b64([]byte("Senim golden"))+`"`)) {
		t.Errorf("%s", body)
	}
	body = postGolden(t, h, "/cms/extract", CmsExtractRequest{CMS: goldenRSACMS(t, h, "Senim golden", true)}, 400)
	golden(t, "cms-extract-detached.json", body)
	checkError(t, 400, body, 400, "eds.cms.no_content")
}

const goldenSOAP = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/>` +
	`<soapenv:Body xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="body-1">` +
	`<typ:SendMessage xmlns:typ="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>m1</messageId></requestInfo></request></typ:SendMessage>` +
	`</soapenv:Body></soapenv:Envelope>`

// /xml/sign: plain XML-DSig with RSA (deterministic: no IDs, no time), which
// /xml/verify accepts as a good signature by an untrusted certificate.
func TestGoldenXmlSign(t *testing.T) {
	h := newTestServer(t)
	rsa := opensslKey(t, rsaP12)
	body := postGolden(t, h, "/xml/sign", XmlSignRequest{XML: `<root><a>Senim golden</a></root>`, Signers: []XmlSignerRequest{{KeyRequest: rsa}}}, 200)
	golden(t, "xml-sign-rsa.json", body)
	var r XmlSignResponse
	json.Unmarshal(body, &r)
	var ver XmlVerificationResponse
	postOK(t, h, "/xml/verify", XmlVerifyRequest{XML: r.XML}, &ver)
	if ver.Valid || len(ver.Signers) != 1 || ver.Signers[0] == nil || ver.Signers[0].Errors[0] != "eds.cert.untrusted" {
		t.Errorf("%+v", ver)
	}
	body = postGolden(t, h, "/xml/sign", XmlSignRequest{XML: `<!DOCTYPE r [<!ENTITY a "a">]><r>&a;</r>`, Signers: []XmlSignerRequest{{KeyRequest: rsa}}}, 400)
	golden(t, "xml-sign-doctype.json", body)
	checkError(t, 400, body, 400, "eds.xml.dtd_forbidden")
}

// /wsse/sign: a SOAP envelope whose Body has its own wsu:Id (kept, so the
// answer is deterministic with RSA); /wsse/verify of the result.
func TestGoldenWsseSign(t *testing.T) {
	h := newTestServer(t)
	rsa := opensslKey(t, rsaP12)
	body := postGolden(t, h, "/wsse/sign", WsseSignRequest{XML: goldenSOAP, Key: rsa.Key, Password: rsa.Password}, 200)
	golden(t, "wsse-sign-rsa.json", body)
	var r XmlSignResponse
	json.Unmarshal(body, &r)
	if !strings.Contains(r.XML, `URI="#body-1"`) {
		t.Errorf("the Body's own wsu:Id is not the reference: %s", r.XML)
	}
	var ver XmlVerificationResponse
	postOK(t, h, "/wsse/verify", XmlVerifyRequest{XML: r.XML}, &ver)
	if ver.Valid || len(ver.Signers) != 1 || ver.Signers[0] == nil || ver.Signers[0].Errors[0] != "eds.cert.untrusted" {
		t.Errorf("%+v", ver)
	}
	body = postGolden(t, h, "/wsse/sign", WsseSignRequest{XML: `<a/>`, Key: rsa.Key, Password: rsa.Password}, 400)
	golden(t, "wsse-sign-not-soap.json", body)
	checkError(t, 400, body, 400, "eds.xml.malformed")
}

// /wsse/verify: a GOST-signed envelope by a valid NCA key (valid), the same with
// the Body changed (not valid, the digest code first).
func TestGoldenWsseVerify(t *testing.T) {
	h := newTestServer(t)
	k := key(t, "individual/valid/individual_valid.p12")
	var r XmlSignResponse
	postOK(t, h, "/wsse/sign", WsseSignRequest{XML: goldenSOAP, Key: k.Key, Password: k.Password}, &r)
	body := postGolden(t, h, "/wsse/verify", XmlVerifyRequest{XML: r.XML, RevocationCheck: []string{"CRL"}}, 200)
	golden(t, "wsse-verify-gost.json", body)
	var ver XmlVerificationResponse
	json.Unmarshal(body, &ver)
	if !ver.Valid {
		t.Errorf("%s", body)
	}
	changed := strings.Replace(r.XML, "<messageId>m1<", "<messageId>m2<", 1)
	body = postGolden(t, h, "/wsse/verify", XmlVerifyRequest{XML: changed, RevocationCheck: []string{"CRL"}}, 200)
	golden(t, "wsse-verify-changed.json", body)
	json.Unmarshal(body, &ver)
	if ver.Valid || ver.Signers[0].Errors[0] != "eds.xml.digest_mismatch" {
		t.Errorf("changed Body: %s", body)
	}
}

func goldenPDF(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/pdf/unsigned.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// /pdf/sign: a GOST signature of the test PDF; the pdf normalised after
// /pdf/verify has found one signature with the texts given (the signed
// revision carries the signature dictionary, whose bytes are compared here
// only through the verification).
func TestGoldenPdfSign(t *testing.T) {
	h := newTestServer(t)
	req := PdfSignRequest{Pdf: b64(goldenPDF(t)), Signers: []PdfSigner{{Reason: "golden", Location: "Astana", Signer: key(t, "individual/valid/individual_valid.p12")}}}
	body := postGolden(t, h, "/pdf/sign", req, 200)
	body = normalised(t, body, "pdf", "<PDF>", func(v string) {
		var ver PdfVerificationResponse
		postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: v, RevocationCheck: []string{"CRL"}}, &ver)
		if !ver.Valid || len(ver.Signers) != 1 || ver.Signers[0].Reason == nil || *ver.Signers[0].Reason != "golden" || !ver.Signers[0].CoversWholeDocument {
			t.Errorf("signed PDF: %+v", ver)
		}
	})
	golden(t, "pdf-sign-gost.json", body)
	req.PadesLevel = "C"
	body = postGolden(t, h, "/pdf/sign", req, 400)
	golden(t, "pdf-sign-bad-level.json", body)
	checkError(t, 400, body, 400, "request.invalid_field")
}

// /pdf/extend: a document time-stamp over a signed PDF; the pdf normalised
// after /pdf/verify has found the signature and a valid document time-stamp.
func TestGoldenPdfExtend(t *testing.T) {
	h := newTestServer(t)
	var signed PdfSignResponse
	postOK(t, h, "/pdf/sign", PdfSignRequest{Pdf: b64(goldenPDF(t)), Signers: []PdfSigner{{Signer: key(t, "individual/valid/individual_valid.p12")}}}, &signed)
	body := postGolden(t, h, "/pdf/extend", PdfExtendRequest{Pdf: signed.Pdf, PadesLevel: "T", TsaPolicy: "TSA_GOST_POLICY"}, 200)
	body = normalised(t, body, "pdf", "<PDF>", func(v string) {
		var ver PdfVerificationResponse
		postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: v}, &ver)
		if !ver.Valid || len(ver.Signers) != 1 || len(ver.DocumentTimestamps) != 1 || !ver.DocumentTimestamps[0].Valid {
			t.Errorf("extended PDF: %+v", ver)
		}
		raw, _ := base64.StdEncoding.DecodeString(v)
		orig, _ := base64.StdEncoding.DecodeString(signed.Pdf)
		if !bytes.HasPrefix(raw, orig) {
			t.Error("the extension is not an incremental update")
		}
	})
	golden(t, "pdf-extend-t.json", body)
	body = postGolden(t, h, "/pdf/extend", PdfExtendRequest{Pdf: b64(goldenPDF(t))}, 404)
	golden(t, "pdf-extend-unsigned.json", body)
	checkError(t, 404, body, 404, "eds.pdf.no_signatures")
}

// /jws/sign/add: an RSA signature added to an RSA JWS (deterministic).
func TestGoldenJwsSignAdd(t *testing.T) {
	h := newTestServer(t)
	rsa := opensslKey(t, rsaP12)
	var first JwsSignResponse
	postOK(t, h, "/jws/sign", JwsSignRequest{Payload: json.RawMessage(`{"a":1}`), Signers: []JwsSignerRequest{jwsSigner(rsa, "RS256")}}, &first)
	body := postGolden(t, h, "/jws/sign/add", JwsSignRequest{JWS: first.JWS, Signers: []JwsSignerRequest{jwsSigner(rsa, "RS512")}}, 200)
	golden(t, "jws-sign-add-rs512.json", body)
	var r JwsSignResponse
	json.Unmarshal(body, &r)
	var ver JwsVerifyResponse
	postOK(t, h, "/jws/verify", JwsVerifyRequest{JWS: r.JWS}, &ver)
	if len(ver.Signers) != 2 || ver.Signers[1].Errors[0] == "jws.signature_invalid" {
		t.Errorf("%+v", ver)
	}
	body = postGolden(t, h, "/jws/sign/add", JwsSignRequest{JWS: json.RawMessage(`"x"`), Signers: []JwsSignerRequest{jwsSigner(rsa, "RS256")}}, 400)
	golden(t, "jws-sign-add-malformed.json", body)
	checkError(t, 400, body, 400, "jws.malformed")
}

// GET /actuator/health: Spring Boot actuator's body.
func TestGoldenActuatorHealth(t *testing.T) {
	h := newTestServer(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/actuator/health", nil))
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	golden(t, "actuator-health.json", rec.Body.Bytes())
}

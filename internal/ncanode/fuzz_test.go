package ncanode

import (
	"encoding/json"
	"strings"
	"testing"
)

var fuzzPaths = []string{
	"/pkcs12/info", "/x509/info", "/cms/sign", "/cms/sign/add", "/cms/verify", "/cms/extract",
	"/v1/eds/info", "/v1/eds/verify",
	"/xml/sign", "/xml/verify", "/wsse/sign", "/wsse/verify", "/pkcs12/aliases", "/x509/verify",
	"/cms/extend", "/jwt/encode", "/jwt/decode", "/jws/sign", "/jws/sign/add", "/jws/verify", "/x509/sign",
	"/pdf/sign", "/pdf/verify", "/pdf/extend",
}

// FuzzRequests sends arbitrary bodies to every endpoint: no input may panic, and
// every answer is JSON whose status member is the HTTP status, and every error
// carries a stable code.
func FuzzRequests(f *testing.F) {
	h := newTestServer(f)
	p12 := b64(readFile(f, "individual/valid/individual_valid.p12"))
	leaf := b64(readFile(f, "leaf/legal_valid_head.cer"))
	var sig CmsResponse
	postOK(f, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("seed")), Signers: []KeyRequest{{Key: p12, Password: "Qwerty12"}}}, &sig)
	seed := func(path int, v any) {
		b, _ := json.Marshal(v)
		f.Add(uint8(path), b)
	}
	seed(0, Pkcs12InfoRequest{Keys: []KeyRequest{{Key: p12, Password: "Qwerty12"}}, RevocationCheck: []string{"CRL"}})
	seed(0, Pkcs12InfoRequest{Keys: []KeyRequest{{Key: p12, Password: "wrong", KeyAlias: "00"}}})
	seed(1, X509InfoRequest{Certs: []string{leaf}, RevocationCheck: []string{"CRL", "OCSP"}})
	seed(2, CmsSignRequest{Data: "AA==", Signers: []KeyRequest{{Key: p12, Password: "Qwerty12"}}, TsaPolicy: "TSA_GOST_POLICY", WithTsp: true})
	seed(3, CmsSignRequest{CMS: sig.CMS, Signers: []KeyRequest{{Key: p12, Password: "Qwerty12"}}})
	seed(4, CmsVerifyRequest{CMS: sig.CMS, RevocationCheck: []string{"CRL"}})
	seed(5, CmsExtractRequest{CMS: sig.CMS})
	seed(6, InfoRequest{Certificate: leaf, Revocation: []string{"CRL"}, At: "2026-11-01T00:00:00Z"})
	seed(7, VerifyRequest{CMS: sig.CMS, Data: "AA=="})
	var signed XmlSignResponse
	postOK(f, h, "/xml/sign", XmlSignRequest{XML: "<a><b Id=\"x\">1</b></a>", Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: p12, Password: "Qwerty12"}, ReferenceURI: "#x"}}}, &signed)
	seed(8, XmlSignRequest{XML: "<a/>", Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: p12, Password: "Qwerty12"}}}, TrimXML: true})
	seed(9, XmlVerifyRequest{XML: signed.XML, RevocationCheck: []string{"CRL"}})
	seed(10, WsseSignRequest{XML: `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>`, Key: p12, Password: "Qwerty12"})
	seed(11, XmlVerifyRequest{XML: `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`})
	seed(12, Pkcs12InfoRequest{Keys: []KeyRequest{{Key: p12, Password: "Qwerty12"}}})
	seed(13, X509VerifyRequest{Certificate: leaf, Signature: "AAAA", Data: "x"})
	// XAdES-B (rule XAdES-BIND): the request, and its output to verify.
	b := "B"
	var xades XmlSignResponse
	postOK(f, h, "/xml/sign", XmlSignRequest{XML: "<a><b Id=\"x\">1</b></a>", XadesLevel: &b, Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: p12, Password: "Qwerty12"}, ReferenceURI: "#x"}}}, &xades)
	seed(8, XmlSignRequest{XML: "<a/>", XadesLevel: &b, Signers: []XmlSignerRequest{{KeyRequest: KeyRequest{Key: p12, Password: "Qwerty12"}}}})
	seed(9, XmlVerifyRequest{XML: xades.XML})

	// The endpoints of /cms/extend, JWT, JWS and /x509/sign (14 to 20).
	gost := KeyRequest{Key: p12, Password: "Qwerty12"}
	seed(14, CmsExtendRequest{CMS: sig.CMS, CadesLevel: "T", TsaPolicy: "TSA_GOSTGT_POLICY"})
	seed(14, CmsExtendRequest{CMS: sig.CMS, Data: "AA==", CadesLevel: "LT"})
	var jwt JwtEncodeResponse
	postOK(f, h, "/jwt/encode", jwtEncodeReq(gost, "GG2015", `{"sub":"x","exp":1893456000}`), &jwt)
	seed(15, jwtEncodeReq(gost, "GG2015", `{"a":[1,{"b":null}],"c":1e3}`))
	seed(16, JwtDecodeRequest{JWT: &jwt.JWT, Key: leaf})
	var jwsOut JwsSignResponse
	postOK(f, h, "/jws/sign", JwsSignRequest{Payload: []byte(`{"a":1}`), Signers: []JwsSignerRequest{jwsSigner(gost, "GG2015")}}, &jwsOut)
	seed(17, JwsSignRequest{Payload: []byte(`[1,"x"]`), Detached: true, Signers: []JwsSignerRequest{jwsSigner(gost, "GG2015")}})
	seed(18, JwsSignRequest{JWS: jwsOut.JWS, Signers: []JwsSignerRequest{jwsSigner(gost, "GG2015")}})
	seed(19, JwsVerifyRequest{JWS: jwsOut.JWS, RevocationCheck: []string{"CRL"}})
	f.Add(uint8(19), []byte(`{"jws":{"protected":"eyJhbGciOiJHRzIwMTUiLCJ4NWMiOlsiTUFBPSJdfQ","signature":"AA","payload":"MQ"}}`))
	seed(20, X509SignRequest{Data: "x", Signer: &gost})
	// The long-term levels (21 to 23, and XAdES-LT at 8 and 9).
	lt := "LT"
	var xlt XmlSignResponse
	postOK(f, h, "/xml/sign", XmlSignRequest{XML: "<a/>", XadesLevel: &lt, Signers: []XmlSignerRequest{{KeyRequest: gost}}}, &xlt)
	seed(8, XmlSignRequest{XML: "<a/>", XadesLevel: &lt, Signers: []XmlSignerRequest{{KeyRequest: gost}}})
	seed(9, XmlVerifyRequest{XML: xlt.XML, RevocationCheck: []string{"CRL"}})
	var plt PdfSignResponse
	postOK(f, h, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(f, "unsigned.pdf")), Signers: []PdfSigner{{Signer: gost}}, PadesLevel: "LTA"}, &plt)
	seed(21, PdfSignRequest{Pdf: b64(readPDF(f, "unsigned.pdf")), Signers: []PdfSigner{{Signer: gost}}, PadesLevel: "LT"})
	seed(22, PdfVerifyRequest{Pdf: plt.Pdf, RevocationCheck: []string{"CRL"}})
	seed(23, PdfExtendRequest{Pdf: plt.Pdf, PadesLevel: "LTA"})
	f.Add(uint8(4), []byte(`{"cms":"MIAGCSqGSIb3DQEHAqCAMIACAQExADCABgkqhkiG9w0BBwGggCSABAA="}`))
	f.Add(uint8(1), []byte(`{"certs":["-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"]}`))
	f.Add(uint8(0), []byte(`{"keys":[{"key":null,"password":1}]}`))

	f.Fuzz(func(t *testing.T, path uint8, body []byte) {
		p := fuzzPaths[int(path)%len(fuzzPaths)]
		code, out := post(t, h, p, body)
		var resp struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%s: HTTP %d, body not JSON: %q", p, code, out)
		}
		// NCANode answers always carry status; the main API's only its problems.
		if resp.Status != code && !(strings.HasPrefix(p, "/v1/") && code == 200) {
			t.Fatalf("%s: HTTP %d but status member %d: %s", p, code, resp.Status, out)
		}
		if code >= 500 && code != 502 {
			t.Fatalf("%s: HTTP %d: %s", p, code, out)
		}
		if code != 200 && resp.Code == "" {
			t.Fatalf("%s: HTTP %d without a code: %s", p, code, out)
		}
	})
}

// FuzzJOSE feeds arbitrary tokens and JWS documents to the JWT and JWS
// readers (the parsers of untrusted bytes /jwt/decode and /jws/verify add):
// never a panic, a 200 or a coded 400.
func FuzzJOSE(f *testing.F) {
	h := newTestServer(f)
	gost := KeyRequest{Key: b64(readFile(f, "individual/valid/individual_valid.p12")), Password: "Qwerty12"}
	leaf := b64(readFile(f, "leaf/individual_valid.cer"))
	var jwt JwtEncodeResponse
	postOK(f, h, "/jwt/encode", jwtEncodeReq(gost, "GG2015", `{"sub":"x","exp":1893456000}`), &jwt)
	var jws JwsSignResponse
	postOK(f, h, "/jws/sign", JwsSignRequest{Payload: []byte(`{"a":[1,2]}`), Signers: []JwsSignerRequest{jwsSigner(gost, "GG2015")}}, &jws)
	f.Add(false, []byte(jwt.JWT))
	f.Add(false, []byte("eyJhbGciOiJub25lIn0.e30."))
	f.Add(true, []byte(jws.JWS))
	f.Add(true, []byte(`{"protected":"e30","signature":"","payload":"MQ"}`))
	f.Add(true, []byte(`{"signatures":[{"protected":"eyJhbGciOiJSUzI1NiIsIng1YyI6WyJBQUFBIl19","signature":"AA"}],"payload":"e30"}`))
	f.Fuzz(func(t *testing.T, isJWS bool, data []byte) {
		var path string
		var body []byte
		if isJWS {
			if !json.Valid(data) {
				return
			}
			path, body = "/jws/verify", []byte(`{"jws":`+string(data)+`,"payload":{"a":1}}`)
		} else {
			s := string(data)
			b, _ := json.Marshal(JwtDecodeRequest{JWT: &s, Key: leaf})
			path, body = "/jwt/decode", b
		}
		code, out := post(t, h, path, body)
		var resp struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.Status != code {
			t.Fatalf("%s: HTTP %d: %q", path, code, out)
		}
		if code != 200 && (code != 400 || resp.Code == "") {
			t.Fatalf("%s: HTTP %d: %s", path, code, out)
		}
	})
}

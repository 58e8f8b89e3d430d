package ncanode

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
)

func decodeCMSResponse(t *testing.T, body []byte) []byte {
	t.Helper()
	var r CmsResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Status.Status != 200 || r.Message != "OK" {
		t.Fatalf("not a CmsResponse: %s", body)
	}
	b, err := base64.StdEncoding.DecodeString(r.CMS)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issue 12 item 7: /cms/extend to T adds a signature time-stamp to the signer
// that has none, keeps the signed part byte for byte, verifies with the
// time-stamp (and NCANode's tsa form), and is idempotent; B returns the CMS as
// it is.
func TestCMSExtendT(t *testing.T) {
	h := newTestServer(t)
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("extend me")),
		Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &sig)
	orig, _ := base64.StdEncoding.DecodeString(sig.CMS)

	code, body := post(t, h, "/cms/extend", CmsExtendRequest{CMS: sig.CMS, CadesLevel: "B"})
	if code != 200 || !bytes.Equal(decodeCMSResponse(t, body), orig) {
		t.Fatalf("B: HTTP %d, CMS changed: %s", code, body)
	}

	code, body = post(t, h, "/cms/extend", CmsExtendRequest{CMS: sig.CMS, CadesLevel: "T", TsaPolicy: "TSA_GOST_POLICY"})
	if code != 200 {
		t.Fatalf("T: HTTP %d %s", code, body)
	}
	ext := decodeCMSResponse(t, body)
	before, _ := signeddata.Parse(orig)
	after, err := signeddata.Parse(ext)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Signers) != 1 || !bytes.Equal(after.Signers[0].Signature, before.Signers[0].Signature) ||
		!bytes.Equal(after.Signers[0].RawSignedAttrs, before.Signers[0].RawSignedAttrs) {
		t.Fatal("the signed part changed")
	}
	if len(signeddata.Attr(after.Signers[0].UnsignedAttrs, signeddata.OIDAttrTimeStampToken)) != 1 {
		t.Fatal("no signature time-stamp added")
	}
	var ver CmsVerificationResponse
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: b64(ext), RevocationCheck: []string{"CRL"}}, &ver)
	ts := ver.Signers[0].Tsp
	if !ver.Valid || ts == nil || !ts.Valid || ts.Policy != "1.2.398.3.3.2.6.1" || ts.TSA != "4: CN=TEST TSA" {
		t.Fatalf("verify after T: %+v %+v", ver, ts)
	}
	// Extending again adds nothing.
	code, body = post(t, h, "/cms/extend", CmsExtendRequest{CMS: b64(ext), CadesLevel: "t"})
	if code != 200 || !bytes.Equal(decodeCMSResponse(t, body), ext) {
		t.Fatalf("T again: HTTP %d, CMS changed", code)
	}
}

// ltServer is a test server that validates against the NCA test chain and CRL and a
// test TSA (whose CRL it also holds): what LT needs to decide and embed.
func ltServer(t *testing.T) (http.Handler, *pki.CRL, []*pki.CRL) {
	t.Helper()
	crl, err := pki.ParseCRL(readFile(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestTSA(t)
	crls := []*pki.CRL{crl, ts.crl(t)}
	v, err := pki.New(pki.Config{
		Roots:         []*x509.Certificate{readCert(t, "root_test_gost_2022.cer"), ts.root},
		Intermediates: []*x509.Certificate{readCert(t, "nca_gost2022_test.cer")},
		CRLs:          crls, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t, func(c *Config) {
		c.Validator, c.TSA, c.TSARevocation = v, ts.stamper, nil
		c.CRLs = func() []*pki.CRL { return crls }
	})
	return h, crl, crls
}

// issue 12 item 7: /cms/extend to LT of a detached CMS time-stamps it, then
// embeds the chain and the CRL that decided; the result verifies.
func TestCMSExtendLT(t *testing.T) {
	h, crl, crls := ltServer(t)
	data := b64([]byte("detached content"))
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Detached: true,
		Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &sig)
	code, body := post(t, h, "/cms/extend", CmsExtendRequest{CMS: sig.CMS, Data: data, CadesLevel: "LT"})
	if code != 200 {
		t.Fatalf("LT: HTTP %d %s", code, body)
	}
	lt := decodeCMSResponse(t, body)
	sd, err := signeddata.Parse(lt)
	if err != nil {
		t.Fatal(err)
	}
	if sd.HasContent {
		t.Error("the detached CMS became attached")
	}
	// The CRLs of the signer's CA and of the TSA's CA, each once.
	if len(sd.RawCRLs) != 2 || !bytes.Equal(sd.RawCRLs[0], crl.Raw) || !bytes.Equal(sd.RawCRLs[1], crls[1].Raw) {
		t.Errorf("embedded CRLs: %d", len(sd.RawCRLs))
	}
	if len(signeddata.Attr(sd.Signers[0].UnsignedAttrs, signeddata.OIDAttrTimeStampToken)) != 1 {
		t.Error("no signature time-stamp")
	}
	inter := readCert(t, "nca_gost2022_test.cer")
	found := false
	for _, c := range sd.Certificates {
		found = found || c.Equal(inter)
	}
	if !found {
		t.Error("the intermediate CA certificate is not embedded")
	}
	var ver CmsVerificationResponse
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: b64(lt), Data: data, RevocationCheck: []string{"CRL"}}, &ver)
	if !ver.Valid {
		t.Errorf("LT does not verify: %+v", ver)
	}

	// Negative: a signer the CRL lists as revoked gets no LT evidence.
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{key(t, "legal/valid/employee.p12")}}, &sig)
	code, body = post(t, h, "/cms/extend", CmsExtendRequest{CMS: sig.CMS, CadesLevel: "LT"})
	checkError(t, code, body, 400, "archive.signature.invalid")
}

// issue 12 item 7, bad input: every refusal of /cms/extend has a stable code
// and is never a 500.
func TestCMSExtendErrors(t *testing.T) {
	h := newTestServer(t)
	noTSA := newTestServer(t, func(c *Config) { c.TSA = nil })
	noTrust := newTestServer(t, func(c *Config) { c.Validator = nil })
	data := b64([]byte("x"))
	var att, det CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &att)
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Detached: true, Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &det)
	raw, _ := base64.StdEncoding.DecodeString(att.CMS)
	tests := []struct {
		name   string
		h      http.Handler
		req    any
		status int
		code   string
	}{
		{"LTA", h, CmsExtendRequest{CMS: att.CMS, CadesLevel: "LTA"}, 400, "eds.cms.unsupported"},
		{"no level", h, CmsExtendRequest{CMS: att.CMS}, 400, "request.invalid_field"},
		{"unknown level", h, CmsExtendRequest{CMS: att.CMS, CadesLevel: "X"}, 400, "request.invalid_field"},
		{"no cms", h, CmsExtendRequest{CadesLevel: "T"}, 400, "request.invalid_field"},
		{"cms not base64", h, CmsExtendRequest{CMS: "%%%", CadesLevel: "T"}, 400, "request.invalid_base64"},
		{"cms not a CMS", h, CmsExtendRequest{CMS: b64([]byte("nope")), CadesLevel: "T"}, 400, "eds.cms.malformed"},
		{"truncated cms", h, CmsExtendRequest{CMS: b64(raw[:len(raw)/2]), CadesLevel: "T"}, 400, "eds.cms.malformed"},
		{"detached without data", h, CmsExtendRequest{CMS: det.CMS, CadesLevel: "T"}, 400, "eds.cms.detached_content_missing"},
		{"detached, other data", h, CmsExtendRequest{CMS: det.CMS, Data: b64([]byte("y")), CadesLevel: "T"}, 400, "eds.cms.digest_mismatch"},
		{"attached, other data", h, CmsExtendRequest{CMS: att.CMS, Data: b64([]byte("y")), CadesLevel: "T"}, 400, "eds.cms.content_conflict"},
		{"bad tsaPolicy", h, CmsExtendRequest{CMS: att.CMS, CadesLevel: "T", TsaPolicy: "NOPE"}, 400, "eds.tsp.unsupported"},
		{"no TSA", noTSA, CmsExtendRequest{CMS: att.CMS, CadesLevel: "T"}, 400, "eds.tsp.not_configured"},
		{"LT, nothing trusted", noTrust, CmsExtendRequest{CMS: att.CMS, CadesLevel: "LT"}, 400, "eds.cert.untrusted"},
		{"LT, TSA not checkable", h, CmsExtendRequest{CMS: att.CMS, CadesLevel: "LT"}, 400, "archive.signature.invalid"},
		{"not JSON", h, "[1]", 400, "request.malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, tt.h, "/cms/extend", tt.req)
			var e ErrorResponse
			json.Unmarshal(body, &e)
			if code != tt.status || e.Code != tt.code || e.Status.Status != code {
				t.Errorf("HTTP %d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}
	code, body := post(t, h, "/cms/extend", CmsExtendRequest{CMS: att.CMS, CadesLevel: "LTA"})
	if code == 400 {
		golden(t, "cms-extend-lta.json", body)
	}
}

// issue 12 item 7: /cms/sign takes newer NCANode's cadesLevel — T time-stamps the
// signatures made, LT also embeds their chain and the CRL that decided (as /cms/extend),
// B is the plain signature — and refuses LTA, an unknown level and B together with
// withTsp; /cms/sign/add refuses a cadesLevel, as NCANode. (Before, cadesLevel was
// ignored and a B signature came back.)
func TestCMSSignCadesLevel(t *testing.T) {
	h, _, _ := ltServer(t)
	data := b64([]byte("signed at a level"))
	signer := []KeyRequest{key(t, "individual/valid/individual_valid.p12")}
	stamps := func(raw []byte) (int, int) {
		sd, err := signeddata.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, si := range sd.Signers {
			n += len(signeddata.Attr(si.UnsignedAttrs, signeddata.OIDAttrTimeStampToken))
		}
		return n, len(sd.RawCRLs)
	}
	for _, tc := range []struct {
		level      string
		tsa, crls  int
		detached   bool
		verifyData string
	}{
		{"B", 0, 0, false, ""},
		{"T", 1, 0, false, ""},
		{"lt", 1, 2, true, data},
	} {
		code, body := post(t, h, "/cms/sign", CmsSignRequest{Data: data, Detached: tc.detached, Signers: signer, CadesLevel: tc.level})
		if code != 200 {
			t.Fatalf("%s: HTTP %d %s", tc.level, code, body)
		}
		out := decodeCMSResponse(t, body)
		if n, c := stamps(out); n != tc.tsa || c != tc.crls {
			t.Errorf("%s: %d time-stamps and %d CRLs, want %d and %d", tc.level, n, c, tc.tsa, tc.crls)
		}
		var ver CmsVerificationResponse
		postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: b64(out), Data: tc.verifyData, RevocationCheck: []string{"CRL"}}, &ver)
		if !ver.Valid {
			t.Errorf("%s does not verify: %+v", tc.level, ver)
		}
	}
	// /cms/sign/add takes no cadesLevel, as NCANode (the level is raised by /cms/extend).
	var first CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: signer}, &first)
	code, body := post(t, h, "/cms/sign/add", CmsSignRequest{CMS: first.CMS, Signers: []KeyRequest{key(t, "legal/valid/head.p12")}, CadesLevel: "T"})
	checkError(t, code, body, 400, "request.invalid_field")
	// Refusals, each with its stable code.
	code, body = post(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: signer, CadesLevel: "LTA"})
	checkError(t, code, body, 400, "eds.cms.unsupported")
	code, body = post(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: signer, CadesLevel: "C"})
	checkError(t, code, body, 400, "request.invalid_field")
	code, body = post(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: signer, CadesLevel: "B", WithTsp: true})
	checkError(t, code, body, 400, "request.invalid_field")
	// LT of a signer the CRL lists as revoked: refused, no evidence made for it.
	code, body = post(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{key(t, "legal/valid/employee.p12")}, CadesLevel: "LT"})
	checkError(t, code, body, 400, "archive.signature.invalid")
}

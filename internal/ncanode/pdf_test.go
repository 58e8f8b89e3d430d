package ncanode

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readPDF(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issue 12 item 7: /pdf/sign then /pdf/verify in NCANode's shapes. One request
// with two signers gives two signatures; the first covers only its revision
// (coversWholeDocument false, eds.pdf.modified_after_signing) and both are valid.
// The one-signer answer is golden.
func TestPdfSignVerify(t *testing.T) {
	h := newTestServer(t)
	signer := PdfSigner{Reason: "Согласовано", Location: "Астана", ContactInfo: "info@example.kz",
		Signer: key(t, "individual/valid/individual_valid.p12")}
	var signed PdfSignResponse
	postOK(t, h, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{signer}}, &signed)
	code, body := post(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: signed.Pdf, RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatalf("HTTP %d: %s", code, body)
	}
	golden(t, "pdf-verify-gost.json", body)
	var v PdfVerificationResponse
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if !v.Valid || len(v.Signers) != 1 || !v.Signers[0].Valid || *v.Signers[0].Reason != "Согласовано" ||
		*v.Signers[0].SignatureAlgorithm != "ETSI.CAdES.detached" || v.Signers[0].Certificate == nil {
		t.Fatalf("%s", body)
	}

	// Two signers, the second with a time-stamp request for the whole call.
	second := signer
	second.Signer = key(t, "legal/valid/head.p12")
	var twice PdfSignResponse
	postOK(t, h, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{signer, second}, WithTsp: true}, &twice)
	postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: twice.Pdf}, &v)
	if !v.Valid || len(v.Signers) != 2 {
		t.Fatalf("two signers: %+v", v)
	}
	if v.Signers[0].CoversWholeDocument || !slices.Contains(v.Signers[0].Errors, "eds.pdf.modified_after_signing") || !v.Signers[1].CoversWholeDocument {
		t.Errorf("revisions: %+v / %+v", v.Signers[0], v.Signers[1])
	}
	for i, s := range v.Signers {
		if s.Tsp == nil || !s.Tsp.Valid {
			t.Errorf("signer %d: time-stamp %+v", i, s.Tsp)
		}
	}

	// Revoked key: the signature verifies, the certificate does not (CRL).
	var rev PdfSignResponse
	second.Signer = key(t, "legal/revoked/head.p12")
	postOK(t, h, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{second}}, &rev)
	postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: rev.Pdf, RevocationCheck: []string{"CRL"}}, &v)
	if v.Valid || v.Signers[0].Valid || !slices.Contains(v.Signers[0].Errors, "eds.cert.revoked") {
		t.Errorf("revoked: %+v", v.Signers[0])
	}
}

// Bad input: each refused with a stable code, golden where NCANode's shape matters
// (404 for no signatures; 200 valid false for tampering and unsigned changes).
func TestPdfBadInput(t *testing.T) {
	h := newTestServer(t)
	good := key(t, "individual/valid/individual_valid.p12")
	for _, c := range []struct {
		name, path string
		req        any
		status     int
		code       string
		golden     string
	}{
		{"no signatures", "/pdf/verify", PdfVerifyRequest{Pdf: b64(readPDF(t, "unsigned.pdf"))}, 404, "eds.pdf.no_signatures", "pdf-verify-no-signatures.json"},
		{"not a pdf", "/pdf/verify", PdfVerifyRequest{Pdf: b64([]byte("not a pdf"))}, 400, "eds.pdf.malformed", "pdf-verify-not-a-pdf.json"},
		{"truncated", "/pdf/verify", PdfVerifyRequest{Pdf: b64(readPDF(t, "signed-gost.pdf")[:5000])}, 400, "eds.pdf.malformed", ""},
		{"not base64", "/pdf/verify", PdfVerifyRequest{Pdf: "%%%"}, 400, "request.invalid_base64", ""},
		{"no pdf", "/pdf/verify", PdfVerifyRequest{}, 400, "request.invalid_field", ""},
		{"bad revocationCheck", "/pdf/verify", PdfVerifyRequest{Pdf: b64(readPDF(t, "signed-gost.pdf")), RevocationCheck: []string{"X"}}, 400, "request.invalid_field", ""},
		{"sign: not a pdf", "/pdf/sign", PdfSignRequest{Pdf: b64([]byte("%PDF-1.7 nothing")), Signers: []PdfSigner{{Signer: good}}}, 400, "eds.pdf.malformed", ""},
		{"sign: no signers", "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf"))}, 400, "request.invalid_field", ""},
		{"sign: bad password", "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{{Signer: KeyRequest{Key: good.Key, Password: "x"}}}}, 400, "eds.pkcs12.bad_password", ""},
		{"sign: bad level", "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{{Signer: good}}, PadesLevel: "Q"}, 400, "request.invalid_field", ""},
	} {
		status, body := post(t, h, c.path, c.req)
		var e ErrorResponse
		json.Unmarshal(body, &e)
		if status != c.status || e.Code != c.code || e.Status.Status != c.status {
			t.Errorf("%s: HTTP %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
		if c.golden != "" {
			golden(t, c.golden, body)
		}
	}
	for _, c := range []struct{ file, code, golden string }{
		{"byterange-moved.pdf", "eds.pdf.byterange_invalid", "pdf-verify-byterange-tampered.json"},
		{"appended-after-signing.pdf", "eds.pdf.unsigned_changes", "pdf-verify-unsigned-changes.json"},
	} {
		status, body := post(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: base64.StdEncoding.EncodeToString(readPDF(t, c.file))})
		var v PdfVerificationResponse
		json.Unmarshal(body, &v)
		all := slices.Clone(v.Errors)
		for _, s := range v.Signers {
			all = append(all, s.Errors...)
		}
		if status != 200 || v.Valid || !slices.Contains(all, c.code) {
			t.Errorf("%s: HTTP %d %s", c.file, status, body)
		}
		golden(t, c.golden, body)
	}
}

// /pdf/extend with padesLevel T appends a document time-stamp: /pdf/verify lists it
// in documentTimestamps (not in signers, as NCANode) and the document stays valid.
// Negative cases: an unsigned PDF (404), an unknown level, no TSA configured.
func TestPdfExtend(t *testing.T) {
	h := newTestServer(t)
	var signed, extended PdfSignResponse
	postOK(t, h, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")),
		Signers: []PdfSigner{{Signer: key(t, "individual/valid/individual_valid.p12")}}}, &signed)
	postOK(t, h, "/pdf/extend", PdfExtendRequest{Pdf: signed.Pdf, PadesLevel: "T"}, &extended)
	var v PdfVerificationResponse
	postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: extended.Pdf}, &v)
	if !v.Valid || len(v.Signers) != 1 || len(v.DocumentTimestamps) != 1 || !v.DocumentTimestamps[0].Valid || len(v.Errors) != 0 {
		t.Fatalf("extended: %+v", v)
	}
	// The document time-stamp's own bytes changed: it fails, the document is invalid.
	raw, _ := base64.StdEncoding.DecodeString(extended.Pdf)
	i := strings.LastIndex(string(raw), "(Signature2)")
	raw[i+9] = 'f'
	postOK(t, h, "/pdf/verify", PdfVerifyRequest{Pdf: b64(raw)}, &v)
	if v.Valid || !slices.Contains(v.Errors, "eds.tsp.imprint_mismatch") {
		t.Errorf("tampered document time-stamp: %+v", v)
	}

	noTSA := newTestServer(t, func(c *Config) { c.TSA = nil })
	for _, c := range []struct {
		name   string
		h      http.Handler
		req    PdfExtendRequest
		status int
		code   string
	}{
		{"unsigned", h, PdfExtendRequest{Pdf: b64(readPDF(t, "unsigned.pdf"))}, 404, "eds.pdf.no_signatures"},
		{"bad level", h, PdfExtendRequest{Pdf: signed.Pdf, PadesLevel: "X"}, 400, "request.invalid_field"},
		{"no TSA", noTSA, PdfExtendRequest{Pdf: signed.Pdf}, 400, "eds.tsp.not_configured"},
		{"not a pdf", h, PdfExtendRequest{Pdf: b64([]byte("x"))}, 400, "eds.pdf.malformed"},
	} {
		status, body := post(t, c.h, "/pdf/extend", c.req)
		var e ErrorResponse
		json.Unmarshal(body, &e)
		if status != c.status || e.Code != c.code {
			t.Errorf("%s: HTTP %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
	}
}

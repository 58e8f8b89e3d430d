package ncanode

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/senimkz/senim/internal/eds/pades"
	"github.com/senimkz/senim/internal/eds/pki"
)

// ltServers are an online server (trust, the NCA test CRL and the TSA's CRL, which
// /pdf/sign and /pdf/extend embed) and an offline one (the same trust, no CRL at
// all): on the offline server only a /DSS can prove a signer was not revoked.
func ltServers(t *testing.T) (online, offline http.Handler) {
	t.Helper()
	crl, err := pki.ParseCRL(readFile(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestTSA(t)
	crls := []*pki.CRL{crl, ts.crl(t)}
	roots := []*x509.Certificate{readCert(t, "root_test_gost_2022.cer"), ts.root}
	inter := []*x509.Certificate{readCert(t, "nca_gost2022_test.cer")}
	on, err := pki.New(pki.Config{Roots: roots, Intermediates: inter, CRLs: crls, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	off, err := pki.New(pki.Config{Roots: roots, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	online = newTestServer(t, func(c *Config) {
		c.Validator, c.TSA, c.TSARevocation = on, ts.stamper, nil
		c.CRLs = func() []*pki.CRL { return crls }
	})
	offline = newTestServer(t, func(c *Config) { c.Validator, c.TSA, c.TSARevocation = off, ts.stamper, nil })
	return online, offline
}

// issue 12 item 7 (NCANode's PadesLtvBuilder): /pdf/sign with padesLevel LT
// signs with a time-stamp and appends a /DSS with the chains and the CRLs that
// decided; the PDF verifies with CRL checking on a server that has no CRL at all,
// with adesLevel LT and bestSignatureTime the time-stamp's. LTA adds a document
// time-stamp over the /DSS (adesLevel LTA, one documentTimestamps entry).
// Negative: the same signature at level T is not valid on the offline server (its
// revocation is unknown), adesLevel T.
func TestPdfSignLT(t *testing.T) {
	online, offline := ltServers(t)
	signer := []PdfSigner{{Reason: "LT", Signer: key(t, "individual/valid/individual_valid.p12")}}
	var lt, lta, tOnly PdfSignResponse
	postOK(t, online, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: signer, PadesLevel: "LT"}, &lt)
	postOK(t, online, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: signer, PadesLevel: "lta"}, &lta)
	postOK(t, online, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: signer, PadesLevel: "T"}, &tOnly)

	code, body := post(t, offline, "/pdf/verify", PdfVerifyRequest{Pdf: lt.Pdf, RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	var v PdfVerificationResponse
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	s := v.Signers[0]
	if !v.Valid || len(v.Errors) != 0 || s.AdesLevel != "LT" || s.Tsp == nil || s.BestSignatureTime == nil ||
		s.Certificate == nil || len(s.Certificate.Revocations) == 0 || s.Certificate.Revocations[0].Status != "good" {
		t.Fatalf("LT offline: %s", body)
	}
	goldenPDFLT(t, "pdf-verify-lt.json", body)

	postOK(t, offline, "/pdf/verify", PdfVerifyRequest{Pdf: lta.Pdf, RevocationCheck: []string{"CRL"}}, &v)
	if !v.Valid || v.Signers[0].AdesLevel != "LTA" || len(v.DocumentTimestamps) != 1 || !v.DocumentTimestamps[0].Valid {
		t.Errorf("LTA offline: %+v", v)
	}

	postOK(t, offline, "/pdf/verify", PdfVerifyRequest{Pdf: tOnly.Pdf, RevocationCheck: []string{"CRL"}}, &v)
	if v.Valid || v.Signers[0].AdesLevel != "T" {
		t.Errorf("T offline: valid %v level %s %v", v.Valid, v.Signers[0].AdesLevel, v.Signers[0].Errors)
	}
}

// goldenPDFLT compares the answer with its golden file after blanking what changes
// from run to run (the test TSA's random serial numbers and imprints).
func goldenPDFLT(t *testing.T, name string, body []byte) {
	t.Helper()
	var v PdfVerificationResponse
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	for i := range v.Signers {
		if ts := v.Signers[i].Tsp; ts != nil {
			ts.SerialNumber, ts.Hash = "(varies)", "(varies)"
		}
	}
	for i := range v.DocumentTimestamps {
		v.DocumentTimestamps[i].SerialNumber, v.DocumentTimestamps[i].Hash = "(varies)", "(varies)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name, b)
}

// issue 12 item 7: /pdf/extend with padesLevel LT and LTA as NCANode: a PAdES-B
// signature gets a document time-stamp (LT needs T) and a /DSS; LTA an archive
// document time-stamp after it. Both verify offline. Bad input, each with a stable
// code: a signer the CRL lists as revoked (eds.pdf.not_extendable), no trust
// anchors (eds.cert.untrusted), no TSA (eds.tsp.not_configured), an unsigned PDF
// (404), an unknown level.
func TestPdfExtendLT(t *testing.T) {
	online, offline := ltServers(t)
	var b, rev PdfSignResponse
	postOK(t, online, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")),
		Signers: []PdfSigner{{Signer: key(t, "individual/valid/individual_valid.p12")}}}, &b)
	postOK(t, online, "/pdf/sign", PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")),
		Signers: []PdfSigner{{Signer: key(t, "legal/revoked/head.p12")}}}, &rev)
	for _, level := range []string{"LT", "LTA"} {
		var ext PdfSignResponse
		postOK(t, online, "/pdf/extend", PdfExtendRequest{Pdf: b.Pdf, PadesLevel: level}, &ext)
		var v PdfVerificationResponse
		postOK(t, offline, "/pdf/verify", PdfVerifyRequest{Pdf: ext.Pdf, RevocationCheck: []string{"CRL"}}, &v)
		if !v.Valid || v.Signers[0].AdesLevel != level {
			t.Errorf("%s: valid %v level %s %v %v", level, v.Valid, v.Signers[0].AdesLevel, v.Errors, v.Signers[0].Errors)
		}
		raw, _ := base64.StdEncoding.DecodeString(ext.Pdf)
		d, err := pades.Open(raw)
		if err != nil {
			t.Fatal(err)
		}
		if ds, err := d.DSS(); err != nil || ds == nil || len(ds.CRLs) == 0 {
			t.Errorf("%s: DSS %+v %v", level, ds, err)
		}
	}
	noTrust := newTestServer(t, func(c *Config) { c.Validator = nil })
	noTSA := newTestServer(t, func(c *Config) { c.TSA = nil })
	good := key(t, "individual/valid/individual_valid.p12")
	for _, c := range []struct {
		name, path string
		h          http.Handler
		req        any
		status     int
		code       string
	}{
		{"extend: revoked signer", "/pdf/extend", online, PdfExtendRequest{Pdf: rev.Pdf, PadesLevel: "LT"}, 400, "eds.pdf.not_extendable"},
		{"extend: nothing trusted", "/pdf/extend", noTrust, PdfExtendRequest{Pdf: b.Pdf, PadesLevel: "LTA"}, 400, "eds.cert.untrusted"},
		{"extend: no TSA", "/pdf/extend", noTSA, PdfExtendRequest{Pdf: b.Pdf, PadesLevel: "LT"}, 400, "eds.tsp.not_configured"},
		{"extend: unsigned", "/pdf/extend", online, PdfExtendRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), PadesLevel: "LT"}, 404, "eds.pdf.no_signatures"},
		{"extend: level B", "/pdf/extend", online, PdfExtendRequest{Pdf: b.Pdf, PadesLevel: "B"}, 400, "request.invalid_field"},
		{"sign: LT, nothing trusted", "/pdf/sign", noTrust, PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{{Signer: good}}, PadesLevel: "LT"}, 400, "eds.cert.untrusted"},
		{"sign: LTA, no TSA", "/pdf/sign", noTSA, PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{{Signer: good}}, PadesLevel: "LTA"}, 400, "eds.tsp.not_configured"},
		{"sign: LT, revoked signer", "/pdf/sign", online, PdfSignRequest{Pdf: b64(readPDF(t, "unsigned.pdf")), Signers: []PdfSigner{{Signer: key(t, "legal/revoked/head.p12")}}, PadesLevel: "LT"}, 400, "eds.pdf.not_extendable"},
	} {
		status, body := post(t, c.h, c.path, c.req)
		var e ErrorResponse
		json.Unmarshal(body, &e)
		if status != c.status || e.Code != c.code {
			t.Errorf("%s: HTTP %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
	}
}

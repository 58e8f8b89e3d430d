package ca

import (
	"crypto"
	"errors"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/senimkz/senim/internal/eds/pki"
)

// ocspRequestSeeds are real requests: our client's (NCA nonce), x/crypto's with SHA-1
// and SHA-256, and one about the intermediate at its root.
func ocspRequestSeeds(f *testing.F) (*CA, [][]byte) {
	c := testCA(f)
	is, err := c.IssueIndividual(aigerim, P256)
	if err != nil {
		f.Fatal(err)
	}
	cert, issuer := is.Certificate, is.Chain[0]
	seeds := [][]byte{mustOCSPRequest(f, cert, issuer), mustOCSPRequest(f, issuer, is.Chain[1])}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		der, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: h})
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, der)
	}
	return c, append(seeds, []byte{}, []byte{0x30, 0x80, 0x00, 0x00})
}

// FuzzParseOCSPRequest feeds arbitrary bytes to the responder's request parser alone
// (no signing, so it runs fast): nothing may panic, and a parsed request asks about at
// least one and at most maxOCSPCerts certificates, each with its raw CertID.
func FuzzParseOCSPRequest(f *testing.F) {
	_, seeds := ocspRequestSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseOCSPRequest(data)
		if err != nil {
			if !errors.Is(err, errMalformedOCSP) {
				t.Fatalf("error does not wrap errMalformedOCSP: %v", err)
			}
			return
		}
		if n := len(req.certIDs); n == 0 || n > maxOCSPCerts || len(req.rawCertIDs) != n {
			t.Fatalf("%d certIDs, %d raw", n, len(req.rawCertIDs))
		}
	})
}

// FuzzRespondOCSP feeds arbitrary bytes to the OCSP request parser and the responder:
// nothing may panic, and every answer must be a well-formed OCSP response. Each answer
// is signed, so this target is slower than FuzzParseOCSPRequest.
func FuzzRespondOCSP(f *testing.F) {
	c, seeds := ocspRequestSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, perr := parseOCSPRequest(data)
		out := c.RespondOCSP(data)
		r, err := pki.ParseOCSPResponse(out)
		if err != nil {
			t.Fatalf("responder wrote a malformed response: %v", err)
		}
		if perr != nil && r.Status != pki.OCSPMalformedRequest {
			t.Fatalf("parser refused (%v) but status %d", perr, r.Status)
		}
		if r.Status == pki.OCSPSuccessful && len(r.Responses) != len(req.certIDs) {
			t.Fatalf("%d answers to %d questions", len(r.Responses), len(req.certIDs))
		}
	})
}

package ca

import (
	"crypto"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/senimkz/senim/internal/eds/pki"
)

// FuzzRespondOCSP feeds arbitrary bytes to the OCSP request parser and the responder:
// nothing may panic, and every answer must be a well-formed OCSP response.
func FuzzRespondOCSP(f *testing.F) {
	c := testCA(f)
	is, err := c.IssueIndividual(aigerim, P256)
	if err != nil {
		f.Fatal(err)
	}
	cert, issuer := is.Certificate, is.Chain[0]
	// Seeds: our client's request (NCA nonce), x/crypto's with SHA-1 and SHA-256, a
	// request about the intermediate at its root.
	f.Add(mustOCSPRequest(f, cert, issuer))
	f.Add(mustOCSPRequest(f, issuer, is.Chain[1]))
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		der, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: h})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
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

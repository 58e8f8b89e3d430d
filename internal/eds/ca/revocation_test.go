package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/senimkz/senim/internal/eds/pki"
)

// server starts the CA's handler on loopback and opens a CA whose certificates point
// at it.
func server(t *testing.T, clk *clock, algs ...Algorithm) (*CA, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := Open(t.TempDir()+"/ca", Config{Now: clk.Now, BaseURL: srv.URL, Algorithms: algs})
	if err != nil {
		t.Fatal(err)
	}
	h = c.Handler()
	return c, srv
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestRevocationByCRLAndOCSP(t *testing.T) {
	for _, alg := range []Algorithm{GOST2015, P256} {
		t.Run(string(alg), func(t *testing.T) {
			clk := &clock{t: testNow}
			c, srv := server(t, clk, alg)
			good, err := c.IssueIndividual(aigerim, alg)
			if err != nil {
				t.Fatal(err)
			}
			bad, err := c.IssueOrganization("050490000001", "Demo Bank JSC", nurlan, pki.RoleCanSign, alg)
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(2 * time.Hour)
			now := clk.Now()
			revokedAt := testNow.Add(time.Hour)
			if err := c.Revoke(bad.Certificate.SerialNumber, pki.ReasonKeyCompromise, revokedAt); err != nil {
				t.Fatal(err)
			}

			// The CRL, fetched over HTTP from the address in the certificate.
			resp, der := get(t, bad.Certificate.CRLDistributionPoints[0])
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pkix-crl" || resp.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("CRL: %d %v", resp.StatusCode, resp.Header)
			}
			crl, err := pki.ParseCRL(der)
			if err != nil {
				t.Fatal(err)
			}
			if err := crl.CheckSignatureFrom(bad.Chain[0]); err != nil {
				t.Errorf("CRL signature: %v", err)
			}
			if crl.Number == nil || crl.Number.Int64() != 1 || !crl.ThisUpdate.Equal(now) || !crl.NextUpdate.Equal(now.Add(24*time.Hour)) {
				t.Errorf("CRL number %v, %v..%v", crl.Number, crl.ThisUpdate, crl.NextUpdate)
			}
			e, ok := crl.Lookup(bad.Certificate.SerialNumber)
			if !ok || !e.RevocationTime.Equal(revokedAt) || e.Reason != pki.ReasonKeyCompromise || len(crl.Entries) != 1 {
				t.Errorf("CRL entries %+v", crl.Entries)
			}
			if alg == P256 {
				// An independent parser agrees.
				if rl, err := x509.ParseRevocationList(der); err != nil || rl.CheckSignatureFrom(bad.Chain[0]) != nil {
					t.Errorf("crypto/x509 rejects the P-256 CRL: %v", err)
				}
			}

			crls, err := c.CRLs()
			if err != nil {
				t.Fatal(err)
			}
			ocspClient := pki.NewOCSPChecker(pki.OCSPConfig{Clock: clk.Now, HTTPClient: srv.Client(), CacheTTL: -1})
			v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), CRLs: crls, OCSP: ocspClient, Clock: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []pki.RevocationMethod{pki.RevocationCRL, pki.RevocationOCSP} {
				opts := pki.Options{Revocation: []pki.RevocationMethod{m}}
				res := v.Validate(t.Context(), good.Certificate, now, opts)
				if !res.Valid {
					t.Errorf("%s: good certificate invalid: %v", m, res.Errors)
				}
				res = v.Validate(t.Context(), bad.Certificate, now, opts)
				rc := map[pki.RevocationMethod]pki.RevocationCheck{pki.RevocationCRL: res.CRL, pki.RevocationOCSP: res.OCSP}[m]
				if res.Valid || rc.Status != pki.StatusRevoked || !rc.RevokedAt.Equal(revokedAt) || rc.Reason != pki.ReasonKeyCompromise || !errors.Is(rc.Err, pki.ErrRevoked) {
					t.Errorf("%s: revoked certificate: valid=%v %+v", m, res.Valid, rc)
				}
				// Before the revocation it was good.
				if res := v.Validate(t.Context(), bad.Certificate, revokedAt.Add(-30*time.Minute), opts); !res.Valid {
					t.Errorf("%s: before revocation: %v", m, res.Errors)
				}
			}
		})
	}
}

func TestOCSPResponder(t *testing.T) {
	c := testCA(t)
	is, err := c.IssueIndividual(nurlan, P256)
	if err != nil {
		t.Fatal(err)
	}
	issuer := is.Chain[0]
	cert := is.Certificate

	t.Run("nonce echoed as sent", func(t *testing.T) {
		req, nonce, err := pki.CreateOCSPRequest(cert, issuer)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pki.ParseOCSPResponse(c.RespondOCSP(req))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != pki.OCSPSuccessful || !bytes.Equal(r.Nonce, nonce) || len(r.Responses) != 1 || r.Responses[0].Status != pki.StatusGood {
			t.Fatalf("%+v", r)
		}
		if !bytes.Equal(r.ResponderName, issuer.RawSubject) || !r.ProducedAt.Equal(testNow) || !r.Responses[0].NextUpdate.Equal(testNow.Add(time.Hour)) {
			t.Errorf("responder %x producedAt %v next %v", r.ResponderName, r.ProducedAt, r.Responses[0].NextUpdate)
		}
	})

	// golang.org/x/crypto/ocsp, an independent implementation, with a SHA-1 CertID.
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		t.Run("x/crypto/ocsp "+h.String(), func(t *testing.T) {
			req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: h})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ocsp.ParseResponseForCert(c.RespondOCSP(req), cert, issuer)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != ocsp.Good || resp.IssuerHash != h || resp.SerialNumber.Cmp(cert.SerialNumber) != 0 {
				t.Errorf("%+v", resp)
			}
		})
	}

	t.Run("unknown serial", func(t *testing.T) {
		other := *cert
		other.SerialNumber = new(big.Int).Add(cert.SerialNumber, big.NewInt(1))
		req, err := ocsp.CreateRequest(&other, issuer, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponseForCert(c.RespondOCSP(req), &other, issuer)
		if err != nil || resp.Status != ocsp.Unknown {
			t.Errorf("status %+v, %v", resp, err)
		}
	})

	t.Run("a certificate of the root asked of its intermediate", func(t *testing.T) {
		// The root's CertID with the intermediate's serial: known serial, other issuer.
		req, err := ocsp.CreateRequest(issuer, is.Chain[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponseForCert(c.RespondOCSP(req), issuer, is.Chain[1])
		if err != nil || resp.Status != ocsp.Good {
			t.Errorf("intermediate at its root: %+v, %v", resp, err)
		}
	})

	tests := []struct {
		name string
		req  []byte
		want int
	}{
		{"empty", nil, pki.OCSPMalformedRequest},
		{"garbage", []byte{0x30, 0x03, 0x02, 0x01}, pki.OCSPMalformedRequest},
		{"trailing data", append(mustOCSPRequest(t, cert, issuer), 0), pki.OCSPMalformedRequest},
		{"foreign issuer", mustOCSPRequest(t, cert, cert), pki.OCSPUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pki.ParseOCSPResponse(c.RespondOCSP(tt.req))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want {
				t.Errorf("status %d, want %d", r.Status, tt.want)
			}
		})
	}
}

func mustOCSPRequest(t testing.TB, cert, issuer *x509.Certificate) []byte {
	t.Helper()
	der, _, err := pki.CreateOCSPRequest(cert, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestHTTP(t *testing.T) {
	c := testCA(t)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	is, err := c.IssueIndividual(aigerim, GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	req, nonce, err := pki.CreateOCSPRequest(is.Certificate, is.Chain[0])
	if err != nil {
		t.Fatal(err)
	}

	t.Run("certificates", func(t *testing.T) {
		for _, a := range c.Authorities() {
			resp, body := get(t, srv.URL+"/sandbox/ca/cert/"+a.Name+".cer")
			if resp.StatusCode != 200 || !bytes.Equal(body, a.Certificate.Raw) ||
				resp.Header.Get("Content-Type") != "application/pkix-cert" || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("%s: %d %v", a.Name, resp.StatusCode, resp.Header)
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{"/sandbox/ca/cert/nope.cer", "/sandbox/ca/crl/nope.crl", "/sandbox/ca/cert/gost2015-ca.pem", "/sandbox/ca/crl/gost2015-ca"} {
			resp, body := get(t, srv.URL+p)
			if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" || !bytes.Contains(body, []byte(`"code":"http.not_found"`)) {
				t.Errorf("%s: %d %q %s", p, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	})
	checkOCSP := func(t *testing.T, resp *http.Response, body []byte) {
		t.Helper()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
		r, err := pki.ParseOCSPResponse(body)
		if err != nil || r.Status != 0 || !bytes.Equal(r.Nonce, nonce) || r.Responses[0].Status != pki.StatusGood {
			t.Errorf("%+v %v", r, err)
		}
	}
	t.Run("OCSP POST", func(t *testing.T) {
		for _, p := range []string{"/sandbox/ca/ocsp", "/sandbox/ca/ocsp/"} {
			resp, err := http.Post(srv.URL+p, "application/ocsp-request", bytes.NewReader(req))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			checkOCSP(t, resp, body)
		}
	})
	t.Run("OCSP GET", func(t *testing.T) {
		for _, enc := range []string{
			url.PathEscape(base64.StdEncoding.EncodeToString(req)),
			base64.RawURLEncoding.EncodeToString(req),
		} {
			resp, body := get(t, srv.URL+"/sandbox/ca/ocsp/"+enc)
			checkOCSP(t, resp, body)
		}
		resp, body := get(t, srv.URL+"/sandbox/ca/ocsp/!!notbase64")
		if r, err := pki.ParseOCSPResponse(body); resp.StatusCode != 200 || err != nil || r.Status != pki.OCSPMalformedRequest {
			t.Errorf("bad base64: %d %+v %v", resp.StatusCode, r, err)
		}
	})
	t.Run("index", func(t *testing.T) {
		resp, body := get(t, srv.URL+"/sandbox/ca/")
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("NOT FOR PRODUCTION")) || !bytes.Contains(body, []byte(`"gost2015-root"`)) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
}

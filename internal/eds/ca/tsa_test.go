package ca

import (
	"encoding/asn1"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

func TestTSA(t *testing.T) {
	clk := &clock{t: testNow}
	c, srv := server(t, clk)
	crls, err := c.CRLs()
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates(), CRLs: crls, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		hash   asn1.ObjectIdentifier
		policy asn1.ObjectIdentifier
		alg    string
	}{
		{"/sandbox/ca/tsa", eds.OIDDigestStreebog512, nil, "ECGOST3410-2015-512"},
		{"/sandbox/ca/tsa/gost2015", eds.OIDDigestStreebog512, tsp.OIDPolicyGOST, "ECGOST3410-2015-512"},
		{"/sandbox/ca/tsa/p256", eds.OIDDigestSHA256, nil, "SHA256withECDSA"},
	}
	data := []byte("consent #1")
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			cl := &tsp.Client{URL: srv.URL + tt.path, HTTPClient: srv.Client(), Policy: tt.policy}
			tok, err := cl.TimeStamp(t.Context(), tt.hash, data)
			if err != nil {
				t.Fatal(err)
			}
			vr, err := tsp.VerifyToken(t.Context(), tok, tsp.VerifyOptions{Data: data, Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationCRL}})
			if err != nil {
				t.Fatal(err)
			}
			if !vr.GenTime().Equal(testNow) || vr.Chain == nil || !vr.Chain.Valid {
				t.Errorf("genTime %v, chain %+v", vr.GenTime(), vr.Chain)
			}
			if got := pki.Info(vr.Cert).SignatureAlgorithm; got != tt.alg {
				t.Errorf("TSA certificate signed with %s, want %s", got, tt.alg)
			}
			want := tsp.OIDPolicyGOST2015
			if tt.policy != nil {
				want = tt.policy
			}
			if !vr.Token.Info.Policy.Equal(want) {
				t.Errorf("policy %v", vr.Token.Info.Policy)
			}
		})
	}

	// The TSA certificate survives a reopen.
	cfg, err := c.TSA(GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Open(c.dir, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg2, err := c2.TSA(GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Cert.Equal(cfg2.Cert) {
		t.Error("a reopened CA made a new TSA certificate")
	}
	if _, err := c2.TSA("rsa"); err == nil {
		t.Error("TSA of an unknown hierarchy")
	}
}

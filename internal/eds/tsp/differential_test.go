package tsp_test

import (
	"bytes"
	"crypto"
	"math/big"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// Differential tests against github.com/digitorus/timestamp, for ECDSA and SHA-256
// only: that library knows no GOST.

// TestDifferentialOurResponse: digitorus/timestamp parses and verifies our token.
func TestDifferentialOurResponse(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	data := []byte("differential")
	req, der := request(t, eds.OIDDigestSHA256, data, nil)
	resp, err := tsp.Respond(der, ts.cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := tsp.ParseResponse(resp)
	info, _ := tsp.ParseToken(tok.Token)
	if got.HashAlgorithm != crypto.SHA256 || !bytes.Equal(got.HashedMessage, req.HashedMessage) ||
		!got.Time.Equal(clock) || got.SerialNumber.Cmp(info.Info.SerialNumber) != 0 ||
		!got.Policy.Equal(tsp.OIDPolicyGOST2015) || got.Nonce.Cmp(req.Nonce) != 0 {
		t.Errorf("digitorus read %+v", got)
	}
}

// TestDifferentialTheirResponse: we parse and verify digitorus/timestamp's token and
// request.
func TestDifferentialTheirResponse(t *testing.T) {
	ts := newTSA(t, eds.KeyECDSA)
	data := []byte("differential")
	reqDER, err := timestamp.CreateRequest(bytes.NewReader(data), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		t.Fatal(err)
	}
	req, err := tsp.ParseRequest(reqDER)
	if err != nil {
		t.Fatal(err)
	}
	if !req.HashAlgorithm.Equal(eds.OIDDigestSHA256) || !req.CertReq || len(req.HashedMessage) != 32 {
		t.Errorf("request %+v", req)
	}
	their := &timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: req.HashedMessage, Time: clock,
		SerialNumber: req.Nonce, Policy: tsp.OIDPolicyGOST, AddTSACertificate: true,
	}
	if their.SerialNumber == nil {
		their.SerialNumber = big.NewInt(clock.Unix())
	}
	resp, err := their.CreateResponseWithOpts(ts.cfg.Cert, ts.cfg.Signer.(*eds.PrivateKey).Crypto(), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tsp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tsp.VerifyToken(t.Context(), r.Token, tsp.VerifyOptions{Data: data, Validator: ts.v, Policy: tsp.OIDPolicyGOST})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Token.Info.GenTime.Equal(clock.Truncate(1e9)) && !v.Token.Info.GenTime.Equal(clock) {
		t.Errorf("genTime %v", v.Token.Info.GenTime)
	}
}

package ncanode

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// issue 12 item 4: /x509/sign (NCANode v3's SbaSignRequest) signs the UTF-8
// data by the certificate's signature algorithm, so that /x509/verify accepts
// it: a GOST NCA key (trusted chain: valid), and an RSA key checked with
// crypto/rsa directly; changed data does not verify.
func TestX509Sign(t *testing.T) {
	h := newTestServer(t)
	gost := key(t, "individual/valid/individual_valid.p12")
	var s X509SignResponse
	postOK(t, h, "/x509/sign", X509SignRequest{Data: "Қазақстан", Signer: &gost, TsaPolicy: "TSA_GOST_POLICY"}, &s)
	if s.Certificate != b64(readCert(t, "leaf/individual_valid.cer").Raw) {
		t.Error("certificate is not the signer's")
	}
	var v VerificationResponse
	postOK(t, h, "/x509/verify", X509VerifyRequest{Certificate: s.Certificate, Signature: s.Signature, Data: "Қазақстан", RevocationCheck: []string{"CRL"}}, &v)
	if !v.Valid {
		t.Errorf("GOST: /x509/verify refuses /x509/sign's signature: %+v", v.Signers[0])
	}
	postOK(t, h, "/x509/verify", X509VerifyRequest{Certificate: s.Certificate, Signature: s.Signature, Data: "Казахстан", RevocationCheck: []string{"CRL"}}, &v)
	if v.Valid {
		t.Error("GOST: changed data verifies")
	}

	rsaKey := opensslKey(t, rsaP12)
	code, body := post(t, h, "/x509/sign", X509SignRequest{Data: "data", Signer: &rsaKey})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	golden(t, "x509-sign-rsa.json", body)
	postOK(t, h, "/x509/sign", X509SignRequest{Data: "data", Signer: &rsaKey}, &s)
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	sum := sha256.Sum256([]byte("data"))
	if err := rsa.VerifyPKCS1v15(opensslCert(t, "rsa.crt").PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("RSA: %v", err)
	}

	wrong := gost
	wrong.Password = "nope"
	for _, c := range []struct {
		name string
		req  any
		code string
	}{
		{"no data", X509SignRequest{Signer: &gost}, "request.invalid_field"},
		{"no signer", X509SignRequest{Data: "x"}, "request.invalid_field"},
		{"no key", X509SignRequest{Data: "x", Signer: &KeyRequest{Password: "x"}}, "request.invalid_field"},
		{"wrong password", X509SignRequest{Data: "x", Signer: &wrong}, "eds.pkcs12.bad_password"},
		{"signer not an object", `{"data":"x","signer":"k"}`, "request.malformed_json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, h, "/x509/sign", c.req)
			checkError(t, code, body, 400, c.code)
		})
	}
}

package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/senimkz/senim/verifier"
)

// A data owner checks a security token before it answers a data request. Here the
// token is made in place with a key that stands for Senim's; in production the keys
// come from Senim's JWKS (verifier.NewJWKS) and the token from the request
// (verifier.TokenFromRequest).
func ExampleVerifier_Verify() {
	ctx := context.Background()
	senimKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

	// The bank's information-system certificate, as its TLS connection presents it.
	bankCert := &x509.Certificate{Raw: []byte("the bank's certificate, DER")}
	thumb := sha256.Sum256(bankCert.Raw)

	token := signES256(senimKey, "2026-11", verifier.Claims{
		Issuer: "https://senim.example.kz", Audience: "070290000016", // the data owner
		Subject: "850314000011", Initiator: "050490000012", // the citizen, the bank
		Mode: verifier.ModeProactive, Code: "LOAN-KYC", Scope: []string{"identity", "address"},
		IssuedAt: now.Unix(), Expiry: now.Add(time.Hour).Unix(), ID: "6f1c2a",
		Confirmation: &verifier.Confirmation{X5TS256: base64.RawURLEncoding.EncodeToString(thumb[:])},
	})

	v, err := verifier.New(verifier.Config{
		Keys:     verifier.StaticKeys{"2026-11": &senimKey.PublicKey},
		Issuer:   "https://senim.example.kz",
		Audience: "070290000016",
		Now:      func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The request the token came with: this citizen's identity data, from the bank.
	c, err := v.Verify(ctx, token, verifier.Request{Subject: "850314000011", DataSets: []string{"identity"}, ClientCert: bankCert})
	fmt.Println(c.Initiator, c.Mode, c.Scope, err)

	// The same token for another citizen, or for data outside its scope, is refused.
	_, err = v.Verify(ctx, token, verifier.Request{Subject: "900101000022", DataSets: []string{"identity"}, ClientCert: bankCert})
	fmt.Println(code(err))
	_, err = v.Verify(ctx, token, verifier.Request{Subject: "850314000011", DataSets: []string{"family"}, ClientCert: bankCert})
	fmt.Println(code(err))
	// Output:
	// 050490000012 proactive [identity address] <nil>
	// verifier.request.subject_mismatch
	// verifier.request.scope_exceeded
}

// code is the stable code of a verifier refusal.
func code(err error) string {
	var e *verifier.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return fmt.Sprint(err)
}

// signES256 makes a compact JWS as Senim signs security tokens.
func signES256(k *ecdsa.PrivateKey, kid string, c verifier.Claims) string {
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": kid, "typ": verifier.TokenType})
	payload, _ := json.Marshal(c)
	in := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, _ := ecdsa.Sign(rand.Reader, k, sum[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

package xmldsig

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

func testTSA(t testing.TB) *tsp.Local {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping})
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "XMLDSIG TEST TSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	signer, err := eds.NewSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &tsp.Local{Config: tsp.TSAConfig{Signer: signer, Cert: cert}}
}

// issue 12 item 8: an optional time-stamp over the SignatureValue, in XAdES's
// SignatureTimeStamp, as NCANode's XAdES-T puts it: the signature still
// verifies, the token's imprint is the signer's digest of the canonical
// SignatureValue, and a token moved to another signature does not match.
func TestTimeStamp(t *testing.T) {
	ts := testTSA(t)
	k := gost(t)
	stamp := func(hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
		return ts.TimeStamp(context.Background(), hashAlg, data)
	}
	out, err := Sign([]byte(sample), k.key, k.chain, Options{TimeStamp: stamp})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(out, VerifyOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := res.Signatures[0]
	if s.TimeStampToken == nil || !bytes.HasPrefix(s.TimeStampData, []byte("<ds:SignatureValue xmlns:ds=")) {
		t.Fatalf("no time-stamp: %q", s.TimeStampData)
	}
	v, err := tsp.VerifyToken(context.Background(), s.TimeStampToken, tsp.VerifyOptions{Data: s.TimeStampData})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	if !v.Token.Info.HashAlgorithm.Equal(eds.OIDDigestStreebog512) {
		t.Errorf("imprint hash %v", v.Token.Info.HashAlgorithm)
	}
	// The token of one signature does not cover another.
	other, err := Sign([]byte(sample), k.key, k.chain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res2, _ := Verify(other, VerifyOptions{})
	otherSV := []byte(`<ds:SignatureValue xmlns:ds="` + NSDSig + `">` + b64(res2.Signatures[0].SignatureValue) + `</ds:SignatureValue>`)
	_, err = tsp.VerifyToken(context.Background(), s.TimeStampToken, tsp.VerifyOptions{Data: otherSV})
	if res2.Signatures[0].TimeStampToken != nil || !errors.Is(err, tsp.ErrImprintMismatch) {
		t.Errorf("a token covers another signature: %v", err)
	}
	// A TSA failure fails the signing.
	failing := func(asn1.ObjectIdentifier, []byte) ([]byte, error) { return nil, errors.New("down") }
	if _, err := Sign([]byte(sample), k.key, k.chain, Options{TimeStamp: failing}); err == nil {
		t.Error("signed without the requested time-stamp")
	}
}

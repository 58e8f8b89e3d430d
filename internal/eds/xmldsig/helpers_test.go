package xmldsig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
)

type testKey struct {
	key   *eds.PrivateKey
	chain []*x509.Certificate
}

var (
	gostOnce sync.Once
	gostKey  testKey
	gostErr  error
	rsaOnce  sync.Once
	rsaK     testKey
)

// gost returns the NCA test PKI's individual key (GOST 2015-512).
func gost(t testing.TB) testKey {
	t.Helper()
	gostOnce.Do(func() {
		var b []byte
		b, gostErr = os.ReadFile("../../../testdata/nca-gost2022/individual/valid/individual_valid.p12")
		if gostErr != nil {
			return
		}
		var f *pkcs12.File
		if f, gostErr = pkcs12.Decode(b, "Qwerty12"); gostErr != nil {
			return
		}
		e := f.Entries[0]
		gostKey = testKey{e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...)}
	})
	if gostErr != nil {
		t.Fatal(gostErr)
	}
	return gostKey
}

// rsaKey returns a 2048-bit RSA key with a self-signed certificate.
func rsaKey(t testing.TB) testKey {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "xmldsig test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		pk, err := eds.NewSigner(k, eds.OIDSignSHA256WithRSA)
		if err != nil {
			panic(err)
		}
		rsaK = testKey{pk, []*x509.Certificate{c}}
	})
	return rsaK
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

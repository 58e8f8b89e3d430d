package ca

import (
	"crypto/x509"
	"testing"
	"time"
)

// The NCALayer simulator's certificate: a browser that trusts the sandbox's P-256
// root accepts it for 127.0.0.1 and for nothing else.
func TestIssueTLSServer(t *testing.T) {
	c := testCA(t)
	cert, err := c.IssueTLSServer([]string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.P256Root())
	inter := x509.NewCertPool()
	inter.AddCert(must(x509.ParseCertificate(cert.Certificate[1])))
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"127.0.0.1", true}, {"localhost", true}, {"10.0.0.1", false}, {"senim.kz", false}} {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: tc.name, Roots: roots, Intermediates: inter,
			CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if (err == nil) != tc.ok {
			t.Errorf("%s: verify error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := c.IssueTLSServer(nil, time.Hour); err == nil {
		t.Error("a certificate without a host was issued")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

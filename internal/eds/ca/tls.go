package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"time"
)

// IssueTLSServer makes a P-256 key and a TLS server certificate for hosts (IP
// addresses or DNS names), signed by the P-256 issuing CA, valid for validity. It is
// for the sandbox's loopback services that a browser reaches over TLS (the NCALayer
// simulator at wss://127.0.0.1): a browser that trusts the sandbox's P-256 root
// trusts them. The certificate is not recorded: it is short-lived and nothing checks
// its revocation.
func (c *CA) IssueTLSServer(hosts []string, validity time.Duration) (*tls.Certificate, error) {
	if len(hosts) == 0 {
		return nil, errors.New("ca: a TLS certificate needs a host")
	}
	iss, err := c.authority(authorityName(P256, false))
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	serial, err := c.nextSerial()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	now := utc(c.cfg.Now())
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Senim sandbox"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(iss.cert.NotAfter) {
		tmpl.NotAfter = iss.cert.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.cert, &key.PublicKey, iss.key.Crypto())
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der, iss.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// P256Root is the root of the P-256 hierarchy, which TLS clients of the sandbox's
// loopback services trust; nil when the CA has no P-256 hierarchy.
func (c *CA) P256Root() *x509.Certificate {
	au, err := c.authority(authorityName(P256, true))
	if err != nil {
		return nil
	}
	return au.cert
}

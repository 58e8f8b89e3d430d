package app

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/sandbox/ncatest"
)

// trustConfig builds the validator's configuration: the CAs named by --ca (self-signed
// ones become roots, the others intermediates) and the CRLs named by --crl; in the
// sandbox also the NCA test PKI — which is public, and so never trusted outside it.
func (a *App) trustConfig() (pki.Config, error) {
	cfg := pki.Config{Clock: a.Config.Now}
	for _, f := range a.Config.CAFiles {
		certs, err := readCerts(f)
		if err != nil {
			return cfg, err
		}
		for _, c := range certs {
			if bytes.Equal(c.RawIssuer, c.RawSubject) { // self-issued: a trust anchor
				cfg.Roots = append(cfg.Roots, c)
			} else {
				cfg.Intermediates = append(cfg.Intermediates, c)
			}
		}
	}
	for _, f := range a.Config.CRLFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return cfg, err
		}
		if p, _ := pem.Decode(b); p != nil {
			b = p.Bytes
		}
		crl, err := pki.ParseCRL(b)
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", f, err)
		}
		cfg.CRLs = append(cfg.CRLs, crl)
	}
	if a.Config.Sandbox {
		cfg.Roots = append(cfg.Roots, ncatest.Roots()...)
		cfg.Intermediates = append(cfg.Intermediates, ncatest.Intermediates()...)
		cfg.CRLs = append(cfg.CRLs, ncatest.CRLs()...)
	}
	return cfg, nil
}

// readCerts reads DER or PEM certificates from a file.
func readCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	if bytes.Contains(b, []byte("-----BEGIN")) {
		for {
			var p *pem.Block
			p, b = pem.Decode(b)
			if p == nil {
				break
			}
			if p.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(p.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, c)
		}
	} else {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return out, nil
}

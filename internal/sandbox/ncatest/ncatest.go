// Package ncatest embeds the public test PKI of Kazakhstan's National Certification
// Authority (root, issuing CA and its CRL; MIT-licensed copies from NCANode-Go, see
// LICENSE.NCANode-Go), so that `serve --sandbox` can accept signatures made with the
// NCA's test keys.
//
// These keys are public: anyone can sign as anyone with them. Only the sandbox may
// trust this PKI; production trusts the CAs it is configured with and nothing else.
package ncatest

import (
	"crypto/x509"
	_ "embed"

	"github.com/senimkz/senim/internal/eds/pki"
)

var (
	//go:embed root_test_gost_2022.cer
	rootDER []byte
	//go:embed nca_gost2022_test.cer
	issuingDER []byte
	//go:embed nca_gost2022_test.crl
	crlDER []byte
)

// Roots returns the NCA test root.
func Roots() []*x509.Certificate { return mustCerts(rootDER) }

// Intermediates returns the NCA test issuing CA.
func Intermediates() []*x509.Certificate { return mustCerts(issuingDER) }

// CRLs returns the issuing CA's CRL (nextUpdate 2027-02-07).
func CRLs() []*pki.CRL {
	c, err := pki.ParseCRL(crlDER)
	if err != nil {
		panic("ncatest: embedded CRL: " + err.Error())
	}
	return []*pki.CRL{c}
}

func mustCerts(der []byte) []*x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic("ncatest: embedded certificate: " + err.Error())
	}
	return []*x509.Certificate{c}
}

package app

import (
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/sandbox/ncatest"
)

// trustConfig builds the validator's configuration: the CAs named by --ca, the anchors
// named by --ca-anchor and the CRLs named by --crl; in the sandbox also the NCA test PKI — which is public, and so never
// trusted outside it.
func (a *App) trustConfig() (pki.Config, error) {
	cfg, err := edscmd.TrustConfig(a.Config.CAFiles, a.Config.CAAnchorFiles, a.Config.CRLFiles, a.Config.Now)
	if err != nil {
		return cfg, err
	}
	// OCSP at the address in each certificate, asked only when a check requests it.
	cfg.OCSP = pki.NewOCSPChecker(pki.OCSPConfig{Clock: a.Config.Now})
	if a.Config.Sandbox {
		cfg.Roots = append(cfg.Roots, ncatest.Roots()...)
		cfg.Intermediates = append(cfg.Intermediates, ncatest.Intermediates()...)
		cfg.CRLs = append(cfg.CRLs, ncatest.CRLs()...)
		if a.CA != nil {
			crls, err := a.CA.CRLs()
			if err != nil {
				return cfg, err
			}
			cfg.Roots = append(cfg.Roots, a.CA.Roots()...)
			cfg.Intermediates = append(cfg.Intermediates, a.CA.Intermediates()...)
			cfg.CRLs = append(cfg.CRLs, crls...)
		}
	}
	return cfg, nil
}

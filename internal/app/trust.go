package app

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
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
	// OCSP at the address in each certificate, asked only when a check requests it; the
	// sandbox CA's own responder is answered in-process.
	oc := pki.OCSPConfig{Clock: a.Config.Now}
	if a.Config.Sandbox && a.CA != nil {
		oc.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: sandboxCATransport{ca: a.CA.Handler(), next: http.DefaultTransport}}
	}
	cfg.OCSP = pki.NewOCSPChecker(oc)
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

// sandboxCATransport serves requests for the sandbox CA's endpoints (its OCSP responder,
// CRLs, certificates) on this machine's names from the CA's handler in-process: the
// certificates keep the address the CA was first given, which need not be where this
// node listens. Everything else goes to next.
type sandboxCATransport struct {
	ca   http.Handler
	next http.RoundTripper
}

func (t sandboxCATransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, ca.Prefix+"/") || !localHost(r.URL.Hostname()) {
		return t.next.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	t.ca.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// localHost reports whether h names this machine (or nothing, as in a CA made without
// an address).
func localHost(h string) bool {
	if h == "" || h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

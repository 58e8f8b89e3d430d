package app

import (
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/server"
)

// mountArchive builds the archive of electronic documents (rules DC-5, DC-6) and
// mounts its API behind organisation authentication. Documents are validated with the
// server's trust and time-stamped by --tsa-url (the sandbox CA's TSA in the sandbox);
// without a TSA the archive is off. Sealing and renewal are jobs of the job engine
// (jobs.go); `senim archive seal|renew` runs them by hand.
func (a *App) mountArchive(s *server.Server, ids *identity.Service) error {
	var stamper cms.TimeStamper
	var chain []*x509.Certificate
	switch {
	case a.Config.TSAURL != "":
		stamper = &tsp.Client{URL: a.Config.TSAURL}
	case a.CA != nil:
		tc, err := a.CA.TSA(ca.GOST2015)
		if err != nil {
			return err
		}
		stamper = &tsp.Local{Config: tc}
		chain = append(append(chain, tc.Cert), tc.Chain...)
	default:
		return nil
	}
	tc, err := a.trustConfig()
	if err != nil {
		return err
	}
	crls := &crlCache{load: a.trustConfig, every: 5 * time.Minute}
	val := archive.Validation{Validator: a.Trust, CurrentCRLs: crls.get, TSA: stamper, Now: a.Config.Now}
	if a.Config.ArchiveOCSP {
		// OCSP beside the CRLs: a signer is good when either says so and neither says
		// revoked; every answer that decided is embedded.
		val.Revocation = []pki.RevocationMethod{pki.RevocationCRL, pki.RevocationOCSP}
	}
	blobs, err := archive.Blobs(a.DB, a.Config.ArchiveBlobDir, a.Config.Now)
	if err != nil {
		return err
	}
	svc, err := archive.New(archive.Config{DB: a.DB, Blobs: blobs, TSA: stamper, TSAChain: chain, Parties: ids, Now: a.Config.Now,
		Validation: val,
		Trust:      archive.Trust{Roots: tc.Roots, Intermediates: tc.Intermediates, CRLs: tc.CRLs},
		Policy:     archive.Policy{RenewBefore: a.Config.ArchiveRenewBefore, Hash: a.Config.ArchiveHash, WeakFrom: a.Config.ArchiveWeakFrom}})
	if err != nil {
		return err
	}
	a.Archive = svc
	svc.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) })
	return nil
}

// crlCache keeps the configured CRLs for embedding, reloaded at most every so often.
type crlCache struct {
	load  func() (pki.Config, error)
	every time.Duration
	mu    sync.Mutex
	at    time.Time
	crls  []*pki.CRL
}

func (c *crlCache) get() []*pki.CRL {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crls == nil || time.Since(c.at) > c.every {
		if tc, err := c.load(); err == nil {
			c.crls, c.at = tc.CRLs, time.Now()
		}
	}
	return c.crls
}

package ca

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/tsp"
)

const (
	tsaValidity = 5 * 365 * 24 * time.Hour
	// tsaRenew: a TSA certificate this close to its end is replaced at Open.
	tsaRenew = 30 * 24 * time.Hour
)

// timeStamper is the TSA of one hierarchy: a key with a certificate issued by the
// hierarchy's intermediate, with the critical timeStamping extended key usage.
type timeStamper struct {
	key     *eds.PrivateKey
	cert    *x509.Certificate
	chain   []*x509.Certificate
	handler http.Handler
}

// loadOrCreateTSA loads <alg>-tsa.{cer,key} or issues them, also when the certificate
// is about to expire or no longer chains to iss.
func (c *CA) loadOrCreateTSA(iss *authority) (*timeStamper, error) {
	name := string(iss.alg) + "-tsa"
	certPath, keyPath := filepath.Join(c.dir, name+".cer"), filepath.Join(c.dir, name+".key")
	certDER, errC := readPrivate(certPath)
	keyPEM, errK := readPrivate(keyPath)
	ts := &timeStamper{chain: []*x509.Certificate{iss.cert, iss.parent.cert}}
	switch {
	case errC == nil && errK == nil:
		cert, err := x509.ParseCertificate(certDER)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrStore, certPath, err)
		}
		key, err := decodeKey(keyPath, keyPEM)
		if err != nil {
			return nil, err
		}
		pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
		if err != nil || !pub.Equal(key.Public()) {
			return nil, fmt.Errorf("%w: %s does not belong to %s", ErrStore, keyPath, certPath)
		}
		if string(cert.AuthorityKeyId) == string(iss.cert.SubjectKeyId) && c.cfg.Now().Add(tsaRenew).Before(cert.NotAfter) {
			ts.key, ts.cert = key, cert
		}
	case errors.Is(errC, fs.ErrNotExist) && errors.Is(errK, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("%w: %s and %s must both exist or both be absent (%v; %v)", ErrStore, certPath, keyPath, errC, errK)
	}
	if ts.cert == nil {
		var n nameBuilder
		n.add(oidCN, tagUTF8, fmt.Sprintf("SANDBOX TSA (%s) - NOT FOR PRODUCTION", iss.alg.label()))
		n.add(oidOrganization, tagUTF8, "Senim sandbox - NOT FOR PRODUCTION")
		n.add(oidCountry, tagPrintable, "KZ")
		subject, err := n.marshal()
		if err != nil {
			return nil, err
		}
		is, err := c.issueLeaf(iss, leafProfile{
			subject: subject, kind: "tsa", validity: tsaValidity,
			// RFC 3161, 2.3: timeStamping only, critical.
			ekus: []asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping}, ekuCritical: true,
			keyUsage: []int{kuDigitalSignature, kuNonRepudiation},
		})
		if err != nil {
			return nil, err
		}
		keyPEM, err := encodeKey(is.Key)
		if err != nil {
			return nil, err
		}
		if err := writeAtomic(keyPath, keyPEM); err != nil {
			return nil, err
		}
		if err := writeAtomic(certPath, is.Certificate.Raw); err != nil {
			return nil, err
		}
		ts.key, ts.cert = is.Key, is.Certificate
	}
	h, err := tsp.Handler(c.tsaConfig(ts), slog.Default())
	if err != nil {
		return nil, fmt.Errorf("ca: TSA %s: %w", name, err)
	}
	ts.handler = h
	return ts, nil
}

func (c *CA) tsaConfig(ts *timeStamper) tsp.TSAConfig {
	return tsp.TSAConfig{
		Signer: ts.key,
		Cert:   ts.cert,
		Chain:  ts.chain,
		// The NCA's policy OIDs label the requests NCANode clients send; the sandbox
		// grants all three and signs with the hierarchy's key whatever the label.
		Policy:   tsp.OIDPolicyGOST2015,
		Policies: []asn1.ObjectIdentifier{tsp.OIDPolicyGOST, tsp.OIDPolicyGOSTGT},
		Now:      c.cfg.Now,
	}
}

// TSA returns the configuration of the time-stamping authority of hierarchy alg, for an
// in-process tsp.Local or tsp.Respond. Its certificate is issued by the hierarchy's
// intermediate, with the critical timeStamping extended key usage.
func (c *CA) TSA(alg Algorithm) (tsp.TSAConfig, error) {
	ts, ok := c.tsas[alg]
	if !ok {
		return tsp.TSAConfig{}, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	return c.tsaConfig(ts), nil
}

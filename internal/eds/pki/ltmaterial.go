package pki

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
)

// LTMaterial is the validation material of long-term signatures (CAdES-LT,
// PAdES-LT's /DSS, XAdES-LT): the certificates of the chains that were built and
// the revocation evidence that decided, so that a verifier later needs no network.
type LTMaterial struct {
	// Certs are the certificates of every chain, leaf to anchor, each once, in the
	// order met.
	Certs []*x509.Certificate
	// CRLs are the DER CRLs issued by a CA of one of the chains (every one given of
	// such an issuer, so the CRL that decided is among them), each once.
	CRLs [][]byte
	// OCSPs are the DER OCSPResponses that decided a good status, each once.
	OCSPs [][]byte
}

// CollectLT gathers the LT material of validation results (nil ones are skipped):
// their chains, the OCSP answers that decided a good status, and of crls those
// whose issuer is a CA of one of the chains. It is the one collector that
// archive.MakeLT (CAdES-LT) and pades (the /DSS) share.
func CollectLT(results []*Result, crls []*CRL) LTMaterial {
	var m LTMaterial
	var cas []*x509.Certificate
	for _, r := range results {
		if r == nil {
			continue
		}
		if oc := r.OCSP; oc.OCSPResponse != nil && oc.Status == StatusGood && oc.Basis != "" && !containsRaw(m.OCSPs, oc.OCSPResponse) {
			m.OCSPs = append(m.OCSPs, oc.OCSPResponse)
		}
		for i, c := range r.Chain {
			if !containsCert(m.Certs, c) {
				m.Certs = append(m.Certs, c)
			}
			if i > 0 && !containsCert(cas, c) {
				cas = append(cas, c)
			}
		}
	}
	for _, crl := range crls {
		for _, ca := range cas {
			if bytes.Equal(crl.RawIssuer, ca.RawSubject) && !containsRaw(m.CRLs, crl.Raw) {
				m.CRLs = append(m.CRLs, crl.Raw)
			}
		}
	}
	return m
}

func containsRaw(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// WithEvidence returns a Validator with v's trust anchors and intermediates and
// v's CRLs plus crls, whose OCSP checks ask ocsp first (typically a StoredOCSP of
// the answers a signature carries) and then v's own client. The evidence is
// judged as any other: a CRL counts only when its signature verifies against the
// issuer found for the certificate checked, an OCSP answer only when it is about
// that certificate and signed by its issuer or an authorised responder. v is not
// changed.
func (v *Validator) WithEvidence(crls []*CRL, ocsp OCSPClient) *Validator {
	w := &Validator{
		roots:    v.roots,
		byName:   v.byName,
		ocsp:     v.ocsp,
		clock:    v.clock,
		maxDepth: v.maxDepth,
		sigs:     v.sigs,
		crlCheck: make(map[crlKey]error),
		dns:      make(map[string]string),
	}
	all := append(slices0(*v.crls.Load()), crls...)
	w.crls.Store(&all)
	if ocsp != nil {
		if v.ocsp != nil {
			w.ocsp = firstOCSP{ocsp, v.ocsp}
		} else {
			w.ocsp = ocsp
		}
	}
	return w
}

func slices0(c []*CRL) []*CRL { return append([]*CRL(nil), c...) }

// firstOCSP answers from the first client that has an answer.
type firstOCSP []OCSPClient

func (f firstOCSP) Check(ctx context.Context, cert, issuer *x509.Certificate) (*OCSPStatus, error) {
	var errs []error
	for _, c := range f {
		st, err := c.Check(ctx, cert, issuer)
		if err == nil {
			return st, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Package edscmd is `senim eds`: certificate and key information, signing and
// verification from the command line, with JSON reports that the HTTP API shares.
package edscmd

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
)

// ChainReport is the outcome of validating a certificate, each check on its own.
type ChainReport struct {
	Checked    bool              `json:"checked"` // false: no trust anchors were given
	Valid      bool              `json:"valid"`
	At         time.Time         `json:"at"`
	Chain      []string          `json:"chain,omitempty"`  // DNs, leaf first
	Anchor     string            `json:"anchor,omitempty"` // what ended the chain: "root", or "intermediate" (a CA configured as an anchor)
	Signatures []SignatureReport `json:"signatures,omitempty"`
	Periods    []PeriodReport    `json:"periods,omitempty"`
	CRL        *RevocationReport `json:"crl,omitempty"`
	OCSP       *RevocationReport `json:"ocsp,omitempty"`
	Errors     []string          `json:"errors"` // stable codes of the failed checks
}

// SignatureReport is one certificate signature check.
type SignatureReport struct {
	Subject   string `json:"subject"`
	Issuer    string `json:"issuer"`
	Algorithm string `json:"algorithm"`
	Valid     bool   `json:"valid"`
	Error     string `json:"error,omitempty"`
}

// PeriodReport is one validity-period check.
type PeriodReport struct {
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Valid     bool      `json:"valid"`
	Error     string    `json:"error,omitempty"`
}

// RevocationReport is one revocation check.
type RevocationReport struct {
	Status     string     `json:"status"` // not_checked | good | revoked | unknown
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	ThisUpdate *time.Time `json:"this_update,omitempty"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	Error      string     `json:"error,omitempty"`
	CRLNumber  string     `json:"crl_number,omitempty"` // of the deciding CRL
	// Basis says why the deciding evidence decided: covers_time, issued_after_time or
	// lists_revocation.
	Basis string `json:"basis,omitempty"`
	// Evidence is every CRL (or OCSP answer) considered: the deciding one, and each
	// other with the reason it was set aside.
	Evidence []EvidenceReport `json:"evidence,omitempty"`
}

// EvidenceReport is one piece of revocation evidence considered.
type EvidenceReport struct {
	CRLNumber     string     `json:"crl_number,omitempty"`
	BaseCRLNumber string     `json:"base_crl_number,omitempty"` // a delta CRL applied to this base
	ThisUpdate    time.Time  `json:"this_update"`
	NextUpdate    *time.Time `json:"next_update,omitempty"`
	ProducedAt    *time.Time `json:"produced_at,omitempty"` // OCSP
	Decided       bool       `json:"decided"`
	// SetAside: not_authentic, unhandled_critical, delta_without_base,
	// issued_after_expiry, stale_for_time, superseded, not_issued, unknown_cert.
	SetAside string `json:"set_aside,omitempty"`
}

// Chain reports a pki.Result.
func Chain(res pki.Result) *ChainReport {
	r := &ChainReport{Checked: true, Valid: res.Valid, At: res.At, Anchor: string(res.Anchor), Errors: []string{}}
	for _, c := range res.Chain {
		r.Chain = append(r.Chain, pki.Info(c).Subject.DN)
	}
	for _, s := range res.Signatures {
		r.Signatures = append(r.Signatures, SignatureReport{Subject: s.Subject, Issuer: s.Issuer, Algorithm: s.Algorithm, Valid: s.Err == nil, Error: code(s.Err)})
	}
	for _, p := range res.Periods {
		r.Periods = append(r.Periods, PeriodReport{Subject: p.Subject, NotBefore: p.NotBefore, NotAfter: p.NotAfter, Valid: p.Err == nil, Error: code(p.Err)})
	}
	r.CRL, r.OCSP = revocation(res.CRL), revocation(res.OCSP)
	for _, err := range res.Errors {
		r.Errors = append(r.Errors, code(err))
	}
	return r
}

// Unchecked reports a certificate whose chain is not checked (no trust anchors were
// given): only its validity period at at, so that `eds info` and `eds verify` agree that
// an expired certificate is invalid with or without --ca.
func Unchecked(leaf *x509.Certificate, at time.Time) *ChainReport {
	r := &ChainReport{Checked: false, At: at, Errors: []string{}}
	p := PeriodReport{Subject: pki.Info(leaf).Subject.DN, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter, Valid: true}
	switch {
	case at.Before(leaf.NotBefore):
		p.Valid, p.Error = false, code(pki.ErrNotYetValid)
	case at.After(leaf.NotAfter):
		p.Valid, p.Error = false, code(pki.ErrExpired)
	}
	if !p.Valid {
		r.Errors = append(r.Errors, p.Error)
	}
	r.Periods = []PeriodReport{p}
	return r
}

// PeriodFailed reports whether a certificate of the report is outside its validity
// period.
func (r *ChainReport) PeriodFailed() bool {
	for _, p := range r.Periods {
		if !p.Valid {
			return true
		}
	}
	return false
}

// RevocationFailed reports whether a requested revocation check said revoked or could not be
// made.
func (r *ChainReport) RevocationFailed() bool {
	for _, c := range []*RevocationReport{r.CRL, r.OCSP} {
		if c != nil && (c.Status == string(pki.StatusRevoked) || c.Status == string(pki.StatusUnknown)) {
			return true
		}
	}
	return false
}

func revocation(c pki.RevocationCheck) *RevocationReport {
	if c.Status == "" || c.Status == pki.StatusNotChecked {
		return nil
	}
	r := &RevocationReport{Status: string(c.Status), Error: code(c.Err)}
	if c.Status == pki.StatusRevoked && errors.Is(c.Err, pki.ErrRevoked) {
		r.Error = ""
	}
	if !c.RevokedAt.IsZero() {
		t := c.RevokedAt
		r.RevokedAt = &t
		r.Reason = c.Reason.String()
	}
	if !c.ThisUpdate.IsZero() {
		t := c.ThisUpdate
		r.ThisUpdate = &t
	}
	if !c.NextUpdate.IsZero() {
		t := c.NextUpdate
		r.NextUpdate = &t
	}
	r.CRLNumber, r.Basis = c.CRLNumber, c.Basis
	for _, e := range c.Evidence {
		er := EvidenceReport{CRLNumber: e.CRLNumber, BaseCRLNumber: e.BaseCRLNumber, ThisUpdate: e.ThisUpdate,
			NextUpdate: timePtr(e.NextUpdate), ProducedAt: timePtr(e.ProducedAt), Decided: e.Decided, SetAside: e.SetAside}
		r.Evidence = append(r.Evidence, er)
	}
	return r
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func code(err error) string {
	if err == nil {
		return ""
	}
	if c := eds.Code(err); c != "" {
		return c
	}
	return "eds.error"
}

// ReadCerts reads DER or PEM certificates.
func ReadCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCerts(b)
}

// ParseCerts parses one DER certificate or any number of PEM ones.
func ParseCerts(b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, err
		}
		return []*x509.Certificate{c}, nil
	}
	var out []*x509.Certificate
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
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

// TrustConfig reads --ca, --ca-anchor and --crl files into a validator configuration.
// Of the --ca certificates, self-issued ones become roots and the others intermediates,
// used only to build chains; every --ca-anchor certificate, root or intermediate, is a
// trust anchor by itself.
func TrustConfig(caFiles, anchorFiles, crlFiles []string, clock func() time.Time) (pki.Config, error) {
	cfg := pki.Config{Clock: clock}
	for _, f := range anchorFiles {
		certs, err := ReadCerts(f)
		if err != nil {
			return cfg, fmt.Errorf("--ca-anchor %s: %w", f, err)
		}
		for _, c := range certs {
			if !pki.CanIssue(c) {
				return cfg, fmt.Errorf("--ca-anchor %s: %s is not a CA certificate", f, pki.Info(c).Subject.DN)
			}
		}
		cfg.Roots = append(cfg.Roots, certs...)
	}
	for _, f := range caFiles {
		certs, err := ReadCerts(f)
		if err != nil {
			return cfg, fmt.Errorf("--ca %s: %w", f, err)
		}
		for _, c := range certs {
			if bytes.Equal(c.RawIssuer, c.RawSubject) {
				cfg.Roots = append(cfg.Roots, c)
			} else {
				cfg.Intermediates = append(cfg.Intermediates, c)
			}
		}
	}
	for _, f := range crlFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return cfg, fmt.Errorf("--crl %s: %w", f, err)
		}
		if p, _ := pem.Decode(b); p != nil {
			b = p.Bytes
		}
		crl, err := pki.ParseCRL(b)
		if err != nil {
			return cfg, fmt.Errorf("--crl %s: %w", f, err)
		}
		cfg.CRLs = append(cfg.CRLs, crl)
	}
	return cfg, nil
}

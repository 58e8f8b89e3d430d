package pki

import (
	"context"
	"crypto/x509"
	"fmt"
)

// StoredOCSP answers from OCSP responses kept with a signature (CAdES-LT's embedded
// revocation values, RFC 5940), without a network: it implements OCSPClient for an
// offline verification. An answer counts when it is successful, about the certificate
// (its serial and a CertID of the issuer), and signed by the issuer or by a responder
// certificate the issuer authorised (id-kp-OCSPSigning), valid when the answer was
// produced. Freshness is not judged here and there is no nonce: the Validator decides
// whether the answer speaks for the time asked (checkOCSP). Of several answers about
// one certificate the latest produced is used.
type StoredOCSP struct {
	responses []*OCSPResponse
	checker   *OCSPChecker
}

// NewStoredOCSP parses the DER OCSPResponses; unreadable ones are skipped (no evidence).
func NewStoredOCSP(raw [][]byte) *StoredOCSP {
	s := &StoredOCSP{checker: NewOCSPChecker(OCSPConfig{CacheTTL: -1})}
	for _, der := range raw {
		if r, err := ParseOCSPResponse(der); err == nil {
			s.responses = append(s.responses, r)
		}
	}
	return s
}

// Len is the number of readable responses.
func (s *StoredOCSP) Len() int { return len(s.responses) }

// Check returns the status of cert from the best stored answer about it, or an error
// wrapping ErrOCSPUnavailable (no answer about it) or why the answers about it fail.
func (s *StoredOCSP) Check(_ context.Context, cert, issuer *x509.Certificate) (*OCSPStatus, error) {
	var best *OCSPStatus
	var lastErr error
	for _, r := range s.responses {
		if r.Status != OCSPSuccessful {
			continue
		}
		single := findSingle(r, cert, issuer)
		if single == nil {
			continue
		}
		if err := s.checker.checkSigner(r, issuer, r.ProducedAt); err != nil {
			lastErr = err
			continue
		}
		if best != nil && !r.ProducedAt.After(best.ProducedAt) {
			continue
		}
		best = &OCSPStatus{
			Status: single.Status, RevokedAt: single.RevokedAt, Reason: single.Reason,
			ProducedAt: r.ProducedAt, ThisUpdate: single.ThisUpdate, NextUpdate: single.NextUpdate,
			ArchiveCutoff: single.ArchiveCutoff, Raw: r.Raw,
		}
	}
	if best != nil {
		return best, nil
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, fmt.Errorf("%w: no embedded OCSP answer about serial %s", ErrOCSPUnavailable, cert.SerialNumber.Text(16))
}

package pki

import (
	"context"
	"crypto/x509"
	"errors"
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
// wrapping ErrOCSPUnavailable (no answer about it: the Validator leaves the status to
// the CRL then, without an error, when the CRL decides it) or why the answers about it
// fail.
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
	return nil, notStoredError{serial: cert.SerialNumber.Text(16)}
}

// notStoredError: the evidence holds no OCSP answer about a certificate (it is an
// ErrOCSPUnavailable). Offline, that is no failed check when a CRL decides the
// certificate's status (Validate).
type notStoredError struct{ serial string }

func (e notStoredError) Error() string {
	return ErrOCSPUnavailable.Error() + ": no embedded OCSP answer about serial " + e.serial
}

func (e notStoredError) Unwrap() error { return ErrOCSPUnavailable }

// notStored reports whether err says only that no answer is stored: from a StoredOCSP,
// or from every client of a firstOCSP (a live responder's failure is a real one).
func notStored(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		for _, e := range errs {
			if !notStored(e) {
				return false
			}
		}
		return len(errs) > 0
	}
	var ns notStoredError
	return errors.As(err, &ns)
}

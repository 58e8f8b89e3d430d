package archive

import (
	"context"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// SignerView is one signer in a validation report, for people and API clients.
type SignerView struct {
	Name string `json:"name"`
	// Organization is the legal entity a signer signed for (O= of a legal entity's
	// certificate, whose OU= gives BIN); empty for an individual's signature.
	Organization string `json:"organization,omitempty"`
	IIN          string `json:"iin,omitempty"`
	BIN          string `json:"bin,omitempty"`
	// SignedAt is the time a valid signature time-stamp proves; nil (JSON null) when
	// none does — "not proven", never a zero time that reads as 0001-01-01.
	SignedAt *time.Time `json:"signed_at"`
	Valid    bool       `json:"valid"`
	Codes    []string   `json:"errors"`
}

// ReportView is a validation report reduced to what a reader needs: who signed when,
// whether each signature holds, and how long the evidence holds.
type ReportView struct {
	Valid         bool         `json:"valid"`
	At            time.Time    `json:"checked_at"`
	Signers       []SignerView `json:"signers"`
	Sealed        bool         `json:"sealed"`
	EvidenceValid bool         `json:"evidence_valid"`
	ExistedAt     *time.Time   `json:"existed_at,omitempty"`
	HoldsUntil    *time.Time   `json:"holds_until,omitempty"`
	Codes         []string     `json:"errors"`
}

// View reduces a report.
func (r *Report) View() ReportView {
	v := ReportView{Valid: r.Valid, At: r.At, Signers: []SignerView{}, Codes: []string{}}
	if e := r.Evidence; e != nil {
		v.Sealed, v.EvidenceValid = true, e.Valid
		if e.Err != nil {
			v.Codes = append(v.Codes, eds.Code(e.Err))
		}
		if !e.Time.IsZero() {
			t, u := e.Time, e.Until
			v.ExistedAt, v.HoldsUntil = &t, &u
		}
	}
	for _, s := range r.Signatures {
		if s.Err != nil {
			v.Codes = append(v.Codes, eds.Code(s.Err))
		}
		if s.Result == nil {
			continue
		}
		for _, sr := range s.Result.Signers {
			sv := SignerView{Valid: sr.Valid, Codes: sr.Codes()}
			if sr.CertInfo != nil {
				sv.Name, sv.IIN, sv.BIN = sr.CertInfo.Subject.CommonName, sr.CertInfo.Subject.IIN, sr.CertInfo.Subject.BIN
				if sv.BIN != "" {
					sv.Organization = sr.CertInfo.Subject.Organization
				}
			}
			if sr.TimeStamp != nil && sr.TimeStamp.Valid {
				t := sr.TimeStamp.GenTime
				sv.SignedAt = &t
			}
			v.Signers = append(v.Signers, sv)
		}
	}
	return v
}

// Check verifies an archived document now, offline, with the service's trust.
func (s *Service) Check(ctx context.Context, d *Document) (*Report, error) {
	return VerifyDocument(ctx, d, s.cfg.Trust, s.cfg.Now(), s.cfg.Policy)
}

package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
)

// Validation is what ingest validates with and embeds from.
type Validation struct {
	// Validator checks every signer's and TSA's chain and revocation; it must hold the
	// CRLs listed in CRLs (the ones embedded into the signature).
	Validator *pki.Validator
	// CRLs are the CRLs the Validator decides with; those of the CAs on a signer's or
	// TSA's chain are embedded (CAdES-LT).
	CRLs []*pki.CRL
	// Revocation are the methods ingest asks the Validator for. Default CRL only. With
	// pki.RevocationOCSP (and a Validator with an OCSP client), every OCSP answer that
	// decided a signer's or TSA's status is embedded too (RFC 5940 id-ri-ocsp-response in
	// the SignedData's crls), so the offline verification uses it.
	Revocation []pki.RevocationMethod
	// CurrentCRLs, when set, replaces CRLs with the CRLs of the moment (a deployment
	// reloads them while it runs).
	CurrentCRLs func() []*pki.CRL
	// TSA gives the signature time-stamp of a signer that has none.
	TSA cms.TimeStamper
	// Now is the time of ingest. Default time.Now.
	Now func() time.Time
}

// matchedStamper is a TSA client that checks an answer against its request and leaves
// the token's signature to the caller (tsp.Client, tsp.Local).
type matchedStamper interface {
	TimeStampMatched(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error)
}

// MakeLT validates every signer of a CMS signature over content and returns the
// signature extended to CAdES baseline LT (ETSI EN 319 122-1, section 6.3 and 6.4): a
// signature time-stamp added to each signer that has none, and the chain certificates
// and the CRLs that decided put into the SignedData's certificates and crls
// (RevocationInfoChoices) — so it verifies later without a network. The signed parts
// are kept byte-for-byte. detached is the content of a detached signature (nil for an
// attached one). Errors wrap ErrBadCMS, ErrContentMismatch or ErrSignatureInvalid
// (nothing is returned then).
func MakeLT(ctx context.Context, sig, detached []byte, val Validation) ([]byte, *cms.Result, error) {
	sd, err := signeddata.Parse(sig)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadCMS, err)
	}
	if len(sd.Signers) == 0 {
		return nil, nil, fmt.Errorf("%w: no signers", ErrBadCMS)
	}
	content := detached
	switch {
	case sd.HasContent && detached != nil && !bytes.Equal(detached, sd.Content):
		return nil, nil, ErrContentMismatch
	case sd.HasContent:
		content = sd.Content
	case detached == nil:
		return nil, nil, fmt.Errorf("%w: a detached signature needs its document", ErrContentMismatch)
	}
	// cms.Verify below verifies each new token completely (signature, TSA certificate and
	// chain at its time, imprint over the signature value) and fails the signature if one
	// is not valid, so a TSA client that can leave the token's signature to it does.
	var stamp func(context.Context, asn1.ObjectIdentifier, []byte) ([]byte, error)
	if val.TSA != nil {
		stamp = val.TSA.TimeStamp
		if m, ok := val.TSA.(matchedStamper); ok {
			stamp = m.TimeStampMatched
		}
	}
	for i, si := range sd.Signers {
		if err := si.CheckContent(sd.ContentType, content); err != nil {
			return nil, nil, fmt.Errorf("%w: signer %d: %w", ErrContentMismatch, i+1, err)
		}
		if len(signeddata.Attr(si.UnsignedAttrs, signeddata.OIDAttrTimeStampToken)) > 0 {
			continue
		}
		if val.TSA == nil {
			return nil, nil, fmt.Errorf("%w: signer %d has no time-stamp and no TSA is configured", ErrSignatureInvalid, i+1)
		}
		tok, err := stamp(ctx, si.DigestAlgorithm, si.Signature)
		if err != nil {
			return nil, nil, fmt.Errorf("archive: signature time-stamp: %w", err)
		}
		attrs := append(append([]signeddata.Attribute(nil), si.UnsignedAttrs...),
			signeddata.Attribute{Type: signeddata.OIDAttrTimeStampToken, Values: [][]byte{tok}})
		if sd.Signers[i], err = si.WithUnsignedAttrs(attrs); err != nil {
			return nil, nil, err
		}
	}
	withTS, err := sd.Marshal()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now
	if val.Now != nil {
		now = val.Now
	}
	rev := val.Revocation
	if len(rev) == 0 {
		rev = []pki.RevocationMethod{pki.RevocationCRL}
	}
	var det []byte
	if !sd.HasContent {
		det = content
	}
	res, err := cms.Verify(ctx, withTS, det, cms.VerifyOptions{Validator: val.Validator, Revocation: rev, Now: now})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadCMS, err)
	}
	if !res.Valid {
		return nil, res, fmt.Errorf("%w: %w", ErrSignatureInvalid, firstErr(res))
	}
	// Embed the validation material.
	if sd, err = signeddata.Parse(withTS); err != nil {
		return nil, nil, err
	}
	var results []*pki.Result
	for _, s := range res.Signers {
		results = append(results, s.Chain)
		if s.TimeStamp != nil {
			results = append(results, s.TimeStamp.Chain)
		}
	}
	m := pki.CollectLT(results, val.crls())
	for _, resp := range m.OCSPs {
		if el := ocspRevInfo(resp); !containsBytes(sd.RawCRLs, el) {
			sd.RawCRLs = append(sd.RawCRLs, el)
		}
	}
	for _, c := range m.Certs {
		sd.AddCertificate(c)
	}
	for _, crl := range m.CRLs {
		if !containsBytes(sd.RawCRLs, crl) {
			sd.RawCRLs = append(sd.RawCRLs, crl)
		}
	}
	lt, err := sd.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return lt, res, nil
}

// oidOCSPRevInfo is id-ri-ocsp-response (RFC 5940): an OCSPResponse carried in a
// SignedData's crls as OtherRevocationInfoFormat.
var oidOCSPRevInfo = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}

// ocspRevInfo encodes an OCSPResponse as a RevocationInfoChoice: other [1] IMPLICIT
// OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }.
func ocspRevInfo(resp []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidOCSPRevInfo)
		b.AddBytes(resp)
	})
	return b.BytesOrPanic()
}

// splitRevInfo sorts a SignedData's RevocationInfoChoices: CRLs (CertificateList) and
// the OCSPResponses of RFC 5940 other entries; anything else is ignored.
func splitRevInfo(raw [][]byte) (crls, ocsps [][]byte) {
	for _, e := range raw {
		if len(e) == 0 {
			continue
		}
		switch e[0] {
		case 0x30:
			crls = append(crls, e)
		case 0xa1:
			s := cryptobyte.String(e)
			var in cryptobyte.String
			var oid asn1.ObjectIdentifier
			var resp cryptobyte.String
			if s.ReadASN1(&in, casn1.Tag(1).ContextSpecific().Constructed()) && s.Empty() && in.ReadASN1ObjectIdentifier(&oid) &&
				oid.Equal(oidOCSPRevInfo) && in.ReadASN1Element(&resp, casn1.SEQUENCE) && in.Empty() {
				ocsps = append(ocsps, []byte(resp))
			}
		}
	}
	return crls, ocsps
}

func (val Validation) crls() []*pki.CRL {
	if val.CurrentCRLs != nil {
		return val.CurrentCRLs()
	}
	return val.CRLs
}

// firstErr is the first error of res's signers that has a code, for the refusal to
// carry (a revoked signer, a changed content): the cabinet words it as the report does.
func firstErr(res *cms.Result) error {
	for _, s := range res.Signers {
		for _, e := range s.Errors {
			if eds.Code(e) != "" {
				return e
			}
		}
	}
	return errors.New("invalid")
}

// Document is an archived document as exported: its content, its signatures (each a
// CMS, attached or detached over the content) and its evidence record (DER; nil when
// the document was not yet sealed).
type Document struct {
	Name       string
	Content    []byte
	Signatures [][]byte
	Evidence   []byte
}

// Objects returns the data objects the evidence record covers: the content, then each
// signature.
func (d *Document) Objects() [][]byte {
	return append([][]byte{d.Content}, d.Signatures...)
}

// SignatureReport is the verification of one signature file.
type SignatureReport struct {
	Result *cms.Result
	Err    error // set when the signature could not be verified at all
	// NeedsEvidence lists, per signer, why the signature's own material no longer
	// proves enough at the verification time (a TSA certificate that has expired) and
	// whether the evidence record covers it.
	Gaps []error
}

// Report is the outcome of VerifyDocument.
type Report struct {
	At         time.Time
	Signatures []SignatureReport
	Evidence   *RecordResult // nil without an evidence record
	Valid      bool
}

// ClockSkew is how far a time-stamp's genTime may be after the verification time and
// still count as made by then: the TSA's clock and the verifier's may differ.
const ClockSkew = 10 * time.Minute

// VerifyDocument checks an archived document offline at the time now: every signer of
// every signature valid at its signing time (proven by its signature time-stamp) with
// the certificates and CRLs embedded in the signature and trust; the evidence record,
// when present, over the content and every signature and valid up to now; and every
// signature time-stamp whose TSA certificate has expired by now covered by an evidence
// record made before it expired. A signature whose time-stamp was made after now
// (ClockSkew aside) fails with ErrGap: nothing proves it existed then. The error is non-nil only for a document with nothing
// to verify.
func VerifyDocument(ctx context.Context, d *Document, trust Trust, now time.Time, policy Policy) (*Report, error) {
	if len(d.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no signatures", ErrBadCMS)
	}
	rep := &Report{At: now, Valid: true}
	if d.Evidence != nil {
		er, err := ParseEvidenceRecord(d.Evidence)
		if err != nil {
			rep.Evidence = &RecordResult{Err: err}
		} else {
			rep.Evidence = VerifyRecord(ctx, er, d.Objects(), trust, now, policy)
		}
		rep.Valid = rep.Evidence.Valid
	}
	for _, sig := range d.Signatures {
		sr := SignatureReport{}
		sd, err := signeddata.Parse(sig)
		if err != nil {
			sr.Err = fmt.Errorf("%w: %w", ErrBadCMS, err)
			rep.Signatures, rep.Valid = append(rep.Signatures, sr), false
			continue
		}
		v, err := trust.validator(sd.RawCRLs)
		if err != nil {
			return nil, err
		}
		rev := []pki.RevocationMethod{pki.RevocationCRL}
		if _, ocsps := splitRevInfo(sd.RawCRLs); len(ocsps) > 0 {
			rev = append(rev, pki.RevocationOCSP)
		}
		var det []byte
		if !sd.HasContent {
			det = d.Content
		} else if !bytes.Equal(sd.Content, d.Content) {
			sr.Err = ErrContentMismatch
			rep.Signatures, rep.Valid = append(rep.Signatures, sr), false
			continue
		}
		res, err := cms.Verify(ctx, sig, det, cms.VerifyOptions{
			Validator: v, Revocation: rev, Now: func() time.Time { return now },
		})
		if err != nil {
			sr.Err = fmt.Errorf("%w: %w", ErrBadCMS, err)
			rep.Signatures, rep.Valid = append(rep.Signatures, sr), false
			continue
		}
		sr.Result = res
		for i := range res.Signers {
			s := &res.Signers[i]
			if s.TimeStamp != nil && now.Before(s.TimeStamp.GenTime.Add(-ClockSkew)) {
				// Nothing proves the signature existed at now: the verification time is
				// before the time-stamp (a clock skew of the TSA aside).
				gap := fmt.Errorf("%w: the signature time-stamp was made at %s, after the verification time",
					ErrGap, s.TimeStamp.GenTime.UTC().Format(time.RFC3339))
				s.Valid = false
				s.Errors = append(s.Errors, gap)
				sr.Gaps = append(sr.Gaps, gap)
				continue
			}
			if s.TimeStamp == nil || s.TimeStamp.Cert == nil || !now.After(s.TimeStamp.Cert.NotAfter) {
				continue
			}
			exp := s.TimeStamp.Cert.NotAfter
			var gap error
			switch {
			case rep.Evidence == nil:
				gap = fmt.Errorf("%w: the signature time-stamp's TSA certificate expired at %s and there is no evidence record",
					ErrGap, exp.UTC().Format(time.RFC3339))
			case !rep.Evidence.Valid:
				gap = fmt.Errorf("%w: the signature time-stamp's TSA certificate expired at %s and the evidence record is invalid: %w",
					ErrGap, exp.UTC().Format(time.RFC3339), rep.Evidence.Err)
			case rep.Evidence.Time.After(exp):
				gap = fmt.Errorf("%w: the evidence record starts at %s, after the signature time-stamp's TSA certificate expired",
					ErrGap, rep.Evidence.Time.UTC().Format(time.RFC3339))
			}
			if gap != nil {
				s.Valid = false
				s.Errors = append(s.Errors, gap)
				sr.Gaps = append(sr.Gaps, gap)
			}
		}
		res.Valid = true
		for _, s := range res.Signers {
			res.Valid = res.Valid && s.Valid
		}
		rep.Valid = rep.Valid && res.Valid
		rep.Signatures = append(rep.Signatures, sr)
	}
	return rep, nil
}

// Errs returns every error of the report, each with a stable code.
func (r *Report) Errs() []error {
	var out []error
	if r.Evidence != nil && r.Evidence.Err != nil {
		out = append(out, r.Evidence.Err)
	}
	for _, s := range r.Signatures {
		if s.Err != nil {
			out = append(out, s.Err)
		}
		if s.Result != nil {
			for _, sr := range s.Result.Signers {
				out = append(out, sr.Errors...)
			}
		}
	}
	return out
}

// HasCode reports whether any error of the report has the code of target.
func (r *Report) HasCode(target error) bool {
	for _, e := range r.Errs() {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

// SealDocuments makes the evidence records of several documents with one time-stamp (RFC
// 4998): a hash tree over their data-object groups. tsaCerts and crls are put into the
// token so that it verifies later (its TSA chain and CRLs). It returns one DER
// evidence record per document, in order.
func SealDocuments(ctx context.Context, tsa cms.TimeStamper, policy Policy, docs []*Document, tsaCerts []*x509.Certificate, crls [][]byte) ([][]byte, error) {
	policy = policy.withDefaults()
	h, err := hasher(policy.Hash)
	if err != nil {
		return nil, err
	}
	groups := make([][][]byte, len(docs))
	for i, d := range docs {
		for _, o := range d.Objects() {
			groups[i] = append(groups[i], hashOf(h, o))
		}
	}
	atss, err := Seal(ctx, tsa, policy.Hash, groups)
	if err != nil {
		return nil, err
	}
	if len(atss) == 0 {
		return nil, nil
	}
	tok, err := withValidationData(atss[0].TimeStamp, tsaCerts, crls)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(atss))
	for i := range atss {
		atss[i].TimeStamp = tok
		er := EvidenceRecord{DigestAlgorithms: []asn1.ObjectIdentifier{policy.Hash}, Chains: [][]ArchiveTimeStamp{{atss[i]}}}
		if out[i], err = er.Marshal(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

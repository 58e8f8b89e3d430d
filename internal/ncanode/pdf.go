package ncanode

import (
	"context"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pades"
	"github.com/senimkz/senim/internal/eds/pki"
)

// NCANode v3's PDF endpoints (PdfController): PAdES signatures in PDF documents,
// made and checked by package eds/pades.

// PdfSignRequest is the body of /pdf/sign: the PDF (Base64) and its signers, each
// signing in turn as an incremental update.
type PdfSignRequest struct {
	Pdf       string      `json:"pdf"`
	Signers   []PdfSigner `json:"signers"`
	WithTsp   bool        `json:"withTsp"`
	TsaPolicy string      `json:"tsaPolicy"`
	// PadesLevel is newer NCANode's B, T (a signature time-stamp), LT (T and a /DSS
	// with the chains and revocation data) or LTA (LT, a document time-stamp and a
	// /DSS with its material).
	PadesLevel string `json:"padesLevel"`
}

// PdfSigner is one signer of /pdf/sign with the texts of its signature dictionary.
type PdfSigner struct {
	Reason      string     `json:"reason"`
	Location    string     `json:"location"`
	ContactInfo string     `json:"contactInfo"`
	Signer      KeyRequest `json:"signer"`
}

// PdfVerifyRequest is the body of /pdf/verify.
type PdfVerifyRequest struct {
	Pdf             string   `json:"pdf"`
	RevocationCheck []string `json:"revocationCheck"`
}

// PdfExtendRequest is the body of /pdf/extend. padesLevel T (the default here) adds
// a document time-stamp; LT and LTA add a /DSS (and for LTA a document time-stamp
// over it) as /pdf/sign does.
type PdfExtendRequest struct {
	Pdf        string `json:"pdf"`
	PadesLevel string `json:"padesLevel"`
	TsaPolicy  string `json:"tsaPolicy"`
}

// PdfSignResponse is the answer of /pdf/sign: the signed PDF in Base64.
type PdfSignResponse struct {
	Status
	Pdf string `json:"pdf"`
}

// PdfVerificationResponse is the answer of /pdf/verify: one entry per signature
// field with a value, in form order.
type PdfVerificationResponse struct {
	Status
	// Valid: every signature is valid and no change follows the last one.
	Valid   bool            `json:"valid"`
	Signers []PdfSignerInfo `json:"signers"`
	// DocumentTimestamps (extension) are the document time-stamps (/DocTimeStamp),
	// which NCANode leaves out of signers.
	DocumentTimestamps []TspInfo `json:"documentTimestamps,omitempty"`
	// Errors (extension) holds eds.pdf.unsigned_changes when bytes follow the last
	// signed revision.
	Errors []string `json:"errors,omitempty"`
}

// PdfSignerInfo is NCANode's PdfSignerInfo: the texts of the signature dictionary
// (null when absent), /M as signDate, the signer's CertificateInfo, the SubFilter
// as signatureAlgorithm and the CMS digest algorithm's OID.
type PdfSignerInfo struct {
	Valid              bool             `json:"valid"`
	Reason             *string          `json:"reason"`
	Location           *string          `json:"location"`
	ContactInfo        *string          `json:"contactInfo"`
	SignDate           *Time            `json:"signDate"`
	Certificate        *CertificateInfo `json:"certificate"`
	SignatureAlgorithm *string          `json:"signatureAlgorithm"`
	DigestAlgorithm    string           `json:"digestAlgorithm"`
	Tsp                *TspInfo         `json:"tsp,omitempty"`
	// AdesLevel is newer NCANode's PAdES level, B, T, LT or LTA. Unlike NCANode (any
	// /DSS makes LT, any document time-stamp LTA), LT means the /DSS holds this
	// signature's chain and revocation data, LTA that a valid document time-stamp
	// covers that /DSS.
	AdesLevel string `json:"adesLevel,omitempty"`
	// BestSignatureTime is when the signer's certificate was validated: the
	// signature (or document) time-stamp's genTime, else now.
	BestSignatureTime *Time `json:"bestSignatureTime,omitempty"`

	// Extensions: the field's name; whether the signature covers the whole file
	// (false for all but the last of several signatures); the stable codes of the
	// failed checks (eds.pdf.byterange_invalid, eds.pdf.modified_after_signing, ...).
	Field               string   `json:"field"`
	CoversWholeDocument bool     `json:"coversWholeDocument"`
	Errors              []string `json:"errors,omitempty"`
}

// msgNoSignatures is NCANode's message (and 404) for a PDF without signatures.
const msgNoSignatures = "PDF document contains no digital signatures"

func (a *API) registerPDF(handle func(pattern string, h http.Handler)) {
	handle("POST /pdf/sign", a.endpoint(a.pdfSign))
	handle("POST /pdf/verify", a.endpoint(a.pdfVerify))
	handle("POST /pdf/extend", a.endpoint(a.pdfExtend))
}

func decodePDF(field, s string) ([]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalidField(field, "required")
	}
	b, err := decodeB64(field, s)
	if err != nil {
		return nil, err
	}
	if len(b) > pades.MaxSize {
		return nil, fail(http.StatusBadRequest, pades.ErrTooLarge, fmt.Sprintf("%s: at most %d bytes", field, pades.MaxSize), nil)
	}
	return b, nil
}

func (a *API) pdfSign(ctx context.Context, body []byte) (any, error) {
	var req PdfSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	pdf, err := decodePDF("pdf", req.Pdf)
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(req.PadesLevel) {
	case "", "B":
	case "T":
		req.WithTsp = true
	case "LT", "LTA":
		// As NCANode: T, then a /DSS (and for LTA a document time-stamp and a
		// /DSS with its material).
		req.WithTsp = true
		if a.cfg.Validator == nil {
			return nil, fail(http.StatusBadRequest, pki.ErrUntrusted, "padesLevel "+strings.ToUpper(req.PadesLevel)+" needs configured trust anchors", nil)
		}
	default:
		return nil, invalidField("padesLevel", "must be B, T, LT or LTA")
	}
	if err := a.count("signers", len(req.Signers)); err != nil {
		return nil, err
	}
	opts, err := a.signOptions(&CmsSignRequest{WithTsp: req.WithTsp, TsaPolicy: req.TsaPolicy})
	if err != nil {
		return nil, err
	}
	specs := make([]cms.SignerSpec, 0, len(req.Signers))
	for i, s := range req.Signers {
		e, err := openKey(fmt.Sprintf("signers[%d].signer", i), s.Signer)
		if err != nil {
			return nil, err
		}
		specs = append(specs, cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates})
	}
	for i, s := range req.Signers {
		pdf, err = pades.Sign(ctx, pdf, specs[i], pades.SignOptions{
			Reason: s.Reason, Location: s.Location, ContactInfo: s.ContactInfo,
			TSA: opts.TSA, Now: a.cfg.Now,
		})
		if err != nil {
			return nil, err
		}
	}
	if lvl := strings.ToUpper(req.PadesLevel); lvl == "LT" || lvl == "LTA" {
		if pdf, err = a.padesLT(ctx, pdf, opts.TSA, req.TsaPolicy, lvl == "LTA"); err != nil {
			return nil, err
		}
	}
	return PdfSignResponse{Status: ok, Pdf: base64.StdEncoding.EncodeToString(pdf)}, nil
}

// padesLT raises a signed PDF to PAdES-LT (archive LTA) with pades.ExtendLT: every
// signature validated now with the configured trust anchors and CRLs, its chain and
// the CRLs of its CAs (and the OCSP answers that decided, when OCSP is configured
// for signers) put into a /DSS. A signature that is not valid is refused
// (eds.pdf.not_extendable).
func (a *API) padesLT(ctx context.Context, pdf []byte, tsa cms.TimeStamper, policy string, archive bool) ([]byte, error) {
	now := a.cfg.Now()
	var crls []*pki.CRL
	if a.cfg.CRLs != nil {
		crls = a.cfg.CRLs()
	}
	out, _, err := pades.ExtendLT(ctx, pdf, pades.LTOptions{
		Verify: cms.VerifyOptions{
			Validator: a.cfg.Validator, Revocation: []pki.RevocationMethod{pki.RevocationCRL},
			TSARevocation: a.cfg.TSARevocation, Now: func() time.Time { return now }, MaxSigners: a.cfg.MaxSigners,
		},
		CRLs: crls, TSA: tsa, HashAlg: docTimeStampHash(policy), Archive: archive,
	})
	if errors.Is(err, pades.ErrNotExtendable) {
		return nil, fail(http.StatusBadRequest, pades.ErrNotExtendable, "", err)
	}
	return out, err
}

// docTimeStampHash is the imprint hash of a document time-stamp under a TSA policy.
func docTimeStampHash(policy string) asn1.ObjectIdentifier {
	if p := strings.ToUpper(policy); p == "TSA_GOST_POLICY" || p == "TSA_GOSTGT_POLICY" {
		return eds.OIDDigestGOST34311
	}
	return eds.OIDDigestStreebog512
}

func (a *API) pdfVerify(ctx context.Context, body []byte) (any, error) {
	var req PdfVerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	pdf, err := decodePDF("pdf", req.Pdf)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	res, err := pades.Verify(ctx, pdf, cms.VerifyOptions{
		Validator:     a.cfg.Validator,
		Revocation:    methods,
		TSARevocation: a.cfg.TSARevocation,
		Now:           func() time.Time { return now },
		MaxSigners:    a.cfg.MaxSigners,
	})
	if errors.Is(err, pades.ErrNoSignatures) {
		return nil, fail(http.StatusNotFound, pades.ErrNoSignatures, msgNoSignatures, err)
	}
	if err != nil {
		return nil, err
	}
	resp := PdfVerificationResponse{Status: ok, Valid: res.Valid, Signers: []PdfSignerInfo{}}
	for _, e := range res.Errors {
		resp.Errors = append(resp.Errors, codeOf(e))
	}
	for i := range res.Signatures {
		s := &res.Signatures[i]
		if s.SubFilter == pades.SubFilterRFC3161 {
			// NCANode lists signatures only; a document time-stamp that fails makes
			// the document invalid, with its codes in errors.
			if ts := s.DocTimeStamp; ts != nil && !ts.GenTime.IsZero() {
				resp.DocumentTimestamps = append(resp.DocumentTimestamps, tspInfo(ts))
			}
			if !s.Valid {
				resp.Valid = false
				for _, e := range s.Errors {
					resp.Errors = append(resp.Errors, codeOf(e))
				}
			}
			continue
		}
		si := renderPdfSigner(s, methods)
		resp.Valid = resp.Valid && si.Valid
		resp.Signers = append(resp.Signers, si)
	}
	return resp, nil
}

func renderPdfSigner(s *pades.Signature, methods []pki.RevocationMethod) PdfSignerInfo {
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	si := PdfSignerInfo{
		Valid: s.Valid, Reason: opt(s.Reason), Location: opt(s.Location), ContactInfo: opt(s.ContactInfo),
		SignatureAlgorithm: opt(s.SubFilter), DigestAlgorithm: s.DigestAlgorithm,
		Field: s.Field, CoversWholeDocument: s.CoversWholeDocument,
	}
	if si.DigestAlgorithm == "" {
		si.DigestAlgorithm = "unknown" // NCANode's word when it has none
	}
	if !s.SignDate.IsZero() {
		t := Time(s.SignDate)
		si.SignDate = &t
	}
	seen := map[string]bool{}
	add := func(code string) {
		if !seen[code] {
			seen[code] = true
			si.Errors = append(si.Errors, code)
		}
	}
	for _, e := range s.Errors {
		add(codeOf(e))
	}
	if s.CMS != nil && len(s.CMS.Signers) > 0 {
		si.AdesLevel = s.Level
		if vt := s.CMS.Signers[0].ValidationTime; !vt.IsZero() {
			t := Time(vt)
			si.BestSignatureTime = &t
		}
		cs := renderSigner(&s.CMS.Signers[0], methods)
		if len(cs.Certificates) > 0 {
			si.Certificate = &cs.Certificates[0]
		}
		si.Tsp = cs.Tsp
		for _, c := range cs.Errors {
			add(c)
		}
		for i := range s.CMS.Signers {
			si.Valid = si.Valid && s.CMS.Signers[i].ChainChecked
		}
	}
	return si
}

func tspInfo(ts *cms.TimeStampInfo) TspInfo {
	return TspInfo{
		SerialNumber: javaSerialHex(ts.SerialNumber), GenTime: Time(ts.GenTime), Policy: ts.Policy, TSA: ts.TSA,
		TspHashAlgorithm: ts.HashAlgorithm, Hash: hex.EncodeToString(ts.Hash), Valid: ts.Valid,
	}
}

// pdfExtend adds a document time-stamp (PAdES-T for the signatures before it), or
// raises the document to PAdES-LT or -LTA (padesLT).
func (a *API) pdfExtend(ctx context.Context, body []byte) (any, error) {
	var req PdfExtendRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	pdf, err := decodePDF("pdf", req.Pdf)
	if err != nil {
		return nil, err
	}
	level := strings.ToUpper(req.PadesLevel)
	switch level {
	case "", "T":
	case "LT", "LTA":
		if a.cfg.Validator == nil {
			return nil, fail(http.StatusBadRequest, pki.ErrUntrusted, "padesLevel "+level+" needs configured trust anchors", nil)
		}
	default:
		return nil, invalidField("padesLevel", "must be T, LT or LTA")
	}
	opts, err := a.signOptions(&CmsSignRequest{WithTsp: true, TsaPolicy: req.TsaPolicy})
	if err != nil {
		return nil, err
	}
	// Only a signed document is extended.
	d, err := pades.Open(pdf)
	if err != nil {
		return nil, err
	}
	if sigs, err := d.Signatures(); err != nil {
		return nil, err
	} else if len(sigs) == 0 {
		return nil, fail(http.StatusNotFound, pades.ErrNoSignatures, msgNoSignatures, nil)
	}
	if level == "LT" || level == "LTA" {
		out, err := a.padesLT(ctx, pdf, opts.TSA, req.TsaPolicy, level == "LTA")
		if err != nil {
			return nil, err
		}
		return PdfSignResponse{Status: ok, Pdf: base64.StdEncoding.EncodeToString(out)}, nil
	}
	out, err := pades.TimeStampDocument(ctx, pdf, opts.TSA, docTimeStampHash(req.TsaPolicy), "")
	if err != nil {
		return nil, err
	}
	return PdfSignResponse{Status: ok, Pdf: base64.StdEncoding.EncodeToString(out)}, nil
}

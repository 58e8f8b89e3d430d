package ncanode

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/xmldsig"
)

// XML signatures: NCANode v3's /xml/sign, /xml/verify, /wsse/sign and /wsse/verify.

// XmlSignerRequest is one signer of /xml/sign: NCANode's SignerRequest with
// referenceUri ("" or absent: the whole document; "#id": the element with that ID).
type XmlSignerRequest struct {
	KeyRequest
	ReferenceURI string `json:"referenceUri"`
}

// XmlSignRequest is the body of POST /xml/sign.
type XmlSignRequest struct {
	XML             string             `json:"xml"`
	Signers         []XmlSignerRequest `json:"signers"`
	ClearSignatures bool               `json:"clearSignatures"`
	TrimXML         bool               `json:"trimXml"`
	// XadesLevel is NCANode's XAdES level: absent or null for plain XML-DSig,
	// "B" (SignedProperties with SigningTime and SigningCertificateV2) or "T"
	// (B and a time-stamp over the SignatureValue, policy TsaPolicy). "LT" and
	// "LTA" are refused with eds.xml.xades_unsupported. A XAdES signature is in
	// exclusive C14N throughout, as NCANode writes it.
	XadesLevel *string `json:"xadesLevel"`
	// WithTsp (extension) adds a time-stamp over each plain XML-DSig signature
	// value, where NCANode's XAdES-T puts it; TsaPolicy as in /cms/sign (and the
	// policy of xadesLevel T).
	WithTsp   bool   `json:"withTsp"`
	TsaPolicy string `json:"tsaPolicy"`
}

// XmlVerifyRequest is the body of POST /xml/verify and /wsse/verify.
type XmlVerifyRequest struct {
	XML             string   `json:"xml"`
	RevocationCheck []string `json:"revocationCheck"`
}

// WsseSignRequest is the body of POST /wsse/sign.
type WsseSignRequest struct {
	XML      string `json:"xml"`
	Key      string `json:"key"`
	Password string `json:"password"`
	KeyAlias string `json:"keyAlias"`
	TrimXML  bool   `json:"trimXml"`
	// BinarySecurityToken (extension) puts the certificate into a
	// wsse:BinarySecurityToken that KeyInfo refers to, instead of NCANode's
	// KeyIdentifier.
	BinarySecurityToken bool `json:"binarySecurityToken"`
}

// XmlSignResponse answers /xml/sign and /wsse/sign.
type XmlSignResponse struct {
	Status
	XML string `json:"xml"`
}

// XmlVerificationResponse answers /xml/verify and /wsse/verify: NCANode's
// VerificationResponse, with one entry per ds:Signature in document order —
// null where the signature carries no certificate, as NCANode sends. NCANode
// leaves out every member that is null (@JsonInclude NON_NULL), and so does
// this: /wsse/verify and a document without signatures have only status,
// message, valid and signers.
//
// The AdES members describe one signature: the first in document order, the
// one NCANode checks last (it removes the signatures from the end).
type XmlVerificationResponse struct {
	Status
	Valid   bool               `json:"valid"`
	Signers []*CertificateInfo `json:"signers"`
	// AdesLevel is the XAdES baseline level of the signature: "B" (signed
	// properties bound to the signature), "T" (and a valid signature
	// time-stamp), "LT" (and certificate and revocation values). Absent for a
	// plain XML-DSig signature (NCANode documents null for non-XAdES).
	AdesLevel string `json:"adesLevel,omitempty"`
	// SignatureTimestamp is the signature's time-stamp (NCANode's field).
	SignatureTimestamp *TspInfo `json:"signatureTimestamp,omitempty"`
	// BestSignatureTime is the time the signer's certificate was validated
	// at: the genTime of a valid signature time-stamp, else now.
	BestSignatureTime *Time `json:"bestSignatureTime,omitempty"`
	// AdesStatus is VALID, INVALID or INDETERMINATE (ETSI EN 319 102-1, as
	// NCANode simplifies it); AdesSubIndication says why when not VALID.
	AdesStatus        string `json:"adesStatus,omitempty"`
	AdesSubIndication string `json:"adesSubIndication,omitempty"`
}

// ErrXAdESUnsupported: /xml/sign with xadesLevel LTA.
var ErrXAdESUnsupported = eds.NewError("eds.xml.xades_unsupported", "XAdES level LTA is not made here; ask B, T or LT")

func (a *API) xmlLimits() xmldsig.Limits { return xmldsig.Limits{MaxBytes: int(a.cfg.MaxBody)} }

func (a *API) xmlSign(ctx context.Context, body []byte) (any, error) {
	var req XmlSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.XML == "" {
		return nil, invalidField("xml", "required")
	}
	xades, withTsp, lt := false, req.WithTsp, false
	if req.XadesLevel != nil {
		switch *req.XadesLevel {
		case "B":
			if req.WithTsp {
				return nil, invalidField("withTsp", "a XAdES-B signature has no time-stamp; ask xadesLevel T")
			}
		case "T":
			withTsp = true
		case "LT":
			withTsp, lt = true, true
			if a.cfg.Validator == nil {
				return nil, fail(http.StatusBadRequest, pki.ErrUntrusted, "xadesLevel LT needs configured trust anchors", nil)
			}
		case "LTA":
			return nil, fail(http.StatusBadRequest, ErrXAdESUnsupported, "", nil)
		default:
			return nil, invalidField("xadesLevel", "must be B, T, LT or LTA")
		}
		xades = true
	}
	if err := a.count("signers", len(req.Signers)); err != nil {
		return nil, err
	}
	var stamp func(asn1.ObjectIdentifier, []byte) ([]byte, error)
	if withTsp {
		opts, err := a.signOptions(&CmsSignRequest{WithTsp: true, TsaPolicy: req.TsaPolicy})
		if err != nil {
			return nil, err
		}
		stamp = func(h asn1.ObjectIdentifier, data []byte) ([]byte, error) { return opts.TSA.TimeStamp(ctx, h, data) }
	}
	doc := []byte(req.XML)
	for i, s := range req.Signers {
		e, err := openKey(fmt.Sprintf("signers[%d]", i), s.KeyRequest)
		if err != nil {
			return nil, err
		}
		opts := xmldsig.Options{
			ReferenceURI: s.ReferenceURI, Inclusive: !xades, TimeStamp: stamp, Limits: a.xmlLimits(),
			XAdES: xades, SigningTime: a.cfg.Now(),
			// NCANode clears and trims once, before the first signer.
			ClearSignatures: req.ClearSignatures && i == 0, TrimXML: req.TrimXML && i == 0,
		}
		// KeyInfo holds the signer's certificate only, as NCANode writes it.
		if doc, err = xmldsig.Sign(doc, e.PrivateKey, []*x509.Certificate{e.Certificate}, opts); err != nil {
			return nil, err
		}
		// Each signature gets its values before the next signer signs: a later
		// enveloped signature covers the earlier ones as they are then.
		if lt {
			if doc, err = a.xadesLT(ctx, doc); err != nil {
				return nil, err
			}
		}
	}
	return XmlSignResponse{Status: ok, XML: string(doc)}, nil
}

func (a *API) wsseSign(ctx context.Context, body []byte) (any, error) {
	var req WsseSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.XML == "" {
		return nil, invalidField("xml", "required")
	}
	e, err := openKey("key", KeyRequest{Key: req.Key, Password: req.Password, KeyAlias: req.KeyAlias})
	if err != nil {
		return nil, err
	}
	out, err := xmldsig.SignSOAP([]byte(req.XML), e.PrivateKey, []*x509.Certificate{e.Certificate},
		xmldsig.SOAPOptions{TrimXML: req.TrimXML, BinarySecurityToken: req.BinarySecurityToken, Limits: a.xmlLimits()})
	if err != nil {
		return nil, err
	}
	return XmlSignResponse{Status: ok, XML: string(out)}, nil
}

// xmlVerify serves /xml/verify: every signature is checked; its certificate is
// validated at the time-stamp's time when a valid time-stamp covers the
// signature, otherwise now.
func (a *API) xmlVerify(ctx context.Context, body []byte) (any, error) {
	return a.verifyXML(ctx, body, false)
}

// wsseVerify serves /wsse/verify: as /xml/verify, and the body must be a SOAP
// envelope whose signatures cover its Body itself (a signed Body moved
// elsewhere and replaced is refused: eds.xml.reference_invalid).
func (a *API) wsseVerify(ctx context.Context, body []byte) (any, error) {
	return a.verifyXML(ctx, body, true)
}

func (a *API) verifyXML(ctx context.Context, body []byte, soap bool) (any, error) {
	var req XmlVerifyRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.XML == "" {
		return nil, invalidField("xml", "required")
	}
	methods, err := revocationMethods("revocationCheck", req.RevocationCheck)
	if err != nil {
		return nil, err
	}
	res, err := xmldsig.Verify([]byte(req.XML), xmldsig.VerifyOptions{Limits: a.xmlLimits(), SOAPBody: soap})
	if errors.Is(err, xmldsig.ErrNoSignature) {
		// NCANode: a document without signatures is not valid, and not an error.
		return XmlVerificationResponse{Status: ok, Signers: []*CertificateInfo{}}, nil
	}
	if res == nil {
		return nil, err
	}
	resp := XmlVerificationResponse{Status: ok, Valid: true, Signers: []*CertificateInfo{}}
	for i := range res.Signatures {
		s := &res.Signatures[i]
		at := a.cfg.Now()
		val, extra := a.withXAdESValues(s)
		var ts *TspInfo
		if s.TimeStampToken != nil {
			ts = a.xmlTimeStamp(ctx, s, methods, val)
			if ts.Valid {
				at = time.Time(ts.GenTime)
			}
		}
		var ci *CertificateInfo
		if s.Certificate != nil {
			c := certificateInfoWith(ctx, val, s.Certificate, extra, methods, at)
			if s.Err != nil {
				c.Valid = false
				c.Errors = append([]string{codeOf(s.Err)}, c.Errors...)
			}
			ci = &c
		}
		status, sub := adesGrade(s, ci, ts)
		// A signature is valid when its grade is: the certificate's validity and
		// a time-stamp that does not verify both count, as in NCANode.
		resp.Valid = resp.Valid && status == adesValid
		resp.Signers = append(resp.Signers, ci)
		if i == 0 {
			resp.SignatureTimestamp = ts
		}
		if i == 0 && !soap {
			level := s.Level
			if level != "" && (ts == nil || !ts.Valid) {
				level = xmldsig.LevelB // a time-stamp only counts when it verifies
			}
			best := Time(at)
			resp.AdesLevel, resp.BestSignatureTime = level, &best
			resp.AdesStatus, resp.AdesSubIndication = status, sub
		}
	}
	return resp, nil
}

// AdES statuses and sub-indications as NCANode names them.
const (
	adesValid         = "VALID"
	adesInvalid       = "INVALID"
	adesIndeterminate = "INDETERMINATE"
)

// adesGrade grades one checked signature as NCANode does (a simplified ETSI
// EN 319 102-1), in its order: the signer's certificate, the cryptography,
// the signing-certificate binding, the time-stamp, the certificate's validity
// period, its chain, its revocation.
func adesGrade(s *xmldsig.Signature, ci *CertificateInfo, ts *TspInfo) (status, sub string) {
	switch {
	case s.Certificate == nil || ci == nil:
		return adesIndeterminate, "NO_SIGNING_CERTIFICATE_FOUND"
	case errors.Is(s.Err, xmldsig.ErrSigningCertificate):
		return adesInvalid, "CERT_HASH_MISMATCH"
	case errors.Is(s.Err, xmldsig.ErrDigest), errors.Is(s.Err, eds.ErrSignatureInvalid), errors.Is(s.Err, xmldsig.ErrKeyMismatch):
		return adesInvalid, "SIG_CRYPTO_FAILURE"
	case s.Err != nil:
		return adesInvalid, "FORMAT_FAILURE"
	case ts != nil && !ts.Valid:
		return adesIndeterminate, "TIMESTAMP_INVALID"
	case ci.Valid:
		return adesValid, ""
	}
	has := func(prefixes ...string) bool {
		for _, e := range ci.Errors {
			for _, p := range prefixes {
				if e == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(e, p)) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(pki.ErrExpired.Code(), pki.ErrNotYetValid.Code()):
		return adesIndeterminate, "OUT_OF_BOUNDS_NO_POE"
	case has(pki.ErrUntrusted.Code(), pki.ErrCertSignature.Code(), pki.ErrNotCA.Code()):
		return adesIndeterminate, "CHAIN_INCOMPLETE"
	case has(pki.ErrRevoked.Code()):
		return adesInvalid, "CERT_REVOKED"
	case has("eds.crl.", "eds.ocsp."):
		return adesIndeterminate, "REVOCATION_DATA_MISSING"
	}
	return adesIndeterminate, ""
}

// xadesLT raises the signature just made (the last of doc, XAdES-T) to XAdES-LT:
// its time-stamp and its signer are validated at the time-stamp's time with the
// configured trust and CRLs, and the chains, the CRLs of their CAs and the OCSP
// answers that decided (pki.CollectLT, as CAdES-LT and PAdES-LT) are written
// into CertificateValues and RevocationValues. A signer or TSA that is not valid
// is refused (archive.signature.invalid), as /cms/extend does.
func (a *API) xadesLT(ctx context.Context, doc []byte) ([]byte, error) {
	res, err := xmldsig.Verify(doc, xmldsig.VerifyOptions{Limits: a.xmlLimits()})
	if err != nil {
		return nil, err
	}
	s := &res.Signatures[len(res.Signatures)-1]
	if s.Err != nil || s.TimeStampToken == nil || s.Certificate == nil {
		return nil, fail(http.StatusBadRequest, archive.ErrSignatureInvalid, "the signature is not XAdES-T", s.Err)
	}
	rev := []pki.RevocationMethod{pki.RevocationCRL}
	tsaRev := a.cfg.TSARevocation
	if tsaRev == nil {
		tsaRev = rev
	}
	ver, err := tsp.VerifyToken(ctx, s.TimeStampToken, tsp.VerifyOptions{Data: s.TimeStampData, Validator: a.cfg.Validator, Revocation: tsaRev})
	if err != nil {
		return nil, fail(http.StatusBadRequest, archive.ErrSignatureInvalid, "the signature time-stamp does not verify", err)
	}
	chain := a.cfg.Validator.Validate(ctx, s.Certificate, ver.GenTime(), pki.Options{Revocation: rev, Intermediates: s.Certificates})
	if !chain.Valid {
		var cause error
		if len(chain.Errors) > 0 {
			cause = chain.Errors[0]
		}
		return nil, fail(http.StatusBadRequest, archive.ErrSignatureInvalid, "the signer's certificate is not valid at the time-stamp", cause)
	}
	var crls []*pki.CRL
	if a.cfg.CRLs != nil {
		crls = a.cfg.CRLs()
	}
	return xmldsig.AddValidationData(doc, pki.CollectLT([]*pki.Result{&chain, ver.Chain}, crls))
}

// xmlTimeStamp verifies a signature's time-stamp against the trust anchors (v:
// the configured Validator, with a XAdES-LT signature's values as evidence).
func (a *API) xmlTimeStamp(ctx context.Context, s *xmldsig.Signature, methods []pki.RevocationMethod, val *pki.Validator) *TspInfo {
	rev := a.cfg.TSARevocation
	if rev == nil {
		rev = methods
	}
	v, err := tsp.VerifyToken(ctx, s.TimeStampToken, tsp.VerifyOptions{Data: s.TimeStampData, Validator: val, Revocation: rev})
	ti := &TspInfo{Valid: err == nil && val != nil}
	if v == nil || v.Token == nil {
		return ti
	}
	in := v.Token.Info
	ti.SerialNumber = javaSerialHex(in.SerialNumber.Text(16))
	ti.GenTime = Time(in.GenTime)
	ti.Policy = in.Policy.String()
	if in.TSAName != nil {
		// As /cms/verify: Kalkan's GeneralName.toString(), null when the token names no tsa.
		ti.TSA = bcGeneralNameDir(in.TSAName)
	}
	ti.TspHashAlgorithm = in.HashAlgorithm.String()
	for _, alg := range eds.SignatureAlgorithms() {
		if alg.HashOID != nil && alg.HashOID.Equal(in.HashAlgorithm) {
			ti.TspHashAlgorithm = alg.HashName
			break
		}
	}
	ti.Hash = hex.EncodeToString(in.HashedMessage)
	return ti
}

// certificateInfoAt validates cert at a time and renders it.
func (a *API) certificateInfoAt(ctx context.Context, cert *x509.Certificate, extra []*x509.Certificate, methods []pki.RevocationMethod, at time.Time) CertificateInfo {
	return certificateInfoWith(ctx, a.cfg.Validator, cert, extra, methods, at)
}

// certificateInfoWith validates cert at a time with v and renders it.
func certificateInfoWith(ctx context.Context, v *pki.Validator, cert *x509.Certificate, extra []*x509.Certificate, methods []pki.RevocationMethod, at time.Time) CertificateInfo {
	if v == nil {
		ci := renderCert(cert, nil, methods)
		ci.Errors = []string{pki.ErrUntrusted.Code()}
		return ci
	}
	res := v.Validate(ctx, cert, at, pki.Options{Revocation: methods, Intermediates: extra})
	return renderCert(cert, &res, methods)
}

// withXAdESValues returns the Validator and extra certificates for a signature: a
// XAdES-LT signature's CertificateValues help build chains (never as anchors), its
// CRL and OCSP values are evidence the Validator judges as any other (signed by
// the issuer found, about the certificate, speaking for the time).
func (a *API) withXAdESValues(s *xmldsig.Signature) (*pki.Validator, []*x509.Certificate) {
	v, extra := a.cfg.Validator, s.Certificates
	vd := s.ValidationData
	if vd == nil || v == nil {
		return v, extra
	}
	extra = append([]*x509.Certificate(nil), extra...)
	for _, der := range vd.Certs {
		if c, err := x509.ParseCertificate(der); err == nil {
			extra = append(extra, c)
		}
	}
	var crls []*pki.CRL
	for _, der := range vd.CRLs {
		if c, err := pki.ParseCRL(der); err == nil {
			crls = append(crls, c)
		}
	}
	var oc pki.OCSPClient
	if st := pki.NewStoredOCSP(vd.OCSPs); st.Len() > 0 {
		oc = st
	}
	return v.WithEvidence(crls, oc), extra
}

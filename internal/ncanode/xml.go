package ncanode

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

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
	// XadesLevel is NCANode's XAdES level (B, T, LT, LTA). Not supported here:
	// any value is refused with eds.xml.xades_unsupported.
	XadesLevel *string `json:"xadesLevel"`
	// WithTsp (extension) adds a time-stamp over each signature value, where
	// NCANode's XAdES-T puts it; TsaPolicy as in /cms/sign.
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
// null where the signature carries no certificate, as NCANode sends.
type XmlVerificationResponse struct {
	Status
	Valid   bool               `json:"valid"`
	Signers []*CertificateInfo `json:"signers"`
	// SignatureTimestamp is the time-stamp of the last signature, when it has
	// one (NCANode's field); null otherwise.
	SignatureTimestamp *TspInfo `json:"signatureTimestamp"`
}

// ErrXAdESUnsupported: /xml/sign with an xadesLevel.
var ErrXAdESUnsupported = eds.NewError("eds.xml.xades_unsupported", "XAdES levels are not supported; sign without xadesLevel (withTsp adds a time-stamp)")

func (a *API) xmlLimits() xmldsig.Limits { return xmldsig.Limits{MaxBytes: int(a.cfg.MaxBody)} }

func (a *API) xmlSign(ctx context.Context, body []byte) (any, error) {
	var req XmlSignRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.XML == "" {
		return nil, invalidField("xml", "required")
	}
	if req.XadesLevel != nil {
		return nil, fail(http.StatusBadRequest, ErrXAdESUnsupported, "", nil)
	}
	if err := a.count("signers", len(req.Signers)); err != nil {
		return nil, err
	}
	var stamp func(asn1.ObjectIdentifier, []byte) ([]byte, error)
	if req.WithTsp {
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
			ReferenceURI: s.ReferenceURI, Inclusive: true, TimeStamp: stamp, Limits: a.xmlLimits(),
			// NCANode clears and trims once, before the first signer.
			ClearSignatures: req.ClearSignatures && i == 0, TrimXML: req.TrimXML && i == 0,
		}
		// KeyInfo holds the signer's certificate only, as NCANode writes it.
		if doc, err = xmldsig.Sign(doc, e.PrivateKey, []*x509.Certificate{e.Certificate}, opts); err != nil {
			return nil, err
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
		var ts *TspInfo
		if s.TimeStampToken != nil {
			ts = a.xmlTimeStamp(ctx, s, methods)
			if ts.Valid {
				at = time.Time(ts.GenTime)
			}
		}
		resp.SignatureTimestamp = ts
		if s.Certificate == nil {
			resp.Valid = false
			resp.Signers = append(resp.Signers, nil)
			continue
		}
		ci := a.certificateInfoAt(ctx, s.Certificate, s.Certificates, methods, at)
		if s.Err != nil {
			ci.Valid = false
			ci.Errors = append([]string{codeOf(s.Err)}, ci.Errors...)
		}
		resp.Valid = resp.Valid && ci.Valid
		resp.Signers = append(resp.Signers, &ci)
	}
	return resp, nil
}

// xmlTimeStamp verifies a signature's time-stamp against the trust anchors.
func (a *API) xmlTimeStamp(ctx context.Context, s *xmldsig.Signature, methods []pki.RevocationMethod) *TspInfo {
	rev := a.cfg.TSARevocation
	if rev == nil {
		rev = methods
	}
	v, err := tsp.VerifyToken(ctx, s.TimeStampToken, tsp.VerifyOptions{Data: s.TimeStampData, Validator: a.cfg.Validator, Revocation: rev})
	ti := &TspInfo{Valid: err == nil && a.cfg.Validator != nil}
	if v == nil || v.Token == nil {
		return ti
	}
	in := v.Token.Info
	ti.SerialNumber = javaSerialHex(in.SerialNumber.Text(16))
	ti.GenTime = Time(in.GenTime)
	ti.Policy = in.Policy.String()
	ti.TSA = in.TSAString()
	if ti.TSA == "" && v.Cert != nil {
		ti.TSA = pki.Info(v.Cert).Subject.DN
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
	if a.cfg.Validator == nil {
		ci := renderCert(cert, nil, methods)
		ci.Errors = []string{pki.ErrUntrusted.Code()}
		return ci
	}
	res := a.cfg.Validator.Validate(ctx, cert, at, pki.Options{Revocation: methods, Intermediates: extra})
	return renderCert(cert, &res, methods)
}

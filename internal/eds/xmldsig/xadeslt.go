package xmldsig

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/senimkz/senim/internal/eds/pki"
)

// XAdES baseline LT (ETSI EN 319 132-1 section 5.5): xades:CertificateValues
// (EncapsulatedX509Certificate) and xades:RevocationValues (CRLValues/
// EncapsulatedCRLValue, OCSPValues/EncapsulatedOCSPValue) in the unsigned
// signature properties, after the SignatureTimeStamp.

// maxValidationValues bounds the values read from one signature's
// CertificateValues and RevocationValues together.
const maxValidationValues = 256

// ValidationData is the DER of the values a XAdES-LT signature carries.
type ValidationData struct {
	Certs, CRLs, OCSPs [][]byte
}

// validationXML renders m as CertificateValues and RevocationValues.
func validationXML(m pki.LTMaterial) string {
	var b strings.Builder
	b.WriteString(`<xades:CertificateValues>`)
	for _, c := range m.Certs {
		b.WriteString(`<xades:EncapsulatedX509Certificate>` + base64.StdEncoding.EncodeToString(c.Raw) + `</xades:EncapsulatedX509Certificate>`)
	}
	b.WriteString(`</xades:CertificateValues><xades:RevocationValues>`)
	if len(m.CRLs) > 0 {
		b.WriteString(`<xades:CRLValues>`)
		for _, c := range m.CRLs {
			b.WriteString(`<xades:EncapsulatedCRLValue>` + base64.StdEncoding.EncodeToString(c) + `</xades:EncapsulatedCRLValue>`)
		}
		b.WriteString(`</xades:CRLValues>`)
	}
	if len(m.OCSPs) > 0 {
		b.WriteString(`<xades:OCSPValues>`)
		for _, o := range m.OCSPs {
			b.WriteString(`<xades:EncapsulatedOCSPValue>` + base64.StdEncoding.EncodeToString(o) + `</xades:EncapsulatedOCSPValue>`)
		}
		b.WriteString(`</xades:OCSPValues>`)
	}
	b.WriteString(`</xades:RevocationValues>`)
	return b.String()
}

// AddValidationData raises the last XAdES-T signature Sign wrote into doc to
// XAdES-LT: CertificateValues and RevocationValues with m are inserted at the end
// of its UnsignedSignatureProperties (which no signature covers), every other byte
// kept. It is for a document Sign has just signed: the signature is the last
// ds:Signature in document order and its unsigned properties are written by Sign
// with the "xades" prefix. A signature with values already is refused (ErrXAdES).
func AddValidationData(doc []byte, m pki.LTMaterial) ([]byte, error) {
	const end = `</xades:UnsignedSignatureProperties>`
	sigAt := bytes.LastIndex(doc, []byte(":Signature "))
	if alt := bytes.LastIndex(doc, []byte("<Signature ")); alt > sigAt {
		sigAt = alt
	}
	if sigAt < 0 {
		return nil, fmt.Errorf("%w: no signature", ErrNoSignature)
	}
	i := bytes.Index(doc[sigAt:], []byte(end))
	if i < 0 {
		return nil, fmt.Errorf("%w: the last signature has no unsigned signature properties (XAdES-T is needed)", ErrXAdES)
	}
	i += sigAt
	if bytes.Contains(doc[sigAt:i], []byte("<xades:CertificateValues>")) {
		return nil, fmt.Errorf("%w: the signature already has CertificateValues", ErrXAdES)
	}
	out := make([]byte, 0, len(doc)+4096)
	out = append(out, doc[:i]...)
	out = append(out, validationXML(m)...)
	return append(out, doc[i:]...), nil
}

// validationData reads the CertificateValues and RevocationValues of sig's
// unsigned signature properties; values that are not Base64 are skipped (no
// evidence), more than maxValidationValues are refused.
func validationData(sig *etree.Element) (*ValidationData, error) {
	var vd *ValidationData
	n := 0
	read := func(parent *etree.Element, local string, dst *[][]byte) error {
		for _, e := range children2(parent, NSXAdES, local) {
			if n++; n > maxValidationValues {
				return fmt.Errorf("%w: more than %d validation values", ErrXAdES, maxValidationValues)
			}
			if b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(e.Text()), "")); err == nil && len(b) > 0 {
				*dst = append(*dst, b)
			}
		}
		return nil
	}
	for _, qp := range qualifyingProperties(sig) {
		usp := child(child(qp, NSXAdES, "UnsignedProperties"), NSXAdES, "UnsignedSignatureProperties")
		if usp == nil {
			continue
		}
		for _, cv := range children2(usp, NSXAdES, "CertificateValues") {
			if vd == nil {
				vd = &ValidationData{}
			}
			if err := read(cv, "EncapsulatedX509Certificate", &vd.Certs); err != nil {
				return nil, err
			}
		}
		for _, rv := range children2(usp, NSXAdES, "RevocationValues") {
			if vd == nil {
				vd = &ValidationData{}
			}
			for _, cv := range children2(rv, NSXAdES, "CRLValues") {
				if err := read(cv, "EncapsulatedCRLValue", &vd.CRLs); err != nil {
					return nil, err
				}
			}
			for _, ov := range children2(rv, NSXAdES, "OCSPValues") {
				if err := read(ov, "EncapsulatedOCSPValue", &vd.OCSPs); err != nil {
					return nil, err
				}
			}
		}
	}
	return vd, nil
}

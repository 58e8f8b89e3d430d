package xmldsig

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// XAdES (ETSI EN 319 132-1) baseline signatures: B (signed properties: the
// signing time and the signing certificate's digest, bound by a Reference of
// SignedInfo) and T (B with a time-stamp over the SignatureValue), in the form
// NCANode and NCALayer write: namespace 1.3.2, SigningCertificateV2 with
// IssuerSerialV2, exclusive canonicalisation, the SignedProperties in
// ds:Object/xades:QualifyingProperties of the signature itself.

const (
	// TypeSignedProperties is the Type of the Reference to xades:SignedProperties.
	TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
	// NSXAdES141 is the namespace of xades141:ArchiveTimeStamp (level LTA).
	NSXAdES141 = "http://uri.etsi.org/01903/v1.4.1#"
)

// XAdES levels, as Signature.Level reports them.
const (
	LevelB  = "B"
	LevelT  = "T"
	LevelLT = "LT"
)

var (
	// ErrXAdES: the XAdES signed properties are not where they must be, or not
	// bound to the signature: no or several SignedProperties in the
	// signature's QualifyingProperties, a QualifyingProperties that targets
	// another signature, SignedProperties not referenced from SignedInfo
	// exactly once with Type SignedProperties, a Reference of that Type naming
	// anything else (moved or duplicated properties: the wrapping attack), no
	// signing certificate, an unreadable signing time.
	ErrXAdES = eds.NewError("eds.xml.xades_malformed", "xmldsig: XAdES signed properties are missing, misplaced or malformed")
	// ErrSigningCertificate: the certificate SigningCertificateV2 names (its
	// digest, and IssuerSerialV2 when present) is not the one whose key made
	// the signature.
	ErrSigningCertificate = eds.NewError("eds.xml.signing_certificate_mismatch", "xmldsig: the signed signing-certificate reference names another certificate")
	// ErrTimeStampImprint: the SignatureTimeStamp's token does not parse or
	// does not time-stamp this signature's SignatureValue. Reported in
	// Signature.TimeStampErr: the signature itself may still be valid (level B).
	ErrTimeStampImprint = eds.NewError("eds.xml.timestamp_mismatch", "xmldsig: the signature time-stamp does not cover the SignatureValue")
)

// XAdESInfo is what the signed properties of a XAdES signature say.
type XAdESInfo struct {
	// SigningTime is the claimed signing time (zero when absent): the signer's
	// clock, not proof.
	SigningTime time.Time
	// SignedProperties is the canonical form that was digested.
	SignedProperties []byte
}

// issuerSerial is RFC 5035's IssuerSerial, the content of IssuerSerialV2.
type issuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

func issuerSerialV2(c *x509.Certificate) ([]byte, error) {
	return asn1.Marshal(issuerSerial{
		Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: c.RawIssuer}},
		Serial: c.SerialNumber,
	})
}

// signedPropertiesXML renders xades:SignedProperties for cert at t.
func signedPropertiesXML(id, dataRefID, digestURI string, cert *x509.Certificate, t time.Time) (string, error) {
	newHash, _ := digestByURI(digestURI)
	h := newHash()
	h.Write(cert.Raw)
	is, err := issuerSerialV2(cert)
	if err != nil {
		return "", err
	}
	return `<xades:SignedProperties Id="` + id + `"><xades:SignedSignatureProperties>` +
		`<xades:SigningTime>` + t.UTC().Format(time.RFC3339) + `</xades:SigningTime>` +
		`<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>` +
		`<ds:DigestMethod Algorithm="` + digestURI + `"/><ds:DigestValue>` + base64.StdEncoding.EncodeToString(h.Sum(nil)) + `</ds:DigestValue>` +
		`</xades:CertDigest><xades:IssuerSerialV2>` + base64.StdEncoding.EncodeToString(is) + `</xades:IssuerSerialV2>` +
		`</xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties>` +
		`<xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#` + dataRefID + `">` +
		`<xades:MimeType>text/xml</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties>` +
		`</xades:SignedProperties>`, nil
}

func unsignedTimeStampXML(token []byte) string {
	return `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp>` +
		`<ds:CanonicalizationMethod Algorithm="` + ExcC14N10 + `"/><xades:EncapsulatedTimeStamp>` +
		base64.StdEncoding.EncodeToString(token) + `</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>` +
		`</xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
}

// qualifyingProperties returns the xades:QualifyingProperties of sig's own
// ds:Object children.
func qualifyingProperties(sig *etree.Element) []*etree.Element {
	var qps []*etree.Element
	for _, obj := range sig.ChildElements() {
		if !is(obj, NSDSig, "Object") {
			continue
		}
		for _, qp := range obj.ChildElements() {
			if is(qp, NSXAdES, "QualifyingProperties") {
				qps = append(qps, qp)
			}
		}
	}
	return qps
}

func children2(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// checkXAdES checks the binding of the XAdES signed properties of sig, whose
// references were resolved into refs (same order as si.refs). It returns nil,
// nil for a signature without signed properties.
func checkXAdES(p *parsed, sig *etree.Element, si *signedInfo, cert *x509.Certificate) (*XAdESInfo, error) {
	var spRefs []int
	for i, r := range si.refs {
		if r.typ == TypeSignedProperties {
			spRefs = append(spRefs, i)
		}
	}
	qps := qualifyingProperties(sig)
	var sps []*etree.Element
	for _, qp := range qps {
		sps = append(sps, children2(qp, NSXAdES, "SignedProperties")...)
	}
	if len(sps) == 0 {
		if len(spRefs) > 0 {
			return nil, fmt.Errorf("%w: a Reference names SignedProperties that are not in the signature", ErrXAdES)
		}
		return nil, nil
	}
	switch {
	case len(qps) > 1:
		return nil, fmt.Errorf("%w: %d QualifyingProperties in one signature", ErrXAdES, len(qps))
	case len(sps) > 1:
		return nil, fmt.Errorf("%w: %d SignedProperties in one signature", ErrXAdES, len(sps))
	case len(spRefs) != 1:
		return nil, fmt.Errorf("%w: SignedProperties referenced %d times", ErrXAdES, len(spRefs))
	}
	qp, sp := qps[0], sps[0]
	sigID := sig.SelectAttrValue("Id", "")
	if sigID == "" || qp.SelectAttrValue("Target", "") != "#"+sigID {
		return nil, fmt.Errorf("%w: QualifyingProperties do not target this signature", ErrXAdES)
	}
	ref := si.refs[spRefs[0]]
	ids := idsOf(sp)
	if len(ids) != 1 || ref.uri != "#"+ids[0] {
		return nil, fmt.Errorf("%w: the SignedProperties Reference does not name the signature's SignedProperties", ErrXAdES)
	}
	// checkReference resolved the URI to the one element carrying the ID;
	// make sure it is this one.
	if el, err := elementByID(p.root, ids[0]); err != nil || el != sp {
		return nil, fmt.Errorf("%w: the SignedProperties Reference resolves elsewhere", ErrXAdES)
	}
	info := &XAdESInfo{}
	m := ref.c14n
	m.comments = false
	info.SignedProperties = canonicalSubtree(sp, m, nil)
	ssps := children2(sp, NSXAdES, "SignedSignatureProperties")
	if len(ssps) != 1 {
		return nil, fmt.Errorf("%w: SignedSignatureProperties missing or repeated", ErrXAdES)
	}
	ssp := ssps[0]
	if st := children2(ssp, NSXAdES, "SigningTime"); len(st) > 1 {
		return nil, fmt.Errorf("%w: repeated SigningTime", ErrXAdES)
	} else if len(st) == 1 {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(st[0].Text()))
		if err != nil {
			return nil, fmt.Errorf("%w: SigningTime %q", ErrXAdES, st[0].Text())
		}
		info.SigningTime = t
	}
	if cert == nil {
		return info, nil
	}
	scs := append(children2(ssp, NSXAdES, "SigningCertificateV2"), children2(ssp, NSXAdES, "SigningCertificate")...)
	if len(scs) != 1 {
		return nil, fmt.Errorf("%w: %d signing-certificate properties (one is needed)", ErrXAdES, len(scs))
	}
	certs := children2(scs[0], NSXAdES, "Cert")
	if len(certs) == 0 || len(certs) > maxKeyInfoCs {
		return nil, fmt.Errorf("%w: %d Cert elements in the signing-certificate property", ErrXAdES, len(certs))
	}
	for _, c := range certs {
		ok, err := certMatches(c, cert, scs[0].Tag == "SigningCertificateV2")
		if err != nil {
			return nil, err
		}
		if ok {
			return info, nil
		}
	}
	return nil, fmt.Errorf("%w: no Cert of the signing-certificate property is the signer's certificate", ErrSigningCertificate)
}

// certMatches reports whether one xades:Cert names cert: its CertDigest, and
// its IssuerSerialV2 (v2) or ds:X509SerialNumber (v1) when present.
func certMatches(c *etree.Element, cert *x509.Certificate, v2 bool) (bool, error) {
	cd := children2(c, NSXAdES, "CertDigest")
	if len(cd) != 1 {
		return false, fmt.Errorf("%w: Cert without one CertDigest", ErrXAdES)
	}
	dm, dv := children2(cd[0], NSDSig, "DigestMethod"), children2(cd[0], NSDSig, "DigestValue")
	if len(dm) != 1 || len(dv) != 1 {
		return false, fmt.Errorf("%w: CertDigest without DigestMethod and DigestValue", ErrXAdES)
	}
	uri := dm[0].SelectAttrValue("Algorithm", "")
	newHash, ok := digestByURI(uri)
	if !ok {
		return false, fmt.Errorf("%w: CertDigest DigestMethod %s", ErrUnknownAlgorithm, uri)
	}
	want, err := decodeB64(dv[0])
	if err != nil {
		return false, err
	}
	h := newHash()
	h.Write(cert.Raw)
	if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
		return false, nil
	}
	if v2 {
		if isv := children2(c, NSXAdES, "IssuerSerialV2"); len(isv) == 1 {
			der, err := decodeB64(isv[0])
			if err != nil {
				return false, err
			}
			var got issuerSerial
			rest, err := asn1.Unmarshal(der, &got)
			if err != nil || len(rest) != 0 || got.Serial == nil {
				return false, fmt.Errorf("%w: IssuerSerialV2 does not parse", ErrXAdES)
			}
			if got.Serial.Cmp(cert.SerialNumber) != 0 {
				return false, fmt.Errorf("%w: IssuerSerialV2 names serial %s", ErrSigningCertificate, got.Serial.Text(16))
			}
			named := false
			for _, gn := range got.Issuer {
				if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && bytes.Equal(gn.Bytes, cert.RawIssuer) {
					named = true
				}
			}
			if !named {
				return false, fmt.Errorf("%w: IssuerSerialV2 names another issuer", ErrSigningCertificate)
			}
		}
		return true, nil
	}
	if iss := children2(c, NSXAdES, "IssuerSerial"); len(iss) == 1 {
		sn := children2(iss[0], NSDSig, "X509SerialNumber")
		if len(sn) == 1 {
			n, ok := new(big.Int).SetString(strings.TrimSpace(sn[0].Text()), 10)
			if !ok || n.Cmp(cert.SerialNumber) != 0 {
				return false, fmt.Errorf("%w: IssuerSerial names another serial number", ErrSigningCertificate)
			}
		}
	}
	return true, nil
}

// checkTimeStampImprint checks that token time-stamps data (the canonical
// SignatureValue): the hash under the token's own algorithm equals its
// message imprint. The token's signature and TSA are the caller's to check.
func checkTimeStampImprint(token, data []byte) error {
	tok, err := tsp.ParseToken(token)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTimeStampImprint, err)
	}
	h, err := signeddata.Digest(tok.Info.HashAlgorithm, data)
	if err != nil {
		return fmt.Errorf("%w: imprint hash %s", ErrTimeStampImprint, tok.Info.HashAlgorithm)
	}
	if subtle.ConstantTimeCompare(h, tok.Info.HashedMessage) != 1 {
		return ErrTimeStampImprint
	}
	return nil
}

// hasValidationData reports whether the unsigned signature properties hold
// both CertificateValues and RevocationValues (the shape of level LT).
func hasValidationData(sig *etree.Element) bool {
	for _, qp := range qualifyingProperties(sig) {
		usp := child(child(qp, NSXAdES, "UnsignedProperties"), NSXAdES, "UnsignedSignatureProperties")
		if child(usp, NSXAdES, "CertificateValues") != nil && child(usp, NSXAdES, "RevocationValues") != nil {
			return true
		}
	}
	return false
}

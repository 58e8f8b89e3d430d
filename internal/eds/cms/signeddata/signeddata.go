package signeddata

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
)

// Object identifiers of CMS (RFC 5652), ESS (RFC 2634, RFC 5035) and RFC 3161.
var (
	OIDData                     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDAttrContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDAttrSigningCertificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDAttrSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAttrTimeStampToken       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	OIDContentTSTInfo           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
)

var (
	tag0c = casn1.Tag(0).ContextSpecific().Constructed()
	tag1c = casn1.Tag(1).ContextSpecific().Constructed()
	tag0p = casn1.Tag(0).ContextSpecific()
)

// Attribute is a CMS attribute: a type and its values, each value the DER of one
// AttributeValue.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte
}

// SignedData is a parsed CMS ContentInfo of type SignedData.
type SignedData struct {
	Version          int
	DigestAlgorithms [][]byte // DER AlgorithmIdentifiers, in input order
	ContentType      asn1.ObjectIdentifier
	// Content is the eContent; HasContent is false for a detached signature.
	Content    []byte
	HasContent bool
	// RawCertificates holds each CertificateChoices element as found; Certificates the
	// ones that parse as X.509 certificates.
	RawCertificates [][]byte
	Certificates    []*x509.Certificate
	RawCRLs         [][]byte
	Signers         []*SignerInfo
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	// Raw is the DER SignerInfo; Marshal writes it unchanged.
	Raw     []byte
	Version int
	// The signer's identifier: issuer and serial number, or a subject key identifier.
	RawIssuer    []byte
	SerialNumber *big.Int
	SubjectKeyID []byte

	DigestAlgorithm asn1.ObjectIdentifier
	SignedAttrs     []Attribute
	// RawSignedAttrs is the DER SET OF the signed attributes (the signature input), nil
	// when the signer has none.
	RawSignedAttrs     []byte
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte
	UnsignedAttrs      []Attribute

	rawSID, rawDigestAlg, rawSignedElem, rawSigAlg []byte
}

// Parse reads a CMS ContentInfo holding a SignedData, in BER or DER. It never panics;
// errors wrap ErrMalformed, or ErrUnsupported for another content type.
func Parse(ber []byte) (*SignedData, error) {
	// Most input is DER already: read it as it is, and normalise only when the strict
	// reader refuses it. Certificates and signed attributes are DER in any valid CMS.
	if sd, err := parseDER(ber); err == nil {
		return sd, nil
	}
	der, err := ToDER(ber)
	if err != nil {
		return nil, err
	}
	return parseDER(der)
}

func parseDER(der []byte) (*SignedData, error) {
	in := cryptobyte.String(der)
	var ci, explicit, body cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, casn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, fmt.Errorf("%w: not a ContentInfo", ErrMalformed)
	}
	if !ct.Equal(OIDSignedData) {
		return nil, fmt.Errorf("%w: content type %s is not SignedData", ErrUnsupported, ct)
	}
	if !ci.ReadASN1(&explicit, tag0c) || !ci.Empty() || !explicit.ReadASN1(&body, casn1.SEQUENCE) || !explicit.Empty() {
		return nil, fmt.Errorf("%w: bad SignedData wrapper", ErrMalformed)
	}
	sd := &SignedData{}
	var algs, eci, sis cryptobyte.String
	if !body.ReadASN1Integer(&sd.Version) || !body.ReadASN1(&algs, casn1.SET) {
		return nil, fmt.Errorf("%w: bad SignedData header", ErrMalformed)
	}
	for !algs.Empty() {
		var a cryptobyte.String
		if !algs.ReadASN1Element(&a, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad digestAlgorithms", ErrMalformed)
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, a)
	}
	if !body.ReadASN1(&eci, casn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return nil, fmt.Errorf("%w: bad encapContentInfo", ErrMalformed)
	}
	var ec cryptobyte.String
	if !eci.ReadOptionalASN1(&ec, &sd.HasContent, tag0c) || !eci.Empty() {
		return nil, fmt.Errorf("%w: bad eContent", ErrMalformed)
	}
	if sd.HasContent {
		var oct cryptobyte.String
		if !ec.ReadASN1(&oct, casn1.OCTET_STRING) || !ec.Empty() {
			return nil, fmt.Errorf("%w: eContent is not an OCTET STRING", ErrMalformed)
		}
		sd.Content = []byte(oct)
	}
	var certs, crls cryptobyte.String
	var hasCerts, hasCRLs bool
	if !body.ReadOptionalASN1(&certs, &hasCerts, tag0c) || !body.ReadOptionalASN1(&crls, &hasCRLs, tag1c) {
		return nil, fmt.Errorf("%w: bad certificates or crls", ErrMalformed)
	}
	for !certs.Empty() {
		var e cryptobyte.String
		var tag casn1.Tag
		if !certs.ReadAnyASN1Element(&e, &tag) {
			return nil, fmt.Errorf("%w: bad certificate", ErrMalformed)
		}
		sd.RawCertificates = append(sd.RawCertificates, e)
		if tag == casn1.SEQUENCE {
			if c, err := parseCertificate(e); err == nil {
				sd.Certificates = append(sd.Certificates, c)
			}
		}
	}
	for !crls.Empty() {
		var e cryptobyte.String
		var tag casn1.Tag
		if !crls.ReadAnyASN1Element(&e, &tag) {
			return nil, fmt.Errorf("%w: bad crls", ErrMalformed)
		}
		sd.RawCRLs = append(sd.RawCRLs, e)
	}
	if !body.ReadASN1(&sis, casn1.SET) || !body.Empty() {
		return nil, fmt.Errorf("%w: bad signerInfos", ErrMalformed)
	}
	for !sis.Empty() {
		var e cryptobyte.String
		if !sis.ReadASN1Element(&e, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad SignerInfo", ErrMalformed)
		}
		si, err := ParseSignerInfo(e)
		if err != nil {
			return nil, err
		}
		sd.Signers = append(sd.Signers, si)
	}
	return sd, nil
}

// ParseSignerInfo parses one DER SignerInfo. Errors wrap ErrMalformed.
func ParseSignerInfo(raw []byte) (*SignerInfo, error) {
	si := &SignerInfo{Raw: raw}
	s := cryptobyte.String(raw)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, casn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&si.Version) {
		return nil, fmt.Errorf("%w: bad SignerInfo", ErrMalformed)
	}
	var sid cryptobyte.String
	switch {
	case seq.PeekASN1Tag(casn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		si.SerialNumber = new(big.Int)
		if !seq.ReadASN1Element(&sid, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad signer identifier", ErrMalformed)
		}
		c := sid
		if !c.ReadASN1(&ias, casn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, casn1.SEQUENCE) ||
			!ias.ReadASN1Integer(si.SerialNumber) || !ias.Empty() {
			return nil, fmt.Errorf("%w: bad issuerAndSerialNumber", ErrMalformed)
		}
		si.RawIssuer = issuer
	case seq.PeekASN1Tag(tag0p):
		var ski cryptobyte.String
		if !seq.ReadASN1Element(&sid, tag0p) {
			return nil, fmt.Errorf("%w: bad subjectKeyIdentifier", ErrMalformed)
		}
		c := sid
		if !c.ReadASN1(&ski, tag0p) {
			return nil, fmt.Errorf("%w: bad subjectKeyIdentifier", ErrMalformed)
		}
		si.SubjectKeyID = ski
	default:
		return nil, fmt.Errorf("%w: bad signer identifier", ErrMalformed)
	}
	si.rawSID = sid
	var err error
	if si.rawDigestAlg, si.DigestAlgorithm, err = readAlgorithm(&seq); err != nil {
		return nil, err
	}
	if seq.PeekASN1Tag(tag0c) {
		var elem cryptobyte.String
		if !seq.ReadASN1Element(&elem, tag0c) {
			return nil, fmt.Errorf("%w: bad signedAttrs", ErrMalformed)
		}
		si.rawSignedElem = elem
		si.RawSignedAttrs = append([]byte{0x31}, elem[1:]...)
		if si.SignedAttrs, err = parseAttributes(elem, tag0c); err != nil {
			return nil, err
		}
	}
	if si.rawSigAlg, si.SignatureAlgorithm, err = readAlgorithm(&seq); err != nil {
		return nil, err
	}
	var sig cryptobyte.String
	if !seq.ReadASN1(&sig, casn1.OCTET_STRING) {
		return nil, fmt.Errorf("%w: bad signature", ErrMalformed)
	}
	si.Signature = sig
	if seq.PeekASN1Tag(tag1c) {
		var elem cryptobyte.String
		if !seq.ReadASN1Element(&elem, tag1c) {
			return nil, fmt.Errorf("%w: bad unsignedAttrs", ErrMalformed)
		}
		if si.UnsignedAttrs, err = parseAttributes(elem, tag1c); err != nil {
			return nil, err
		}
	}
	if !seq.Empty() {
		return nil, fmt.Errorf("%w: trailing data in SignerInfo", ErrMalformed)
	}
	return si, nil
}

// algorithmParams returns the parameters of a DER AlgorithmIdentifier: what
// follows the OID (empty when absent).
func algorithmParams(raw []byte) []byte {
	s := cryptobyte.String(raw)
	var seq cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&seq, casn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil
	}
	return seq
}

func readAlgorithm(s *cryptobyte.String) (raw []byte, oid asn1.ObjectIdentifier, err error) {
	var elem cryptobyte.String
	if !s.ReadASN1Element(&elem, casn1.SEQUENCE) {
		return nil, nil, fmt.Errorf("%w: bad AlgorithmIdentifier", ErrMalformed)
	}
	c := elem
	var seq cryptobyte.String
	if !c.ReadASN1(&seq, casn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, fmt.Errorf("%w: bad AlgorithmIdentifier", ErrMalformed)
	}
	return elem, oid, nil
}

func parseAttributes(elem []byte, tag casn1.Tag) ([]Attribute, error) {
	s := cryptobyte.String(elem)
	var set cryptobyte.String
	if !s.ReadASN1(&set, tag) {
		return nil, fmt.Errorf("%w: bad attributes", ErrMalformed)
	}
	var out []Attribute
	for !set.Empty() {
		var a, vals cryptobyte.String
		var at Attribute
		if !set.ReadASN1(&a, casn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&at.Type) ||
			!a.ReadASN1(&vals, casn1.SET) || !a.Empty() {
			return nil, fmt.Errorf("%w: bad attribute", ErrMalformed)
		}
		for !vals.Empty() {
			var v cryptobyte.String
			var t casn1.Tag
			if !vals.ReadAnyASN1Element(&v, &t) {
				return nil, fmt.Errorf("%w: bad attribute value", ErrMalformed)
			}
			at.Values = append(at.Values, v)
		}
		out = append(out, at)
	}
	return out, nil
}

// Attr returns the values of the first attribute of type t in attrs, or nil.
func Attr(attrs []Attribute, t asn1.ObjectIdentifier) [][]byte {
	for _, a := range attrs {
		if a.Type.Equal(t) {
			return a.Values
		}
	}
	return nil
}

// countAttr counts the attributes of type t.
func countAttr(attrs []Attribute, t asn1.ObjectIdentifier) int {
	n := 0
	for _, a := range attrs {
		if a.Type.Equal(t) {
			n++
		}
	}
	return n
}

// Marshal writes sd as a DER ContentInfo. Signer infos and certificates are written
// from their raw bytes, unchanged; sets keep their order (signers stay in the order
// they were added).
func (sd *SignedData) Marshal() ([]byte, error) {
	version := sd.version()
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(tag0c, func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(version)
				b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
					for _, a := range sd.DigestAlgorithms {
						b.AddBytes(a)
					}
				})
				b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(sd.ContentType)
					if sd.HasContent {
						b.AddASN1(tag0c, func(b *cryptobyte.Builder) { b.AddASN1OctetString(sd.Content) })
					}
				})
				if len(sd.RawCertificates) > 0 {
					b.AddASN1(tag0c, func(b *cryptobyte.Builder) {
						for _, c := range sd.RawCertificates {
							b.AddBytes(c)
						}
					})
				}
				if len(sd.RawCRLs) > 0 {
					b.AddASN1(tag1c, func(b *cryptobyte.Builder) {
						for _, c := range sd.RawCRLs {
							b.AddBytes(c)
						}
					})
				}
				b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
					for _, si := range sd.Signers {
						b.AddBytes(si.Raw)
					}
				})
			})
		})
	})
	return b.Bytes()
}

// version is the SignedData version RFC 5652 section 5.1 requires: 5 with an "other"
// certificate ([3]) or "other" revocation information ([1], e.g. an OCSP response,
// RFC 5940); else 4 with a version-2 attribute certificate ([2]); else 3 with a
// version-1 attribute certificate ([1]), a version-3 SignerInfo or eContent that is
// not id-data; else 1.
func (sd *SignedData) version() int64 {
	tagged := func(raw [][]byte, tag byte) bool {
		for _, r := range raw {
			if len(r) > 0 && r[0] == tag {
				return true
			}
		}
		return false
	}
	switch {
	case tagged(sd.RawCertificates, 0xa3), tagged(sd.RawCRLs, 0xa1):
		return 5
	case tagged(sd.RawCertificates, 0xa2):
		return 4
	case tagged(sd.RawCertificates, 0xa1), !sd.ContentType.Equal(OIDData):
		return 3
	}
	for _, si := range sd.Signers {
		if si.Version == 3 {
			return 3
		}
	}
	return 1
}

// AddCertificate adds c to the certificates unless it is already there.
func (sd *SignedData) AddCertificate(c *x509.Certificate) {
	for _, r := range sd.RawCertificates {
		if bytes.Equal(r, c.Raw) {
			return
		}
	}
	sd.RawCertificates = append(sd.RawCertificates, c.Raw)
	sd.Certificates = append(sd.Certificates, c)
}

// AddDigestAlgorithm adds the digest algorithm oid to digestAlgorithms unless present.
func (sd *SignedData) AddDigestAlgorithm(oid asn1.ObjectIdentifier) {
	for _, r := range sd.DigestAlgorithms {
		s := cryptobyte.String(r)
		if _, o, err := readAlgorithm(&s); err == nil && o.Equal(oid) {
			return
		}
	}
	sd.DigestAlgorithms = append(sd.DigestAlgorithms, AlgorithmIdentifier(oid, false))
}

// AlgorithmIdentifier encodes an AlgorithmIdentifier with absent parameters, or NULL
// parameters when null is true.
func AlgorithmIdentifier(oid asn1.ObjectIdentifier, null bool) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
	return b.BytesOrPanic()
}

// SignerCertificate finds the certificate of si among sd's certificates and extra.
func (sd *SignedData) SignerCertificate(si *SignerInfo, extra ...*x509.Certificate) *x509.Certificate {
	for _, list := range [][]*x509.Certificate{sd.Certificates, extra} {
		for _, c := range list {
			if c != nil && si.Identifies(c) {
				return c
			}
		}
	}
	return nil
}

// Identifies reports whether si's signer identifier names c.
func (si *SignerInfo) Identifies(c *x509.Certificate) bool {
	if si.SerialNumber != nil {
		return c.SerialNumber != nil && c.SerialNumber.Cmp(si.SerialNumber) == 0 && bytes.Equal(c.RawIssuer, si.RawIssuer)
	}
	return len(si.SubjectKeyID) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID)
}

// SigningTime returns the signingTime attribute, if any.
func (si *SignerInfo) SigningTime() (time.Time, bool) {
	v := Attr(si.SignedAttrs, OIDAttrSigningTime)
	if len(v) != 1 {
		return time.Time{}, false
	}
	var t time.Time
	s := cryptobyte.String(v[0])
	switch {
	case s.PeekASN1Tag(casn1.UTCTime):
		if !s.ReadASN1UTCTime(&t) {
			return time.Time{}, false
		}
	case s.PeekASN1Tag(casn1.GeneralizedTime):
		if !s.ReadASN1GeneralizedTime(&t) {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	return t, s.Empty()
}

// CheckContent checks the signed attributes against the content: exactly one
// contentType equal to contentType and exactly one messageDigest equal to the digest of
// content. A signer without signed attributes signs the content itself: nothing to
// check here. Errors wrap ErrBadAttributes, ErrDigestMismatch or ErrUnsupported.
func (si *SignerInfo) CheckContent(contentType asn1.ObjectIdentifier, content []byte) error {
	if si.RawSignedAttrs == nil {
		return nil
	}
	if countAttr(si.SignedAttrs, OIDAttrContentType) != 1 || countAttr(si.SignedAttrs, OIDAttrMessageDigest) != 1 {
		return fmt.Errorf("%w: need exactly one contentType and one messageDigest", ErrBadAttributes)
	}
	ctv := Attr(si.SignedAttrs, OIDAttrContentType)
	var ct asn1.ObjectIdentifier
	if len(ctv) != 1 {
		return fmt.Errorf("%w: contentType must have one value", ErrBadAttributes)
	}
	cts := cryptobyte.String(ctv[0])
	if !cts.ReadASN1ObjectIdentifier(&ct) || !cts.Empty() || !ct.Equal(contentType) {
		return fmt.Errorf("%w: contentType attribute is not %s", ErrBadAttributes, contentType)
	}
	mdv := Attr(si.SignedAttrs, OIDAttrMessageDigest)
	if len(mdv) != 1 {
		return fmt.Errorf("%w: messageDigest must have one value", ErrBadAttributes)
	}
	s := cryptobyte.String(mdv[0])
	var md cryptobyte.String
	if !s.ReadASN1(&md, casn1.OCTET_STRING) || !s.Empty() {
		return fmt.Errorf("%w: messageDigest is not an OCTET STRING", ErrBadAttributes)
	}
	h, ok := eds.LookupDigestAlgorithm(si.DigestAlgorithm)
	if !ok {
		return fmt.Errorf("%w: digest algorithm %s", ErrUnsupported, si.DigestAlgorithm)
	}
	d := h()
	d.Write(content)
	if subtle.ConstantTimeCompare(d.Sum(nil), md) != 1 {
		return ErrDigestMismatch
	}
	return nil
}

// Key algorithm OIDs that some producers put in signatureAlgorithm instead of a
// signature algorithm; the digest algorithm then completes it.
var keyAlgorithmOIDs = []asn1.ObjectIdentifier{
	{1, 2, 840, 113549, 1, 1, 1}, // rsaEncryption
	{1, 2, 840, 10045, 2, 1},     // id-ecPublicKey
	eds.OIDKeyGOST2015_512,
	eds.OIDKeyGOST2015_256,
	eds.OIDKeyGOST2004,
}

// Algorithm resolves the signature algorithm of si for the public key pub. Errors wrap
// ErrUnsupported.
func (si *SignerInfo) Algorithm(pub *eds.PublicKey) (*eds.Algorithm, error) {
	if _, ok := eds.LookupSignatureAlgorithm(si.SignatureAlgorithm); ok {
		// RSASSA-PSS: the parameters must be the supported profile, and the salt
		// length they state is the one verified. The error's code is
		// eds.signature.pss_params; it is also ErrUnsupported.
		alg, err := eds.SignatureParameters(si.SignatureAlgorithm, algorithmParams(si.rawSigAlg))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrUnsupported)
		}
		return alg, nil
	}
	if slices.ContainsFunc(keyAlgorithmOIDs, si.SignatureAlgorithm.Equal) {
		for _, a := range eds.SignatureAlgorithms() {
			if a.KeyType == pub.Type && a.HashOID.Equal(si.DigestAlgorithm) {
				return a, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: signature algorithm %s with digest %s", ErrUnsupported, si.SignatureAlgorithm, si.DigestAlgorithm)
}

// CheckSignature verifies si's signature with pub: over the signed attributes, or over
// content when there are none. Errors wrap ErrSignatureInvalid or ErrUnsupported.
func (si *SignerInfo) CheckSignature(pub *eds.PublicKey, content []byte) error {
	alg, err := si.Algorithm(pub)
	if err != nil {
		return err
	}
	msg := si.RawSignedAttrs
	if msg == nil {
		msg = content
	}
	if err := eds.VerifyWith(alg, pub, msg, si.Signature); err != nil {
		if eds.Code(err) == eds.ErrUnknownAlgorithm.Code() {
			return fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return fmt.Errorf("%w: %w", ErrSignatureInvalid, err)
	}
	return nil
}

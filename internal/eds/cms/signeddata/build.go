package signeddata

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
)

// certCache keeps parsed certificates by the SHA-256 of their DER: a verifier sees the
// same signer and CA certificates again and again, and parsing them is a noticeable part
// of verifying an ECDSA CMS. Parsed certificates are never modified.
var certCache = struct {
	sync.Mutex
	m map[[32]byte]*x509.Certificate
}{m: make(map[[32]byte]*x509.Certificate)}

const maxCachedCerts = 1024

func parseCertificate(der []byte) (*x509.Certificate, error) {
	k := sha256.Sum256(der)
	certCache.Lock()
	c := certCache.m[k]
	certCache.Unlock()
	if c != nil {
		return c, nil
	}
	// crypto/x509 keeps slices of its input: parse a copy, so that a caller reusing its
	// buffer cannot change a cached certificate.
	c, err := x509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return nil, err
	}
	certCache.Lock()
	if len(certCache.m) >= maxCachedCerts {
		clear(certCache.m)
	}
	certCache.m[k] = c
	certCache.Unlock()
	return c, nil
}

// OIDDigestEd25519CMS is the digest CMS uses with Ed25519 signers (RFC 8419): SHA-512.
var OIDDigestEd25519CMS = eds.OIDDigestSHA512

// DigestOf returns the digest algorithm a signer uses in CMS.
func DigestOf(alg *eds.Algorithm) (asn1.ObjectIdentifier, error) {
	if alg.KeyType == eds.KeyEd25519 {
		return OIDDigestEd25519CMS, nil
	}
	if alg.HashOID == nil {
		return nil, fmt.Errorf("%w: %s has no digest", ErrUnsupported, alg.Name)
	}
	return alg.HashOID, nil
}

// Digest hashes data with the digest algorithm oid.
func Digest(oid asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	h, ok := eds.LookupDigestAlgorithm(oid)
	if !ok {
		return nil, fmt.Errorf("%w: digest algorithm %s", ErrUnsupported, oid)
	}
	d := h()
	d.Write(data)
	return d.Sum(nil), nil
}

func attribute(t asn1.ObjectIdentifier, value []byte) Attribute {
	return Attribute{Type: t, Values: [][]byte{value}}
}

// AttrContentType is the contentType attribute.
func AttrContentType(ct asn1.ObjectIdentifier) Attribute {
	v, _ := asn1.Marshal(ct)
	return attribute(OIDAttrContentType, v)
}

// AttrMessageDigest is the messageDigest attribute (the raw hash output).
func AttrMessageDigest(d []byte) Attribute {
	v, _ := asn1.Marshal(d)
	return attribute(OIDAttrMessageDigest, v)
}

// AttrSigningTime is the signingTime attribute: UTCTime from 1950 to 2049, else
// GeneralizedTime (RFC 5652, section 11.3), to the second.
func AttrSigningTime(t time.Time) (Attribute, error) {
	v, err := asn1.Marshal(t.UTC().Truncate(time.Second))
	if err != nil {
		return Attribute{}, fmt.Errorf("%w: signing time: %w", ErrUnsupported, err)
	}
	return attribute(OIDAttrSigningTime, v), nil
}

// AttrSigningCertificateV2 is the signing-certificate-v2 attribute (RFC 5035) naming
// cert: one ESSCertIDv2 with the hash of the certificate under hashOID (SHA-256 is
// written as the DEFAULT, that is, omitted) and the issuer and serial number.
func AttrSigningCertificateV2(cert *x509.Certificate, hashOID asn1.ObjectIdentifier) (Attribute, error) {
	h, err := Digest(hashOID, cert.Raw)
	if err != nil {
		return Attribute{}, err
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
				if !hashOID.Equal(eds.OIDDigestSHA256) {
					b.AddBytes(AlgorithmIdentifier(hashOID, false))
				}
				b.AddASN1OctetString(h)
				addIssuerSerial(b, cert)
			})
		})
	})
	v, err := b.Bytes()
	if err != nil {
		return Attribute{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return attribute(OIDAttrSigningCertificateV2, v), nil
}

// addIssuerSerial writes IssuerSerial: GeneralNames {directoryName [4] issuer}, serial.
func addIssuerSerial(b *cryptobyte.Builder, cert *x509.Certificate) {
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.Tag(4).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddBytes(cert.RawIssuer)
			})
		})
		b.AddASN1BigInt(cert.SerialNumber)
	})
}

// CheckSigningCertificate checks the signing-certificate-v2 (or v1) signed attribute
// against cert: the first ESSCertID must carry cert's hash and, when present, its
// issuer and serial number. It reports whether such an attribute was present. Errors
// wrap ErrSigningCertMismatch, ErrMalformed or ErrUnsupported.
func (si *SignerInfo) CheckSigningCertificate(cert *x509.Certificate) (present bool, err error) {
	v2 := Attr(si.SignedAttrs, OIDAttrSigningCertificateV2)
	v1 := Attr(si.SignedAttrs, OIDAttrSigningCertificate)
	var val []byte
	switch {
	case len(v2) > 0:
		val = v2[0]
	case len(v1) > 0:
		val = v1[0]
	default:
		return false, nil
	}
	s := cryptobyte.String(val)
	var sc, ids, id cryptobyte.String
	if !s.ReadASN1(&sc, casn1.SEQUENCE) || !sc.ReadASN1(&ids, casn1.SEQUENCE) || !ids.ReadASN1(&id, casn1.SEQUENCE) {
		return true, fmt.Errorf("%w: bad signing-certificate attribute", ErrMalformed)
	}
	hashOID := asn1.ObjectIdentifier(eds.OIDDigestSHA1)
	if len(v2) > 0 {
		hashOID = eds.OIDDigestSHA256
		if id.PeekASN1Tag(casn1.SEQUENCE) {
			_, oid, err := readAlgorithm(&id)
			if err != nil {
				return true, err
			}
			hashOID = oid
		}
	}
	var certHash cryptobyte.String
	if !id.ReadASN1(&certHash, casn1.OCTET_STRING) {
		return true, fmt.Errorf("%w: bad ESSCertID", ErrMalformed)
	}
	var want []byte
	if hashOID.Equal(eds.OIDDigestSHA1) {
		h := sha1.Sum(cert.Raw)
		want = h[:]
	} else if want, err = Digest(hashOID, cert.Raw); err != nil {
		return true, err
	}
	if subtle.ConstantTimeCompare(want, certHash) != 1 {
		return true, fmt.Errorf("%w: certificate hash differs", ErrSigningCertMismatch)
	}
	if id.Empty() {
		return true, nil
	}
	var is, names cryptobyte.String
	if !id.ReadASN1(&is, casn1.SEQUENCE) || !is.ReadASN1(&names, casn1.SEQUENCE) {
		return true, fmt.Errorf("%w: bad IssuerSerial", ErrMalformed)
	}
	serial := new(big.Int)
	if !is.ReadASN1Integer(serial) {
		return true, fmt.Errorf("%w: bad IssuerSerial", ErrMalformed)
	}
	if serial.Cmp(cert.SerialNumber) != 0 {
		return true, fmt.Errorf("%w: serial number differs", ErrSigningCertMismatch)
	}
	for !names.Empty() {
		var gn cryptobyte.String
		var tag casn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) {
			return true, fmt.Errorf("%w: bad GeneralNames", ErrMalformed)
		}
		if tag == casn1.Tag(4).ContextSpecific().Constructed() && !bytes.Equal(gn, cert.RawIssuer) {
			return true, fmt.Errorf("%w: issuer differs", ErrSigningCertMismatch)
		}
	}
	return true, nil
}

// NewSignerInfo signs the signed attributes attrs (sorted into DER order here) with
// signer and returns the SignerInfo, identified by cert's issuer and serial number. The
// caller supplies every signed attribute, contentType and messageDigest included.
func NewSignerInfo(rand io.Reader, signer eds.Signer, cert *x509.Certificate, attrs []Attribute) (*SignerInfo, error) {
	alg := signer.Algorithm()
	digestOID, err := DigestOf(alg)
	if err != nil {
		return nil, err
	}
	encoded := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		b := cryptobyte.NewBuilder(nil)
		addAttribute(b, a)
		e, err := b.Bytes()
		if err != nil {
			return nil, fmt.Errorf("%w: attribute %s: %w", ErrMalformed, a.Type, err)
		}
		encoded = append(encoded, e)
	}
	slices.SortFunc(encoded, bytes.Compare)
	set := cryptobyte.NewBuilder(nil)
	set.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
		for _, e := range encoded {
			b.AddBytes(e)
		}
	})
	signedSet, err := set.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	sig, err := signer.Sign(rand, signedSet)
	if err != nil {
		return nil, fmt.Errorf("cms: signing: %w", err)
	}
	sigAlgID := AlgorithmIdentifier(alg.OID, alg.KeyType == eds.KeyRSA)
	if params := alg.Parameters(); params != nil { // RSASSA-PSS
		ab := cryptobyte.NewBuilder(nil)
		ab.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(alg.OID)
			b.AddBytes(params)
		})
		if sigAlgID, err = ab.Bytes(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(cert.RawIssuer)
			b.AddASN1BigInt(cert.SerialNumber)
		})
		b.AddBytes(AlgorithmIdentifier(digestOID, false))
		b.AddASN1(tag0c, func(b *cryptobyte.Builder) { b.AddBytes(signedSet[len(signedSet)-setContentLen(signedSet):]) })
		b.AddBytes(sigAlgID)
		b.AddASN1OctetString(sig)
	})
	raw, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ParseSignerInfo(raw)
}

// setContentLen returns the length of the contents of the DER element e.
func setContentLen(e []byte) int {
	s := cryptobyte.String(e)
	var c cryptobyte.String
	s.ReadASN1(&c, casn1.SET)
	return len(c)
}

func addAttribute(b *cryptobyte.Builder, a Attribute) {
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(a.Type)
		b.AddASN1(casn1.SET, func(b *cryptobyte.Builder) {
			for _, v := range a.Values {
				b.AddBytes(v)
			}
		})
	})
}

// WithUnsignedAttrs returns a copy of si whose unsigned attributes are attrs; the
// signed part and the signature are kept byte-for-byte.
func (si *SignerInfo) WithUnsignedAttrs(attrs []Attribute) (*SignerInfo, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(si.Version))
		b.AddBytes(si.rawSID)
		b.AddBytes(si.rawDigestAlg)
		if si.rawSignedElem != nil {
			b.AddBytes(si.rawSignedElem)
		}
		b.AddBytes(si.rawSigAlg)
		b.AddASN1OctetString(si.Signature)
		if len(attrs) > 0 {
			b.AddASN1(tag1c, func(b *cryptobyte.Builder) {
				for _, a := range attrs {
					addAttribute(b, a)
				}
			})
		}
	})
	raw, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ParseSignerInfo(raw)
}

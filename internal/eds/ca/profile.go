package ca

import (
	"crypto/sha1"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// Object identifiers of the certificate profile.
var (
	oidCN               = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSurname          = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidSerialNumber     = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidCountry          = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidOrganization     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit          = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidBusinessCategory = asn1.ObjectIdentifier{2, 5, 4, 15}
	oidGivenName        = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidDomainComponent  = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}

	oidExtSKI           = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtBasicConstr   = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtCRLNumber     = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtReasonCode    = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidExtCRLDP         = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtPolicies      = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtAKI           = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtExtKeyUsage   = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtAIA           = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidAccessOCSP       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1}
	oidAccessCAIssuers  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 2}
	oidEKUEmailProtect  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}
	oidExtKeyStoreType  = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 5}
	oidKeyStorePKCS12   = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 5, 1, 1}
	oidPolicyNCAGeneric = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2}
	oidEKUIndividual    = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 1}
	oidEKUOrganization  = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2}
	oidEKUInfoSystem    = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 6} // a legal entity's digital system
	oidOCSPNonce        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidDigestSHA1       = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidDigestSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// ASN.1 universal string tags used in names, as the NCA uses them: UTF8String for
// names, PrintableString for SERIALNUMBER and C, IA5String for DC.
const (
	tagUTF8      = asn1.TagUTF8String
	tagPrintable = asn1.TagPrintableString
	tagIA5       = asn1.TagIA5String
)

// Key usage bits (RFC 5280, 4.2.1.3), as BIT STRING bit numbers.
const (
	kuDigitalSignature = 0
	kuNonRepudiation   = 1
	kuKeyAgreement     = 4
	kuKeyCertSign      = 5
	kuCRLSign          = 6
)

type attrTV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one relative distinguished name (encoding/asn1 encodes a slice type whose
// name ends in SET as a SET OF).
type rdnSET []attrTV

// nameBuilder collects attributes for a Name with one attribute per RDN, in order.
type nameBuilder []rdnSET

func (n *nameBuilder) add(oid asn1.ObjectIdentifier, tag int, v string) {
	if v == "" {
		return
	}
	*n = append(*n, rdnSET{{Type: oid, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(v)}}})
}

func (n nameBuilder) marshal() ([]byte, error) { return asn1.Marshal([]rdnSET(n)) }

// keyUsage encodes the KeyUsage BIT STRING with the given bits set, in minimal form.
func keyUsage(bits ...int) ([]byte, error) {
	var b [2]byte
	max := 0
	for _, i := range bits {
		b[i/8] |= 0x80 >> (i % 8)
		if i+1 > max {
			max = i + 1
		}
	}
	return asn1.Marshal(asn1.BitString{Bytes: b[:(max+7)/8], BitLength: max})
}

func ext(oid asn1.ObjectIdentifier, critical bool, v any) (pkix.Extension, error) {
	der, err := asn1.Marshal(v)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("ca: extension %v: %w", oid, err)
	}
	return pkix.Extension{Id: oid, Critical: critical, Value: der}, nil
}

func rawExt(oid asn1.ObjectIdentifier, critical bool, der []byte) pkix.Extension {
	return pkix.Extension{Id: oid, Critical: critical, Value: der}
}

func uriName(u string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(u)}
}

type accessDescription struct {
	Method   asn1.ObjectIdentifier
	Location asn1.RawValue
}

// aia encodes AuthorityInfoAccess with an optional OCSP and an optional caIssuers URL.
func aia(ocspURL, issuerURL string) ([]byte, error) {
	var ads []accessDescription
	if ocspURL != "" {
		ads = append(ads, accessDescription{oidAccessOCSP, uriName(ocspURL)})
	}
	if issuerURL != "" {
		ads = append(ads, accessDescription{oidAccessCAIssuers, uriName(issuerURL)})
	}
	return asn1.Marshal(ads)
}

// crlDP encodes CRLDistributionPoints with one distribution point holding one URI:
// SEQUENCE { SEQUENCE { [0] { [0] { [6] uri } } } }.
func crlDP(u string) ([]byte, error) {
	gn, err := asn1.Marshal(uriName(u))
	if err != nil {
		return nil, err
	}
	full, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: gn})
	if err != nil {
		return nil, err
	}
	dpName, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: full})
	if err != nil {
		return nil, err
	}
	dp, err := seq(dpName)
	if err != nil {
		return nil, err
	}
	return seq(dp)
}

// seq wraps content in a SEQUENCE header.
func seq(content []byte) ([]byte, error) {
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: content})
}

type policyInformation struct {
	Policy asn1.ObjectIdentifier
}

type authorityKeyID struct {
	ID []byte `asn1:"optional,tag:0"`
}

// subjectKeyID is SHA-1 of the subjectPublicKey BIT STRING (RFC 5280, 4.2.1.2, method 1).
func subjectKeyID(spki []byte) ([]byte, error) {
	var s struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}
	if rest, err := asn1.Unmarshal(spki, &s); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("ca: subjectPublicKeyInfo: %v", err)
	}
	h := sha1.Sum(s.Key.Bytes)
	return h[:], nil
}

// sigAlgID is the signature AlgorithmIdentifier: GOST with NULL parameters as the NCA
// writes it, ECDSA without parameters (RFC 5758).
func sigAlgID(k *eds.PrivateKey) pkix.AlgorithmIdentifier {
	a := pkix.AlgorithmIdentifier{Algorithm: k.Algorithm().OID}
	if k.Type().IsGOST() {
		a.Parameters = asn1.NullRawValue
	}
	return a
}

type validity struct {
	NotBefore, NotAfter time.Time // UTCTime before 2050, GeneralizedTime after (encoding/asn1)
}

type tbsCertificate struct {
	Version    int `asn1:"explicit,tag:0"`
	Serial     *big.Int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   validity
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Extensions []pkix.Extension `asn1:"explicit,tag:3"`
}

type signed struct {
	TBS    asn1.RawValue
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
	Certs  []asn1.RawValue `asn1:"explicit,tag:0,optional"` // BasicOCSPResponse only
}

// sign DER-encodes tbs, signs it with key (through eds, so GOST in the Kazakh byte
// order) and returns the DER of SEQUENCE { tbs, signatureAlgorithm, signature }, the
// shape of a certificate, a CRL and a basic OCSP response alike.
func sign(key *eds.PrivateKey, tbs any, certs []asn1.RawValue) ([]byte, error) {
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, fmt.Errorf("ca: encode: %w", err)
	}
	sig, err := key.Sign(nil, tbsDER)
	if err != nil {
		return nil, fmt.Errorf("ca: sign: %w", err)
	}
	return asn1.Marshal(signed{
		TBS:    asn1.RawValue{FullBytes: tbsDER},
		SigAlg: sigAlgID(key),
		Sig:    asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
		Certs:  certs,
	})
}

// utc truncates t to whole seconds in UTC, the precision of certificate times.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Package tsptest makes small test PKIs for the tests of packages tsp and cms: CAs,
// end-entity and TSA certificates for any key type package eds signs with (GOST 2015
// included: the certificates are built here, not by crypto/x509, which cannot sign with
// GOST keys), CRLs of any of those CAs, and ready TSA configurations. Never use it outside tests:
// its keys live in memory and nothing is checked.
package tsptest

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// CA is a certification authority with its key.
type CA struct {
	Cert *x509.Certificate
	Key  *eds.PrivateKey
}

// Template describes a certificate to issue.
type Template struct {
	CommonName          string
	SerialNumber        string // SERIALNUMBER of the subject, e.g. "IIN000101000002"; "" for none
	OrgUnit             string // OU of the subject, e.g. "BIN000140000009"; "" for none
	Organization        string // O of the subject (a legal entity's name); "" for none
	NotBefore, NotAfter time.Time
	IsCA                bool
	KeyUsage            x509.KeyUsage
	ExtKeyUsage         []asn1.ObjectIdentifier
	ExtKeyUsageCritical bool
	Serial              *big.Int // default: a fresh counter value
}

var serials atomic.Int64

func init() { serials.Store(time.Now().UnixNano() & 0xffffffff) }

// NewRoot makes a self-signed root CA with a new key of type kt.
func NewRoot(kt eds.KeyType, cn string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return nil, err
	}
	self := &CA{Key: key}
	c, err := self.Issue(Template{CommonName: cn, NotBefore: notBefore, NotAfter: notAfter, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, key)
	if err != nil {
		return nil, err
	}
	self.Cert = c
	return self, nil
}

// SubCA issues an intermediate CA with a new key of type kt.
func (ca *CA) SubCA(kt eds.KeyType, cn string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return nil, err
	}
	c, err := ca.Issue(Template{CommonName: cn, NotBefore: notBefore, NotAfter: notAfter, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key}, nil
}

// Leaf issues a signing certificate (digitalSignature, nonRepudiation) for a new key.
func (ca *CA) Leaf(kt eds.KeyType, cn string, notBefore, notAfter time.Time) (*x509.Certificate, *eds.PrivateKey, error) {
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return nil, nil, err
	}
	c, err := ca.Issue(Template{CommonName: cn, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, key)
	return c, key, err
}

// TSA issues a time-stamping certificate (critical EKU timeStamping) for a new key and
// returns a TSA configuration with policy TSA_GOST2015_POLICY and the given clock.
func (ca *CA) TSA(kt eds.KeyType, cn string, notBefore, notAfter time.Time, now func() time.Time) (tsp.TSAConfig, error) {
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return tsp.TSAConfig{}, err
	}
	c, err := ca.Issue(Template{CommonName: cn, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []asn1.ObjectIdentifier{tsp.OIDExtKeyUsageTimeStamping}, ExtKeyUsageCritical: true}, key)
	if err != nil {
		return tsp.TSAConfig{}, err
	}
	var chain []*x509.Certificate
	if ca.Cert != nil {
		chain = []*x509.Certificate{ca.Cert}
	}
	return tsp.TSAConfig{Signer: key, Cert: c, Chain: chain, Policy: tsp.OIDPolicyGOST2015, Now: now}, nil
}

// Issue signs a certificate for subject's public key. When ca.Cert is nil the
// certificate is self-signed.
func (ca *CA) Issue(t Template, subject eds.Signer) (*x509.Certificate, error) {
	serial := t.Serial
	if serial == nil {
		serial = big.NewInt(serials.Add(1))
	}
	name := pkix.Name{CommonName: t.CommonName, Country: []string{"KZ"}, SerialNumber: t.SerialNumber}
	if t.OrgUnit != "" {
		name.OrganizationalUnit = []string{t.OrgUnit}
	}
	if t.Organization != "" {
		name.Organization = []string{t.Organization}
	}
	subjName, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	issuerName := subjName
	var aki []byte
	if ca.Cert != nil {
		issuerName = ca.Cert.RawSubject
		aki = ca.Cert.SubjectKeyId
	}
	spki := subject.Public().Raw
	ski := sha1.Sum(spki)
	if aki == nil {
		aki = ski[:]
	}
	nb, err := asn1.Marshal(t.NotBefore.UTC())
	if err != nil {
		return nil, err
	}
	na, err := asn1.Marshal(t.NotAfter.UTC())
	if err != nil {
		return nil, err
	}
	alg := ca.Key.Algorithm()
	sigAlg := signeddata.AlgorithmIdentifier(alg.OID, alg.KeyType == eds.KeyRSA)
	exts, err := extensions(t, ski[:], aki)
	if err != nil {
		return nil, err
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1Int64(2) })
		b.AddASN1BigInt(serial)
		b.AddBytes(sigAlg)
		b.AddBytes(issuerName)
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(nb); b.AddBytes(na) })
		b.AddBytes(subjName)
		b.AddBytes(spki)
		b.AddASN1(casn1.Tag(3).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(exts) })
	})
	tbs, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	der, err := ca.sign(tbs, sigAlg)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func extensions(t Template, ski, aki []byte) ([]byte, error) {
	type ext struct {
		ID       asn1.ObjectIdentifier
		Critical bool `asn1:"optional"`
		Value    []byte
	}
	var list []ext
	if t.IsCA {
		v, _ := asn1.Marshal(struct{ CA bool }{true})
		list = append(list, ext{asn1.ObjectIdentifier{2, 5, 29, 19}, true, v})
	}
	if t.KeyUsage != 0 {
		var bs asn1.BitString
		for i := 0; i < 9; i++ {
			if t.KeyUsage&(1<<i) != 0 {
				for len(bs.Bytes) <= i/8 {
					bs.Bytes = append(bs.Bytes, 0)
				}
				bs.Bytes[i/8] |= 0x80 >> (i % 8)
				bs.BitLength = i + 1
			}
		}
		v, _ := asn1.Marshal(bs)
		list = append(list, ext{asn1.ObjectIdentifier{2, 5, 29, 15}, true, v})
	}
	if len(t.ExtKeyUsage) > 0 {
		v, _ := asn1.Marshal(t.ExtKeyUsage)
		list = append(list, ext{asn1.ObjectIdentifier{2, 5, 29, 37}, t.ExtKeyUsageCritical, v})
	}
	v, _ := asn1.Marshal(ski)
	list = append(list, ext{asn1.ObjectIdentifier{2, 5, 29, 14}, false, v})
	v, _ = asn1.Marshal(struct {
		ID []byte `asn1:"optional,tag:0"`
	}{aki})
	list = append(list, ext{asn1.ObjectIdentifier{2, 5, 29, 35}, false, v})
	return asn1.Marshal(list)
}

// Revoked is one CRL entry.
type Revoked struct {
	Serial *big.Int
	At     time.Time
	Reason int
}

// CRL makes a DER CRL of the CA: crypto/x509 signs it for an ECDSA, RSA or Ed25519
// CA, gostCRL for a GOST one.
func (ca *CA) CRL(number int64, thisUpdate, nextUpdate time.Time, entries []Revoked) ([]byte, error) {
	if ca.Key.Crypto() == nil {
		return ca.gostCRL(number, thisUpdate, nextUpdate, entries)
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for _, e := range entries {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: e.Serial, RevocationTime: e.At, ReasonCode: e.Reason})
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key.Crypto())
}

var (
	oidExtCRLNumber  = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtReasonCode = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidExtAKI        = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// gostCRL builds and signs a v2 CRL with a key crypto/x509 cannot sign with (GOST), as
// Issue does certificates: CRL number and authority key identifier, reason codes.
func (ca *CA) gostCRL(number int64, thisUpdate, nextUpdate time.Time, entries []Revoked) ([]byte, error) {
	if ca.Cert == nil {
		return nil, errors.New("tsptest: a CRL needs the CA's certificate")
	}
	alg := ca.Key.Algorithm()
	sigAlg := signeddata.AlgorithmIdentifier(alg.OID, alg.KeyType == eds.KeyRSA)
	tu, err := asn1.Marshal(thisUpdate.UTC())
	if err != nil {
		return nil, err
	}
	nu, err := asn1.Marshal(nextUpdate.UTC())
	if err != nil {
		return nil, err
	}
	ext := func(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, val func(*cryptobyte.Builder)) {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(casn1.OCTET_STRING, val)
		})
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1) // v2
		b.AddBytes(sigAlg)
		b.AddBytes(ca.Cert.RawSubject)
		b.AddBytes(tu)
		b.AddBytes(nu)
		if len(entries) > 0 {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, e := range entries {
					at, err := asn1.Marshal(e.At.UTC())
					if err != nil {
						b.SetError(err)
						return
					}
					b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1BigInt(e.Serial)
						b.AddBytes(at)
						if e.Reason != 0 {
							b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
								ext(b, oidExtReasonCode, func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(e.Reason)) })
							})
						}
					})
				}
			})
		}
		b.AddASN1(casn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				ext(b, oidExtAKI, func(b *cryptobyte.Builder) {
					b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(casn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(ca.Cert.SubjectKeyId) })
					})
				})
				ext(b, oidExtCRLNumber, func(b *cryptobyte.Builder) { b.AddASN1BigInt(big.NewInt(number)) })
			})
		})
	})
	tbs, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return ca.sign(tbs, sigAlg)
}

// sign wraps tbs (a TBSCertificate or TBSCertList) with sigAlg and the CA's signature
// over it, as certificates and CRLs both are.
func (ca *CA) sign(tbs, sigAlg []byte) ([]byte, error) {
	sig, err := ca.Key.Sign(rand.Reader, tbs)
	if err != nil {
		return nil, err
	}
	c := cryptobyte.NewBuilder(nil)
	c.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(sigAlg)
		b.AddASN1BitString(sig)
	})
	return c.Bytes()
}

package eds

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"hash"
)

// KeyType is the family of a key.
type KeyType int

// The key types.
const (
	KeyUnknown      KeyType = iota
	KeyGOST2015_512         // GOST R 34.10-2015, 512-bit
	KeyGOST2015_256         // GOST R 34.10-2015, 256-bit
	KeyGOST2004             // GOST 34.310-2004 (legacy)
	KeyRSA
	KeyECDSA
	KeyEd25519
)

var keyTypeNames = [...]string{"unknown", "GOST2015-512", "GOST2015-256", "GOST34310-2004", "RSA", "ECDSA", "Ed25519"}

func (k KeyType) String() string {
	if k < 0 || int(k) >= len(keyTypeNames) {
		return "unknown"
	}
	return keyTypeNames[k]
}

// IsGOST reports whether k is one of the GOST key types.
func (k KeyType) IsGOST() bool {
	return k == KeyGOST2015_512 || k == KeyGOST2015_256 || k == KeyGOST2004
}

// Signature algorithm OIDs.
var (
	OIDSignGOST2015_512    = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 3, 2}
	OIDSignGOST2015_256    = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 3, 1}
	OIDSignGOST2004        = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 2}
	OIDSignGOST2004Kalkan  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 6801, 1, 2, 2} // legacy Kalkan OID
	OIDSignSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	OIDSignSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	OIDSignSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	OIDSignSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	OIDSignRSAPSS          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10} // with the parameters of pss.go only
	OIDSignECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDSignECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDSignECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	OIDSignEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// Public key algorithm and parameter-set OIDs of the Kazakh GOST keys.
var (
	OIDKeyGOST2015_512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2}
	OIDKeyGOST2015_256 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 1}
	OIDKeyGOST2004     = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1}

	oidParam2015_512A = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2, 1}
	oidParam2015_256A = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 1, 1}
	oidParam2004A     = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1, 1}
)

// Digest algorithm OIDs (as used in CMS SignerInfo.digestAlgorithm).
var (
	OIDDigestGOST34311   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1}
	OIDDigestStreebog256 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 2}
	OIDDigestStreebog512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 3}
	OIDDigestSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDDigestSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDDigestSHA384      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDDigestSHA512      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// Algorithm is a signature algorithm: a key type and a digest.
type Algorithm struct {
	OID asn1.ObjectIdentifier
	// Name is NCANode's signAlg, e.g. "ECGOST3410-2015-512", "SHA256withRSA".
	Name string
	// Hash returns a new digest of the algorithm; nil for Ed25519, which signs
	// the message itself.
	Hash func() hash.Hash
	// HashOID is the OID of the digest (nil for Ed25519).
	HashOID asn1.ObjectIdentifier
	// HashName is NCANode's name of the digest, e.g. "GOST3411-2015-512".
	HashName string
	KeyType  KeyType

	cryptoHash crypto.Hash // RSA and ECDSA only
	pss        bool        // RSASSA-PSS (pss.go) instead of PKCS#1 v1.5
	pssSalt    int         // PSS salt length to verify with, when not the profile's 32 (SignatureParameters)
}

var algorithms = []*Algorithm{
	{OID: OIDSignGOST2015_512, Name: "ECGOST3410-2015-512", Hash: newStreebog512, HashOID: OIDDigestStreebog512, HashName: "GOST3411-2015-512", KeyType: KeyGOST2015_512},
	{OID: OIDSignGOST2015_256, Name: "ECGOST3410-2015-256", Hash: newStreebog256, HashOID: OIDDigestStreebog256, HashName: "GOST3411-2015-256", KeyType: KeyGOST2015_256},
	{OID: OIDSignGOST2004, Name: "ECGOST34310", Hash: newGOST34311, HashOID: OIDDigestGOST34311, HashName: "GOST34311", KeyType: KeyGOST2004},
	{OID: OIDSignGOST2004Kalkan, Name: "ECGOST34310", Hash: newGOST34311, HashOID: OIDDigestGOST34311, HashName: "GOST34311", KeyType: KeyGOST2004},
	{OID: OIDSignSHA1WithRSA, Name: "SHA1withRSA", Hash: sha1.New, HashOID: OIDDigestSHA1, HashName: "SHA1", KeyType: KeyRSA, cryptoHash: crypto.SHA1},
	{OID: OIDSignSHA256WithRSA, Name: "SHA256withRSA", Hash: sha256.New, HashOID: OIDDigestSHA256, HashName: "SHA256", KeyType: KeyRSA, cryptoHash: crypto.SHA256},
	{OID: OIDSignSHA384WithRSA, Name: "SHA384withRSA", Hash: sha512.New384, HashOID: OIDDigestSHA384, HashName: "SHA384", KeyType: KeyRSA, cryptoHash: crypto.SHA384},
	{OID: OIDSignSHA512WithRSA, Name: "SHA512withRSA", Hash: sha512.New, HashOID: OIDDigestSHA512, HashName: "SHA512", KeyType: KeyRSA, cryptoHash: crypto.SHA512},
	// After SHA256withRSA, so that rsaEncryption with SHA-256 still resolves to
	// PKCS#1 v1.5. The name is Bouncy Castle's.
	{OID: OIDSignRSAPSS, Name: "SHA256withRSAandMGF1", Hash: sha256.New, HashOID: OIDDigestSHA256, HashName: "SHA256", KeyType: KeyRSA, cryptoHash: crypto.SHA256, pss: true},
	{OID: OIDSignECDSAWithSHA256, Name: "SHA256withECDSA", Hash: sha256.New, HashOID: OIDDigestSHA256, HashName: "SHA256", KeyType: KeyECDSA, cryptoHash: crypto.SHA256},
	{OID: OIDSignECDSAWithSHA384, Name: "SHA384withECDSA", Hash: sha512.New384, HashOID: OIDDigestSHA384, HashName: "SHA384", KeyType: KeyECDSA, cryptoHash: crypto.SHA384},
	{OID: OIDSignECDSAWithSHA512, Name: "SHA512withECDSA", Hash: sha512.New, HashOID: OIDDigestSHA512, HashName: "SHA512", KeyType: KeyECDSA, cryptoHash: crypto.SHA512},
	{OID: OIDSignEd25519, Name: "Ed25519", KeyType: KeyEd25519},
}

// LookupSignatureAlgorithm returns the signature algorithm with the given OID.
// The returned value is shared: do not modify it.
func LookupSignatureAlgorithm(oid asn1.ObjectIdentifier) (*Algorithm, bool) {
	for _, a := range algorithms {
		if a.OID.Equal(oid) {
			return a, true
		}
	}
	return nil, false
}

// SignatureAlgorithms returns every supported signature algorithm.
func SignatureAlgorithms() []*Algorithm {
	return append([]*Algorithm(nil), algorithms...)
}

// LookupDigestAlgorithm returns the constructor of the digest with the given
// OID (as found in CMS digestAlgorithm fields).
func LookupDigestAlgorithm(oid asn1.ObjectIdentifier) (func() hash.Hash, bool) {
	for _, a := range algorithms {
		if a.HashOID != nil && a.HashOID.Equal(oid) {
			return a.Hash, true
		}
	}
	return nil, false
}

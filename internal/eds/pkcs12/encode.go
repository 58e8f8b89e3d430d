package pkcs12

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/senimkz/senim/internal/eds"
)

// The parameters of NCA key files, which Encode reproduces.
const (
	encodeIterations = 1024
	encodeSaltLen    = 20
)

// The parameters of FormatPBES2: OpenSSL 3's iteration count, 128-bit salts.
const (
	pbes2Iterations = 2048
	pbes2SaltLen    = 16
)

// Format is a layout EncodeFormat can write.
type Format int

const (
	// FormatNCA is the layout of NCA key files, which NCALayer and Kalkan
	// read: 3DES and RC2-40 PKCS#12 PBE, an HMAC-SHA-1 MAC (see Encode).
	FormatNCA Format = iota
	// FormatPBES2 is OpenSSL 3's default layout: both bags under PBES2 with
	// PBKDF2-HMAC-SHA-256 (2048 iterations, UTF-8 password) and
	// AES-256-CBC, an HMAC-SHA-256 MAC (2048 iterations, BMPString password).
	// OpenSSL 3 reads it without -legacy; NCA tools may not.
	FormatPBES2
	// FormatNCA3DES is FormatNCA with the certificates under
	// pbeWithSHAAnd3-KeyTripleDES-CBC as well, instead of RC2-40: the one
	// cipher of the layout that OpenSSL 3 keeps only in its legacy provider.
	// The key bag, MAC and iteration count are the NCA's, so every reader of
	// NCA files (which must decrypt the 3DES key bag) reads it, and OpenSSL 3
	// opens it without -legacy (it has no GOST, so it shows the certificates,
	// not the key).
	FormatNCA3DES
)

// Encode writes a PKCS#12 file in the NCA layout: the key in a
// pkcs8ShroudedKeyBag under pbeWithSHAAnd3-KeyTripleDES-CBC, the certificate
// and chain in certBags under pbeWithSHAAnd40BitRC2-CBC, an HMAC-SHA-1 MAC,
// 1024 iterations. The key bag and the certificate's bag carry localKeyId =
// the subject key identifier and friendlyName = alias (the lower-case hex SKI
// when alias is empty). The output is DER; Decode and `openssl pkcs12 -legacy`
// read it. cert must belong to key.
func Encode(key *eds.PrivateKey, cert *x509.Certificate, chain []*x509.Certificate, password, alias string) ([]byte, error) {
	return EncodeFormat(FormatNCA, key, cert, chain, password, alias)
}

// EncodeFormat is Encode in the given layout. FormatNCA stays the default of
// Encode: it is what NCA tooling reads.
func EncodeFormat(format Format, key *eds.PrivateKey, cert *x509.Certificate, chain []*x509.Certificate, password, alias string) ([]byte, error) {
	keyAlgFn, certAlgFn := func() (pkix.AlgorithmIdentifier, error) { return newPBEAlgorithm(oidPBEWithSHAAnd3KeyTripleDES) },
		func() (pkix.AlgorithmIdentifier, error) { return newPBEAlgorithm(oidPBEWithSHAAnd40BitRC2CBC) }
	macOID, macFn, macIter, macSaltLen := oidSHA1, sha1.New, encodeIterations, encodeSaltLen
	switch format {
	case FormatNCA:
	case FormatNCA3DES:
		certAlgFn = keyAlgFn
	case FormatPBES2:
		keyAlgFn = func() (pkix.AlgorithmIdentifier, error) { return newPBES2Algorithm(pbes2Iterations) }
		certAlgFn = keyAlgFn
		macOID, macFn, macIter, macSaltLen = oidSHA256, sha256.New, pbes2Iterations, pbes2SaltLen
	default:
		return nil, fmt.Errorf("pkcs12: unknown format %d", format)
	}
	if key == nil || cert == nil {
		return nil, errors.New("pkcs12: Encode needs a key and its certificate")
	}
	cpub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil || !cpub.Equal(key.Public()) {
		return nil, errors.New("pkcs12: the certificate does not belong to the key")
	}
	pw, err := newSecret(password)
	if err != nil {
		return nil, fmt.Errorf("pkcs12: password: %v", err)
	}
	localKeyID := cert.SubjectKeyId
	if len(localKeyID) == 0 {
		sum := sha1.Sum(cert.Raw)
		localKeyID = sum[:]
	}
	if alias == "" {
		alias = hex.EncodeToString(localKeyID)
	}
	attrs, err := encodeAttributes(alias, localKeyID)
	if err != nil {
		return nil, err
	}

	// Key bag.
	pkcs8, err := key.MarshalPKCS8()
	if err != nil {
		return nil, fmt.Errorf("pkcs12: %w", err)
	}
	keyAlg, err := keyAlgFn()
	if err != nil {
		return nil, err
	}
	encKey, err := pbeEncrypt(keyAlg, pw, pkcs8)
	if err != nil {
		return nil, err
	}
	keyBagValue, err := asn1.Marshal(encryptedPrivateKeyInfo{Algorithm: keyAlg, EncryptedData: encKey})
	if err != nil {
		return nil, err
	}
	keyContents, err := asn1.Marshal([]safeBag{{
		ID:         oidPKCS8ShroudedKeyBag,
		Value:      explicit0(keyBagValue),
		Attributes: attrs,
	}})
	if err != nil {
		return nil, err
	}

	// Certificate bags.
	var certBags []safeBag
	for i, c := range append([]*x509.Certificate{cert}, chain...) {
		v, err := asn1.Marshal(certBag{ID: oidX509Certificate, Data: c.Raw})
		if err != nil {
			return nil, err
		}
		b := safeBag{ID: oidCertBag, Value: explicit0(v)}
		if i == 0 {
			b.Attributes = attrs
		}
		certBags = append(certBags, b)
	}
	certContents, err := asn1.Marshal(certBags)
	if err != nil {
		return nil, err
	}
	certAlg, err := certAlgFn()
	if err != nil {
		return nil, err
	}
	encCerts, err := pbeEncrypt(certAlg, pw, certContents)
	if err != nil {
		return nil, err
	}
	encData, err := asn1.Marshal(encryptedData{
		Version: 0,
		EncryptedContentInfo: encryptedContentInfo{
			ContentType:                oidData,
			ContentEncryptionAlgorithm: certAlg,
			EncryptedContent:           asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: encCerts},
		},
	})
	if err != nil {
		return nil, err
	}

	keyData, err := asn1.Marshal(keyContents)
	if err != nil {
		return nil, err
	}
	authSafe, err := asn1.Marshal([]contentInfo{
		{ContentType: oidData, Content: explicit0(keyData)},
		{ContentType: oidEncryptedData, Content: explicit0(encData)},
	})
	if err != nil {
		return nil, err
	}
	authSafeOctets, err := asn1.Marshal(authSafe)
	if err != nil {
		return nil, err
	}

	macSalt := make([]byte, macSaltLen)
	if _, err := rand.Read(macSalt); err != nil {
		return nil, err
	}
	return asn1.Marshal(pfxPDU{
		Version:  3,
		AuthSafe: contentInfo{ContentType: oidData, Content: explicit0(authSafeOctets)},
		MacData: macData{
			Mac: digestInfo{
				Algorithm: pkix.AlgorithmIdentifier{Algorithm: macOID, Parameters: asn1.NullRawValue},
				Digest:    pkcs12MAC(macFn, pw.bmp, macSalt, macIter, authSafe),
			},
			MacSalt:    macSalt,
			Iterations: macIter,
		},
	})
}

// explicit0 wraps DER bytes as the content of a [0] EXPLICIT field.
func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}

func newPBEAlgorithm(oid asn1.ObjectIdentifier) (pkix.AlgorithmIdentifier, error) {
	salt := make([]byte, encodeSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	params, err := asn1.Marshal(pbeParams{Salt: salt, Iterations: encodeIterations})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.RawValue{FullBytes: params}}, nil
}

func encodeAttributes(alias string, localKeyID []byte) ([]pkcs12Attribute, error) {
	u := utf16.Encode([]rune(alias))
	bmp := make([]byte, 0, 2*len(u))
	for _, c := range u {
		bmp = append(bmp, byte(c>>8), byte(c))
	}
	name, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: 30, Bytes: bmp})
	if err != nil {
		return nil, err
	}
	id, err := asn1.Marshal(localKeyID)
	if err != nil {
		return nil, err
	}
	set := func(b []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: b}
	}
	return []pkcs12Attribute{
		{ID: oidLocalKeyID, Value: set(id)},
		{ID: oidFriendlyName, Value: set(name)},
	}, nil
}

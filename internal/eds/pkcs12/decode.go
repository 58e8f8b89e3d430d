package pkcs12

import (
	"bytes"
	"crypto/hmac"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/eds/ber"
	"strings"
	"unicode/utf16"

	"github.com/senimkz/senim/internal/eds"
)

var (
	oidData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidPKCS8ShroudedKeyBag = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidX509Certificate     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidFriendlyName        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 20}
	oidLocalKeyID          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 21}
	oidSHA1                = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
)

type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type macData struct {
	Mac        digestInfo
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

type encryptedData struct {
	Version              int
	EncryptedContentInfo encryptedContentInfo
}

type encryptedContentInfo struct {
	ContentType                asn1.ObjectIdentifier
	ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedContent           asn1.RawValue `asn1:"tag:0,optional"`
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue     `asn1:"tag:0,explicit"`
	Attributes []pkcs12Attribute `asn1:"set,optional"`
}

type pkcs12Attribute struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

type certBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// Entry is one private key of a PKCS#12 file with its certificate.
type Entry struct {
	// Alias is the bag attribute friendlyName; in NCA files the lower-case hex
	// of the certificate's subject key identifier.
	Alias string
	// LocalKeyID is the bag attribute localKeyId (may be empty).
	LocalKeyID []byte
	// PrivateKey signs with the key's default algorithm.
	PrivateKey *eds.PrivateKey
	// Certificate is the certificate of PrivateKey (nil if the file has none);
	// CertificateRaw its DER, byte for byte as stored.
	Certificate    *x509.Certificate
	CertificateRaw []byte
	// CACertificates are the other certificates of the file (the chain).
	CACertificates []*x509.Certificate
}

// File is a decoded PKCS#12 file.
type File struct {
	Entries []Entry
	// Certificates lists every certificate of the file in file order.
	Certificates []*x509.Certificate
}

// Entry returns the entry with the given alias (case-insensitive); an empty
// alias selects the only entry of a one-key file.
func (f *File) Entry(alias string) (*Entry, bool) {
	if alias == "" && len(f.Entries) == 1 {
		return &f.Entries[0], true
	}
	for i := range f.Entries {
		if strings.EqualFold(f.Entries[i].Alias, alias) {
			return &f.Entries[i], true
		}
	}
	return nil, false
}

type bagKey struct {
	key        *eds.PrivateKey
	alias      string
	localKeyID []byte
}

type bagCert struct {
	cert       *x509.Certificate
	raw        []byte
	alias      string
	localKeyID []byte
}

// maxFileSize bounds the input; NCA key files are a few kilobytes.
const maxFileSize = 1 << 20

// Decode reads a PKCS#12 file (BER or DER) protected by password. It checks
// the MAC (HMAC with SHA-1, SHA-256, SHA-384 or SHA-512) first: a wrong
// password gives ErrBadPassword. Other errors wrap ErrMalformed,
// ErrUnsupported or ErrIterationLimit. It never panics on bad input.
func Decode(data []byte, password string) (*File, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %d bytes is too large", ErrMalformed, len(data))
	}
	der, err := ber.ToDER(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var pfx pfxPDU
	if rest, err := asn1.Unmarshal(der, &pfx); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: PFX: %v", ErrMalformed, err)
	}
	if pfx.Version != 3 {
		return nil, fmt.Errorf("%w: PFX version %d", ErrUnsupported, pfx.Version)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, fmt.Errorf("%w: public-key integrity mode (%s)", ErrUnsupported, pfx.AuthSafe.ContentType)
	}
	var authSafe []byte
	if rest, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: authSafe content", ErrMalformed)
	}
	pw, err := newSecret(password)
	if err != nil {
		return nil, fmt.Errorf("%w: password: %v", ErrBadPassword, err)
	}
	if err := checkMAC(pfx.MacData, pw, authSafe); err != nil {
		return nil, err
	}

	var contents []contentInfo
	if err := unmarshalBER(authSafe, &contents); err != nil {
		return nil, fmt.Errorf("%w: AuthenticatedSafe", ErrMalformed)
	}
	var keys []bagKey
	var certs []bagCert
	for _, ci := range contents {
		plain, err := contentData(ci, pw)
		if err != nil {
			return nil, err
		}
		var bags []safeBag
		if err := unmarshalBER(plain, &bags); err != nil {
			return nil, fmt.Errorf("%w: SafeContents", ErrMalformed)
		}
		for _, bag := range bags {
			alias, localKeyID, err := bagAttributes(bag.Attributes)
			if err != nil {
				return nil, err
			}
			switch {
			case bag.ID.Equal(oidPKCS8ShroudedKeyBag), bag.ID.Equal(oidKeyBag):
				pkcs8 := bag.Value.Bytes
				if bag.ID.Equal(oidPKCS8ShroudedKeyBag) {
					var epki encryptedPrivateKeyInfo
					if rest, err := asn1.Unmarshal(bag.Value.Bytes, &epki); err != nil || len(rest) != 0 {
						return nil, fmt.Errorf("%w: EncryptedPrivateKeyInfo", ErrMalformed)
					}
					if pkcs8, err = pbeDecrypt(epki.Algorithm, pw, epki.EncryptedData); err != nil {
						return nil, err
					}
				}
				if pkcs8, err = ber.ToDER(pkcs8); err != nil {
					return nil, fmt.Errorf("%w: private key: %v", ErrMalformed, err)
				}
				key, err := eds.ParsePKCS8PrivateKey(pkcs8)
				if err != nil {
					if errors.Is(err, eds.ErrUnknownAlgorithm) {
						return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
					}
					return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
				}
				keys = append(keys, bagKey{key, alias, localKeyID})
			case bag.ID.Equal(oidCertBag):
				var cb certBag
				if rest, err := asn1.Unmarshal(bag.Value.Bytes, &cb); err != nil || len(rest) != 0 {
					return nil, fmt.Errorf("%w: CertBag", ErrMalformed)
				}
				if !cb.ID.Equal(oidX509Certificate) {
					continue // e.g. SDSI certificates: not ours
				}
				c, err := x509.ParseCertificate(cb.Data)
				if err != nil {
					return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
				}
				certs = append(certs, bagCert{c, cb.Data, alias, localKeyID})
			default:
				// CRL and secret bags, nested SafeContents: not used by the NCA; ignored.
			}
		}
	}
	return assemble(keys, certs), nil
}

// unmarshalBER parses b, which may be BER, into v; all of b must be used.
func unmarshalBER(b []byte, v any) error {
	der, err := ber.ToDER(b)
	if err != nil {
		return err
	}
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

func checkMAC(md macData, pw *secret, authSafe []byte) error {
	if md.Mac.Algorithm.Algorithm == nil {
		return fmt.Errorf("%w: no MAC (password integrity is required)", ErrUnsupported)
	}
	newHash, ok := macHash(md.Mac.Algorithm)
	if !ok {
		return fmt.Errorf("%w: MAC digest %s", ErrUnsupported, md.Mac.Algorithm.Algorithm)
	}
	if md.Iterations < 1 {
		return fmt.Errorf("%w: %d MAC iterations", ErrMalformed, md.Iterations)
	}
	if md.Iterations > maxIterations {
		return fmt.Errorf("%w: %d MAC iterations (at most %d)", ErrIterationLimit, md.Iterations, maxIterations)
	}
	if err := pw.spend(md.Iterations); err != nil {
		return err
	}
	if !hmac.Equal(pkcs12MAC(newHash, pw.bmp, md.MacSalt, md.Iterations, authSafe), md.Mac.Digest) {
		return ErrBadPassword
	}
	return nil
}

// contentData returns the SafeContents bytes of one ContentInfo of the
// AuthenticatedSafe, decrypting them if needed.
func contentData(ci contentInfo, pw *secret) ([]byte, error) {
	switch {
	case ci.ContentType.Equal(oidData):
		var b []byte
		if rest, err := asn1.Unmarshal(ci.Content.Bytes, &b); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: data content", ErrMalformed)
		}
		return b, nil
	case ci.ContentType.Equal(oidEncryptedData):
		var ed encryptedData
		if rest, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: EncryptedData", ErrMalformed)
		}
		enc := ed.EncryptedContentInfo.EncryptedContent
		ciphertext := enc.Bytes
		if enc.IsCompound { // [0] IMPLICIT OCTET STRING in constructed (BER) form
			ciphertext = nil
			inner := enc.Bytes
			for len(inner) > 0 {
				var chunk []byte
				rest, err := asn1.Unmarshal(inner, &chunk)
				if err != nil {
					return nil, fmt.Errorf("%w: encrypted content", ErrMalformed)
				}
				ciphertext = append(ciphertext, chunk...)
				inner = rest
			}
		}
		return pbeDecrypt(ed.EncryptedContentInfo.ContentEncryptionAlgorithm, pw, ciphertext)
	}
	return nil, fmt.Errorf("%w: content type %s", ErrUnsupported, ci.ContentType)
}

func bagAttributes(attrs []pkcs12Attribute) (alias string, localKeyID []byte, err error) {
	for _, a := range attrs {
		switch {
		case a.ID.Equal(oidFriendlyName):
			var raw asn1.RawValue
			if _, err := asn1.Unmarshal(a.Value.Bytes, &raw); err != nil || raw.Tag != 30 || len(raw.Bytes)%2 != 0 {
				return "", nil, fmt.Errorf("%w: friendlyName", ErrMalformed)
			}
			u := make([]uint16, len(raw.Bytes)/2)
			for i := range u {
				u[i] = uint16(raw.Bytes[2*i])<<8 | uint16(raw.Bytes[2*i+1])
			}
			alias = string(utf16.Decode(u))
		case a.ID.Equal(oidLocalKeyID):
			if _, err := asn1.Unmarshal(a.Value.Bytes, &localKeyID); err != nil {
				return "", nil, fmt.Errorf("%w: localKeyId", ErrMalformed)
			}
		}
	}
	return alias, localKeyID, nil
}

// assemble pairs every key with its certificate: the one whose public key
// matches (localKeyId only breaks ties); the other certificates are the chain.
func assemble(keys []bagKey, certs []bagCert) *File {
	f := &File{}
	for _, c := range certs {
		f.Certificates = append(f.Certificates, c.cert)
	}
	for _, k := range keys {
		e := Entry{Alias: k.alias, LocalKeyID: k.localKeyID, PrivateKey: k.key}
		pub := k.key.Public()
		best := -1
		for i, c := range certs {
			cp, err := eds.ParsePublicKey(c.cert.RawSubjectPublicKeyInfo)
			if err != nil || !cp.Equal(pub) {
				continue
			}
			if best < 0 || (len(k.localKeyID) > 0 && bytes.Equal(c.localKeyID, k.localKeyID)) {
				best = i
			}
		}
		if best >= 0 {
			e.Certificate, e.CertificateRaw = certs[best].cert, certs[best].raw
			if e.Alias == "" {
				e.Alias = certs[best].alias
			}
		}
		if e.Alias == "" && e.Certificate != nil && len(e.Certificate.SubjectKeyId) > 0 {
			e.Alias = hex.EncodeToString(e.Certificate.SubjectKeyId)
		}
		for i, c := range certs {
			if i != best {
				e.CACertificates = append(e.CACertificates, c.cert)
			}
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

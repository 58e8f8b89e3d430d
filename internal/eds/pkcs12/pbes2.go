package pkcs12

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
)

// PBES2 (RFC 8018, section 6.2) with PBKDF2 and AES-CBC: what OpenSSL 3, Java
// keytool and Windows write by default.
var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}

	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}

	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// Work limits. A file whose password its sender knows can still demand any
// iteration count, so Decode bounds each derivation and their sum: real files
// use 1024 (NCA), 2000 (Windows), 2048 (OpenSSL 3), 10000 (Java keytool).
const (
	// maxPBKDF2Iterations bounds one PBKDF2 derivation; it admits OWASP's
	// 600,000 for PBKDF2-HMAC-SHA-256 (about 0.2 s on one core).
	maxPBKDF2Iterations = 1_000_000
	// maxWork bounds the sum of the iteration counts of all the derivations
	// of one Decode (MAC, every encrypted bag).
	maxWork = 2_000_000
)

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

// pbkdf2Params is PBKDF2-params with the salt in its "specified" form (the
// "otherSource" alternative is reserved by RFC 8018 and used by no one).
type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// secret is the password in the two encodings a PKCS#12 file needs: a
// BMPString for the RFC 7292 derivation (the MAC and the PKCS#12 PBE schemes)
// and UTF-8 bytes for PBKDF2, as OpenSSL does. work counts the iterations
// spent so far (see maxWork).
type secret struct {
	bmp  []byte
	utf8 []byte
	work int
}

func newSecret(password string) (*secret, error) {
	bmp, err := bmpPassword(password)
	if err != nil {
		return nil, err
	}
	return &secret{bmp: bmp, utf8: []byte(password)}, nil
}

// spend charges n iterations to the work budget.
func (s *secret) spend(n int) error {
	s.work += n
	if s.work > maxWork {
		return fmt.Errorf("%w: the file demands more than %d iterations in all", ErrIterationLimit, maxWork)
	}
	return nil
}

func prfHash(alg pkix.AlgorithmIdentifier) (func() hash.Hash, error) {
	if len(alg.Algorithm) == 0 {
		return sha1.New, nil // DEFAULT algid-hmacWithSHA1
	}
	if !nullOrAbsent(alg.Parameters) {
		return nil, fmt.Errorf("%w: PBKDF2 PRF parameters", ErrMalformed)
	}
	switch {
	case alg.Algorithm.Equal(oidHMACWithSHA1):
		return sha1.New, nil
	case alg.Algorithm.Equal(oidHMACWithSHA256):
		return sha256.New, nil
	case alg.Algorithm.Equal(oidHMACWithSHA384):
		return sha512.New384, nil
	case alg.Algorithm.Equal(oidHMACWithSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: PBKDF2 PRF %s", ErrUnsupported, alg.Algorithm)
}

func aesKeyLen(oid asn1.ObjectIdentifier) (int, bool) {
	switch {
	case oid.Equal(oidAES128CBC):
		return 16, true
	case oid.Equal(oidAES192CBC):
		return 24, true
	case oid.Equal(oidAES256CBC):
		return 32, true
	}
	return 0, false
}

// nullOrAbsent reports whether AlgorithmIdentifier parameters are absent or NULL.
func nullOrAbsent(p asn1.RawValue) bool {
	return len(p.FullBytes) == 0 || (p.Class == asn1.ClassUniversal && p.Tag == asn1.TagNull && len(p.Bytes) == 0 && !p.IsCompound)
}

// pbes2Cipher parses PBES2-params strictly and derives the AES key and IV.
func pbes2Cipher(params asn1.RawValue, pw *secret) (cipher.Block, []byte, error) {
	var p pbes2Params
	if rest, err := asn1.Unmarshal(params.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: PBES2 parameters", ErrMalformed)
	}
	if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, nil, fmt.Errorf("%w: PBES2 key derivation %s", ErrUnsupported, p.KeyDerivationFunc.Algorithm)
	}
	keyLen, ok := aesKeyLen(p.EncryptionScheme.Algorithm)
	if !ok {
		return nil, nil, fmt.Errorf("%w: PBES2 encryption %s", ErrUnsupported, p.EncryptionScheme.Algorithm)
	}
	var kp pbkdf2Params
	if rest, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &kp); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: PBKDF2 parameters", ErrMalformed)
	}
	if kp.KeyLength != 0 && kp.KeyLength != keyLen {
		return nil, nil, fmt.Errorf("%w: PBKDF2 key length %d for a %d-byte key", ErrMalformed, kp.KeyLength, keyLen)
	}
	prf, err := prfHash(kp.PRF)
	if err != nil {
		return nil, nil, err
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(p.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 || len(iv) != aes.BlockSize {
		return nil, nil, fmt.Errorf("%w: AES-CBC IV", ErrMalformed)
	}
	if kp.IterationCount < 1 {
		return nil, nil, fmt.Errorf("%w: %d PBKDF2 iterations", ErrMalformed, kp.IterationCount)
	}
	if kp.IterationCount > maxPBKDF2Iterations {
		return nil, nil, fmt.Errorf("%w: %d PBKDF2 iterations (at most %d)", ErrIterationLimit, kp.IterationCount, maxPBKDF2Iterations)
	}
	if err := pw.spend(kp.IterationCount); err != nil {
		return nil, nil, err
	}
	key, err := pbkdf2.Key(prf, string(pw.utf8), kp.Salt, kp.IterationCount, keyLen)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: PBKDF2: %v", ErrUnsupported, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return block, iv, nil
}

// newPBES2Algorithm returns a fresh PBES2 AlgorithmIdentifier for
// PBKDF2-HMAC-SHA-256 and AES-256-CBC with a random salt and IV, as OpenSSL 3
// writes it.
func newPBES2Algorithm(iterations int) (pkix.AlgorithmIdentifier, error) {
	salt := make([]byte, pbes2SaltLen)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	if _, err := rand.Read(iv); err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	kdfParams, err := asn1.Marshal(pbkdf2Params{
		Salt:           salt,
		IterationCount: iterations,
		PRF:            pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: asn1.NullRawValue},
	})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	ivParam, err := asn1.Marshal(iv)
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	params, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivParam}},
	})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}}, nil
}

// macHash returns the hash of a PKCS#12 MAC (digestAlgorithm of MacData).
func macHash(alg pkix.AlgorithmIdentifier) (func() hash.Hash, bool) {
	if !nullOrAbsent(alg.Parameters) {
		return nil, false
	}
	switch {
	case alg.Algorithm.Equal(oidSHA1):
		return sha1.New, true
	case alg.Algorithm.Equal(oidSHA256):
		return sha256.New, true
	case alg.Algorithm.Equal(oidSHA384):
		return sha512.New384, true
	case alg.Algorithm.Equal(oidSHA512):
		return sha512.New, true
	}
	return nil, false
}

// pkcs12MAC computes the HMAC of data with the key RFC 7292 derives from the
// password with the MAC's own hash.
func pkcs12MAC(newHash func() hash.Hash, pw, salt []byte, iterations int, data []byte) []byte {
	key := pkcs12KDFHash(newHash, pw, salt, iterations, kdfMAC, newHash().Size())
	m := hmac.New(newHash, key)
	m.Write(data)
	return m.Sum(nil)
}

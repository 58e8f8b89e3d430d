package pkcs12

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/deatil/go-cryptobin/cipher/rc2"
)

// PKCS#12 password-based encryption schemes (RFC 7292, appendix C).
var (
	oidPBEWithSHAAnd128BitRC2CBC  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHAAnd3KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHAAnd2KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 4}
	oidPBEWithSHAAnd40BitRC2CBC   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
)

type pbeParams struct {
	Salt       []byte
	Iterations int
}

// maxIterations bounds the work an attacker-supplied file can demand (NCA
// files use 1024, OpenSSL 2048); about 30 ms of SHA-1 per derivation.
const maxIterations = 100_000

type pbeScheme struct {
	keyLen int
	block  func(key []byte) (cipher.Block, error)
}

func pbeSchemeFor(oid asn1.ObjectIdentifier) (pbeScheme, bool) {
	switch {
	case oid.Equal(oidPBEWithSHAAnd3KeyTripleDES):
		return pbeScheme{24, des.NewTripleDESCipher}, true
	case oid.Equal(oidPBEWithSHAAnd2KeyTripleDES):
		return pbeScheme{16, func(k []byte) (cipher.Block, error) {
			return des.NewTripleDESCipher(append(append([]byte(nil), k...), k[:8]...))
		}}, true
	case oid.Equal(oidPBEWithSHAAnd40BitRC2CBC):
		return pbeScheme{5, func(k []byte) (cipher.Block, error) { return rc2.NewCipher(k, 40) }}, true
	case oid.Equal(oidPBEWithSHAAnd128BitRC2CBC):
		return pbeScheme{16, func(k []byte) (cipher.Block, error) { return rc2.NewCipher(k, 128) }}, true
	}
	return pbeScheme{}, false
}

func pbeCipher(alg pkix.AlgorithmIdentifier, pw *secret) (cipher.Block, []byte, error) {
	if alg.Algorithm.Equal(oidPBES2) {
		return pbes2Cipher(alg.Parameters, pw)
	}
	scheme, ok := pbeSchemeFor(alg.Algorithm)
	if !ok {
		return nil, nil, fmt.Errorf("%w: encryption %s", ErrUnsupported, alg.Algorithm)
	}
	var p pbeParams
	if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: PBE parameters", ErrMalformed)
	}
	if p.Iterations < 1 {
		return nil, nil, fmt.Errorf("%w: %d PBE iterations", ErrMalformed, p.Iterations)
	}
	if p.Iterations > maxIterations {
		return nil, nil, fmt.Errorf("%w: %d PBE iterations (at most %d)", ErrIterationLimit, p.Iterations, maxIterations)
	}
	if err := pw.spend(2 * p.Iterations); err != nil { // key and IV
		return nil, nil, err
	}
	key := pkcs12KDF(pw.bmp, p.Salt, p.Iterations, kdfKey, scheme.keyLen)
	iv := pkcs12KDF(pw.bmp, p.Salt, p.Iterations, kdfIV, 8)
	block, err := scheme.block(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return block, iv, nil
}

// pbeDecrypt decrypts data encrypted with a PKCS#12 PBE scheme and removes
// the PKCS#7 padding. A bad padding means a wrong password (if the MAC was not
// checked) or a corrupt file.
func pbeDecrypt(alg pkix.AlgorithmIdentifier, pw *secret, data []byte) ([]byte, error) {
	block, iv, err := pbeCipher(alg, pw)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, fmt.Errorf("%w: encrypted data of %d bytes", ErrMalformed, len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs {
		return nil, fmt.Errorf("%w: bad padding", ErrBadPassword)
	}
	for _, c := range out[len(out)-n:] {
		if int(c) != n {
			return nil, fmt.Errorf("%w: bad padding", ErrBadPassword)
		}
	}
	return out[:len(out)-n], nil
}

// pbeEncrypt pads and encrypts data.
func pbeEncrypt(alg pkix.AlgorithmIdentifier, pw *secret, data []byte) ([]byte, error) {
	block, iv, err := pbeCipher(alg, pw)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	n := bs - len(data)%bs
	padded := append(append([]byte(nil), data...), make([]byte, n)...)
	for i := len(data); i < len(padded); i++ {
		padded[i] = byte(n)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	return padded, nil
}

package eds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
)

// VerifySignature checks signature over message (it computes the digest
// itself) with the algorithm named by the signature AlgorithmIdentifier OID,
// e.g. 1.2.398.3.10.1.1.2.3.2. It returns nil for a valid signature, or an
// error wrapping ErrSignatureInvalid, ErrUnknownAlgorithm or ErrBadPublicKey.
func VerifySignature(pub *PublicKey, sigAlg asn1.ObjectIdentifier, message, signature []byte) error {
	alg, err := algorithmFor(pub, sigAlg)
	if err != nil {
		return err
	}
	return verifyMessage(alg, pub, message, signature)
}

// VerifyWith is VerifySignature with an algorithm SignatureParameters returned,
// so that parameters stated in the AlgorithmIdentifier (an RSASSA-PSS salt
// length) take effect.
func VerifyWith(alg *Algorithm, pub *PublicKey, message, signature []byte) error {
	if alg == nil {
		return fmt.Errorf("%w: no algorithm", ErrUnknownAlgorithm)
	}
	if pub == nil || pub.Key == nil {
		return fmt.Errorf("%w: no key", ErrBadPublicKey)
	}
	if pub.Type != alg.KeyType {
		return fmt.Errorf("%w: %s key cannot verify %s", ErrBadPublicKey, pub.Type, alg.Name)
	}
	return verifyMessage(alg, pub, message, signature)
}

func verifyMessage(alg *Algorithm, pub *PublicKey, message, signature []byte) error {
	if alg.KeyType == KeyEd25519 {
		k, ok := pub.Key.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%w: key of type %T", ErrBadPublicKey, pub.Key)
		}
		if !ed25519.Verify(k, message, signature) {
			return ErrSignatureInvalid
		}
		return nil
	}
	h := alg.Hash()
	h.Write(message)
	return verifyDigest(alg, pub, h.Sum(nil), signature)
}

// VerifyDigest is VerifySignature on a precomputed digest (CMS signs the
// digest of the signed attributes). The digest is the raw hash output, as in
// CMS messageDigest. Ed25519 (which has no pre-hash form) is refused with
// ErrUnknownAlgorithm.
func VerifyDigest(pub *PublicKey, sigAlg asn1.ObjectIdentifier, digest, signature []byte) error {
	alg, err := algorithmFor(pub, sigAlg)
	if err != nil {
		return err
	}
	if alg.KeyType == KeyEd25519 {
		return fmt.Errorf("%w: Ed25519 cannot verify a precomputed digest", ErrUnknownAlgorithm)
	}
	return verifyDigest(alg, pub, digest, signature)
}

func algorithmFor(pub *PublicKey, sigAlg asn1.ObjectIdentifier) (*Algorithm, error) {
	alg, ok := LookupSignatureAlgorithm(sigAlg)
	if !ok {
		return nil, fmt.Errorf("%w: signature algorithm %s", ErrUnknownAlgorithm, sigAlg)
	}
	if pub == nil || pub.Key == nil {
		return nil, fmt.Errorf("%w: no key", ErrBadPublicKey)
	}
	if pub.Type != alg.KeyType {
		return nil, fmt.Errorf("%w: %s key cannot verify %s", ErrBadPublicKey, pub.Type, alg.Name)
	}
	return alg, nil
}

func verifyDigest(alg *Algorithm, pub *PublicKey, digest, sig []byte) error {
	if alg.Hash != nil {
		if n := alg.Hash().Size(); len(digest) != n {
			return fmt.Errorf("%w: %d-byte digest for %s, want %d", ErrSignatureInvalid, len(digest), alg.Name, n)
		}
	}
	switch k := pub.Key.(type) {
	case *GOSTPublicKey:
		return verifyGOST(alg, k, digest, sig)
	case *rsa.PublicKey:
		if alg.pss {
			opts := pssOptions
			if alg.pssSalt != 0 {
				opts = &rsa.PSSOptions{SaltLength: alg.pssSalt, Hash: crypto.SHA256}
			}
			if err := rsa.VerifyPSS(k, alg.cryptoHash, digest, sig, opts); err != nil {
				return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
			}
			return nil
		}
		if err := rsa.VerifyPKCS1v15(k, alg.cryptoHash, digest, sig); err != nil {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
		}
		return nil
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return ErrSignatureInvalid
		}
		return nil
	}
	return fmt.Errorf("%w: key of type %T", ErrBadPublicKey, pub.Key)
}

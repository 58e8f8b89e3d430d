package pki

import (
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"sync"

	"github.com/senimkz/senim/internal/eds"
)

// algorithmName is NCANode's name of a signature algorithm (eds), or the dotted OID.
func algorithmName(oid asn1.ObjectIdentifier) string {
	if a, ok := eds.LookupSignatureAlgorithm(oid); ok {
		return a.Name
	}
	return oid.String()
}

// maxCachedSignatures bounds sigVerifier's memory of good signatures.
const maxCachedSignatures = 4096

// sigVerifier checks signatures through package eds. It keeps parsed issuer keys and
// remembers signatures that verified (keyed by SHA-256 over key, algorithm, message digest
// and signature), because a GOST 2015-512 verification costs milliseconds and the same
// chain and CRL are checked again and again. A failed verification is never cached.
type sigVerifier struct {
	mu   sync.Mutex
	keys map[[32]byte]*eds.PublicKey
	good map[[32]byte]struct{}
	// verify is eds.VerifySignature; tests may count calls.
	verify func(pub *eds.PublicKey, alg asn1.ObjectIdentifier, msg, sig []byte) error
}

func newSigVerifier() *sigVerifier {
	return &sigVerifier{
		keys:   make(map[[32]byte]*eds.PublicKey),
		good:   make(map[[32]byte]struct{}),
		verify: eds.VerifySignature,
	}
}

// check verifies sig over msg with the key in the DER SubjectPublicKeyInfo spki. Errors
// wrap eds.ErrSignatureInvalid, eds.ErrUnknownAlgorithm or eds.ErrBadPublicKey.
func (v *sigVerifier) check(spki []byte, alg asn1.ObjectIdentifier, msg, sig []byte) error {
	keyID := sha256.Sum256(spki)
	h := sha256.New()
	h.Write(keyID[:])
	fmt.Fprintf(h, "|%s|", alg)
	md := sha256.Sum256(msg)
	h.Write(md[:])
	h.Write(sig)
	var id [32]byte
	h.Sum(id[:0])

	v.mu.Lock()
	_, ok := v.good[id]
	pub := v.keys[keyID]
	v.mu.Unlock()
	if ok {
		return nil
	}
	if pub == nil {
		var err error
		if pub, err = eds.ParsePublicKey(spki); err != nil {
			return err
		}
	}
	if err := v.verify(pub, alg, msg, sig); err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.keys) >= maxCachedSignatures {
		clear(v.keys)
	}
	v.keys[keyID] = pub
	if len(v.good) >= maxCachedSignatures {
		clear(v.good)
	}
	v.good[id] = struct{}{}
	v.mu.Unlock()
	return nil
}

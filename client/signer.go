package client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"github.com/senimkz/senim/internal/eds"
)

// GOSTOpts are the crypto.SignerOpts a GOST signer receives from NewKey: the digest is
// GOST's (Streebog or GOST 34.311), which crypto.Hash has no value for.
type GOSTOpts struct {
	// Digest names it: "GOST3411-2015-512", "GOST3411-2015-256" or "GOST34311".
	Digest string
}

// HashFunc returns 0: the digest is not one of crypto.Hash's.
func (GOSTOpts) HashFunc() crypto.Hash { return 0 }

// GOSTKey is a GOST private key in memory (the NCA's GOST R 34.10-2015 or 34.310-2004).
// It implements crypto.Signer as NewKey describes, so it goes where an HSM's signer
// would.
type GOSTKey struct {
	k *eds.PrivateKey
}

// ParseGOSTKey reads a GOST private key in PKCS#8 DER (as NCA key files hold it).
func ParseGOSTKey(pkcs8 []byte) (*GOSTKey, error) {
	k, err := eds.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, err
	}
	if !k.Type().IsGOST() {
		return nil, errors.New("client: not a GOST key; use the standard library's key with NewKey")
	}
	return &GOSTKey{k: k}, nil
}

// Public returns the public key (opaque here; compare with Equal).
func (g *GOSTKey) Public() crypto.PublicKey { return g.k.Public().Key }

// Sign signs a GOST digest (see NewKey); the signature is in the NCA's encoding.
func (g *GOSTKey) Sign(rand io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	return g.k.SignDigest(rand, digest)
}

// cryptoSigner makes an eds.Signer of a crypto.Signer for the certificate's key.
type cryptoSigner struct {
	s    crypto.Signer
	alg  *eds.Algorithm
	pub  *eds.PublicKey
	hash crypto.SignerOpts
}

func newCryptoSigner(s crypto.Signer, cert *x509.Certificate) (*cryptoSigner, error) {
	pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("client: the certificate's key: %w", err)
	}
	var oid asn1.ObjectIdentifier
	var opts crypto.SignerOpts
	switch pub.Type {
	case eds.KeyGOST2015_512:
		oid, opts = eds.OIDSignGOST2015_512, GOSTOpts{Digest: "GOST3411-2015-512"}
	case eds.KeyGOST2015_256:
		oid, opts = eds.OIDSignGOST2015_256, GOSTOpts{Digest: "GOST3411-2015-256"}
	case eds.KeyGOST2004:
		oid, opts = eds.OIDSignGOST2004, GOSTOpts{Digest: "GOST34311"}
	case eds.KeyRSA:
		oid, opts = eds.OIDSignSHA256WithRSA, crypto.SHA256
	case eds.KeyECDSA:
		ek, _ := cert.PublicKey.(*ecdsa.PublicKey)
		switch {
		case ek != nil && ek.Curve == elliptic.P384():
			oid, opts = eds.OIDSignECDSAWithSHA384, crypto.SHA384
		case ek != nil && ek.Curve == elliptic.P521():
			oid, opts = eds.OIDSignECDSAWithSHA512, crypto.SHA512
		default:
			oid, opts = eds.OIDSignECDSAWithSHA256, crypto.SHA256
		}
	case eds.KeyEd25519:
		oid, opts = eds.OIDSignEd25519, crypto.Hash(0)
	default:
		return nil, fmt.Errorf("client: unsupported key type %s", pub.Type)
	}
	alg, ok := eds.LookupSignatureAlgorithm(oid)
	if !ok {
		return nil, errors.New("client: no signature algorithm for the certificate's key")
	}
	// The signer must hold the certificate's key (a GOST signer whose Public cannot
	// be compared is taken on trust; Senim refuses what it signs if it is wrong).
	if !pub.Type.IsGOST() {
		eq, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(cert.PublicKey) {
			return nil, errors.New("client: the signer's key is not the certificate's")
		}
	} else if eq, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && !eq.Equal(pub.Key) {
		return nil, errors.New("client: the signer's key is not the certificate's")
	}
	return &cryptoSigner{s: s, alg: alg, pub: pub, hash: opts}, nil
}

func (c *cryptoSigner) Algorithm() *eds.Algorithm { return c.alg }
func (c *cryptoSigner) Public() *eds.PublicKey    { return c.pub }

// Sign hashes message as the algorithm says and has the signer sign the digest (the
// message itself for Ed25519).
func (c *cryptoSigner) Sign(rand io.Reader, message []byte) ([]byte, error) {
	if c.alg.Hash == nil {
		return c.s.Sign(rand, message, crypto.Hash(0))
	}
	h := c.alg.Hash()
	h.Write(message)
	return c.s.Sign(rand, h.Sum(nil), c.hash)
}

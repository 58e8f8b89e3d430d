package jws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"fmt"

	"github.com/senimkz/senim/internal/eds"
)

// NCANode (with kz.gov.pki's fork of java-jwt) names the Kazakh GOST algorithms
// GG2015 (GOST R 34.10-2015 with Streebog; the curve and hash size follow the
// key: 512 for the NCA's keys since 2022, 256 for a 256-bit key) and GG2004
// (GOST 34.310-2004 with GOST 34.311-95). SignRaw and VerifyRaw accept those
// names besides this package's own and the standard ES*/RS* ones; EdDSA, "none"
// and HMAC are not NCANode's and, for the last two, never accepted.
//
// The GOST signature value is written as package eds writes it in CMS (the NCA's
// encoding); that a JWS made by NCANode's java-jwt fork carries the same bytes is
// an assumption no NCANode-made token has confirmed yet.

// resolve returns the signature algorithm OID and, for ES*, the byte length of
// r and s, for alg and a key of type kt; ErrUnsupportedAlg for an unknown alg,
// ErrAlgKeyMismatch for one the key cannot make.
func resolve(alg string, pub *eds.PublicKey) (asn1.ObjectIdentifier, int, error) {
	kt := pub.Type
	switch alg {
	case "GG2015":
		switch kt {
		case eds.KeyGOST2015_512:
			return eds.OIDSignGOST2015_512, 0, nil
		case eds.KeyGOST2015_256:
			return eds.OIDSignGOST2015_256, 0, nil
		}
		return nil, 0, fmt.Errorf("%w: GG2015 needs a GOST 2015 key", ErrAlgKeyMismatch)
	case "GG2004":
		if kt != eds.KeyGOST2004 {
			return nil, 0, fmt.Errorf("%w: GG2004 needs a GOST 2004 key", ErrAlgKeyMismatch)
		}
		return eds.OIDSignGOST2004, 0, nil
	case "EdDSA":
		return nil, 0, fmt.Errorf("%w: %q", ErrUnsupportedAlg, alg)
	}
	spec, ok := algs[alg]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", ErrUnsupportedAlg, alg)
	}
	a, ok := eds.LookupSignatureAlgorithm(spec.oid)
	if !ok || a.KeyType != kt {
		return nil, 0, fmt.Errorf("%w: %s cannot be made with a %s key", ErrAlgKeyMismatch, alg, kt)
	}
	if spec.ecLen > 0 {
		// RFC 7518 3.4: ES256 is P-256, ES384 P-384, ES512 P-521.
		k, _ := pub.Key.(*ecdsa.PublicKey)
		want := map[int]elliptic.Curve{32: elliptic.P256(), 48: elliptic.P384(), 66: elliptic.P521()}[spec.ecLen]
		if k == nil || k.Curve != want {
			return nil, 0, fmt.Errorf("%w: %s needs the curve %s", ErrAlgKeyMismatch, alg, want.Params().Name)
		}
	}
	return spec.oid, spec.ecLen, nil
}

// SignRaw signs input (the JWS signing input, ASCII) with key by the algorithm
// named alg, and returns the JWS signature value (ES*: r‖s, RFC 7518).
func SignRaw(key *eds.PrivateKey, alg string, input []byte) ([]byte, error) {
	oid, ecLen, err := resolve(alg, key.Public())
	if err != nil {
		return nil, err
	}
	k, err := key.WithAlgorithm(oid)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAlgKeyMismatch, err)
	}
	sig, err := k.Sign(nil, input)
	if err != nil {
		return nil, err
	}
	if ecLen > 0 {
		return derToRaw(sig, ecLen)
	}
	return sig, nil
}

// VerifyRaw checks sig over input with cert's key by the algorithm named alg.
// The error wraps ErrUnsupportedAlg, ErrAlgKeyMismatch or ErrSignatureInvalid.
// It does not validate cert.
func VerifyRaw(cert *x509.Certificate, alg string, input, sig []byte) error {
	pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAlgKeyMismatch, err)
	}
	oid, ecLen, err := resolve(alg, pub)
	if err != nil {
		return err
	}
	if ecLen > 0 {
		if sig, err = rawToDER(sig, ecLen); err != nil {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
		}
	}
	if err := eds.VerifySignature(pub, oid, input, sig); err != nil {
		return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
	}
	return nil
}

// Errors of a JWT's time claims (RFC 7519 4.1.4, 4.1.5; and, as java-jwt which
// NCANode uses, an iat in the future).
var (
	ErrExpired     = eds.NewError("jws.expired", "the token has expired (exp)")
	ErrNotYetValid = eds.NewError("jws.not_yet_valid", "the token is not valid yet (nbf or iat in the future)")
)

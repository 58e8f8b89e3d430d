// Package jws reads and writes compact JWS (RFC 7515) whose signer is named by an
// EDS certificate chain in the x5c header, with every algorithm package eds knows —
// including Kazakh GOST keys, which no JOSE library supports.
//
// JOSE has no registered names for GOST, so Senim uses these "alg" values (documented
// in docs/api.md): "GOST3410-2015-512" (signature OID 1.2.398.3.10.1.1.2.3.2, Streebog-512,
// signature r‖s little-endian as the NCA encodes it), "GOST3410-2015-256" and
// "GOST34310-2004". The standard ones are ES256/ES384/ES512 (signature r‖s big-endian
// fixed-width per RFC 7518), RS256/RS384/RS512 and EdDSA (Ed25519). "none" and HMAC
// algorithms are refused: a token must be signed by a certificate's key.
package jws

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/senimkz/senim/internal/eds"
)

// Errors with stable codes.
var (
	ErrMalformed        = eds.NewError("jws.malformed", "not a compact JWS with an x5c certificate chain")
	ErrUnsupportedAlg   = eds.NewError("jws.alg_unsupported", "the JWS algorithm is not supported")
	ErrAlgKeyMismatch   = eds.NewError("jws.alg_key_mismatch", "the JWS algorithm does not match the certificate's key")
	ErrSignatureInvalid = eds.NewError("jws.signature_invalid", "the JWS signature does not verify with the certificate's key")
)

// MaxSize bounds the compact serialization accepted by Parse.
const MaxSize = 64 << 10

type algSpec struct {
	oid   asn1.ObjectIdentifier
	ecLen int // ES*: byte length of r and of s
}

var algs = map[string]algSpec{
	"GOST3410-2015-512": {oid: eds.OIDSignGOST2015_512},
	"GOST3410-2015-256": {oid: eds.OIDSignGOST2015_256},
	"GOST34310-2004":    {oid: eds.OIDSignGOST2004},
	"ES256":             {oid: eds.OIDSignECDSAWithSHA256, ecLen: 32},
	"ES384":             {oid: eds.OIDSignECDSAWithSHA384, ecLen: 48},
	"ES512":             {oid: eds.OIDSignECDSAWithSHA512, ecLen: 66},
	"RS256":             {oid: eds.OIDSignSHA256WithRSA},
	"RS384":             {oid: eds.OIDSignSHA384WithRSA},
	"RS512":             {oid: eds.OIDSignSHA512WithRSA},
	"EdDSA":             {oid: eds.OIDSignEd25519},
}

// AlgFor returns the JWS alg name for a signature algorithm OID.
func AlgFor(oid asn1.ObjectIdentifier) (string, bool) {
	for name, s := range algs {
		if s.oid.Equal(oid) && !(name == "GOST34310-2004" && !oid.Equal(eds.OIDSignGOST2004)) {
			return name, true
		}
	}
	return "", false
}

// Header is the protected header.
type Header struct {
	Alg string   `json:"alg"`
	Typ string   `json:"typ,omitempty"`
	Kid string   `json:"kid,omitempty"`
	X5C []string `json:"x5c"`
}

// Token is a parsed, not yet verified, compact JWS.
type Token struct {
	Header       Header
	Payload      []byte
	Chain        []*x509.Certificate // x5c: the signer's certificate first
	signingInput []byte
	signature    []byte
	spec         algSpec
}

// Parse splits and decodes a compact JWS. It checks the form, not the signature.
func Parse(compact string) (*Token, error) {
	if len(compact) > MaxSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxSize)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want three dot-separated parts", ErrMalformed)
	}
	dec := base64.RawURLEncoding
	hb, err1 := dec.DecodeString(parts[0])
	pb, err2 := dec.DecodeString(parts[1])
	sb, err3 := dec.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: bad base64url", ErrMalformed)
	}
	t := &Token{Payload: pb, signature: sb, signingInput: []byte(parts[0] + "." + parts[1])}
	d := json.NewDecoder(bytes.NewReader(hb))
	if err := d.Decode(&t.Header); err != nil {
		return nil, fmt.Errorf("%w: header is not JSON", ErrMalformed)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal(hb, &raw)
	if _, ok := raw["crit"]; ok {
		return nil, fmt.Errorf("%w: critical header parameters are not supported", ErrMalformed)
	}
	spec, ok := algs[t.Header.Alg]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlg, t.Header.Alg)
	}
	t.spec = spec
	if len(t.Header.X5C) == 0 || len(t.Header.X5C) > 8 {
		return nil, fmt.Errorf("%w: x5c must hold 1 to 8 certificates", ErrMalformed)
	}
	for _, c := range t.Header.X5C {
		der, err := base64.StdEncoding.DecodeString(c) // x5c is standard base64 (RFC 7515 4.1.6)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c is not base64", ErrMalformed)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c certificate: %v", ErrMalformed, err)
		}
		t.Chain = append(t.Chain, cert)
	}
	return t, nil
}

// Verify checks the signature with the key of the first x5c certificate. It does not
// validate the chain: the caller does that against its trust anchors.
func (t *Token) Verify() error {
	pub, err := eds.ParsePublicKey(t.Chain[0].RawSubjectPublicKeyInfo)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAlgKeyMismatch, err)
	}
	sig := t.signature
	if t.spec.ecLen > 0 {
		if pub.Type != eds.KeyECDSA {
			return ErrAlgKeyMismatch
		}
		if sig, err = rawToDER(sig, t.spec.ecLen); err != nil {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
		}
	}
	if err := eds.VerifySignature(pub, t.spec.oid, t.signingInput, sig); err != nil {
		if errors.Is(err, eds.ErrSignatureInvalid) {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
		}
		return fmt.Errorf("%w: %v", ErrAlgKeyMismatch, err)
	}
	return nil
}

// Sign makes a compact JWS of payload signed by signer, with chain (the signer's
// certificate first) in x5c.
func Sign(signer eds.Signer, chain []*x509.Certificate, typ string, payload []byte) (string, error) {
	alg, ok := AlgFor(signer.Algorithm().OID)
	if !ok {
		return "", fmt.Errorf("%w: no JWS name for %s", ErrUnsupportedAlg, signer.Algorithm().Name)
	}
	if len(chain) == 0 {
		return "", errors.New("jws: a certificate chain is required")
	}
	h := Header{Alg: alg, Typ: typ}
	for _, c := range chain {
		h.X5C = append(h.X5C, base64.StdEncoding.EncodeToString(c.Raw))
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(payload)
	sig, err := signer.Sign(nil, []byte(input))
	if err != nil {
		return "", err
	}
	if spec := algs[alg]; spec.ecLen > 0 {
		if sig, err = derToRaw(sig, spec.ecLen); err != nil {
			return "", err
		}
	}
	return input + "." + enc.EncodeToString(sig), nil
}

type ecdsaSig struct{ R, S *big.Int }

func rawToDER(raw []byte, n int) ([]byte, error) {
	if len(raw) != 2*n {
		return nil, fmt.Errorf("ECDSA signature must be %d bytes", 2*n)
	}
	return asn1.Marshal(ecdsaSig{new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])})
}

func derToRaw(der []byte, n int) ([]byte, error) {
	var s ecdsaSig
	if rest, err := asn1.Unmarshal(der, &s); err != nil || len(rest) > 0 {
		return nil, errors.New("jws: malformed ECDSA signature")
	}
	out := make([]byte, 2*n)
	s.R.FillBytes(out[:n])
	s.S.FillBytes(out[n:])
	return out, nil
}

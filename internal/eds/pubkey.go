package eds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// GOSTPublicKey is a GOST R 34.10 public key: a point on a GOST curve.
type GOSTPublicKey struct {
	Curve *GOSTCurve
	X, Y  *big.Int
}

// Equal reports whether k and x are the same key.
func (k *GOSTPublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*GOSTPublicKey)
	return ok && k.Curve == o.Curve && k.X.Cmp(o.X) == 0 && k.Y.Cmp(o.Y) == 0
}

// Bytes returns the content of the key's OCTET STRING (x LE || y LE).
func (k *GOSTPublicKey) Bytes() []byte { return kzPublicKeyFromXY(k.X, k.Y, k.Curve.Size) }

// PublicKey is a parsed public key of any supported family.
type PublicKey struct {
	Type KeyType
	// Key is *GOSTPublicKey, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Key any
	// Raw is the DER SubjectPublicKeyInfo it was parsed from (or marshalled to).
	Raw []byte
}

// Equal reports whether p and o hold the same key.
func (p *PublicKey) Equal(o *PublicKey) bool {
	if p == nil || o == nil || p.Type != o.Type {
		return false
	}
	if k, ok := p.Key.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return k.Equal(o.Key)
	}
	return false
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// gostKeyTypeByOID maps a SubjectPublicKeyInfo algorithm OID to a GOST key
// type and the curve used when the parameters name none.
func gostKeyTypeByOID(oid asn1.ObjectIdentifier) (KeyType, *GOSTCurve) {
	switch {
	case oid.Equal(OIDKeyGOST2015_512):
		return KeyGOST2015_512, CurveGOST512A
	case oid.Equal(OIDKeyGOST2015_256):
		return KeyGOST2015_256, CurveGOST256A
	case oid.Equal(OIDKeyGOST2004), oid.Equal(OIDSignGOST2004Kalkan):
		return KeyGOST2004, CurveGOST2004A
	}
	return KeyUnknown, nil
}

// ParsePublicKey parses a DER SubjectPublicKeyInfo: GOST 2015-512 / 2015-256 /
// GOST 34.310-2004 (Kazakh OIDs, and the legacy Kalkan OID
// 1.3.6.1.4.1.6801.1.2.2), RSA, ECDSA P-256/P-384/P-521, Ed25519.
// Errors wrap ErrBadPublicKey.
func ParsePublicKey(spki []byte) (*PublicKey, error) {
	var info subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(spki, &info)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data after SubjectPublicKeyInfo", ErrBadPublicKey)
	}
	raw := append([]byte(nil), spki...)
	if kt, def := gostKeyTypeByOID(info.Algorithm.Algorithm); kt != KeyUnknown {
		k, err := parseGOSTPublicKey(kt, def, info)
		if err != nil {
			return nil, err
		}
		return &PublicKey{Type: kt, Key: k, Raw: raw}, nil
	}
	key, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		return &PublicKey{Type: KeyRSA, Key: k, Raw: raw}, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return &PublicKey{Type: KeyECDSA, Key: k, Raw: raw}, nil
		}
		return nil, fmt.Errorf("%w: ECDSA curve %s not supported", ErrBadPublicKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		return &PublicKey{Type: KeyEd25519, Key: k, Raw: raw}, nil
	}
	return nil, fmt.Errorf("%w: %w: key algorithm %s", ErrBadPublicKey, ErrUnknownAlgorithm, info.Algorithm.Algorithm)
}

func parseGOSTPublicKey(kt KeyType, def *GOSTCurve, info subjectPublicKeyInfo) (*GOSTPublicKey, error) {
	curve, err := gostParamsCurve(kt, def, info.Algorithm.Parameters)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPublicKey, err)
	}
	if info.PublicKey.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: public key BIT STRING has unused bits", ErrBadPublicKey)
	}
	var point []byte
	rest, err := asn1.Unmarshal(info.PublicKey.Bytes, &point)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: GOST public key is not an OCTET STRING", ErrBadPublicKey)
	}
	x, y, err := kzPublicKeyToXY(point, curve.Size)
	if err != nil {
		return nil, fmt.Errorf("%w: GOST public key of %d bytes, want %d", ErrBadPublicKey, len(point), 2*curve.Size)
	}
	if !curve.IsOnCurve(x, y) {
		return nil, fmt.Errorf("%w: GOST public key is not on curve %s", ErrBadPublicKey, curve.Name)
	}
	return &GOSTPublicKey{Curve: curve, X: x, Y: y}, nil
}

// gostParamsCurve reads the curve from GOST key parameters: SEQUENCE {
// publicKeyParamSet OID, digestParamSet OID OPTIONAL, ... }; absent or NULL
// parameters mean def.
func gostParamsCurve(kt KeyType, def *GOSTCurve, p asn1.RawValue) (*GOSTCurve, error) {
	curve := def
	if len(p.FullBytes) != 0 && !(p.Tag == asn1.TagNull && p.Class == asn1.ClassUniversal) {
		if p.Tag != asn1.TagSequence || p.Class != asn1.ClassUniversal || !p.IsCompound {
			return nil, fmt.Errorf("GOST key parameters are not a SEQUENCE")
		}
		var paramSet asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(p.Bytes, &paramSet); err != nil {
			return nil, fmt.Errorf("GOST key parameter set: %v", err)
		}
		curve = gostCurveByOID(paramSet)
		if curve == nil {
			return nil, fmt.Errorf("%w: GOST parameter set %s", ErrUnknownAlgorithm, paramSet)
		}
	}
	if (kt == KeyGOST2015_512) != (curve.Size == 64) {
		return nil, fmt.Errorf("curve %s does not fit key type %s", curve.Name, kt)
	}
	return curve, nil
}

// gostKeyOIDs returns the algorithm and parameter-set OIDs for a GOST key.
func gostKeyOIDs(kt KeyType) (alg asn1.ObjectIdentifier, digest asn1.ObjectIdentifier) {
	switch kt {
	case KeyGOST2015_512:
		return OIDKeyGOST2015_512, OIDDigestStreebog512
	case KeyGOST2015_256:
		return OIDKeyGOST2015_256, OIDDigestStreebog256
	default:
		return OIDKeyGOST2004, OIDDigestGOST34311
	}
}

// MarshalGOSTPublicKey encodes a GOST key as a DER SubjectPublicKeyInfo in the
// form the NCA uses: AlgorithmIdentifier {key OID, SEQUENCE {param-set OID,
// digest OID}}, BIT STRING {OCTET STRING {x LE || y LE}}.
func MarshalGOSTPublicKey(kt KeyType, k *GOSTPublicKey) ([]byte, error) {
	if !kt.IsGOST() {
		return nil, fmt.Errorf("%w: %s is not a GOST key type", ErrBadPublicKey, kt)
	}
	alg, err := gostAlgorithmIdentifier(kt, k.Curve)
	if err != nil {
		return nil, err
	}
	point, err := asn1.Marshal(k.Bytes())
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: alg,
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
}

// gostAlgorithmIdentifier is the AlgorithmIdentifier of a GOST key, as in NCA
// certificates and key files.
func gostAlgorithmIdentifier(kt KeyType, c *GOSTCurve) (pkix.AlgorithmIdentifier, error) {
	algOID, digestOID := gostKeyOIDs(kt)
	params, err := asn1.Marshal(struct {
		ParamSet asn1.ObjectIdentifier
		Digest   asn1.ObjectIdentifier
	}{c.OID, digestOID})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: algOID, Parameters: asn1.RawValue{FullBytes: params}}, nil
}

package eds

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// RSASSA-PSS (RFC 8017, section 8.1; parameters of RFC 4055) is supported in
// one profile, the one OpenSSL, Java and the IETF CMS profiles use with
// SHA-256: hash SHA-256, MGF1 with SHA-256, trailer field 1, and a salt of at
// least the hash's 32 bytes. Senim signs with a 32-byte salt; it verifies with
// the salt length the parameters state, from 32 up to what the key allows
// (OpenSSL's default when signing is the maximum, 222 bytes for a 2048-bit
// key). The signature AlgorithmIdentifier (OIDSignRSAPSS) must carry these
// parameters (SignatureParameters); anything else — another hash or MGF, a
// salt shorter than the hash, a trailer other than 1 — is refused with
// ErrPSSParams rather than verified with parameters we did not agree to.

// ErrPSSParams: RSASSA-PSS parameters that are malformed or other than the
// supported profile (SHA-256, MGF1-SHA-256, salt length at least 32, trailer 1).
var ErrPSSParams = NewError("eds.signature.pss_params", "eds: RSASSA-PSS parameters are malformed or not SHA-256/MGF1-SHA-256/salt of at least 32 bytes")

const (
	pssSaltLength    = 32   // what Senim signs with, and the least it accepts
	pssMaxSaltLength = 1024 // beyond any key Senim accepts (RSA-8192 allows 990)
)

var pssOptions = &rsa.PSSOptions{SaltLength: pssSaltLength, Hash: crypto.SHA256}

var oidMGF1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}

// PSSParameters is the DER RSASSA-PSS-params of the supported profile, as
// written in a signature AlgorithmIdentifier: the hash and MGF1 hash with
// NULL parameters (as OpenSSL writes them), the salt length, no trailer field
// (DEFAULT 1).
var PSSParameters = func() []byte {
	b := cryptobyte.NewBuilder(nil)
	sha256ID := func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(OIDDigestSHA256)
			b.AddASN1NULL()
		})
	}
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(casn1.Tag(0).ContextSpecific().Constructed(), sha256ID)
		b.AddASN1(casn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidMGF1)
				sha256ID(b)
			})
		})
		b.AddASN1(casn1.Tag(2).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1Int64(pssSaltLength)
		})
	})
	return b.BytesOrPanic()
}()

// Parameters returns the DER parameters the algorithm's AlgorithmIdentifier
// must carry (PSSParameters for RSASSA-PSS), or nil when it has none of its
// own (the caller writes NULL or nothing, as the algorithm's convention is).
func (a *Algorithm) Parameters() []byte {
	if a.pss {
		return bytes.Clone(PSSParameters)
	}
	return nil
}

// CheckSignatureParameters is SignatureParameters without the algorithm.
func CheckSignatureParameters(sigAlg asn1.ObjectIdentifier, params []byte) error {
	_, err := SignatureParameters(sigAlg, params)
	return err
}

// SignatureParameters checks the parameters (the DER after the OID in an
// AlgorithmIdentifier, empty when absent) of the signature algorithm sigAlg
// and returns the algorithm to verify with. For RSASSA-PSS they must be the
// supported profile, parsed strictly: the hash and MGF1 hash SHA-256 (NULL or
// absent parameters), a salt length of at least 32, trailer field absent or 1,
// nothing else; the algorithm returned verifies with that salt length. Other
// algorithms are returned as LookupSignatureAlgorithm has them, their
// parameters not checked here. Errors wrap ErrPSSParams or ErrUnknownAlgorithm.
func SignatureParameters(sigAlg asn1.ObjectIdentifier, params []byte) (*Algorithm, error) {
	alg, ok := LookupSignatureAlgorithm(sigAlg)
	if !ok {
		return nil, fmt.Errorf("%w: signature algorithm %s", ErrUnknownAlgorithm, sigAlg)
	}
	if !alg.pss {
		return alg, nil
	}
	n, err := pssSalt(params)
	if err != nil {
		return nil, err
	}
	if n == pssSaltLength {
		return alg, nil
	}
	withSalt := *alg
	withSalt.pssSalt = n
	return &withSalt, nil
}

// pssSalt parses RSASSA-PSS-params of the profile and returns the salt length.
func pssSalt(params []byte) (int, error) {
	in := cryptobyte.String(params)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, casn1.SEQUENCE) || !in.Empty() {
		return 0, fmt.Errorf("%w: not a RSASSA-PSS-params SEQUENCE", ErrPSSParams)
	}
	var hashAlg, mgf, salt, trailer cryptobyte.String
	var hasHash, hasMGF, hasSalt, hasTrailer bool
	if !seq.ReadOptionalASN1(&hashAlg, &hasHash, casn1.Tag(0).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&mgf, &hasMGF, casn1.Tag(1).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&salt, &hasSalt, casn1.Tag(2).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&trailer, &hasTrailer, casn1.Tag(3).ContextSpecific().Constructed()) ||
		!seq.Empty() {
		return 0, fmt.Errorf("%w: malformed RSASSA-PSS-params", ErrPSSParams)
	}
	// Absent fields take the DEFAULTs of RFC 4055 (SHA-1, MGF1-SHA-1, 20), which
	// are not the profile.
	if !hasHash || !isSHA256ID(hashAlg) {
		return 0, fmt.Errorf("%w: the hash is not SHA-256", ErrPSSParams)
	}
	var mgfSeq cryptobyte.String
	var mgfOID asn1.ObjectIdentifier
	if !hasMGF || !mgf.ReadASN1(&mgfSeq, casn1.SEQUENCE) || !mgf.Empty() ||
		!mgfSeq.ReadASN1ObjectIdentifier(&mgfOID) || !mgfOID.Equal(oidMGF1) || !isSHA256ID(mgfSeq) {
		return 0, fmt.Errorf("%w: the mask generation is not MGF1 with SHA-256", ErrPSSParams)
	}
	var n int64
	if !hasSalt || !salt.ReadASN1Int64WithTag(&n, casn1.INTEGER) || !salt.Empty() || n < pssSaltLength || n > pssMaxSaltLength {
		return 0, fmt.Errorf("%w: the salt length is not %d to %d bytes", ErrPSSParams, pssSaltLength, pssMaxSaltLength)
	}
	saltLen := int(n)
	if hasTrailer && (!trailer.ReadASN1Int64WithTag(&n, casn1.INTEGER) || !trailer.Empty() || n != 1) {
		return 0, fmt.Errorf("%w: the trailer field is not 1", ErrPSSParams)
	}
	return saltLen, nil
}

// isSHA256ID reports whether s is exactly one AlgorithmIdentifier of SHA-256
// with NULL or absent parameters.
func isSHA256ID(s cryptobyte.String) bool {
	var id cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&id, casn1.SEQUENCE) || !s.Empty() || !id.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(OIDDigestSHA256) {
		return false
	}
	var null cryptobyte.String
	return id.Empty() || (id.ReadASN1(&null, casn1.NULL) && len(null) == 0 && id.Empty())
}

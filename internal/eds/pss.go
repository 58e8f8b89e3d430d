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
// SHA-256: hash SHA-256, MGF1 with SHA-256, a 32-byte salt, trailer field 1.
// The signature AlgorithmIdentifier (OIDSignRSAPSS) must carry exactly these
// parameters (CheckSignatureParameters); anything else is refused with
// ErrPSSParams rather than verified with parameters we did not agree to.

// ErrPSSParams: RSASSA-PSS parameters that are malformed or other than the
// supported profile (SHA-256, MGF1-SHA-256, salt length 32, trailer 1).
var ErrPSSParams = NewError("eds.signature.pss_params", "eds: RSASSA-PSS parameters are malformed or not SHA-256/MGF1-SHA-256/salt 32")

const pssSaltLength = 32

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

// CheckSignatureParameters checks the parameters (the DER after the OID in an
// AlgorithmIdentifier, empty when absent) of the signature algorithm sigAlg.
// For RSASSA-PSS they must be the supported profile, parsed strictly: the
// hash and MGF1 hash SHA-256 (NULL or absent parameters), salt length 32,
// trailer field absent or 1, nothing else. Other algorithms are not checked
// here. Errors wrap ErrPSSParams.
func CheckSignatureParameters(sigAlg asn1.ObjectIdentifier, params []byte) error {
	if !sigAlg.Equal(OIDSignRSAPSS) {
		return nil
	}
	in := cryptobyte.String(params)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, casn1.SEQUENCE) || !in.Empty() {
		return fmt.Errorf("%w: not a RSASSA-PSS-params SEQUENCE", ErrPSSParams)
	}
	var hashAlg, mgf, salt, trailer cryptobyte.String
	var hasHash, hasMGF, hasSalt, hasTrailer bool
	if !seq.ReadOptionalASN1(&hashAlg, &hasHash, casn1.Tag(0).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&mgf, &hasMGF, casn1.Tag(1).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&salt, &hasSalt, casn1.Tag(2).ContextSpecific().Constructed()) ||
		!seq.ReadOptionalASN1(&trailer, &hasTrailer, casn1.Tag(3).ContextSpecific().Constructed()) ||
		!seq.Empty() {
		return fmt.Errorf("%w: malformed RSASSA-PSS-params", ErrPSSParams)
	}
	// Absent fields take the DEFAULTs of RFC 4055 (SHA-1, MGF1-SHA-1, 20), which
	// are not the profile.
	if !hasHash || !isSHA256ID(hashAlg) {
		return fmt.Errorf("%w: the hash is not SHA-256", ErrPSSParams)
	}
	var mgfSeq cryptobyte.String
	var mgfOID asn1.ObjectIdentifier
	if !hasMGF || !mgf.ReadASN1(&mgfSeq, casn1.SEQUENCE) || !mgf.Empty() ||
		!mgfSeq.ReadASN1ObjectIdentifier(&mgfOID) || !mgfOID.Equal(oidMGF1) || !isSHA256ID(mgfSeq) {
		return fmt.Errorf("%w: the mask generation is not MGF1 with SHA-256", ErrPSSParams)
	}
	var n int64
	if !hasSalt || !salt.ReadASN1Int64WithTag(&n, casn1.INTEGER) || !salt.Empty() || n != pssSaltLength {
		return fmt.Errorf("%w: the salt length is not %d", ErrPSSParams, pssSaltLength)
	}
	if hasTrailer && (!trailer.ReadASN1Int64WithTag(&n, casn1.INTEGER) || !trailer.Empty() || n != 1) {
		return fmt.Errorf("%w: the trailer field is not 1", ErrPSSParams)
	}
	return nil
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

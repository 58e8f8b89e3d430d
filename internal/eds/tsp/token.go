package tsp

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
)

// Response is a parsed TimeStampResp.
type Response struct {
	Status       int
	StatusString []string
	// FailInfo is the lowest failure bit set (FailBadAlg, ...), or -1.
	FailInfo int
	// Token is the DER ContentInfo of the token; nil unless granted.
	Token []byte
}

// ParseResponse parses a TimeStampResp (BER or DER). Errors wrap ErrMalformed. A
// rejection parses fine: check Status (or use Response.Err).
func ParseResponse(ber []byte) (*Response, error) {
	der, err := signeddata.ToDER(ber)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	s := cryptobyte.String(der)
	var seq, si cryptobyte.String
	r := &Response{FailInfo: -1}
	if !s.ReadASN1(&seq, casn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1(&si, casn1.SEQUENCE) || !si.ReadASN1Integer(&r.Status) {
		return nil, fmt.Errorf("%w: not a TimeStampResp", ErrMalformed)
	}
	if si.PeekASN1Tag(casn1.SEQUENCE) {
		var texts cryptobyte.String
		if !si.ReadASN1(&texts, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad statusString", ErrMalformed)
		}
		for !texts.Empty() {
			var t cryptobyte.String
			if !texts.ReadASN1(&t, casn1.UTF8String) {
				return nil, fmt.Errorf("%w: bad statusString", ErrMalformed)
			}
			r.StatusString = append(r.StatusString, string(t))
		}
	}
	if si.PeekASN1Tag(casn1.BIT_STRING) {
		var bs asn1.BitString
		var e cryptobyte.String
		if !si.ReadASN1Element(&e, casn1.BIT_STRING) {
			return nil, fmt.Errorf("%w: bad failInfo", ErrMalformed)
		}
		if rest, err := asn1.Unmarshal(e, &bs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: bad failInfo", ErrMalformed)
		}
		for i := 0; i < bs.BitLength; i++ {
			if bs.At(i) == 1 {
				r.FailInfo = i
				break
			}
		}
	}
	if !si.Empty() {
		return nil, fmt.Errorf("%w: trailing data in PKIStatusInfo", ErrMalformed)
	}
	if !seq.Empty() {
		var tok cryptobyte.String
		if !seq.ReadASN1Element(&tok, casn1.SEQUENCE) || !seq.Empty() {
			return nil, fmt.Errorf("%w: bad timeStampToken", ErrMalformed)
		}
		r.Token = tok
	}
	if (r.Status == StatusGranted || r.Status == StatusGrantedWithMods) && r.Token == nil {
		return nil, fmt.Errorf("%w: granted without a token", ErrMalformed)
	}
	return r, nil
}

// Err is nil for a granted response, else an error wrapping ErrRejected.
func (r *Response) Err() error {
	if r.Status == StatusGranted || r.Status == StatusGrantedWithMods {
		return nil
	}
	return fmt.Errorf("%w: status %d, failure bit %d %q", ErrRejected, r.Status, r.FailInfo, r.StatusString)
}

// Token is a parsed time-stamp token.
type Token struct {
	Raw        []byte // the DER ContentInfo
	SignedData *signeddata.SignedData
	Info       *TSTInfo
}

// ParseToken parses a time-stamp token (a ContentInfo with a SignedData whose content
// is a TSTInfo) in BER or DER. It checks only the syntax. Errors wrap ErrMalformed.
func ParseToken(ber []byte) (*Token, error) {
	sd, err := signeddata.Parse(ber)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !sd.ContentType.Equal(signeddata.OIDContentTSTInfo) || !sd.HasContent {
		return nil, fmt.Errorf("%w: content is not a TSTInfo", ErrMalformed)
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("%w: a token has exactly one signer, not %d", ErrMalformed, len(sd.Signers))
	}
	info, err := parseTSTInfo(sd.Content)
	if err != nil {
		return nil, err
	}
	raw, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &Token{Raw: raw, SignedData: sd, Info: info}, nil
}

// VerifyOptions say what a token must prove.
type VerifyOptions struct {
	// Data, when not nil, must be what the token time-stamps: its hash under the token's
	// hash algorithm must equal the message imprint. HashedMessage is the alternative
	// for a precomputed hash. One of them is required.
	Data          []byte
	HashedMessage []byte
	// Nonce, when set, must be echoed.
	Nonce *big.Int
	// Policy, when set, must be the token's policy.
	Policy asn1.ObjectIdentifier
	// Validator checks the TSA certificate's chain and revocation at the token's
	// genTime; a TSA certificate revoked for key or CA compromise fails even when
	// revoked after genTime. Nil: the chain is not checked (Verified.Chain is nil).
	Validator  *pki.Validator
	Revocation []pki.RevocationMethod
	// Certificates are extra certificates for finding the TSA certificate (and its
	// chain) when the token does not carry them.
	Certificates []*x509.Certificate
}

// Verified is the outcome of VerifyToken.
type Verified struct {
	Token *Token
	// Cert is the TSA certificate; nil when it was not found.
	Cert *x509.Certificate
	// Chain is the TSA certificate's validation at genTime; nil when not checked.
	Chain *pki.Result
}

// GenTime returns the token's time.
func (v *Verified) GenTime() time.Time { return v.Token.Info.GenTime }

// VerifyToken parses and verifies a time-stamp token: one signer, contentType and
// messageDigest over the TSTInfo, the signature, a signing-certificate(-v2) attribute
// naming the TSA certificate, the TSA certificate's critical timeStamping-only extended
// key usage and its validity at genTime, the imprint (and nonce, policy), and the chain
// when opts.Validator is set. It returns what it could establish even on error; the
// error wraps ErrMalformed, ErrInvalid, ErrTSACertificate, ErrImprintMismatch,
// ErrNonceMismatch, ErrPolicyMismatch or ErrUntrusted.
func VerifyToken(ctx context.Context, der []byte, opts VerifyOptions) (*Verified, error) {
	tok, err := ParseToken(der)
	if err != nil {
		return nil, err
	}
	v := &Verified{Token: tok}
	sd, info := tok.SignedData, tok.Info
	si := sd.Signers[0]

	if opts.Data == nil && opts.HashedMessage == nil {
		return v, fmt.Errorf("%w: nothing to compare the imprint with", ErrImprintMismatch)
	}
	want := opts.HashedMessage
	if opts.Data != nil {
		if want, err = signeddata.Digest(info.HashAlgorithm, opts.Data); err != nil {
			return v, fmt.Errorf("%w: imprint hash %s", ErrUnsupported, info.HashAlgorithm)
		}
	}
	if err := checkInfo(info, want, opts.Nonce, opts.Policy); err != nil {
		return v, err
	}

	cert := sd.SignerCertificate(si, opts.Certificates...)
	if cert == nil {
		return v, fmt.Errorf("%w: the TSA certificate is not in the token", ErrTSACertificate)
	}
	v.Cert = cert
	if si.RawSignedAttrs == nil {
		return v, fmt.Errorf("%w: a token must have signed attributes", ErrInvalid)
	}
	if err := si.CheckContent(signeddata.OIDContentTSTInfo, sd.Content); err != nil {
		return v, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return v, fmt.Errorf("%w: %w", ErrTSACertificate, err)
	}
	if err := si.CheckSignature(pub, nil); err != nil {
		return v, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	present, err := si.CheckSigningCertificate(cert)
	if err != nil {
		return v, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !present {
		return v, fmt.Errorf("%w: no signing-certificate attribute", ErrInvalid)
	}
	if err := checkTSACert(cert); err != nil {
		return v, err
	}
	if info.GenTime.Before(cert.NotBefore) || info.GenTime.After(cert.NotAfter) {
		return v, fmt.Errorf("%w: genTime %s outside the TSA certificate's validity", ErrUntrusted, info.GenTime.Format(time.RFC3339))
	}
	if opts.Validator == nil {
		return v, nil
	}
	extra := append(append([]*x509.Certificate(nil), sd.Certificates...), opts.Certificates...)
	res := opts.Validator.Validate(ctx, cert, info.GenTime, pki.Options{Revocation: opts.Revocation, Intermediates: extra})
	v.Chain = &res
	if !res.Valid {
		return v, fmt.Errorf("%w: %w", ErrUntrusted, firstErr(res.Errors))
	}
	for _, rc := range []pki.RevocationCheck{res.CRL, res.OCSP} {
		if !rc.RevokedAt.IsZero() && compromise(rc.Reason) {
			return v, fmt.Errorf("%w: TSA certificate revoked at %s (%s)", ErrUntrusted, rc.RevokedAt.Format(time.RFC3339), rc.Reason)
		}
	}
	return v, nil
}

// checkInfo checks a token's imprint against hashed, and its nonce and policy against
// those asked for when set.
func checkInfo(info *TSTInfo, hashed []byte, nonce *big.Int, policy asn1.ObjectIdentifier) error {
	if subtle.ConstantTimeCompare(hashed, info.HashedMessage) != 1 {
		return ErrImprintMismatch
	}
	if nonce != nil && (info.Nonce == nil || info.Nonce.Cmp(nonce) != 0) {
		return ErrNonceMismatch
	}
	if policy != nil && !policy.Equal(info.Policy) {
		return fmt.Errorf("%w: %s, not %s", ErrPolicyMismatch, info.Policy, policy)
	}
	return nil
}

// compromise reports the revocation reasons that make every token of the key doubtful,
// whatever its genTime; unspecified counts, as it may hide a compromise.
func compromise(r pki.Reason) bool {
	return r == pki.ReasonKeyCompromise || r == pki.ReasonCACompromise || r == pki.ReasonAACompromise || r == pki.ReasonUnspecified
}

func firstErr(errs []error) error {
	if len(errs) == 0 {
		return pki.ErrUntrusted
	}
	return errs[0]
}

package cms

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// VerifyOptions are the choices of Verify.
type VerifyOptions struct {
	// Validator checks each signer's chain and revocation. Nil: the chain is not checked
	// (SignerResult.ChainChecked is false), only the certificate's validity period.
	Validator *pki.Validator
	// Revocation lists the revocation checks (CRL, OCSP) for signers and TSAs.
	Revocation []pki.RevocationMethod
	// TSAValidator checks TSA certificates; nil uses Validator (the NCA's TSA chains to
	// the NCA root). When both are nil, TSA certificates are not chain-checked either.
	TSAValidator *pki.Validator
	// TSARevocation lists the revocation checks for TSA certificates; nil means the same
	// as Revocation, an empty non-nil slice means none.
	TSARevocation []pki.RevocationMethod
	// Now is the validation time when a signer has no valid time-stamp. Default
	// time.Now.
	Now func() time.Time
	// Certificates are extra certificates to find signer and TSA certificates and build
	// chains (for a CMS that does not carry them).
	Certificates []*x509.Certificate
	// MaxSigners bounds the signers Verify checks (each costs a signature verification,
	// about 9 ms for GOST 2015-512 with the reference verifier). Default 100; a CMS with
	// more gives ErrTooManySigners.
	MaxSigners int
}

// maxTimeStampsPerSigner bounds the signature time-stamp tokens checked per signer;
// further ones are ignored.
const maxTimeStampsPerSigner = 4

// Result is the outcome of Verify.
type Result struct {
	// Content is the signed content (the detached content given, for a detached CMS).
	Content  []byte
	Detached bool
	Signers  []SignerResult
	// Valid: there is at least one signer and every signer is valid.
	Valid bool
}

// SignerResult reports every check of one signer separately.
type SignerResult struct {
	// Cert is the signer's certificate; nil when the CMS does not carry it.
	Cert     *x509.Certificate
	CertInfo *pki.CertInfo
	// SignatureAlgorithm is NCANode's name (e.g. "ECGOST3410-2015-512"), or the OID.
	SignatureAlgorithm string
	// SigningTime is the signingTime attribute: claimed by the signer, proves nothing.
	SigningTime time.Time
	// SignatureValid: the signature over the signed attributes verifies with Cert's key.
	SignatureValid bool
	// DigestValid: contentType and messageDigest match the content.
	DigestValid bool
	// SigningCertificate: a signing-certificate(-v2) attribute is present and names Cert.
	SigningCertificate bool
	// ChainChecked is false when Verify had no Validator; Chain is then nil.
	ChainChecked bool
	Chain        *pki.Result
	// TimeStamp is the signature time-stamp (the earliest valid one), nil without one.
	TimeStamp *TimeStampInfo
	// ValidationTime is when the certificate was checked: the time-stamp's genTime when
	// the time-stamp is valid, else Now.
	ValidationTime time.Time
	// Valid: signature, digest and signing-certificate (when present) are good, the
	// certificate is within its validity period at ValidationTime, the chain and
	// revocation checks pass when checked, and a time-stamp, when present, is valid.
	Valid bool
	// Errors lists every failed check, each with a stable code (eds.Code).
	Errors []error
}

// Codes returns the codes of r.Errors.
func (r *SignerResult) Codes() []string {
	out := make([]string, 0, len(r.Errors))
	for _, e := range r.Errors {
		out = append(out, eds.Code(e))
	}
	return out
}

// TimeStampInfo describes a signature time-stamp; the fields map to NCANode's TspInfo.
type TimeStampInfo struct {
	GenTime       time.Time
	Policy        string // dotted OID, e.g. 1.2.398.3.3.2.6.4
	SerialNumber  string // lower-case hex
	TSA           string // the TSA's name (the token's tsa field, else the certificate subject)
	TSAName       []byte // the DER Name of the token's tsa field (a directoryName), else nil
	HashAlgorithm string // NCANode-style name of the imprint hash, or the OID
	Hash          []byte // the message imprint
	Cert          *x509.Certificate
	Chain         *pki.Result // nil when not checked
	Valid         bool
	Err           error // why it is not valid
}

// Verify checks every signer of a CMS. For a detached CMS, detached is the content.
// The error is non-nil only when there is nothing to verify: a malformed or unsupported
// CMS (ErrMalformed, ErrUnsupported), no signers (ErrNoSigners), a detached CMS without
// content (ErrDetachedContentMissing), more than MaxSigners signers (ErrTooManySigners),
// or content given for a CMS that holds other
// content (ErrContentConflict). Each signer's failures are in its Errors.
func Verify(ctx context.Context, cms, detached []byte, opts VerifyOptions) (*Result, error) {
	sd, err := signeddata.Parse(cms)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers) == 0 {
		return nil, ErrNoSigners
	}
	maxSigners := opts.MaxSigners
	if maxSigners <= 0 {
		maxSigners = 100
	}
	if len(sd.Signers) > maxSigners {
		return nil, fmt.Errorf("%w: %d signers, at most %d", ErrTooManySigners, len(sd.Signers), maxSigners)
	}
	res := &Result{Detached: !sd.HasContent}
	switch {
	case sd.HasContent && detached != nil && string(detached) != string(sd.Content):
		return nil, ErrContentConflict
	case sd.HasContent:
		res.Content = sd.Content
	case detached == nil:
		return nil, ErrDetachedContentMissing
	default:
		res.Content = detached
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	tsaV := opts.TSAValidator
	if tsaV == nil {
		tsaV = opts.Validator
	}
	tsaRev := opts.TSARevocation
	if tsaRev == nil {
		tsaRev = opts.Revocation
	}
	extra := append(append([]*x509.Certificate(nil), sd.Certificates...), opts.Certificates...)
	res.Valid = true
	for _, si := range sd.Signers {
		r := verifySigner(ctx, sd, si, res.Content, extra, now(), tsaV, tsaRev, opts)
		res.Valid = res.Valid && r.Valid
		res.Signers = append(res.Signers, r)
	}
	return res, nil
}

func verifySigner(ctx context.Context, sd *SignedData, si *signeddata.SignerInfo, content []byte,
	extra []*x509.Certificate, now time.Time, tsaV *pki.Validator, tsaRev []pki.RevocationMethod, opts VerifyOptions) SignerResult {
	r := SignerResult{ValidationTime: now, SignatureAlgorithm: si.SignatureAlgorithm.String()}
	if alg, ok := eds.LookupSignatureAlgorithm(si.SignatureAlgorithm); ok {
		r.SignatureAlgorithm = alg.Name
	}
	r.SigningTime, _ = si.SigningTime()
	fail := func(err error) { r.Errors = append(r.Errors, err) }

	if err := si.CheckContent(sd.ContentType, content); err != nil {
		fail(err)
	} else {
		r.DigestValid = true
	}
	r.Cert = sd.SignerCertificate(si, opts.Certificates...)
	if r.Cert == nil {
		fail(ErrSignerCertMissing)
		return r
	}
	var pub *eds.PublicKey
	var err error
	r.CertInfo, pub, err = certInfo(r.Cert)
	if err != nil {
		fail(fmt.Errorf("%w: %w", ErrUnsupported, err))
		return r
	}
	if alg, err := si.Algorithm(pub); err == nil {
		r.SignatureAlgorithm = alg.Name
	}
	if err := si.CheckSignature(pub, content); err != nil {
		fail(err)
	} else {
		r.SignatureValid = true
	}
	present, err := si.CheckSigningCertificate(r.Cert)
	if err != nil {
		fail(err)
	}
	r.SigningCertificate = present && err == nil
	signingCertOK := err == nil

	// Signature time-stamps: the earliest valid one sets the validation time.
	tokenOK := true
	checked := 0
	for _, a := range si.UnsignedAttrs {
		if !a.Type.Equal(signeddata.OIDAttrTimeStampToken) {
			continue
		}
		for _, tok := range a.Values {
			if checked++; checked > maxTimeStampsPerSigner {
				break
			}
			ti := verifyTimeStamp(ctx, tok, si.Signature, extra, tsaV, tsaRev)
			if r.TimeStamp == nil || (ti.Valid && (!r.TimeStamp.Valid || ti.GenTime.Before(r.TimeStamp.GenTime))) {
				r.TimeStamp = ti
			}
		}
	}
	if r.TimeStamp != nil {
		if r.TimeStamp.Valid {
			r.ValidationTime = r.TimeStamp.GenTime
		} else {
			tokenOK = false
			fail(r.TimeStamp.Err)
		}
	}

	chainOK := true
	if opts.Validator != nil {
		res := opts.Validator.Validate(ctx, r.Cert, r.ValidationTime, pki.Options{Revocation: opts.Revocation, Intermediates: extra})
		r.Chain, r.ChainChecked = &res, true
		chainOK = res.Valid
		r.Errors = append(r.Errors, res.Errors...)
	} else {
		switch {
		case r.ValidationTime.Before(r.Cert.NotBefore):
			chainOK = false
			fail(fmt.Errorf("%w: valid from %s", pki.ErrNotYetValid, r.Cert.NotBefore.UTC().Format(time.RFC3339)))
		case r.ValidationTime.After(r.Cert.NotAfter):
			chainOK = false
			fail(fmt.Errorf("%w: expired at %s", pki.ErrExpired, r.Cert.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	r.Valid = r.SignatureValid && r.DigestValid && signingCertOK && tokenOK && chainOK
	return r
}

func verifyTimeStamp(ctx context.Context, token, signature []byte, extra []*x509.Certificate,
	v *pki.Validator, rev []pki.RevocationMethod) *TimeStampInfo {
	ver, err := tsp.VerifyToken(ctx, token, tsp.VerifyOptions{
		Data: signature, Validator: v, Revocation: rev, Certificates: extra,
	})
	ti := &TimeStampInfo{Err: err, Valid: err == nil}
	if ver == nil {
		return ti
	}
	in := ver.Token.Info
	ti.GenTime = in.GenTime
	ti.Policy = in.Policy.String()
	ti.SerialNumber = in.SerialNumber.Text(16)
	ti.HashAlgorithm = digestName(in.HashAlgorithm)
	ti.Hash = in.HashedMessage
	ti.Cert = ver.Cert
	ti.Chain = ver.Chain
	ti.TSA = in.TSAString()
	ti.TSAName = in.TSAName
	if ti.TSA == "" && ver.Cert != nil {
		ti.TSA = pki.Info(ver.Cert).Subject.DN
	}
	return ti
}

// digestName gives NCANode's name of a digest algorithm where it has one.
func digestName(oid fmt.Stringer) string {
	for _, a := range eds.SignatureAlgorithms() {
		if a.HashOID != nil && a.HashOID.String() == oid.String() && a.HashName != "" {
			return a.HashName
		}
	}
	return oid.String()
}

// infoCache keeps pki.Info and the parsed public key by certificate: rendering the names
// and parsing the key were a tenth of an ECDSA CMS verification. Parsed certificates are
// shared (signeddata caches them), so the pointer is the key. Each caller gets its own
// copy of the CertInfo struct; the slices in it are shared and must not be modified.
var infoCache = struct {
	sync.Mutex
	m map[*x509.Certificate]*certEntry
}{m: make(map[*x509.Certificate]*certEntry)}

type certEntry struct {
	info pki.CertInfo
	pub  *eds.PublicKey
	err  error
}

const maxCachedInfos = 1024

func certInfo(c *x509.Certificate) (*pki.CertInfo, *eds.PublicKey, error) {
	infoCache.Lock()
	e := infoCache.m[c]
	infoCache.Unlock()
	if e == nil {
		e = &certEntry{info: pki.Info(c)}
		e.pub, e.err = eds.ParsePublicKey(c.RawSubjectPublicKeyInfo)
		infoCache.Lock()
		if len(infoCache.m) >= maxCachedInfos {
			clear(infoCache.m)
		}
		infoCache.m[c] = e
		infoCache.Unlock()
	}
	cp := e.info
	return &cp, e.pub, e.err
}

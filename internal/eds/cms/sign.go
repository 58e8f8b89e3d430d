package cms

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// SignedData is a parsed CMS SignedData (see package signeddata).
type SignedData = signeddata.SignedData

// TimeStamper gets an RFC 3161 time-stamp token over data, hashed with hashAlg (the
// signer's digest algorithm; an implementation may use its own). *tsp.Client and
// *tsp.Local implement it.
type TimeStamper interface {
	TimeStamp(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) (token []byte, err error)
}

// SignerSpec is one signer: its key, its certificate and the chain to put into the CMS.
type SignerSpec struct {
	Signer eds.Signer
	Cert   *x509.Certificate
	Chain  []*x509.Certificate
}

// SignOptions are the choices of Sign and AddSigner.
type SignOptions struct {
	// Detached leaves the content out of the CMS (Sign only; AddSigner keeps the form of
	// the CMS it is given).
	Detached bool
	// TSA, when set, makes CAdES-T: a signatureTimeStampToken over each new signature.
	TSA TimeStamper
	// Now gives signingTime. Default time.Now.
	Now func() time.Time
	// Rand is the randomness for signing. Default crypto/rand.
	Rand io.Reader
	// OmitSigningTime leaves the signingTime attribute out: PAdES (ETSI EN 319 142-1,
	// 6.3) carries the signing time in the PDF's /M and forbids the attribute.
	OmitSigningTime bool
}

// Sign makes a DER CMS SignedData of content with every signer in signers.
func Sign(ctx context.Context, content []byte, signers []SignerSpec, opts SignOptions) ([]byte, error) {
	if len(signers) == 0 {
		return nil, fmt.Errorf("%w: Sign needs a signer", ErrNoSigners)
	}
	sd := &SignedData{ContentType: signeddata.OIDData, HasContent: !opts.Detached}
	if !opts.Detached {
		sd.Content = content
	}
	for _, spec := range signers {
		if err := addSigner(ctx, sd, content, spec, opts); err != nil {
			return nil, err
		}
	}
	return sd.Marshal()
}

// AddSigner adds one signer to an existing CMS and returns the new DER CMS. The earlier
// signers are kept byte-for-byte, with their time-stamps. For a detached CMS, content
// is required; for an attached one it may be nil (else it must equal the content
// inside). The content must match the earlier signers' message digests.
func AddSigner(ctx context.Context, existing, content []byte, spec SignerSpec, opts SignOptions) ([]byte, error) {
	sd, err := signeddata.Parse(existing)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers) == 0 {
		return nil, ErrNoSigners
	}
	if !sd.ContentType.Equal(signeddata.OIDData) {
		return nil, fmt.Errorf("%w: content type %s", ErrUnsupported, sd.ContentType)
	}
	switch {
	case sd.HasContent && content != nil && !bytes.Equal(content, sd.Content):
		return nil, ErrContentConflict
	case sd.HasContent:
		content = sd.Content
	case content == nil:
		return nil, ErrDetachedContentMissing
	}
	for i, si := range sd.Signers {
		if err := si.CheckContent(sd.ContentType, content); err != nil {
			return nil, fmt.Errorf("signer %d: %w", i+1, err)
		}
	}
	if err := addSigner(ctx, sd, content, spec, opts); err != nil {
		return nil, err
	}
	return sd.Marshal()
}

func addSigner(ctx context.Context, sd *SignedData, content []byte, spec SignerSpec, opts SignOptions) error {
	if spec.Signer == nil || spec.Cert == nil {
		return fmt.Errorf("%w: a signer needs a key and a certificate", ErrKeyMismatch)
	}
	pub, err := eds.ParsePublicKey(spec.Cert.RawSubjectPublicKeyInfo)
	if err != nil || !pub.Equal(spec.Signer.Public()) {
		return ErrKeyMismatch
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	digestOID, err := signeddata.DigestOf(spec.Signer.Algorithm())
	if err != nil {
		return err
	}
	md, err := signeddata.Digest(digestOID, content)
	if err != nil {
		return err
	}
	st, err := signeddata.AttrSigningTime(now())
	if err != nil {
		return err
	}
	scv2, err := signeddata.AttrSigningCertificateV2(spec.Cert, eds.OIDDigestSHA256)
	if err != nil {
		return err
	}
	attrs := []signeddata.Attribute{signeddata.AttrContentType(sd.ContentType), signeddata.AttrMessageDigest(md), st, scv2}
	if opts.OmitSigningTime {
		attrs = slices.Delete(attrs, 2, 3)
	}
	si, err := signeddata.NewSignerInfo(opts.Rand, spec.Signer, spec.Cert, attrs)
	if err != nil {
		return err
	}
	if opts.TSA != nil {
		token, err := opts.TSA.TimeStamp(ctx, digestOID, si.Signature)
		if err != nil {
			return fmt.Errorf("cms: time-stamp: %w", err)
		}
		if si, err = si.WithUnsignedAttrs([]signeddata.Attribute{
			{Type: signeddata.OIDAttrTimeStampToken, Values: [][]byte{token}},
		}); err != nil {
			return err
		}
	}
	sd.Signers = append(sd.Signers, si)
	sd.AddDigestAlgorithm(digestOID)
	sd.AddCertificate(spec.Cert)
	for _, c := range spec.Chain {
		sd.AddCertificate(c)
	}
	return nil
}

// Parse parses a CMS SignedData (BER or DER) without verifying anything.
func Parse(cms []byte) (*SignedData, error) { return signeddata.Parse(cms) }

// Extract returns the content of an attached CMS. A detached CMS gives ErrNoContent.
func Extract(cms []byte) ([]byte, error) {
	sd, err := signeddata.Parse(cms)
	if err != nil {
		return nil, err
	}
	if !sd.HasContent {
		return nil, ErrNoContent
	}
	return sd.Content, nil
}

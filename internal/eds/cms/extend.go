package cms

import (
	"bytes"
	"context"
	"fmt"

	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// AddTimeStamps raises a CMS to CAdES-T (ETSI EN 319 122-1, 5.3): every signer
// that has no signatureTimeStampToken gets one from tsa over its signature value,
// hashed with the signer's digest algorithm; signers that have one are kept
// byte-for-byte, and so are every signer's signed attributes. It returns the new
// DER CMS and how many time-stamps it added (0: existing is returned as it is).
// As in AddSigner, content is required for a detached CMS and must match every
// signer's message digest, so that no signature over other content is
// time-stamped. tsa may be nil when no signer needs a time-stamp; otherwise the
// error wraps ErrNoTimeStamper.
func AddTimeStamps(ctx context.Context, existing, content []byte, tsa TimeStamper) ([]byte, int, error) {
	sd, err := signeddata.Parse(existing)
	if err != nil {
		return nil, 0, err
	}
	if len(sd.Signers) == 0 {
		return nil, 0, ErrNoSigners
	}
	switch {
	case sd.HasContent && content != nil && !bytes.Equal(content, sd.Content):
		return nil, 0, ErrContentConflict
	case sd.HasContent:
		content = sd.Content
	case content == nil:
		return nil, 0, ErrDetachedContentMissing
	}
	added := 0
	for i, si := range sd.Signers {
		if err := si.CheckContent(sd.ContentType, content); err != nil {
			return nil, 0, fmt.Errorf("signer %d: %w", i+1, err)
		}
		if len(signeddata.Attr(si.UnsignedAttrs, signeddata.OIDAttrTimeStampToken)) > 0 {
			continue
		}
		if tsa == nil {
			return nil, 0, ErrNoTimeStamper
		}
		tok, err := tsa.TimeStamp(ctx, si.DigestAlgorithm, si.Signature)
		if err != nil {
			return nil, 0, fmt.Errorf("cms: time-stamp: %w", err)
		}
		attrs := append(append([]signeddata.Attribute(nil), si.UnsignedAttrs...),
			signeddata.Attribute{Type: signeddata.OIDAttrTimeStampToken, Values: [][]byte{tok}})
		if sd.Signers[i], err = si.WithUnsignedAttrs(attrs); err != nil {
			return nil, 0, err
		}
		added++
	}
	if added == 0 {
		return existing, 0, nil
	}
	out, err := sd.Marshal()
	return out, added, err
}

package cms

import (
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// Errors with stable codes (eds.Code). They are returned wrapped, or listed in
// SignerResult.Errors; test them with errors.Is.
var (
	ErrMalformed           = signeddata.ErrMalformed           // eds.cms.malformed
	ErrUnsupported         = signeddata.ErrUnsupported         // eds.cms.unsupported
	ErrDigestMismatch      = signeddata.ErrDigestMismatch      // eds.cms.digest_mismatch
	ErrSignatureInvalid    = signeddata.ErrSignatureInvalid    // eds.cms.signature_invalid
	ErrNoSigners           = signeddata.ErrNoSigners           // eds.cms.no_signers
	ErrSignerCertMissing   = signeddata.ErrSignerCertMissing   // eds.cms.signer_certificate_missing
	ErrSigningCertMismatch = signeddata.ErrSigningCertMismatch // eds.cms.signing_certificate_mismatch
	ErrBadAttributes       = signeddata.ErrBadAttributes       // eds.cms.bad_attributes

	// ErrDetachedContentMissing: a detached CMS was given without its content.
	ErrDetachedContentMissing = eds.NewError("eds.cms.detached_content_missing", "cms: detached signature without its content")
	// ErrNoContent: Extract on a detached CMS.
	ErrNoContent = eds.NewError("eds.cms.no_content", "cms: the CMS does not contain the signed content")
	// ErrContentConflict: content was given for a CMS that already contains other content.
	ErrContentConflict = eds.NewError("eds.cms.content_conflict", "cms: the given content differs from the content in the CMS")
	// ErrTooManySigners: the CMS has more signers than VerifyOptions.MaxSigners.
	ErrTooManySigners = eds.NewError("eds.cms.too_many_signers", "cms: too many signers")
	// ErrKeyMismatch: the signer's key is not the certificate's.
	ErrKeyMismatch = eds.NewError("eds.cms.key_mismatch", "cms: the private key does not belong to the certificate")
	// ErrNoTimeStamper: a signer needs a time-stamp and no time-stamping authority was given.
	ErrNoTimeStamper = eds.NewError("eds.tsp.not_configured", "Time-stamping is not configured on this server")
)

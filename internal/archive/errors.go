package archive

import "github.com/senimkz/senim/internal/eds"

// Errors with stable codes (archive.*). They are returned wrapped; test them with
// errors.Is, read the code with eds.Code.
var (
	// ErrMalformedRecord: an evidence record that does not parse.
	ErrMalformedRecord = eds.NewError("archive.evidence.malformed", "archive: malformed evidence record")
	// ErrNotCovered: a data object is not covered by the evidence record's hash tree, or
	// a time-stamp is not over the hash tree it comes with.
	ErrNotCovered = eds.NewError("archive.evidence.not_covered", "archive: the evidence record does not cover this data")
	// ErrTimeStamp: a time-stamp of the evidence record does not verify.
	ErrTimeStamp = eds.NewError("archive.evidence.timestamp_invalid", "archive: an archive time-stamp is invalid")
	// ErrGap: the chain of archive time-stamps has a gap: a time-stamp's TSA certificate
	// expired before the next time-stamp renewed it, or the last one has expired at the
	// verification time — the evidence does not cover that time.
	ErrGap = eds.NewError("archive.evidence.gap", "archive: the evidence does not cover the time")
	// ErrWeakHash: the evidence record's hash algorithm is weak at the time it must prove.
	ErrWeakHash = eds.NewError("archive.evidence.weak_hash", "archive: the evidence record's hash algorithm was weak")
	// ErrUnsupported: an unknown hash algorithm or an unsupported evidence record form
	// (encryption information, several chains).
	ErrUnsupported = eds.NewError("archive.evidence.unsupported", "archive: unsupported evidence record")

	// ErrSignatureInvalid: a signer of the document is not valid at its signing time;
	// the document is not archived.
	ErrSignatureInvalid = eds.NewError("archive.signature.invalid", "archive: a signature of the document is not valid")
	// ErrBadCMS: the signature is not a CMS SignedData this package can read.
	ErrBadCMS = eds.NewError("archive.signature.malformed", "archive: the signature is not a readable CMS")
	// ErrContentMismatch: the signature is over other content.
	ErrContentMismatch = eds.NewError("archive.signature.content_mismatch", "archive: the signature is over other content")
	// ErrTooLarge: a document or upload over the configured limit.
	ErrTooLarge = eds.NewError("archive.upload.too_large", "archive: the document is too large")

	// ErrNotLT: a signature of an imported container that has an evidence record is not
	// CAdES-LT — a signer has no signature time-stamp, or the chains and revocation data
	// that decide it are not in the container. Extending it (MakeLT) would change the
	// signature file the evidence record covers, so it is refused and nothing is stored.
	ErrNotLT = eds.NewError("archive.import.not_lt", "archive: a signature of the container is not CAdES-LT and its evidence record forbids extending it")

	// ErrContainer: an ASiC container that is not well formed.
	ErrContainer = eds.NewError("archive.asic.malformed", "archive: malformed ASiC container")
	// ErrContainerPath: an entry name that escapes the container or is not allowed.
	ErrContainerPath = eds.NewError("archive.asic.bad_path", "archive: an entry name in the container is not allowed")
	// ErrContainerBomb: entries that expand beyond the limits or compress too well.
	ErrContainerBomb = eds.NewError("archive.asic.too_large", "archive: the container expands beyond the limits")

	// ErrTSAExpiring: the TSA of a renewal has a certificate that expires within the
	// renewal margin itself; nothing is renewed.
	ErrTSAExpiring = eds.NewError("archive.renew.tsa_expiring", "archive: the TSA certificate expires within the renewal margin")

	// ErrSealValidationData: an archive time-stamp (seal or renewal) would not verify
	// offline later: the TSA's chain up to a root the operator gave (or trusts) or a CRL
	// of its CA is not available to embed in it; nothing is stored and the job tries again.
	ErrSealValidationData = eds.NewError("archive.seal.validation_data",
		"archive: the archive time-stamp would not verify offline: the TSA's root or its CRL is missing")

	// ErrCursor: a paging cursor that is not a document the caller sees.
	ErrCursor = eds.NewError("archive.cursor.invalid", "archive: the paging cursor is not one this list returned")

	// ErrNotFound: no such document, or not one the caller may see.
	ErrNotFound = eds.NewError("archive.document.not_found", "archive: no such document")
	// ErrBlobChanged: stored bytes no longer hash to their address.
	ErrBlobChanged = eds.NewError("archive.blob.corrupt", "archive: stored bytes do not match their address")
)

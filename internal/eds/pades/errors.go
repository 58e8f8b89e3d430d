package pades

import "github.com/senimkz/senim/internal/eds"

// Errors with stable codes (eds.Code). Reading errors are returned wrapped; the
// checks of one signature are listed in its Errors.
var (
	// ErrMalformed: the input is not a PDF this reader accepts (syntax, cross-reference
	// table, object that does not resolve).
	ErrMalformed = eds.NewError("eds.pdf.malformed", "pdf: malformed PDF")
	// ErrTooLarge: the PDF exceeds a limit of the reader (size, nesting, objects,
	// decompressed bytes).
	ErrTooLarge = eds.NewError("eds.pdf.too_large", "pdf: the PDF exceeds a limit of the reader")
	// ErrUnsupported: an encrypted PDF, or a filter or predictor the reader does not know.
	ErrUnsupported = eds.NewError("eds.pdf.unsupported", "pdf: unsupported PDF feature")
	// ErrNoSignatures: the PDF has no signature field with a signature.
	ErrNoSignatures = eds.NewError("eds.pdf.no_signatures", "pdf: the PDF contains no signatures")
	// ErrByteRange: /ByteRange is not [0 b c d] with the hole [b, c) exactly the
	// /Contents string of the same signature dictionary, inside the file.
	ErrByteRange = eds.NewError("eds.pdf.byterange_invalid", "pdf: the signature's /ByteRange does not cover the file except its /Contents")
	// ErrContents: /Contents is not a hex string holding one CMS followed only by zero padding.
	ErrContents = eds.NewError("eds.pdf.contents_invalid", "pdf: the signature's /Contents is not one CMS padded with zeros")
	// ErrSubFilter: /SubFilter is none of adbe.pkcs7.detached and ETSI.CAdES.detached.
	ErrSubFilter = eds.NewError("eds.pdf.subfilter_unsupported", "pdf: unsupported signature /SubFilter")
	// ErrModifiedAfterSigning: the signature covers an earlier revision; the file was
	// updated after it (by later signatures or other changes). Reported, not fatal.
	ErrModifiedAfterSigning = eds.NewError("eds.pdf.modified_after_signing", "pdf: the document was updated after this signature")
	// ErrUnsignedChanges: bytes follow the last signed revision: changes no signature
	// covers (the incremental-update and shadow attacks).
	ErrUnsignedChanges = eds.NewError("eds.pdf.unsigned_changes", "pdf: the document has changes after its last signature that no signature covers")
	// ErrChangesForbidden: the document is certified with DocMDP permission 1 (no
	// changes allowed), so a new signature would break its certification.
	ErrChangesForbidden = eds.NewError("eds.pdf.changes_forbidden", "pdf: the document's certification signature allows no changes")
	// ErrSignatureSpace: the CMS did not fit the space reserved for it (internal).
	ErrSignatureSpace = eds.NewError("eds.pdf.signature_too_large", "pdf: the signature is larger than the space reserved for it")
)

// Errors of the long-term levels (PAdES-LT, -LTA).
var (
	// ErrNotExtendable: a signature (or document time-stamp) of the PDF is not valid
	// now, or the document was changed after its last signature, so no long-term
	// validation material is added for it.
	ErrNotExtendable = eds.NewError("eds.pdf.not_extendable", "pdf: a signature of the document is not valid, so it is not extended to LT or LTA")
	// ErrDSS: the document's /DSS is not a dictionary of arrays of streams as ETSI EN
	// 319 142-1 describes it.
	ErrDSS = eds.NewError("eds.pdf.dss_invalid", "pdf: the document security store (/DSS) is malformed")
)

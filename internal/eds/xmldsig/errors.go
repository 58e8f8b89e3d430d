package xmldsig

import "github.com/senimkz/senim/internal/eds"

// The errors of this package, each with a stable dotted code (eds.Code). They
// are returned wrapped with detail; test them with errors.Is.
var (
	// ErrMalformed: the input is not well-formed XML (or not UTF-8), has no or
	// several document elements, or text outside the document element.
	ErrMalformed = eds.NewError("eds.xml.malformed", "xmldsig: malformed XML")
	// ErrDTD: the document has a DOCTYPE (and so possibly entity declarations). XML
	// bombs and external entities live there; signed documents never need one.
	ErrDTD = eds.NewError("eds.xml.dtd_forbidden", "xmldsig: DOCTYPE and entity declarations are not accepted")
	// ErrTooDeep: elements nested deeper than Limits.MaxDepth.
	ErrTooDeep = eds.NewError("eds.xml.too_deep", "xmldsig: XML nested too deeply")
	// ErrTooLarge: more bytes, nodes or attributes than the limits allow.
	ErrTooLarge = eds.NewError("eds.xml.too_large", "xmldsig: XML too large")
	// ErrNoSignature: no ds:Signature element.
	ErrNoSignature = eds.NewError("eds.xml.no_signature", "xmldsig: no XML signature found")
	// ErrStructure: a ds:Signature element that does not follow the XML-DSig schema
	// (missing, repeated or unexpected children).
	ErrStructure = eds.NewError("eds.xml.signature_malformed", "xmldsig: malformed ds:Signature")
	// ErrUnknownAlgorithm: a SignatureMethod, DigestMethod, CanonicalizationMethod
	// or Transform that is not supported.
	ErrUnknownAlgorithm = eds.NewError("eds.xml.algorithm_unsupported", "xmldsig: unsupported algorithm")
	// ErrReference: a Reference URI that is not "" or "#id", or that names no element.
	ErrReference = eds.NewError("eds.xml.reference_invalid", "xmldsig: reference cannot be resolved")
	// ErrDuplicateID: the ID a Reference names is carried by more than one element
	// (the signature-wrapping attack).
	ErrDuplicateID = eds.NewError("eds.xml.duplicate_id", "xmldsig: the referenced ID is not unique")
	// ErrDigest: a Reference's digest does not match its content.
	ErrDigest = eds.NewError("eds.xml.digest_mismatch", "xmldsig: digest of the signed content does not match")
	// ErrNoCertificate: the signature carries no certificate of its signer.
	ErrNoCertificate = eds.NewError("eds.xml.no_certificate", "xmldsig: no signer certificate in the signature")
	// ErrKeyMismatch: the signer's key type does not fit the SignatureMethod.
	ErrKeyMismatch = eds.NewError("eds.xml.key_mismatch", "xmldsig: the signer's key does not fit the signature method")
)

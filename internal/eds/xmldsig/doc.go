// Package xmldsig makes and checks enveloped XML signatures (XML-DSig 1.0) the
// way NCANode and Kalkan do, with the NCA's GOST R 34.10-2015 algorithm URIs as
// well as RSA-SHA256, and WS-Security signatures of SOAP envelopes.
//
// Parsing is github.com/beevik/etree over encoding/xml, after a pre-scan that
// refuses any DOCTYPE (no entity expansion, no external entities: XML bombs
// cannot start), limits depth, size, node and attribute counts, refuses
// duplicate attributes and everything but UTF-8. Canonicalisation (inclusive
// C14N 1.0 and exclusive C14N 1.0, with or without comments) is written here
// and tested byte for byte against xmlsec1; the signature algorithms are
// internal/eds's.
//
// Defences against signature wrapping: a Reference URI must be "" (the whole
// document) or "#id"; an ID must be carried by exactly one element of the
// document (Id, ID, id or wsu:Id), otherwise ErrDuplicateID; the Result gives
// back the canonical bytes that were digested, so a caller acts only on what
// was signed, never on another element found by name.
//
// XAdES baseline B and T (ETSI EN 319 132-1), as NCANode and NCALayer write
// them, are made with Options.XAdES (and TimeStamp for T) and recognised by
// Verify (Signature.Level, Signature.XAdES). The signed properties count only
// when bound: one xades:SignedProperties in the signature's own
// QualifyingProperties (Target = the signature's Id), referenced exactly once
// from SignedInfo with Type http://uri.etsi.org/01903#SignedProperties and
// resolving to that very element, and a SigningCertificateV2 (or v1) whose
// CertDigest (and IssuerSerialV2) is the certificate whose key verified the
// signature. Otherwise ErrXAdES or ErrSigningCertificate: moved, duplicated or
// retargeted properties and a substituted certificate of the same key are not
// valid XAdES. Level T needs a SignatureTimeStamp whose imprint is the hash of
// the canonical SignatureValue (TimeStampErr otherwise); the token's signature
// and TSA are the caller's to check.
//
// Attribute values are normalised as XML 1.0 §3.3.3 asks (a literal tab or
// line break becomes a space; encoding/xml leaves them), so they canonicalise
// as in libxml2 and Xerces.
package xmldsig

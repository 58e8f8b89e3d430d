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
// Attribute values are normalised as XML 1.0 §3.3.3 asks (a literal tab or
// line break becomes a space; encoding/xml leaves them), so they canonicalise
// as in libxml2 and Xerces.
package xmldsig

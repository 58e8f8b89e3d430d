// Package pades makes and verifies PDF signatures (PAdES, ETSI EN 319 142): a
// detached CMS over the file's bytes except the signature value, in a signature
// dictionary of the form (/AcroForm). The CMS is made and checked by package
// eds/cms, so GOST 2015 (the NCA's keys), RSA and ECDSA signers, chains,
// revocation and signature time-stamps work as they do for /cms/verify.
//
// # Reading
//
// The PDF reader here is small and strict and reads only what signatures need:
// the cross-reference sections (tables, cross-reference streams of PDF 1.5 with
// FlateDecode and PNG predictors, hybrid files with /XRefStm, any number of
// incremental updates through /Prev), objects in the file and in object streams
// (/ObjStm), the catalog, the form fields (with /Kids and inherited /FT) and the
// signature dictionaries. Page content is never interpreted. Limits: MaxSize
// bytes of input, 64 MiB decompressed in total, nesting 32, 2^20 objects, 1024
// revisions, 4096 form fields. Refused: encrypted PDFs and filters other than
// FlateDecode on the streams the reader needs (eds.pdf.unsupported); a stream
// whose /Length is wrong, duplicate dictionary keys, a cross-reference entry that
// points at another object, a /Prev loop (eds.pdf.malformed). Offsets are taken
// from the start of the file (a file with bytes before %PDF- whose offsets are
// relative to the header is refused).
//
// # Verification
//
// Verify finds every signature field with a value and checks, for each:
//
//   - /SubFilter is adbe.pkcs7.detached or ETSI.CAdES.detached (signatures), or
//     ETSI.RFC3161 (document time-stamps); adbe.pkcs7.sha1 and adbe.x509.rsa_sha1
//     are refused (eds.pdf.subfilter_unsupported);
//   - /ByteRange is [0 b c d] with b < c and c+d inside the file, and the hole
//     [b, c) is exactly the /Contents hex string token of this same dictionary
//     where the reader found it in the file; the dictionary itself lies inside the
//     signed bytes; the signed bytes end a revision (%%EOF). This refuses the
//     signature-wrapping attacks that move the hole or point /ByteRange at other
//     bytes, gaps and overlaps, and a dictionary in an object stream (whose
//     /Contents has no place in the file) (eds.pdf.byterange_invalid);
//   - /Contents is one CMS (BER or DER) followed only by zero padding
//     (eds.pdf.contents_invalid), detached, and valid over the signed bytes.
//
// Incremental updates: a signature that covers an earlier revision stays valid
// for that revision and is marked (CoversWholeDocument false,
// eds.pdf.modified_after_signing): later signatures and document time-stamps
// legitimately do that. Bytes after the last signed revision (other than white
// space) are changes no signature covers — the incremental-saving and shadow
// attacks (hide, replace, hide-and-replace) all need them — so Result.Valid is
// false with eds.pdf.unsigned_changes. What a later *signed* revision changed is
// not analysed (no DocMDP or field-lock evaluation): a signature followed by
// another signer's revision that also changed the page is reported only as
// modified after signing.
//
// A valid document time-stamp after a signature without its own signature
// time-stamp makes that signature be validated at the token's genTime (PAdES-T by
// document time-stamp).
//
// # Signing
//
// Sign appends one incremental update: the catalog (when the form was direct or
// absent), the form, the first page (its /Annots), an invisible signature field
// with its widget, and the signature dictionary with a placeholder that is filled
// in place, so the earlier bytes — and earlier signatures — are unchanged. The
// update's cross-reference section is a stream when the PDF's newest one is.
// The CMS is CAdES-BES with signing-certificate-v2 (plus a signature time-stamp
// with a TSA); for ETSI.CAdES.detached without the signingTime attribute, which
// PAdES forbids (the time is /M), for adbe.pkcs7.detached with it. TimeStampDocument appends a document time-stamp the same way.
// A document certified with DocMDP permission 1 is not signed
// (eds.pdf.changes_forbidden); a document time-stamp is still added, as ISO 32000-2
// §12.8.2.2 allows. Not made: visible appearances, certification (DocMDP)
// signatures.
//
// # Long-term levels (PAdES-LT, -LTA)
//
// ExtendLT validates every signature now, refuses a document that does not verify
// (eds.pdf.not_extendable), adds a document time-stamp when a signature has no
// time-stamp of any kind, and appends a /DSS (AddDSS: /Certs, /CRLs, /OCSPs as
// streams, /VRI per signature keyed by the upper-case hex SHA-1 of its /Contents)
// with the material pki.CollectLT gathers — the one collector CAdES-LT
// (archive.MakeLT) uses: the chains, the CRLs of their CAs and the OCSP answers
// that decided. For LTA a document time-stamp follows, then a /DSS with that
// time-stamp's material. An existing /DSS is kept and extended, an indirect one
// rewritten in place.
//
// Verify reads the /DSS of the newest catalog (bounded, eds.pdf.dss_invalid when it
// is not a dictionary of arrays of streams) and uses it as evidence at each
// signature's time: its certificates for building chains (never as anchors), its
// CRLs and OCSP answers through pki.Validator.WithEvidence, so that each counts only
// when signed by the issuer found for the certificate checked and about it. An
// update after the last signature is not an unsigned change when it only adds or
// replaces the /DSS: the catalog differs in /DSS alone and every other object it
// writes is a cross-reference stream or reachable from the new /DSS (and, if it
// existed before, from the old one). Signature.Level is B, T (a valid signature
// time-stamp or a valid document time-stamp after it), LT (T, and the /DSS holds
// the CA certificates of its chain and, when revocation was checked, the issuer's
// CRL or the OCSP answer that decided) or LTA (LT, and a valid document time-stamp
// covers a /DSS).
package pades

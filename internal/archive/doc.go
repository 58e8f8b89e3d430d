// Package archive keeps electronic documents verifiable for decades (rules DC-5 and
// DC-6): the content exactly as it was signed, its CMS signatures extended to CAdES
// baseline LT, and an RFC 4998 evidence record that is renewed before its time-stamp
// can no longer be trusted.
//
//   - MakeLT validates every signer at ingest and embeds what verifies it later: a
//     signature time-stamp where there is none, the chain certificates and the CRLs that
//     decided (CAdES-LT, ETSI EN 319 122-1). OCSP answers are not embedded yet.
//   - SealDocuments makes the evidence records of many documents with one time-stamp
//     over a hash tree (RFC 4998, the sorted-pair tree; see ers.go for why it is not the
//     log's RFC 6962 tree). It is the long-term ("LTA") protection of this archive: the
//     CAdES archive-time-stamp-v3 attribute is not written; the evidence record covers
//     the content and every signature file together, as an external evidence record in
//     the sense of ETSI TS 119 122-3 and ASiC (ETSI EN 319 162-1).
//   - RenewRecords renews the last archive time-stamp of many records with one new
//     time-stamp (time-stamp renewal, RFC 4998 section 5.2). Hash-tree renewal (a new
//     chain when the hash algorithm weakens) is not implemented: verification reports
//     archive.evidence.weak_hash and Due says which records need it.
//   - VerifyDocument checks an archived document offline at any time: signatures at
//     their signing time with the embedded material, the evidence record up to that
//     time, and that every expired time-stamping certificate is covered by evidence.
//   - WriteASiCE and ReadASiCE export and import the self-contained container.
//
// Errors carry stable codes (archive.*), see eds.Code.
package archive

// Package archive keeps electronic documents verifiable for decades (rules DC-5 and
// DC-6): the content exactly as it was signed, its CMS signatures extended to CAdES
// baseline LT, and an RFC 4998 evidence record that is renewed before its time-stamp
// can no longer be trusted.
//
//   - MakeLT validates every signer at ingest and embeds what verifies it later: a
//     signature time-stamp where there is none, the chain certificates, the CRLs and
//     (when OCSP is asked for) the OCSP answers that decided, in SignedData.crls (RFC
//     5940 for OCSP; CAdES-LT, ETSI EN 319 122-1).
//   - SealDocuments makes the evidence records of many documents with one time-stamp
//     over a hash tree (RFC 4998, the sorted-pair tree; see ers.go for why it is not the
//     log's RFC 6962 tree). It is the long-term ("LTA") protection of this archive: the
//     CAdES archive-time-stamp-v3 attribute is not written; the evidence record covers
//     the content and every signature file together, as an external evidence record in
//     the sense of ETSI TS 119 122-3 and ASiC (ETSI EN 319 162-1).
//   - RenewRecords renews the last archive time-stamp of many records with one new
//     time-stamp (time-stamp renewal, RFC 4998 section 5.2); RenewHashTrees starts a new
//     chain for many records with one time-stamp when their hash algorithm weakens
//     (hash-tree renewal: each data object hashed again, concatenated with the hash of
//     the earlier chains). The hash policy is data (hashpolicy.json). Service.Due says
//     which batches need which renewal and Service.Renew, the renewal job, does both.
//   - VerifyDocument checks an archived document offline at any time: signatures at
//     their signing time with the embedded material (CRLs and OCSP answers), the
//     evidence record up to that time, every chain accepted only if the next began
//     while its hash was strong, and that every expired time-stamping certificate is
//     covered by evidence.
//   - WriteASiCS and ReadASiCS export and import the default self-contained container,
//     ASiC-S (ETSI EN 319 162-1, section 4.3): the document, one SignedData with every
//     signer (CombineSignatures: each SignerInfo byte for byte, certificates and
//     revocation data unioned) and the evidence record; asics.go says when a document
//     has no ASiC-S form and the one deviation. WriteASiCE and ReadASiCE do the same as
//     ASiC-E, whose manifests are not signed (asice.go). Both readers share one
//     hostile-ZIP reader; ReadASiC reads either. Import keeps the container's evidence
//     record and the next seal continues it.
//
// Errors carry stable codes (archive.*), see eds.Code.
package archive

package archive

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// The simple container (ETSI EN 319 162-1, section 4.3, ASiC-S), the conformant form of
// this archive's content model: one data object with detached CAdES signatures over it.
//
//	mimetype                     stored, first: application/vnd.etsi.asic-s+zip
//	<document>                   the one data object, at the root, as signed
//	META-INF/signature.p7s       one CMS SignedData whose SignerInfos sign the document
//	META-INF/evidencerecord.ers  the RFC 4998 evidence record (DER), when sealed
//
// The signature file is the document's signature files combined (CombineSignatures):
// parallel SignerInfos, each byte for byte with its unsigned attributes (signature
// time-stamp), certificates and CRLs/OCSP answers unioned. A document of one signature
// file (several co-signers in one CMS, as NCALayer and eGov mobile add them) is written
// with that file unchanged, so the evidence record, which covers the document and the
// signature file, verifies from the container. A document of several signature files
// with an evidence record cannot be written as ASiC-S (ErrNotSimple): the record covers
// the files as they were, not their combination, and no signature or time-stamp can be
// re-made at export; such a document is exported as ASiC-E.
//
// One deviation, said plainly: EN 319 162-1 pairs the ASiC-S data object with either
// one signature file or one time assertion (a time-stamp token or an evidence record).
// This container carries both, the evidence record covering the data object and the
// signature file; a reader that knows only the first finds a conformant CAdES ASiC-S
// with an extra META-INF file.

// MimeTypeASiCS is the content of an ASiC-S container's mimetype entry.
const MimeTypeASiCS = "application/vnd.etsi.asic-s+zip"

const (
	asicsSignature = "META-INF/signature.p7s"
	asicsEvidence  = "META-INF/evidencerecord.ers"
)

// ErrNotSimple: a document that has no ASiC-S form (several signature files and an
// evidence record over them); export it as ASiC-E.
var ErrNotSimple = eds.NewError("archive.asic.not_simple", "archive: the document has no ASiC-S form; export it as ASiC-E")

// HasASiCS reports whether d can be written as ASiC-S (WriteASiCS): it has one
// signature file, or no evidence record over several.
func (d *Document) HasASiCS() bool {
	return len(d.Signatures) == 1 || d.Evidence == nil
}

// CombineSignatures returns one CMS SignedData with the SignerInfos of every signature
// in sigs (parallel signatures over the same content), each SignerInfo byte for byte,
// the certificates, CRLs and OCSP answers (RFC 5940 other revocation information) of
// all of them once each, and the union of their digest algorithms. One signature is
// returned unchanged. Several are combined into a detached SignedData (the data object
// is beside it in the container): an attached signature among them gives its SignerInfos
// like a detached one (they sign the content, not its place), provided every attached
// content is the same (ErrContentMismatch otherwise). Other errors wrap ErrBadCMS.
func CombineSignatures(sigs [][]byte) ([]byte, error) {
	switch len(sigs) {
	case 0:
		return nil, fmt.Errorf("%w: no signatures", ErrBadCMS)
	case 1:
		return append([]byte(nil), sigs[0]...), nil
	}
	var out *signeddata.SignedData
	var content []byte // of the first attached signature
	for i, s := range sigs {
		sd, err := signeddata.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%w: signature %d: %w", ErrBadCMS, i+1, err)
		}
		if sd.HasContent {
			// An attached signature (NCALayer's default) stored beside detached ones:
			// the archive checked it over the same document at ingest.
			if content != nil && !bytes.Equal(content, sd.Content) {
				return nil, fmt.Errorf("%w: signature %d carries other content than an earlier one", ErrContentMismatch, i+1)
			}
			content = sd.Content
		}
		if out == nil {
			out = sd
			continue
		}
		if !sd.ContentType.Equal(out.ContentType) {
			return nil, fmt.Errorf("%w: signature %d signs content of another type", ErrBadCMS, i+1)
		}
		for _, a := range sd.DigestAlgorithms {
			if !containsBytes(out.DigestAlgorithms, a) {
				out.DigestAlgorithms = append(out.DigestAlgorithms, a)
			}
		}
		for _, c := range sd.RawCertificates {
			if !containsBytes(out.RawCertificates, c) {
				out.RawCertificates = append(out.RawCertificates, c)
			}
		}
		for _, c := range sd.RawCRLs {
			if !containsBytes(out.RawCRLs, c) {
				out.RawCRLs = append(out.RawCRLs, c)
			}
		}
		out.Signers = append(out.Signers, sd.Signers...)
	}
	out.HasContent, out.Content = false, nil
	b, err := out.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCMS, err)
	}
	return b, nil
}

// WriteASiCS writes d as an ASiC-S container to w (see the layout above). modified is
// the time written on the entries (so the same document gives the same bytes). It
// returns ErrNotSimple for a document of several signature files with an evidence
// record, and ErrBadCMS when several signature files do not combine.
func WriteASiCS(w io.Writer, d *Document, modified time.Time) error {
	if !d.HasASiCS() {
		return fmt.Errorf("%w: %d signature files under one evidence record", ErrNotSimple, len(d.Signatures))
	}
	sig, err := CombineSignatures(d.Signatures)
	if err != nil {
		return err
	}
	// Everything is assembled before the first byte reaches w: a failure writes nothing.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := entryWriter(zw, modified)
	if err := put("mimetype", []byte(MimeTypeASiCS), zip.Store); err != nil {
		return err
	}
	if err := put(FileName(d.Name, d.Content), d.Content, zip.Deflate); err != nil {
		return err
	}
	if err := put(asicsSignature, sig, zip.Deflate); err != nil {
		return err
	}
	if d.Evidence != nil {
		if err := put(asicsEvidence, d.Evidence, zip.Deflate); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// ReadASiCS reads an ASiC-S container: the mimetype, one data object at the root,
// META-INF/signature.p7s and at most META-INF/evidencerecord.ers, nothing else. The
// document it returns has the one signature file; the evidence record, if any, covers
// the data object and that file (Document.Objects). Its defences and codes are those of
// ReadASiCE (the same reader): ErrContainerPath, ErrContainerBomb, ErrContainer. It
// never panics.
func ReadASiCS(b []byte, lim Limits) (*Document, error) {
	es, err := readZip(b, lim)
	if err != nil {
		return nil, err
	}
	return asicsFrom(es)
}

// asicsFrom reads the entries of an ASiC-S container (es[0] is the mimetype).
func asicsFrom(es []zipEntry) (*Document, error) {
	if string(es[0].data) != MimeTypeASiCS {
		return nil, fmt.Errorf("%w: mimetype %q", ErrContainer, es[0].data)
	}
	d := &Document{}
	for _, e := range es[1:] {
		switch n := e.name; {
		case n == asicsSignature:
			d.Signatures = [][]byte{e.data}
		case n == asicsEvidence:
			d.Evidence = e.data
		case strings.HasPrefix(n, "META-INF/"):
			return nil, fmt.Errorf("%w: unexpected %q", ErrContainerPath, n)
		case strings.Contains(n, "/"):
			return nil, fmt.Errorf("%w: a document in a folder (%q)", ErrContainerPath, n)
		default:
			if d.Name != "" {
				return nil, fmt.Errorf("%w: an ASiC-S holds one data object", ErrContainer)
			}
			d.Name, d.Content = n, e.data
		}
	}
	if d.Name == "" || len(d.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no document or no %s", ErrContainer, asicsSignature)
	}
	if err := checkCorrupt(es, d.Name); err != nil {
		return nil, err
	}
	return d, nil
}

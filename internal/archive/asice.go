package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The container (ETSI EN 319 162-1, ASiC-E):
//
//	mimetype                                   stored, first: application/vnd.etsi.asic-e+zip
//	<document>                                 the content, as signed
//	META-INF/signature001.p7s ...              each CAdES-LT signature, detached over the document
//	META-INF/ASiCManifest001.xml ...           per signature: the data object it covers, with its digest
//	META-INF/evidencerecord001.ers             the RFC 4998 evidence record (DER)
//	META-INF/ASiCEvidenceRecordManifest001.xml the objects the evidence record covers
//
// One deviation from the standard, said plainly: in a CAdES ASiC-E the signature signs
// its ASiCManifest; Kazakh signatures (NCALayer, eGov mobile) sign the document itself,
// so here each manifest describes what its signature covers and is not itself signed.
// The evidence record covers the document and every signature file. ASiC-S (asics.go)
// has no such deviation for this content model and is the default export.

// MimeTypeASiCE is the content of the mimetype entry.
const MimeTypeASiCE = "application/vnd.etsi.asic-e+zip"

const (
	nsASiC          = "http://uri.etsi.org/02918/v1.2.1#"
	nsDSig          = "http://www.w3.org/2000/09/xmldsig#"
	digestSHA256URI = "http://www.w3.org/2001/04/xmlenc#sha256"
	mimeEvidence    = "application/vnd.etsi.evidencerecord"
	mimeCAdES       = "application/pkcs7-signature"
)

type xmlDigestMethod struct {
	Algorithm string `xml:"Algorithm,attr"`
}

type xmlRef struct {
	URI          string          `xml:"URI,attr"`
	MimeType     string          `xml:"MimeType,attr,omitempty"`
	DigestMethod xmlDigestMethod `xml:"http://www.w3.org/2000/09/xmldsig# DigestMethod"`
	DigestValue  string          `xml:"http://www.w3.org/2000/09/xmldsig# DigestValue"`
}

type xmlSigRef struct {
	URI      string `xml:"URI,attr"`
	MimeType string `xml:"MimeType,attr"`
}

type xmlManifest struct {
	XMLName xml.Name  `xml:"http://uri.etsi.org/02918/v1.2.1# ASiCManifest"`
	SigRef  xmlSigRef `xml:"http://uri.etsi.org/02918/v1.2.1# SigReference"`
	Refs    []xmlRef  `xml:"http://uri.etsi.org/02918/v1.2.1# DataObjectReference"`
}

// entryURI is the URI of a container entry in a manifest: a relative reference whose
// path segments are percent-encoded (RFC 3986; ETSI EN 319 162-1 makes the manifest's
// URI attributes URIs), so "Договор займа.txt" is written
// "%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%D0%B7%D0%B0%D0%B9%D0%BC%D0%B0.txt".
func entryURI(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// entryOf finds the entry a manifest URI names: the percent-decoded name; or, as
// containers exported before the names were encoded wrote it, the URI taken as the name
// itself.
func entryOf(files map[string][]byte, uri string) (string, []byte, bool) {
	if name, err := url.PathUnescape(uri); err == nil {
		if data, ok := files[name]; ok {
			return name, data, true
		}
	}
	data, ok := files[uri]
	return uri, data, ok
}

func manifest(sigURI, sigMime string, objs map[string][]byte, order []string) ([]byte, error) {
	m := xmlManifest{SigRef: xmlSigRef{URI: entryURI(sigURI), MimeType: sigMime}}
	for _, name := range order {
		d := sha256.Sum256(objs[name])
		m.Refs = append(m.Refs, xmlRef{URI: entryURI(name), DigestMethod: xmlDigestMethod{digestSHA256URI},
			DigestValue: base64.StdEncoding.EncodeToString(d[:])})
	}
	out, err := xml.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// entryWriter returns a function that adds one entry to zw, stored or deflated, with
// the modification time modified (so the same document gives the same bytes).
func entryWriter(zw *zip.Writer, modified time.Time) func(name string, b []byte, method uint16) error {
	return func(name string, b []byte, method uint16) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: modified.UTC()})
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	}
}

// WriteASiCE writes d as an ASiC-E container to w. modified is the time written on the
// entries (so the same document gives the same bytes).
func WriteASiCE(w io.Writer, d *Document, modified time.Time) error {
	name := FileName(d.Name, d.Content)
	zw := zip.NewWriter(w)
	put := entryWriter(zw, modified)
	if err := put("mimetype", []byte(MimeTypeASiCE), zip.Store); err != nil {
		return err
	}
	if err := put(name, d.Content, zip.Deflate); err != nil {
		return err
	}
	objs := map[string][]byte{name: d.Content}
	order := []string{name}
	for i, s := range d.Signatures {
		sn := fmt.Sprintf("META-INF/signature%03d.p7s", i+1)
		if err := put(sn, s, zip.Deflate); err != nil {
			return err
		}
		m, err := manifest(sn, mimeCAdES, objs, []string{name})
		if err != nil {
			return err
		}
		if err := put(fmt.Sprintf("META-INF/ASiCManifest%03d.xml", i+1), m, zip.Deflate); err != nil {
			return err
		}
		objs[sn] = s
		order = append(order, sn)
	}
	if d.Evidence != nil {
		const en = "META-INF/evidencerecord001.ers"
		if err := put(en, d.Evidence, zip.Deflate); err != nil {
			return err
		}
		m, err := manifest(en, mimeEvidence, objs, order)
		if err != nil {
			return err
		}
		if err := put("META-INF/ASiCEvidenceRecordManifest001.xml", m, zip.Deflate); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Limits bound what ReadASiCE accepts.
type Limits struct {
	MaxContainer int64 // bytes of the container itself; default 32 MiB
	MaxTotal     int64 // uncompressed bytes of all entries; default 64 MiB
	MaxEntries   int   // default 64
	MaxRatio     int64 // uncompressed/compressed of an entry over 1 MiB; default 100
}

func (l Limits) withDefaults() Limits {
	if l.MaxContainer <= 0 {
		l.MaxContainer = 32 << 20
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = 64 << 20
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 64
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 100
	}
	return l
}

var (
	reSignature = regexp.MustCompile(`^META-INF/signature\d{3}\.p7s$`)
	reEvidence  = regexp.MustCompile(`^META-INF/evidencerecord\d{3}\.ers$`)
	reManifest  = regexp.MustCompile(`^META-INF/ASiC(EvidenceRecord)?Manifest\d{3}\.xml$`)
)

// ReadASiCE reads a container written by WriteASiCE (or another ASiC-E of the same
// shape: one document, detached CAdES signatures, at most one evidence record). It
// refuses, with ErrContainerPath, names that are absolute, climb out (..), use
// backslashes, repeat, or are unexpected; with ErrTooLarge, a container itself over
// MaxContainer; with ErrContainerBomb, entries beyond limits; with ErrContainer, anything else malformed; with ErrSignatureInvalid,
// a manifest whose digests do not match or a document whose bytes changed inside the
// container. It never panics.
func ReadASiCE(b []byte, lim Limits) (*Document, error) {
	es, err := readZip(b, lim)
	if err != nil {
		return nil, err
	}
	return asiceFrom(es)
}

// ReadASiC reads an ASiC-E or an ASiC-S container, by its mimetype entry, with the
// checks of ReadASiCE or ReadASiCS.
func ReadASiC(b []byte, lim Limits) (*Document, error) {
	es, err := readZip(b, lim)
	if err != nil {
		return nil, err
	}
	if string(es[0].data) == MimeTypeASiCS {
		return asicsFrom(es)
	}
	return asiceFrom(es)
}

// zipEntry is one file of a container, read within the limits. corrupt: its bytes do
// not match the ZIP's CRC-32 for it (changed after the container was written).
type zipEntry struct {
	name    string
	data    []byte
	corrupt bool
}

// checkCorrupt is the last check of a container's entries, after the manifests': an
// entry whose bytes changed after it was written (its CRC-32 does not match) is the
// document no longer being what was signed (ErrSignatureInvalid) or, for any other
// entry, a damaged container (ErrContainer). A CRC protects nothing against a forger,
// who recomputes it; it only names what changed.
func checkCorrupt(es []zipEntry, docName string) error {
	for _, e := range es {
		switch {
		case !e.corrupt:
		case e.name == docName:
			return fmt.Errorf("%w: the document %q changed inside the container (its bytes do not match the container's checksum)", ErrSignatureInvalid, e.name)
		default:
			return fmt.Errorf("%w: %q: zip: checksum error", ErrContainer, e.name)
		}
	}
	return nil
}

// readZip reads every file of a container within lim, the defences of both container
// forms in one place: the container's size, the number of entries, each name (checkName,
// no repeats), declared and actual sizes against the total, the compression ratio. The
// first entry is a stored mimetype; the caller checks its value. Folders are skipped.
func readZip(b []byte, lim Limits) ([]zipEntry, error) {
	lim = lim.withDefaults()
	if int64(len(b)) > lim.MaxContainer {
		// An upload over the limit, not a bomb: its own code (413 archive.upload.too_large).
		return nil, fmt.Errorf("%w: a container of %d bytes, at most %d", ErrTooLarge, len(b), lim.MaxContainer)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContainer, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries", ErrContainerBomb, len(zr.File))
	}
	if len(zr.File) == 0 || zr.File[0].Name != "mimetype" || zr.File[0].Method != zip.Store {
		return nil, fmt.Errorf("%w: the first entry must be a stored mimetype", ErrContainer)
	}
	seen := map[string]bool{}
	var total int64
	var out []zipEntry
	for _, f := range zr.File {
		n := f.Name
		if err := checkName(n); err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("%w: %q twice", ErrContainerPath, n)
		}
		seen[n] = true
		if strings.HasSuffix(n, "/") {
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxTotal-total) {
			return nil, fmt.Errorf("%w: %q declares %d bytes", ErrContainerBomb, n, f.UncompressedSize64)
		}
		if f.UncompressedSize64 > 1<<20 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxRatio) {
			return nil, fmt.Errorf("%w: %q compresses %d to 1", ErrContainerBomb, n, f.UncompressedSize64/f.CompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrContainer, n, err)
		}
		// Read at most what is declared and what is left of the total, whatever the
		// header says: the header is untrusted too.
		data, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		rc.Close()
		// A CRC mismatch is reported after the manifests and signatures could say
		// which signed data changed (checkCorrupt); the bytes are all read by then.
		corrupt := errors.Is(err, zip.ErrChecksum)
		if err != nil && !corrupt {
			return nil, fmt.Errorf("%w: %q: %w", ErrContainer, n, err)
		}
		if uint64(len(data)) != f.UncompressedSize64 {
			return nil, fmt.Errorf("%w: %q is not the size it declares", ErrContainerBomb, n)
		}
		total += int64(len(data))
		out = append(out, zipEntry{n, data, corrupt})
	}
	return out, nil
}

// asiceFrom reads the entries of an ASiC-E container (es[0] is the mimetype).
func asiceFrom(es []zipEntry) (*Document, error) {
	d := &Document{}
	files := map[string][]byte{}
	var manifests []string
	for i, e := range es {
		n, data := e.name, e.data
		switch {
		case i == 0:
			if string(data) != MimeTypeASiCE {
				return nil, fmt.Errorf("%w: mimetype %q", ErrContainer, data)
			}
		case reSignature.MatchString(n):
			d.Signatures = append(d.Signatures, data)
			files[n] = data
		case reEvidence.MatchString(n):
			if d.Evidence != nil {
				return nil, fmt.Errorf("%w: more than one evidence record", ErrContainer)
			}
			d.Evidence = data
			files[n] = data
		case reManifest.MatchString(n):
			manifests = append(manifests, n)
			files[n] = data
		case strings.HasPrefix(n, "META-INF/"):
			return nil, fmt.Errorf("%w: unexpected %q", ErrContainerPath, n)
		case strings.Contains(n, "/"):
			return nil, fmt.Errorf("%w: a document in a folder (%q)", ErrContainerPath, n)
		default:
			if d.Name != "" {
				return nil, fmt.Errorf("%w: more than one document", ErrContainer)
			}
			d.Name, d.Content = n, data
			files[n] = data
		}
	}
	if d.Name == "" || len(d.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no document or no signature", ErrContainer)
	}
	for _, mn := range manifests {
		var m xmlManifest
		if err := xml.Unmarshal(files[mn], &m); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrContainer, mn, err)
		}
		if _, _, ok := entryOf(files, m.SigRef.URI); !ok {
			return nil, fmt.Errorf("%w: %s names %q, not in the container", ErrContainer, mn, m.SigRef.URI)
		}
		for _, r := range m.Refs {
			_, data, ok := entryOf(files, r.URI)
			if !ok || r.DigestMethod.Algorithm != digestSHA256URI {
				return nil, fmt.Errorf("%w: %s: reference %q", ErrContainer, mn, r.URI)
			}
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.DigestValue))
			if err != nil || len(got) != sha256.Size {
				return nil, fmt.Errorf("%w: %s: the digest of %q is not a SHA-256 value", ErrContainer, mn, r.URI)
			}
			if want := sha256.Sum256(data); !bytes.Equal(got, want[:]) {
				// A well-formed manifest over other bytes: what it describes changed
				// after it was signed or sealed (rule DC-5), not a malformed container.
				return nil, fmt.Errorf("%w: %s: the digest of %q does not match: it changed after it was signed", ErrSignatureInvalid, mn, r.URI)
			}
		}
	}
	if err := checkCorrupt(es, d.Name); err != nil {
		return nil, err
	}
	return d, nil
}

func checkName(n string) error {
	switch {
	case n == "" || !utf8.ValidString(n) || len(n) > 255:
		return fmt.Errorf("%w: empty, too long or not UTF-8", ErrContainerPath)
	case strings.ContainsAny(n, "\\\x00:") || strings.HasPrefix(n, "/"):
		return fmt.Errorf("%w: %q", ErrContainerPath, n)
	}
	trimmed := strings.TrimSuffix(n, "/")
	if path.Clean(trimmed) != trimmed || trimmed == "." || trimmed == ".." || strings.HasPrefix(trimmed, "../") || strings.Contains(trimmed, "/../") {
		return fmt.Errorf("%w: %q", ErrContainerPath, n)
	}
	return nil
}

// IsZip reports whether b starts like a ZIP file (an ASiC container).
func IsZip(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }

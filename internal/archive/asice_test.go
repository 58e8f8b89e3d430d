package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rule DC-6: the exported container holds everything: it verifies offline from its own
// bytes decades later, and fails after one byte of the document changes inside it.
func TestASiCERoundTripVerifiesOffline(t *testing.T) {
	w := newWorld(t)
	doc := w.archiveDoc([]byte("loan agreement, 24 months"), w.signer("Alice"), w.signer("Bob"))
	w.clock = w.clock.Add(24 * time.Hour)
	w.seal(doc)
	w.clock = day(2030, 6, 1)
	w.renew(w.tsa2, nil, doc)

	var buf bytes.Buffer
	if err := WriteASiCE(&buf, doc, day(2030, 6, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadASiCE(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != doc.Name || !bytes.Equal(got.Content, doc.Content) || len(got.Signatures) != 1 || !bytes.Equal(got.Evidence, doc.Evidence) {
		t.Fatal("import differs from export")
	}
	rep, err := VerifyDocument(t.Context(), got, w.trust(), day(2035, 1, 1), Policy{})
	if err != nil || !rep.Valid {
		t.Fatalf("%v %v", err, rep.Errs())
	}

	// Change one byte of the document and fix the manifests' digests, so only the
	// signatures and the evidence record can notice.
	tampered := *got
	tampered.Content = append([]byte(nil), got.Content...)
	tampered.Content[3] ^= 0x20
	var buf2 bytes.Buffer
	if err := WriteASiCE(&buf2, &tampered, day(2030, 6, 1)); err != nil {
		t.Fatal(err)
	}
	back, err := ReadASiCE(buf2.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyDocument(t.Context(), back, w.trust(), day(2035, 1, 1), Policy{})
	if err != nil || rep.Valid || !rep.HasCode(ErrNotCovered) {
		t.Fatalf("tampered: %v valid=%v %v", err, rep.Valid, rep.Errs())
	}

	// A ZIP reader other than Go's lists the same entries, mimetype first.
	if unzip, err := exec.LookPath("unzip"); err == nil {
		p := filepath.Join(t.TempDir(), "doc.asice")
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(unzip, "-Z1", p).Output()
		if err != nil || !bytes.HasPrefix(out, []byte("mimetype\n")) || !bytes.Contains(out, []byte("META-INF/evidencerecord001.ers")) {
			t.Fatalf("unzip: %v\n%s", err, out)
		}
	}
}

type entry struct {
	name   string
	data   []byte
	method uint16
}

func container(t testing.TB, entries ...entry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Hostile containers are refused with a stable code each.
func TestReadASiCEHostile(t *testing.T) {
	mt := entry{"mimetype", []byte(MimeTypeASiCE), zip.Store}
	sig := entry{"META-INF/signature001.p7s", []byte{0x30, 0}, zip.Deflate}
	doc := entry{"doc.txt", []byte("x"), zip.Deflate}
	bomb := entry{"doc.txt", make([]byte, 8<<20), zip.Deflate}
	// One byte of the document changed, its manifest as written for the original: in a
	// well-formed ZIP, and in the container's bytes (the entry's CRC no longer matches).
	manifested := func(docData []byte) []byte {
		m, err := manifest("META-INF/signature001.p7s", mimeCAdES, map[string][]byte{"doc.txt": []byte("original")}, []string{"doc.txt"})
		if err != nil {
			t.Fatal(err)
		}
		return container(t, mt, entry{"doc.txt", docData, zip.Store}, sig, entry{"META-INF/ASiCManifest001.xml", m, zip.Deflate})
	}
	flipped := manifested([]byte("original"))
	flipped[bytes.Index(flipped, []byte("original"))+2] ^= 0x20
	tests := []struct {
		name string
		b    []byte
		lim  Limits
		want error
	}{
		{"document changed, manifest kept", manifested([]byte("orIginal")), Limits{}, ErrSignatureInvalid},
		{"document byte changed in the container", flipped, Limits{}, ErrSignatureInvalid},
		{"not a zip", []byte("hello"), Limits{}, ErrContainer},
		{"mimetype not first", container(t, doc, mt, sig), Limits{}, ErrContainer},
		{"mimetype deflated", container(t, entry{"mimetype", []byte(MimeTypeASiCE), zip.Deflate}, doc, sig), Limits{}, ErrContainer},
		{"wrong mimetype", container(t, entry{"mimetype", []byte("application/zip"), zip.Store}, doc, sig), Limits{}, ErrContainer},
		{"path traversal", container(t, mt, entry{"../../etc/passwd", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"absolute path", container(t, mt, entry{"/etc/passwd", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"backslash", container(t, mt, entry{"..\\x", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"inner climb", container(t, mt, entry{"META-INF/../x", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"duplicate", container(t, mt, doc, doc, sig), Limits{}, ErrContainerPath},
		{"unexpected META-INF", container(t, mt, doc, sig, entry{"META-INF/manifest.xml", []byte("x"), zip.Deflate}), Limits{}, ErrContainerPath},
		{"two documents", container(t, mt, doc, entry{"b.txt", []byte("y"), zip.Deflate}, sig), Limits{}, ErrContainer},
		{"no signature", container(t, mt, doc), Limits{}, ErrContainer},
		{"zip bomb", container(t, mt, bomb, sig), Limits{}, ErrContainerBomb},
		{"over the total", container(t, mt, doc, sig), Limits{MaxTotal: 16}, ErrContainerBomb},
		{"oversize container", container(t, mt, doc, sig), Limits{MaxContainer: 100}, ErrTooLarge},
		{"too many entries", container(t, mt, doc, sig), Limits{MaxEntries: 2}, ErrContainerBomb},
		{"manifest digest wrong", container(t, mt, doc, sig, entry{"META-INF/ASiCManifest001.xml",
			[]byte(`<ASiCManifest xmlns="http://uri.etsi.org/02918/v1.2.1#"><SigReference URI="META-INF/signature001.p7s" MimeType="application/pkcs7-signature"/>` +
				`<DataObjectReference URI="doc.txt"><DigestMethod xmlns="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
				`<DigestValue xmlns="http://www.w3.org/2000/09/xmldsig#">AAAA</DigestValue></DataObjectReference></ASiCManifest>`), zip.Deflate}), Limits{}, ErrContainer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadASiCE(tt.b, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := ReadASiCE(container(t, mt, doc, sig), Limits{}); err != nil {
		t.Fatalf("a plain container: %v", err)
	}
	if _, err := ReadASiCE(manifested([]byte("original")), Limits{}); err != nil {
		t.Fatalf("a container with its manifest: %v", err)
	}
}

func FuzzReadASiCE(f *testing.F) {
	mt := entry{"mimetype", []byte(MimeTypeASiCE), zip.Store}
	f.Add(container(f, mt, entry{"doc.txt", []byte("x"), zip.Deflate}, entry{"META-INF/signature001.p7s", []byte{0x30, 0}, zip.Deflate}))
	var buf bytes.Buffer
	WriteASiCE(&buf, &Document{Name: "a.txt", Content: []byte("abc"), Signatures: [][]byte{{1}}, Evidence: []byte{2}}, day(2026, 1, 1))
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadASiCE(b, Limits{MaxTotal: 1 << 20})
		if err != nil {
			return
		}
		if d.Name == "" || len(d.Signatures) == 0 || checkName(d.Name) != nil {
			t.Fatalf("accepted an incomplete container: %+v", d)
		}
	})
}

// ETSI EN 319 162-1: a manifest's URI attributes are URIs, so a document name with
// spaces or Cyrillic letters is percent-encoded in them (RFC 3986) while the ZIP entry
// keeps the name itself. Such a container round-trips — export, import, verify — and
// a URI that is not valid percent-encoding is refused; a raw name, as earlier exports
// wrote it, is still read.
func TestASiCECyrillicNameRoundTrip(t *testing.T) {
	w := newWorld(t)
	doc := w.archiveDoc([]byte("Договор займа на 24 месяца"), w.signer("Alice"))
	doc.Name = "Договор займа №1.txt"
	w.clock = w.clock.Add(time.Hour)
	w.seal(doc)
	var buf bytes.Buffer
	if err := WriteASiCE(&buf, doc, w.clock); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	const encoded = "%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%D0%B7%D0%B0%D0%B9%D0%BC%D0%B0%20%E2%84%961.txt"
	manifests := 0
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "META-INF/ASiC") {
			continue
		}
		manifests++
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Contains(b, []byte(`URI="`+encoded+`"`)) || bytes.Contains(b, []byte(`URI="Договор`)) {
			t.Errorf("%s: the document's URI is not percent-encoded:\n%s", f.Name, b)
		}
	}
	if manifests != 2 {
		t.Fatalf("%d manifests", manifests)
	}
	back, err := ReadASiC(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Name != doc.Name || !bytes.Equal(back.Content, doc.Content) {
		t.Fatalf("read back as %q", back.Name)
	}
	if rep, err := VerifyDocument(t.Context(), back, w.trust(), day(2027, 1, 1), Policy{}); err != nil || !rep.Valid {
		t.Fatalf("%v %v", err, rep.Errs())
	}

	// A manifest as earlier exports wrote it (the raw name) still reads; one whose URI
	// is not valid percent-encoding does not.
	mt := entry{"mimetype", []byte(MimeTypeASiCE), zip.Store}
	sig := entry{"META-INF/signature001.p7s", []byte{0x30, 0}, zip.Deflate}
	withURI := func(uri string) []byte {
		m, err := manifest("META-INF/signature001.p7s", mimeCAdES, map[string][]byte{"a b.txt": []byte("x")}, []string{"a b.txt"})
		if err != nil {
			t.Fatal(err)
		}
		m = bytes.Replace(m, []byte(`URI="a%20b.txt"`), []byte(`URI="`+uri+`"`), 1)
		return container(t, mt, entry{"a b.txt", []byte("x"), zip.Deflate}, sig, entry{"META-INF/ASiCManifest001.xml", m, zip.Deflate})
	}
	for _, uri := range []string{"a%20b.txt", "a b.txt"} {
		if _, err := ReadASiCE(withURI(uri), Limits{}); err != nil {
			t.Errorf("URI %q: %v", uri, err)
		}
	}
	for _, uri := range []string{"a%2Gb.txt", "a%20c.txt"} {
		if _, err := ReadASiCE(withURI(uri), Limits{}); !errors.Is(err, ErrContainer) {
			t.Errorf("URI %q: %v", uri, err)
		}
	}
}

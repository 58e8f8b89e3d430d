package archive

import (
	"archive/zip"
	"bytes"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// rule DC-5, DC-6: the archived document exported as ASiC-S verifies offline from the
// container alone in 2035, after the signer's certificate was revoked (2027, after she
// signed) and the TSA certificate of the signature and first archive time-stamps
// expired (2031), with the same verdict as its ASiC-E; one content byte changed inside
// the container makes it invalid.
func TestASiCSDecadesLater(t *testing.T) {
	w := newWorld(t)
	alice := w.signer("Alice")
	doc := w.archiveDoc([]byte("loan agreement, 24 months"), alice, w.signer("Bob"))
	w.clock = w.clock.Add(24 * time.Hour)
	w.seal(doc)
	revoked := tsptest.Revoked{Serial: alice.Cert.SerialNumber, At: day(2027, 3, 1), Reason: int(pki.ReasonSuperseded)}
	w.clock = day(2030, 6, 1)
	w.renew(w.tsa2, []tsptest.Revoked{revoked}, doc)

	var buf bytes.Buffer
	if err := WriteASiCS(&buf, doc, day(2030, 6, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadASiCS(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != doc.Name || !bytes.Equal(got.Content, doc.Content) || len(got.Signatures) != 1 ||
		!bytes.Equal(got.Signatures[0], doc.Signatures[0]) || !bytes.Equal(got.Evidence, doc.Evidence) {
		t.Fatal("the ASiC-S does not give back the archived document")
	}
	if viaAny, err := ReadASiC(buf.Bytes(), Limits{}); err != nil || !bytes.Equal(viaAny.Signatures[0], got.Signatures[0]) {
		t.Fatalf("ReadASiC: %v", err)
	}
	later := w.crl(revoked) // the revocation, given from outside as well
	trust := w.trust()
	trust.CRLs = []*pki.CRL{later}
	at := day(2035, 1, 1)
	rep, err := VerifyDocument(t.Context(), got, trust, at, Policy{})
	if err != nil || !rep.Valid {
		t.Fatalf("2035 from the ASiC-S: %v %v", err, rep.Errs())
	}
	if n := len(rep.Signatures[0].Result.Signers); n != 2 {
		t.Fatalf("%d signers", n)
	}
	// The same verdict as the ASiC-E path.
	var ebuf bytes.Buffer
	if err := WriteASiCE(&ebuf, doc, day(2030, 6, 1)); err != nil {
		t.Fatal(err)
	}
	ed, err := ReadASiCE(ebuf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	erep, err := VerifyDocument(t.Context(), ed, trust, at, Policy{})
	if err != nil || erep.Valid != rep.Valid || erep.Evidence.Time != rep.Evidence.Time || erep.Evidence.Until != rep.Evidence.Until {
		t.Fatalf("ASiC-E and ASiC-S disagree: %v %v", err, erep.Errs())
	}
	// 2041: the 2030 TSA certificate expired and nobody renewed.
	if rep, _ := VerifyDocument(t.Context(), got, trust, day(2041, 1, 1), Policy{}); rep.Valid || !rep.HasCode(ErrGap) {
		t.Fatalf("2041: valid %v %v", rep.Valid, rep.Errs())
	}

	// One content byte changed inside the container (the ZIP rebuilt around it).
	changed := append([]byte(nil), doc.Content...)
	changed[3] ^= 0x20
	tampered := container(t, entry{"mimetype", []byte(MimeTypeASiCS), zip.Store}, entry{doc.Name, changed, zip.Deflate},
		entry{asicsSignature, got.Signatures[0], zip.Deflate}, entry{asicsEvidence, got.Evidence, zip.Deflate})
	back, err := ReadASiCS(tampered, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyDocument(t.Context(), back, trust, at, Policy{})
	if err != nil || rep.Valid || !rep.HasCode(ErrNotCovered) {
		t.Fatalf("tampered: %v valid=%v %v", err, rep.Valid, rep.Errs())
	}
	// Without its evidence record the container proves nothing after 2031.
	bare := container(t, entry{"mimetype", []byte(MimeTypeASiCS), zip.Store}, entry{doc.Name, doc.Content, zip.Deflate},
		entry{asicsSignature, got.Signatures[0], zip.Deflate})
	if d, err := ReadASiCS(bare, Limits{}); err != nil {
		t.Fatal(err)
	} else if rep, _ := VerifyDocument(t.Context(), d, trust, at, Policy{}); rep.Valid || !rep.HasCode(ErrGap) {
		t.Fatalf("no evidence: valid %v %v", rep.Valid, rep.Errs())
	}

	// A ZIP reader other than Go's lists mimetype first and the ASiC-S names.
	if unzip, err := exec.LookPath("unzip"); err == nil {
		p := filepath.Join(t.TempDir(), "doc.asics")
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(unzip, "-Z1", p).Output()
		want := "mimetype\ncontract.txt\nMETA-INF/signature.p7s\nMETA-INF/evidencerecord.ers\n"
		if err != nil || string(out) != want {
			t.Fatalf("unzip: %v\n%s", err, out)
		}
	}
}

// rule DC-6: several signature files combine into one SignedData: every SignerInfo
// byte for byte (its signature time-stamp included), certificates and CRLs once each;
// the combination verifies as the files did. With an evidence record over the separate
// files there is no ASiC-S (the record covers the files, not their combination).
func TestCombineSignatures(t *testing.T) {
	w := newWorld(t)
	first := w.archiveDoc([]byte("agreement with two signature files"), w.signer("Dana"))
	second := w.archiveDoc(first.Content, w.signer("Erlan"))
	doc := &Document{Name: "two.txt", Content: first.Content, Signatures: [][]byte{first.Signatures[0], second.Signatures[0]}}

	comb, err := CombineSignatures(doc.Signatures)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := signeddata.Parse(comb)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	certs, crls := map[string]bool{}, map[string]bool{}
	for _, s := range doc.Signatures {
		part, err := signeddata.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, si := range part.Signers {
			want++
			found := false
			for _, c := range sd.Signers {
				found = found || bytes.Equal(c.Raw, si.Raw)
			}
			if !found || len(si.UnsignedAttrs) == 0 {
				t.Fatal("a SignerInfo (with its time-stamp) did not survive byte for byte")
			}
		}
		for _, c := range part.RawCertificates {
			certs[string(c)] = true
		}
		for _, c := range part.RawCRLs {
			crls[string(c)] = true
		}
	}
	if len(sd.Signers) != want || len(sd.RawCertificates) != len(certs) || len(sd.RawCRLs) != len(crls) || sd.HasContent {
		t.Fatalf("signers %d/%d, certificates %d/%d, CRLs %d/%d", len(sd.Signers), want, len(sd.RawCertificates), len(certs), len(sd.RawCRLs), len(crls))
	}

	var buf bytes.Buffer
	if err := WriteASiCS(&buf, doc, day(2026, 7, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadASiCS(buf.Bytes(), Limits{})
	if err != nil || !bytes.Equal(got.Signatures[0], comb) {
		t.Fatalf("read back: %v", err)
	}
	rep, err := VerifyDocument(t.Context(), got, w.trust(), day(2027, 1, 1), Policy{})
	if err != nil || !rep.Valid || len(rep.Signatures[0].Result.Signers) != 2 {
		t.Fatalf("combined: %v %v", err, rep.Errs())
	}
	// The combination is over the content: another content fails.
	other := *got
	other.Content = []byte("agreement with two signature fileS")
	if rep, _ := VerifyDocument(t.Context(), &other, w.trust(), day(2027, 1, 1), Policy{}); rep.Valid {
		t.Fatal("the combined signature verifies over other content")
	}
	// One file is kept as it is.
	if one, err := CombineSignatures(doc.Signatures[:1]); err != nil || !bytes.Equal(one, doc.Signatures[0]) {
		t.Fatalf("one signature file changed: %v", err)
	}

	// Sealed: the record covers the two files, so no ASiC-S, and nothing is written.
	w.clock = w.clock.Add(time.Hour)
	w.seal(doc)
	var none bytes.Buffer
	if err := WriteASiCS(&none, doc, day(2026, 7, 1)); !errors.Is(err, ErrNotSimple) || none.Len() != 0 {
		t.Fatalf("sealed, two files: %v, %d bytes", err, none.Len())
	}

	// Bad input: none, not CMS, two attached signatures over different contents.
	sign := func(content []byte) []byte {
		sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{w.signer("Farida")}, cms.SignOptions{Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	attached := sign(doc.Content)
	for name, tc := range map[string]struct {
		sigs [][]byte
		want error
	}{
		"none":                   {nil, ErrBadCMS},
		"not CMS":                {[][]byte{doc.Signatures[0], []byte("not a CMS")}, ErrBadCMS},
		"attached, other things": {[][]byte{attached, sign([]byte("another agreement"))}, ErrContentMismatch},
	} {
		if _, err := CombineSignatures(tc.sigs); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// rule DC-6: an unsealed document stored with a detached and an attached signature file
// (NCALayer's default is attached) has an ASiC-S form, as the page and the API offer:
// the two combine into one detached SignedData that verifies over the document, and a
// changed byte fails. Before, WriteASiCS refused it as "not a readable CMS" (the API's
// 422 archive.signature.malformed, the cabinet's default download a server error).
func TestCombineAttachedSignature(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w := newWorld(t)
		svc, err := New(Config{DB: db, Validation: w.validation(w.crl()), Trust: w.trust(), Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("agreement: one detached and one attached signature")
		now := func() time.Time { return w.clock }
		det, err := cms.Sign(ctx, content, []cms.SignerSpec{w.signer("Dana")}, cms.SignOptions{Detached: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		att, err := cms.Sign(ctx, content, []cms.SignerSpec{w.signer("Erlan")}, cms.SignOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		const owner = "org:900140000009"
		sum, err := svc.Ingest(ctx, owner, "two.txt", content, [][]byte{det, att})
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := svc.Open(ctx, owner, sum.ID, false)
		if err != nil || !d.HasASiCS() {
			t.Fatalf("open: %v, ASiC-S form %v", err, d != nil && d.HasASiCS())
		}
		b, _, err := svc.Export(ctx, owner, sum.ID, MimeTypeASiCS)
		if err != nil {
			t.Fatalf("ASiC-S export: %v", err)
		}
		got, err := ReadASiCS(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		sd, err := signeddata.Parse(got.Signatures[0])
		if err != nil || sd.HasContent || len(sd.Signers) != 2 {
			t.Fatalf("signature.p7s: %v, attached %v", err, sd != nil && sd.HasContent)
		}
		rep, err := VerifyDocument(ctx, got, w.trust(), w.clock.AddDate(0, 1, 0), Policy{})
		if err != nil || !rep.Valid || len(rep.Signatures[0].Result.Signers) != 2 {
			t.Fatalf("the combined signature: %v %v", err, rep.Errs())
		}
		got.Content = bytes.Clone(got.Content)
		got.Content[0] ^= 1
		if rep, _ := VerifyDocument(ctx, got, w.trust(), w.clock.AddDate(0, 1, 0), Policy{}); rep.Valid {
			t.Fatal("the combined signature verifies over a changed document")
		}
	})
}

// The combined signature.p7s is a plain CMS to OpenSSL: both ECDSA signers verify
// against the root (one from a detached signature file, one from an attached one), with
// revocation from the CRLs carried in it, and a changed content is refused.
func TestOpenSSLVerifiesASiCS(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	w := newWorld(t)
	cfg, err := w.root.TSA(eds.KeyECDSA, "TSA ECDSA", day(2026, 1, 1), day(2031, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		t.Fatal(err)
	}
	w.tsa1 = &tsp.Local{Config: cfg}
	content := []byte("agreement")
	var sigs [][]byte
	for _, cn := range []string{"Signer A", "Signer B"} {
		cert, key, err := w.root.Leaf(eds.KeyECDSA, cn, day(2026, 1, 1), day(2028, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		// Signer B's file is attached (NCALayer's default): it combines all the same.
		sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Detached: cn == "Signer A", Now: func() time.Time { return w.clock }})
		if err != nil {
			t.Fatal(err)
		}
		lt, _, err := MakeLT(t.Context(), sig, content, w.validation(w.crl()))
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, lt)
		w.clock = w.clock.Add(time.Hour)
	}
	var buf bytes.Buffer
	if err := WriteASiCS(&buf, &Document{Name: "agreement.txt", Content: content, Signatures: sigs}, w.clock); err != nil {
		t.Fatal(err)
	}
	d, err := ReadASiCS(buf.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sigFile, root := write("signature.p7s", d.Signatures[0]), write("root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.root.Cert.Raw}))
	at := strconv.FormatInt(w.clock.Add(time.Hour).Unix(), 10)
	verify := func(doc string) ([]byte, error) {
		return exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", sigFile, "-content", doc, "-binary",
			"-CAfile", root, "-crl_check", "-purpose", "any", "-attime", at, "-out", os.DevNull).CombinedOutput()
	}
	if out, err := verify(write("doc", content)); err != nil {
		t.Fatalf("openssl refuses the combined signature: %v\n%s", err, out)
	}
	if _, err := verify(write("changed", []byte("agreemenT"))); err == nil {
		t.Fatal("openssl accepts a changed content")
	}
	out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sigFile).CombinedOutput()
	if err != nil || bytes.Count(out, []byte("signerInfos:")) != 1 || bytes.Count(out, []byte("signatureAlgorithm:")) < 2 {
		t.Fatalf("openssl print: %v", err)
	}
}

// Hostile ASiC-S containers are refused with the codes of ASiC-E (the same reader).
func TestReadASiCSHostile(t *testing.T) {
	mt := entry{"mimetype", []byte(MimeTypeASiCS), zip.Store}
	sig := entry{asicsSignature, []byte{0x30, 0}, zip.Deflate}
	doc := entry{"doc.txt", []byte("x"), zip.Deflate}
	bomb := entry{"doc.txt", make([]byte, 8<<20), zip.Deflate}
	// A byte changed in the container's bytes: of the stored document (the document is
	// not what was signed), or of a stored signature file (a damaged container).
	flip := func(b []byte, in string) []byte {
		b[bytes.Index(b, []byte(in))+1] ^= 0x20
		return b
	}
	docChanged := flip(container(t, mt, entry{"doc.txt", []byte("original"), zip.Store}, sig), "original")
	sigChanged := flip(container(t, mt, doc, entry{asicsSignature, []byte("0signature"), zip.Store}), "0signature")
	tests := []struct {
		name string
		b    []byte
		lim  Limits
		want error
	}{
		{"document byte changed in the container", docChanged, Limits{}, ErrSignatureInvalid},
		{"signature byte changed in the container", sigChanged, Limits{}, ErrContainer},
		{"not a zip", []byte("hello"), Limits{}, ErrContainer},
		{"mimetype not first", container(t, doc, mt, sig), Limits{}, ErrContainer},
		{"mimetype deflated", container(t, entry{"mimetype", []byte(MimeTypeASiCS), zip.Deflate}, doc, sig), Limits{}, ErrContainer},
		{"ASiC-E mimetype", container(t, entry{"mimetype", []byte(MimeTypeASiCE), zip.Store}, doc, sig), Limits{}, ErrContainer},
		{"path traversal", container(t, mt, entry{"../../etc/passwd", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"absolute path", container(t, mt, entry{"/etc/passwd", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"backslash", container(t, mt, entry{"..\\x", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"inner climb", container(t, mt, entry{"META-INF/../x", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"duplicate", container(t, mt, doc, doc, sig), Limits{}, ErrContainerPath},
		{"duplicate signature", container(t, mt, doc, sig, sig), Limits{}, ErrContainerPath},
		{"an ASiC-E signature name", container(t, mt, doc, entry{"META-INF/signature001.p7s", []byte{0x30, 0}, zip.Deflate}), Limits{}, ErrContainerPath},
		{"unexpected META-INF", container(t, mt, doc, sig, entry{"META-INF/manifest.xml", []byte("x"), zip.Deflate}), Limits{}, ErrContainerPath},
		{"document in a folder", container(t, mt, entry{"a/doc.txt", []byte("x"), zip.Deflate}, sig), Limits{}, ErrContainerPath},
		{"two data objects", container(t, mt, doc, entry{"b.txt", []byte("y"), zip.Deflate}, sig), Limits{}, ErrContainer},
		{"no signature", container(t, mt, doc), Limits{}, ErrContainer},
		{"evidence only", container(t, mt, doc, entry{asicsEvidence, []byte{0x30, 0}, zip.Deflate}), Limits{}, ErrContainer},
		{"no data object", container(t, mt, sig), Limits{}, ErrContainer},
		{"zip bomb", container(t, mt, bomb, sig), Limits{}, ErrContainerBomb},
		{"over the total", container(t, mt, doc, sig), Limits{MaxTotal: 16}, ErrContainerBomb},
		{"oversize container", container(t, mt, doc, sig), Limits{MaxContainer: 100}, ErrTooLarge},
		{"too many entries", container(t, mt, doc, sig), Limits{MaxEntries: 2}, ErrContainerBomb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadASiCS(tt.b, tt.lim); !errors.Is(err, tt.want) {
				t.Fatalf("ReadASiCS: got %v, want %v", err, tt.want)
			}
			if tt.name == "ASiC-E mimetype" {
				return // ReadASiC reads it as an ASiC-E
			}
			if _, err := ReadASiC(tt.b, tt.lim); !errors.Is(err, tt.want) {
				t.Fatalf("ReadASiC: got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := ReadASiCS(container(t, mt, doc, sig), Limits{}); err != nil {
		t.Fatalf("a plain container: %v", err)
	}
}

func FuzzReadASiCS(f *testing.F) {
	mt := entry{"mimetype", []byte(MimeTypeASiCS), zip.Store}
	f.Add(container(f, mt, entry{"doc.txt", []byte("x"), zip.Deflate}, entry{asicsSignature, []byte{0x30, 0}, zip.Deflate}))
	f.Add(container(f, mt, entry{"doc.txt", []byte("x"), zip.Deflate}, entry{asicsSignature, []byte{0x30, 0}, zip.Deflate},
		entry{asicsEvidence, []byte{0x30, 0}, zip.Deflate}))
	var buf bytes.Buffer
	WriteASiCS(&buf, &Document{Name: "a.txt", Content: []byte("abc"), Signatures: [][]byte{{1}}, Evidence: []byte{2}}, day(2026, 1, 1))
	f.Add(buf.Bytes())
	f.Add(container(f, mt, entry{"META-INF/", nil, zip.Store}, entry{"a.txt", []byte("x"), zip.Store}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ReadASiCS(b, Limits{MaxTotal: 1 << 20})
		if err != nil {
			return
		}
		if d.Name == "" || len(d.Signatures) != 1 || checkName(d.Name) != nil || bytes.ContainsRune([]byte(d.Name), '/') {
			t.Fatalf("accepted an incomplete container: %+v", d)
		}
	})
}

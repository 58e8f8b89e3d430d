package pades

import (
	"bytes"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

// ltPKI is an RSA root that issues CRLs, a signer and a TSA under it, the root's
// current CRL, and two validators: online (with the CRL) and offline (without).
type ltPKI struct {
	root            *tsptest.CA
	spec            cms.SignerSpec
	tsa             cms.TimeStamper
	crl             *pki.CRL
	online, offline *pki.Validator
}

func newLTPKI(t testing.TB, name string, revoked ...tsptest.Revoked) *ltPKI {
	t.Helper()
	root, err := tsptest.NewRoot(eds.KeyRSA, name+" Root", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := root.Leaf(eds.KeyRSA, name+" Signer", date(2026, 1, 1), date(2027, 6, 1))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := root.TSA(eds.KeyECDSA, name+" TSA", date(2025, 1, 1), date(2030, 1, 1), clock)
	if err != nil {
		t.Fatal(err)
	}
	for i := range revoked {
		if revoked[i].Serial == nil {
			revoked[i].Serial = cert.SerialNumber
		}
	}
	der, err := root.CRL(7, testNow.Add(-time.Hour), testNow.Add(7*24*time.Hour), revoked)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := pki.ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	online, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}, CRLs: []*pki.CRL{crl}})
	if err != nil {
		t.Fatal(err)
	}
	offline, err := pki.New(pki.Config{Roots: []*x509.Certificate{root.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	return &ltPKI{root: root, spec: cms.SignerSpec{Signer: key, Cert: cert}, tsa: &tsp.Local{Config: cfg}, crl: crl, online: online, offline: offline}
}

var crlOnly = []pki.RevocationMethod{pki.RevocationCRL}

func (p *ltPKI) ltOptions(archive bool) LTOptions {
	return LTOptions{
		Verify: cms.VerifyOptions{Validator: p.online, Revocation: crlOnly, Now: clock},
		CRLs:   []*pki.CRL{p.crl}, TSA: p.tsa, Archive: archive,
	}
}

// offlineLater verifies without CRLs, after the signer's certificate expired and the
// CRL went stale: only the /DSS can prove the signer was not revoked.
func (p *ltPKI) offlineLater() cms.VerifyOptions {
	later := date(2028, 1, 1)
	return cms.VerifyOptions{Validator: p.offline, Revocation: crlOnly, Now: func() time.Time { return later }}
}

func levelsOf(res *Result) []string {
	var out []string
	for _, s := range res.Signatures {
		out = append(out, s.Level)
	}
	return out
}

// rule PAdES-LT (ETSI EN 319 142-1 6.3): ExtendLT appends a /DSS with the signer's
// and the TSA's chains and the CRL that decided; the file then verifies offline,
// after the signer's certificate expired, at the signature time-stamp's time, and
// is reported LT; the update after the signature is not an unsigned change.
// Negative: the same signature without the /DSS is not valid offline (no revocation
// evidence) and is only T.
func TestExtendLT(t *testing.T) {
	p := newLTPKI(t, "LT")
	for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
		signed, err := Sign(t.Context(), makePDF(t, kind), p.spec, SignOptions{Now: clock, TSA: p.tsa})
		if err != nil {
			t.Fatal(err)
		}
		lt, _, err := ExtendLT(t.Context(), signed, p.ltOptions(false))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(lt, signed) {
			t.Fatal("the LT file does not keep the signed bytes")
		}
		res, err := Verify(t.Context(), lt, p.offlineLater())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Valid || res.UnsignedChanges || len(res.Signatures) != 1 || res.Signatures[0].Level != LevelLT {
			t.Fatalf("kind %d: valid %v unsigned %v levels %v %v %v", kind, res.Valid, res.UnsignedChanges, levelsOf(res), codes(res.Errors), codes(res.Signatures[0].Errors))
		}
		if res.DSS == nil || len(res.DSS.CRLs) != 1 || len(res.DSS.Certs) < 3 || res.DSS.VRI != 1 {
			t.Errorf("kind %d: DSS %+v", kind, res.DSS)
		}
		if cr := res.Signatures[0].CMS.Signers[0].Chain.CRL; cr.Status != pki.StatusGood {
			t.Errorf("kind %d: CRL check %v %v", kind, cr.Status, cr.Err)
		}

		res, err = Verify(t.Context(), signed, p.offlineLater())
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid || res.Signatures[0].Level != LevelT || res.DSS != nil {
			t.Errorf("kind %d: without DSS: valid %v level %v", kind, res.Valid, levelsOf(res))
		}
	}
}

// rule PAdES-LTA (ETSI EN 319 142-1 6.4): with Archive, a document time-stamp covers
// the /DSS and a second /DSS carries that time-stamp's material: the signature is
// LTA, valid offline. Negative: the LT file is LT, not LTA; a document time-stamp
// whose covered bytes changed does not make LTA.
func TestExtendLTA(t *testing.T) {
	p := newLTPKI(t, "LTA")
	signed, err := Sign(t.Context(), makePDF(t, xrefStream), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		t.Fatal(err)
	}
	lta, _, err := ExtendLT(t.Context(), signed, p.ltOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(t.Context(), lta, p.offlineLater())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || len(res.Signatures) != 2 || res.Signatures[0].Level != LevelLTA || res.Signatures[1].DocTimeStamp == nil {
		t.Fatalf("valid %v levels %v %v", res.Valid, levelsOf(res), codes(res.Errors))
	}
	if res.DSS.VRI != 2 {
		t.Errorf("VRI entries %d, want 2 (the signature and the document time-stamp)", res.DSS.VRI)
	}
	// Extending LT again keeps the store and adds nothing twice.
	again, _, err := ExtendLT(t.Context(), lta, p.ltOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	res2, err := Verify(t.Context(), again, p.offlineLater())
	if err != nil || !res2.Valid || len(res2.DSS.CRLs) != len(res.DSS.CRLs) || len(res2.DSS.Certs) != len(res.DSS.Certs) {
		t.Errorf("re-extended: %v valid %v, %d/%d CRLs, %d/%d certs", err, res2 != nil && res2.Valid,
			len(res2.DSS.CRLs), len(res.DSS.CRLs), len(res2.DSS.Certs), len(res.DSS.Certs))
	}

	// Negative: change a byte only the archive time-stamp covers (its field name).
	tampered := bytes.Replace(lta, []byte("(Signature2)"), []byte("(Signaturf2)"), 1)
	res, err = Verify(t.Context(), tampered, p.offlineLater())
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || res.Signatures[0].Level == LevelLTA {
		t.Errorf("tampered archive time-stamp: valid %v levels %v", res.Valid, levelsOf(res))
	}
}

// rule PAdES-LT: a signature without a signature time-stamp first gets a document
// time-stamp (LT needs T), then the /DSS. Negative: without a TSA it is refused with
// eds.pdf.not_extendable.
func TestExtendLTWithoutSignatureTimeStamp(t *testing.T) {
	p := newLTPKI(t, "B")
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	lt, _, err := ExtendLT(t.Context(), signed, p.ltOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(t.Context(), lt, p.offlineLater())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || res.Signatures[0].Level != LevelLT {
		t.Errorf("valid %v levels %v %v", res.Valid, levelsOf(res), codes(res.Signatures[0].Errors))
	}
	o := p.ltOptions(false)
	o.TSA = nil
	if _, _, err := ExtendLT(t.Context(), signed, o); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("without TSA: %v", err)
	}
}

// rule PAdES-LT: evidence is not given to a signature that does not verify: a
// signer revoked before the time-stamp is refused (eds.pdf.not_extendable), as is a
// document changed after its signature. Negative (the positive control): the same
// document with a CRL that lists nothing is extended (TestExtendLT).
func TestExtendLTRefusesInvalid(t *testing.T) {
	p := newLTPKI(t, "Revoked", tsptest.Revoked{At: testNow.Add(-24 * time.Hour)})
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExtendLT(t.Context(), signed, p.ltOptions(false)); !errors.Is(err, ErrNotExtendable) || eds.Code(err) != "eds.pdf.not_extendable" {
		t.Errorf("revoked signer: %v", err)
	}
	q := newLTPKI(t, "Changed")
	signed, err = Sign(t.Context(), makePDF(t, classicXref), q.spec, SignOptions{Now: clock, TSA: q.tsa})
	if err != nil {
		t.Fatal(err)
	}
	changed := appendPageChange(t, signed)
	if _, _, err := ExtendLT(t.Context(), changed, q.ltOptions(false)); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("changed after signing: %v", err)
	}
}

// appendPageChange appends an incremental update that rewrites the first page (a
// change no signature covers).
func appendPageChange(t testing.TB, pdf []byte) []byte {
	t.Helper()
	d, err := Open(pdf)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := d.ResolveDict(d.Trailer.Get("Root"))
	pageRef, page, err := d.firstPage(root)
	if err != nil {
		t.Fatal(err)
	}
	pg := page.clone()
	pg.Set("Rotate", int64(90))
	u := &update{}
	u.add(pageRef, pg)
	size, _ := d.Trailer.Get("Size").(int64)
	for n := range d.xref {
		size = max(size, int64(n)+1)
	}
	out, _, err := u.write(d, int(size))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rule PAdES-LT: only a /DSS may follow the last signature. Negative cases: an
// update after the /DSS that changes a page, and a /DSS update that also changes
// another catalog entry, are unsigned changes (eds.pdf.unsigned_changes).
func TestOnlyDSSAfterSignature(t *testing.T) {
	p := newLTPKI(t, "Shadow")
	signed, err := Sign(t.Context(), makePDF(t, xrefStream), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		t.Fatal(err)
	}
	lt, _, err := ExtendLT(t.Context(), signed, p.ltOptions(false))
	if err != nil {
		t.Fatal(err)
	}
	opts := cms.VerifyOptions{Validator: p.online, Revocation: crlOnly, Now: clock}
	if res, err := Verify(t.Context(), lt, opts); err != nil || !res.Valid {
		t.Fatalf("control: %v", err)
	}
	res, err := Verify(t.Context(), appendPageChange(t, lt), opts)
	if err != nil || res.Valid || !res.UnsignedChanges || !hasCode(res.Errors, "eds.pdf.unsigned_changes") {
		t.Errorf("page changed after the DSS: %v valid %v", err, res != nil && res.Valid)
	}
	// A catalog that gains /OpenAction beside /DSS.
	d, err := Open(lt)
	if err != nil {
		t.Fatal(err)
	}
	rootRef := d.Trailer.Get("Root").(Ref)
	root, _ := d.ResolveDict(rootRef)
	cat := root.clone()
	cat.Set("OpenAction", Array{int64(0)})
	u := &update{}
	u.add(rootRef, cat)
	size, _ := d.Trailer.Get("Size").(int64)
	bad, _, err := u.write(d, int(size))
	if err != nil {
		t.Fatal(err)
	}
	res, err = Verify(t.Context(), bad, opts)
	if err != nil || res.Valid || !res.UnsignedChanges {
		t.Errorf("catalog changed beside the DSS: %v valid %v", err, res != nil && res.Valid)
	}
}

// rule PAdES-LT evidence: material of another chain is no evidence. A /DSS that
// holds another CA's CRL (and that CA's certificate) leaves the signer's revocation
// unknown offline, the signature invalid and not LT; a DSS certificate never
// becomes a trust anchor (a signer of an untrusted root with its whole chain in the
// DSS stays untrusted). Negative (control): the signer's own CRL in the DSS makes
// it valid (TestExtendLT).
func TestDSSFromAnotherChainIsNoEvidence(t *testing.T) {
	p := newLTPKI(t, "Mine")
	other := newLTPKI(t, "Other")
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := AddDSS(signed, []DSSEntry{{Material: pki.LTMaterial{
		Certs: []*x509.Certificate{other.root.Cert, p.root.Cert}, CRLs: [][]byte{other.crl.Raw},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(t.Context(), foreign, p.offlineLater())
	if err != nil {
		t.Fatal(err)
	}
	cr := res.Signatures[0].CMS.Signers[0].Chain.CRL
	if res.Valid || cr.Status == pki.StatusGood || res.Signatures[0].Level == LevelLT {
		t.Errorf("another CA's CRL: valid %v, CRL %v, level %v", res.Valid, cr.Status, res.Signatures[0].Level)
	}
	// A CRL with the right issuer name but signed by another key (a forged issuer).
	forger, err := tsptest.NewRoot(eds.KeyRSA, "Mine Root", date(2025, 1, 1), date(2030, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.CRL(99, testNow.Add(-time.Hour), testNow.Add(7*24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	spoofed, err := AddDSS(signed, []DSSEntry{{Material: pki.LTMaterial{CRLs: [][]byte{forged}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(t.Context(), spoofed, p.offlineLater()); err != nil || res.Valid || res.Signatures[0].CMS.Signers[0].Chain.CRL.Status == pki.StatusGood {
		t.Errorf("CRL under the issuer's name by another key: %v valid %v", err, res != nil && res.Valid)
	}
	// The signer of another, untrusted root with its root in our DSS stays untrusted.
	theirs, err := Sign(t.Context(), makePDF(t, classicXref), other.spec, SignOptions{Now: clock, TSA: other.tsa})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err = AddDSS(theirs, []DSSEntry{{Material: pki.LTMaterial{Certs: []*x509.Certificate{other.root.Cert}, CRLs: [][]byte{other.crl.Raw}}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = Verify(t.Context(), theirs, p.offlineLater())
	if err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, "eds.cert.untrusted") {
		t.Errorf("untrusted root in the DSS: %v valid %v %v", err, res != nil && res.Valid, codes(res.Signatures[0].Errors))
	}
}

// A malformed /DSS is refused with a stable code, never a panic: a /DSS that is
// not a dictionary, an array entry that is not a stream. Negative (control): a
// well-formed one reads.
func TestMalformedDSS(t *testing.T) {
	p := newLTPKI(t, "Malformed")
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock, TSA: p.tsa})
	if err != nil {
		t.Fatal(err)
	}
	withCat := func(v Object) []byte {
		d, err := Open(signed)
		if err != nil {
			t.Fatal(err)
		}
		rootRef := d.Trailer.Get("Root").(Ref)
		root, _ := d.ResolveDict(rootRef)
		cat := root.clone()
		cat.Set("DSS", v)
		u := &update{}
		u.add(rootRef, cat)
		size, _ := d.Trailer.Get("Size").(int64)
		out, _, err := u.write(d, int(size))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	notDict := withCat(Array{int64(1)})
	entryNotStream := withCat(&Dict{Keys: []Name{"Certs"}, M: map[Name]Object{"Certs": Array{int64(3)}}})
	for name, pdf := range map[string][]byte{"not a dictionary": notDict, "entry not a stream": entryNotStream} {
		if _, err := Verify(t.Context(), pdf, p.offlineLater()); eds.Code(err) != "eds.pdf.dss_invalid" {
			t.Errorf("%s: %v", name, err)
		}
	}
	good, err := AddDSS(signed, []DSSEntry{{Signature: []byte("x"), Material: pki.LTMaterial{CRLs: [][]byte{p.crl.Raw}}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := d.DSS()
	if err != nil || ds == nil || len(ds.CRLs) != 1 || !bytes.Equal(ds.CRLs[0], p.crl.Raw) || ds.VRI != 1 {
		t.Errorf("control: %v %+v", err, ds)
	}
}

// The /VRI key of a signature is the upper-case hex SHA-1 of its /Contents DER
// (ETSI EN 319 142-1 5.4.2.2). Negative: a lower-case key is not written.
func TestVRIKey(t *testing.T) {
	out, err := AddDSS(makePDF(t, classicXref), []DSSEntry{{Signature: []byte("abc")}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("/A9993E364706816ABA3E25717850C26C9CD0D89D")) || bytes.Contains(out, []byte("a9993e36")) {
		t.Errorf("VRI key not found:\n%s", out[len(out)-600:])
	}
}

// issue 12 (differential): the LT and LTA files ExtendLT writes pass qpdf --check
// (syntax, cross-reference sections and streams of every update), and poppler's
// pdfsig still finds the signature valid and the document time-stamp (skipped
// where the tools are not installed). Negative: a /DSS stream whose /Length is
// wrong is reported by qpdf.
func TestLTFilesPassQpdfAndPdfsig(t *testing.T) {
	qpdf, sig := tool(t, "qpdf"), tool(t, "pdfsig")
	p := newLTPKI(t, "Tools")
	check := func(pdf []byte) string {
		path := t.TempDir() + "/f.pdf"
		if err := writeFile(path, pdf); err != nil {
			t.Fatal(err)
		}
		out, _ := execOut(t, qpdf, "--check", path)
		return out
	}
	for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
		signed, err := Sign(t.Context(), makePDF(t, kind), p.spec, SignOptions{Now: clock, TSA: p.tsa})
		if err != nil {
			t.Fatal(err)
		}
		lta, _, err := ExtendLT(t.Context(), signed, p.ltOptions(true))
		if err != nil {
			t.Fatal(err)
		}
		if out := check(lta); !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out, "WARNING") {
			t.Errorf("kind %d: qpdf --check:\n%s", kind, out)
		}
		out := pdfsig(t, sig, lta)
		if !strings.Contains(out, "Signature Validation: Signature is Valid.") || strings.Count(out, "Signature #") != 2 {
			t.Errorf("kind %d: pdfsig:\n%s", kind, out)
		}
		i := bytes.Index(lta, []byte("/Type /DSS"))
		j := bytes.LastIndex(lta[:i], []byte("<< /Length "))
		if i < 0 || j < 0 {
			t.Fatal("no DSS stream found")
		}
		bad := bytes.Clone(lta)
		copy(bad[j:], "<< /Length 9")
		if out := check(bad); !strings.Contains(out, "WARNING") && !strings.Contains(out, "error") {
			t.Errorf("kind %d: qpdf finds nothing wrong with a wrong /Length:\n%s", kind, out)
		}
	}
}

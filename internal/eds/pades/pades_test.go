package pades

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
)

// The reader resolves the catalog in all three layouts (table, xref stream with a
// PNG predictor, object streams) and refuses what is not a PDF.
func TestOpenLayouts(t *testing.T) {
	for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
		d, err := Open(makePDF(t, kind))
		if err != nil {
			t.Fatalf("kind %d: %v", kind, err)
		}
		root, err := d.ResolveDict(d.Trailer.Get("Root"))
		if err != nil || root.Get("Type") != Name("Catalog") {
			t.Fatalf("kind %d: catalog %v %v", kind, root, err)
		}
		if _, page, err := d.firstPage(root); err != nil || page.Get("Type") != Name("Page") {
			t.Fatalf("kind %d: first page %v", kind, err)
		}
		if d.XRefStream != (kind != classicXref) {
			t.Errorf("kind %d: XRefStream %v", kind, d.XRefStream)
		}
	}
	for name, in := range map[string][]byte{
		"not a pdf":    []byte("not a pdf"),
		"no startxref": []byte("%PDF-1.7\n1 0 obj\n<< >>\nendobj\n"),
		"bad offset":   []byte("%PDF-1.7\nstartxref\n99999\n%%EOF\n"),
		"loop":         []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 1 /Root 1 0 R /Prev 9 >>\nstartxref\n9\n%%EOF\n"),
	} {
		if _, err := Open(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want eds.pdf.malformed", name, err)
		}
	}
	enc := bytes.Replace(makePDF(t, classicXref), []byte("/Root 1 0 R"), []byte("/Root 1 0 R /Encrypt 9 0 R"), 1)
	if _, err := Open(enc); !errors.Is(err, ErrUnsupported) {
		t.Errorf("encrypted: %v, want eds.pdf.unsupported", err)
	}
}

// Sign then Verify, for GOST 2015-512 and RSA, in every layout, with and without a
// time-stamp; a second signature keeps the first valid (an earlier revision) and
// the first is reported as modified after signing.
func TestSignVerify(t *testing.T) {
	for _, kt := range []eds.KeyType{eds.KeyGOST2015_512, eds.KeyRSA} {
		p := newPKI(t, kt)
		for _, kind := range []pdfKind{classicXref, xrefStream, objStreams} {
			t.Run(fmt.Sprintf("%s/%d", kt, kind), func(t *testing.T) {
				opts := SignOptions{Reason: "Согласовано", Location: "Astana", ContactInfo: "test@example.kz", Now: clock}
				if kind == objStreams {
					opts.TSA = p.tsa(t)
				}
				signed, err := Sign(t.Context(), makePDF(t, kind), p.spec, opts)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Verify(t.Context(), signed, p.opts())
				if err != nil {
					t.Fatal(err)
				}
				if !res.Valid || len(res.Signatures) != 1 {
					t.Fatalf("valid %v, %d signatures, errors %v", res.Valid, len(res.Signatures), codes(res.Errors))
				}
				s := res.Signatures[0]
				if !s.Valid || !s.CoversWholeDocument || s.SubFilter != SubFilterCAdES || s.Reason != "Согласовано" ||
					s.Location != "Astana" || !s.SignDate.Equal(testNow) || s.Field != "Signature1" {
					t.Fatalf("signature %+v, codes %v", s, codes(s.Errors))
				}
				if (opts.TSA != nil) != (s.CMS.Signers[0].TimeStamp != nil) {
					t.Errorf("time-stamp: %v", s.CMS.Signers[0].TimeStamp)
				}

				// A second signer: both valid, the first covers only its revision.
				twice, err := Sign(t.Context(), signed, p.spec, SignOptions{Now: clock})
				if err != nil {
					t.Fatal(err)
				}
				res, err = Verify(t.Context(), twice, p.opts())
				if err != nil {
					t.Fatal(err)
				}
				if !res.Valid || len(res.Signatures) != 2 || res.Signatures[1].Field != "Signature2" {
					t.Fatalf("twice: valid %v, %d signatures", res.Valid, len(res.Signatures))
				}
				first := res.Signatures[0]
				if !first.Valid || first.CoversWholeDocument || !hasCode(first.Errors, ErrModifiedAfterSigning.Code()) {
					t.Errorf("first of two: valid %v whole %v codes %v", first.Valid, first.CoversWholeDocument, codes(first.Errors))
				}
				if !res.Signatures[1].CoversWholeDocument || len(res.Signatures[1].Errors) != 0 {
					t.Errorf("second of two: %v", codes(res.Signatures[1].Errors))
				}
			})
		}
	}
}

// rule: a signature verifies only with the trust anchors (negative case: another
// root), and only over the signed bytes (negative case: a changed byte).
func TestVerifyNegative(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	other := newPKI(t, eds.KeyRSA)
	res, err := Verify(t.Context(), signed, other.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || res.Signatures[0].Valid {
		t.Error("valid under a root that did not issue the signer")
	}
	tampered := bytes.Replace(signed, []byte("(Hello)"), []byte("(Hellp)"), 1)
	res, err = Verify(t.Context(), tampered, p.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || !hasCode(res.Signatures[0].Errors, cms.ErrDigestMismatch.Code()) {
		t.Errorf("changed content: valid %v codes %v", res.Valid, codes(res.Signatures[0].Errors))
	}
}

// rule: content appended after the signed revision (an incremental update that
// changes the page: the incremental-saving and shadow attacks) is reported as
// eds.pdf.unsigned_changes and the document is not valid; trailing white space is
// not a change.
func TestUnsignedChanges(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(signed)
	if err != nil {
		t.Fatal(err)
	}
	// An update that replaces the page content stream.
	u := &update{}
	content := "BT /F1 24 Tf 72 720 Td (Goodbye) Tj ET"
	u.addRaw(Ref{Num: 4}, fmt.Appendf(nil, "<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	size, _ := d.Trailer.Get("Size").(int64)
	shadowed, _, err := u.write(d, int(size))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(t.Context(), shadowed, p.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || !res.UnsignedChanges || !hasCode(res.Errors, ErrUnsignedChanges.Code()) {
		t.Errorf("appended update: valid %v unsigned %v", res.Valid, res.UnsignedChanges)
	}
	if !res.Signatures[0].Valid || res.Signatures[0].CoversWholeDocument {
		t.Errorf("the signature itself stays valid for its revision: %v", codes(res.Signatures[0].Errors))
	}
	res, err = Verify(t.Context(), append(bytes.Clone(signed), "\r\n \n"...), p.opts())
	if err != nil || !res.Valid {
		t.Errorf("trailing white space: %v %v", err, res)
	}
}

// rule: /ByteRange must be [0 b c d] with the hole exactly this dictionary's
// /Contents, inside the file, ending a revision; each tampering is refused with
// eds.pdf.byterange_invalid (or contents_invalid), never "valid".
func TestByteRangeTampering(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var br [4]int64
	rewriteByteRange(t, signed, func(b [4]int64) [4]int64 { br = b; return b })
	setBR := func(a, b, c, l int64) []byte {
		return rewriteByteRange(t, signed, func([4]int64) [4]int64 { return [4]int64{a, b, c, l} })
	}
	size := int64(len(signed))
	for name, tc := range map[string]struct {
		pdf  []byte
		code string
	}{
		"not from 0":           {setBR(1, br[1], br[2], br[3]), ErrByteRange.Code()},
		"hole moved":           {setBR(0, br[1]-10, br[2], br[3]), ErrByteRange.Code()},
		"overlap":              {setBR(0, br[2]+1, br[2], br[3]), ErrByteRange.Code()},
		"past the end":         {setBR(0, br[1], br[2], br[3]+5), ErrByteRange.Code()},
		"gap before the end":   {setBR(0, br[1], br[2], br[3]-40), ErrByteRange.Code()},
		"hole is not contents": {setBR(0, 100, 200, size-200), ErrByteRange.Code()},
		"junk after the CMS":   {bytes.Replace(signed, []byte("0000>"), []byte("00ff>"), 1), ErrContents.Code()},
		"truncated CMS":        {bytes.Replace(signed, []byte("/Contents <3082"), []byte("/Contents <3084"), 1), ErrContents.Code()},
		// Universal signature forgery: the entries the check needs are missing.
		"no ByteRange": {bytes.Replace(signed, []byte("/ByteRange ["), []byte("/ByteRangX ["), 1), ErrByteRange.Code()},
		"no Contents":  {bytes.Replace(signed, []byte("/Contents <"), []byte("/Contentz <"), 1), ErrContents.Code()},
	} {
		res, err := Verify(t.Context(), tc.pdf, p.opts())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Valid || res.Signatures[0].Valid || !hasCode(res.Signatures[0].Errors, tc.code) {
			t.Errorf("%s: valid %v codes %v, want %s", name, res.Valid, codes(res.Signatures[0].Errors), tc.code)
		}
	}
}

// rule: a PDF without signatures gives eds.pdf.no_signatures; a PKCS#7 SubFilter
// verifies, an unknown one is refused.
func TestNoSignaturesAndSubFilters(t *testing.T) {
	if _, err := Verify(t.Context(), makePDF(t, classicXref), cms.VerifyOptions{}); !errors.Is(err, ErrNoSignatures) {
		t.Errorf("unsigned: %v", err)
	}
	p := newPKI(t, eds.KeyRSA)
	signed, err := Sign(t.Context(), makePDF(t, xrefStream), p.spec, SignOptions{Now: clock, SubFilter: SubFilterPKCS7})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(t.Context(), signed, p.opts())
	if err != nil || !res.Valid || res.Signatures[0].SubFilter != SubFilterPKCS7 {
		t.Fatalf("pkcs7: %v %+v", err, res)
	}
	sha1 := bytes.Replace(signed, []byte("/adbe.pkcs7.detached"), []byte("/adbe.pkcs7.sha1XXXX"), 1)
	res, err = Verify(t.Context(), sha1, p.opts())
	if err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, ErrSubFilter.Code()) {
		t.Errorf("adbe.pkcs7.sha1: %v %v", err, res)
	}
	if _, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{SubFilter: "adbe.x509.rsa_sha1"}); !errors.Is(err, ErrSubFilter) {
		t.Errorf("sign with an unknown SubFilter: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"D:20261101120000Z":       "2026-11-01T12:00:00Z",
		"D:20261101170000+05'00'": "2026-11-01T12:00:00Z",
		"D:2026":                  "2026-01-01T00:00:00Z",
	} {
		got, err := ParseDate(in)
		if err != nil || got.UTC().Format("2006-01-02T15:04:05Z") != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseDate("D:20x6"); err == nil {
		t.Error("bad date accepted")
	}
}

// rule (ETSI EN 319 142-1, 6.3): an ETSI.CAdES.detached signature carries no
// signingTime attribute (the time is /M); the negative case: adbe.pkcs7.detached
// keeps it.
func TestNoSigningTimeInPAdES(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	for sf, want := range map[string]bool{SubFilterCAdES: false, SubFilterPKCS7: true} {
		signed, err := Sign(t.Context(), makePDF(t, classicXref), p.spec, SignOptions{Now: clock, SubFilter: sf})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Verify(t.Context(), signed, p.opts())
		if err != nil || !res.Valid {
			t.Fatalf("%s: %v %v", sf, err, res)
		}
		if got := !res.Signatures[0].CMS.Signers[0].SigningTime.IsZero(); got != want {
			t.Errorf("%s: signingTime present %v, want %v", sf, got, want)
		}
	}
}

// rule: a document certified with DocMDP permission 1 (no changes) is not signed
// again (eds.pdf.changes_forbidden); the negative case: permission 2 (form filling
// and signing allowed) is signed, and a document time-stamp is added even at 1.
func TestDocMDPForbidsSigning(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	certified := func(perm int64) []byte {
		in := makePDF(t, classicXref)
		d, err := Open(in)
		if err != nil {
			t.Fatal(err)
		}
		root, _ := d.ResolveDict(d.Trailer.Get("Root"))
		cat := root.clone()
		cat.Set("Perms", &Dict{Keys: []Name{"DocMDP"}, M: map[Name]Object{"DocMDP": Ref{Num: 6}}})
		params := newDict()
		params.Set("P", perm)
		ref := newDict()
		ref.Set("TransformMethod", Name("DocMDP"))
		ref.Set("TransformParams", params)
		sig := newDict()
		sig.Set("Type", Name("Sig"))
		sig.Set("Reference", Array{ref})
		u := &update{}
		u.add(Ref{Num: 1}, cat)
		u.add(Ref{Num: 6}, sig)
		out, _, err := u.write(d, 7)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := Sign(t.Context(), certified(1), p.spec, SignOptions{Now: clock}); !errors.Is(err, ErrChangesForbidden) {
		t.Errorf("P 1: %v, want eds.pdf.changes_forbidden", err)
	}
	if _, err := Sign(t.Context(), certified(2), p.spec, SignOptions{Now: clock}); err != nil {
		t.Errorf("P 2: %v", err)
	}
	// A document time-stamp is no change (ISO 32000-2 §12.8.2.2).
	if _, err := TimeStampDocument(t.Context(), certified(1), p.tsa(t), nil, ""); err != nil {
		t.Errorf("document time-stamp on P 1: %v", err)
	}
}

// rule: the signatures of one PDF are bounded by MaxSigners (each costs a CMS
// verification): three signatures with a bound of two give eds.pdf.too_large; the
// negative case: a bound of three verifies them.
func TestMaxSignatures(t *testing.T) {
	p := newPKI(t, eds.KeyRSA)
	pdf := makePDF(t, classicXref)
	for range 3 {
		var err error
		if pdf, err = Sign(t.Context(), pdf, p.spec, SignOptions{Now: clock}); err != nil {
			t.Fatal(err)
		}
	}
	opts := p.opts()
	opts.MaxSigners = 2
	if _, err := Verify(t.Context(), pdf, opts); !errors.Is(err, ErrTooLarge) {
		t.Errorf("bound 2: %v", err)
	}
	opts.MaxSigners = 3
	if res, err := Verify(t.Context(), pdf, opts); err != nil || !res.Valid || len(res.Signatures) != 3 {
		t.Errorf("bound 3: %v %v", err, res)
	}
}

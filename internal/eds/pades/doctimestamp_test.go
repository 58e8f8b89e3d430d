package pades

import (
	"bytes"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// rule: a valid document time-stamp after a signature without a signature
// time-stamp makes the signature be validated at the token's genTime (PAdES-T by
// /DocTimeStamp): after the signer's certificate expired, the signature stays
// valid. Negative cases: without the document time-stamp, and with a document
// time-stamp whose covered bytes were changed, the signature is judged now (expired).
func TestDocTimeStamp(t *testing.T) {
	p := newPKI(t, eds.KeyGOST2015_512)
	signed, err := Sign(t.Context(), makePDF(t, xrefStream), p.spec, SignOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := TimeStampDocument(t.Context(), signed, p.tsa(t), eds.OIDDigestStreebog512, "")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC) // the signer's certificate expired 2027-06-01
	opts := p.opts()
	opts.Now = func() time.Time { return later }

	res, err := Verify(t.Context(), stamped, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || len(res.Signatures) != 2 {
		t.Fatalf("valid %v, %d signatures, %v", res.Valid, len(res.Signatures), codes(res.Errors))
	}
	sig, dts := res.Signatures[0], res.Signatures[1]
	if dts.DocTimeStamp == nil || !dts.Valid || dts.SubFilter != SubFilterRFC3161 || !dts.DocTimeStamp.GenTime.Equal(testNow) {
		t.Fatalf("document time-stamp: %+v %v", dts.DocTimeStamp, codes(dts.Errors))
	}
	if !sig.Valid || !sig.CMS.Signers[0].ValidationTime.Equal(testNow) {
		t.Errorf("signature: valid %v at %v, %v", sig.Valid, sig.CMS.Signers[0].ValidationTime, codes(sig.Errors))
	}

	res, err = Verify(t.Context(), signed, opts)
	if err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, "eds.cert.expired") {
		t.Errorf("without the document time-stamp: %v valid %v %v", err, res.Valid, codes(res.Signatures[0].Errors))
	}

	// Change a byte only the document time-stamp covers (its field's name).
	tampered := bytes.Replace(stamped, []byte("(Signature2)"), []byte("(Signaturf2)"), 1)
	res, err = Verify(t.Context(), tampered, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || res.Signatures[1].Valid || !hasCode(res.Signatures[1].Errors, "eds.tsp.imprint_mismatch") ||
		res.Signatures[0].Valid {
		t.Errorf("tampered: valid %v, %v / %v", res.Valid, codes(res.Signatures[0].Errors), codes(res.Signatures[1].Errors))
	}
}

package xmldsig

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/senimkz/senim/internal/eds/pki"
)

// rule XAdES-LT: the values are read from the signature's own unsigned
// signature properties, Base64 with white space allowed; a value that is not Base64
// is no evidence (skipped); more than maxValidationValues are refused (ErrXAdES).
// Negative: a signature without values has none.
func TestValidationDataRead(t *testing.T) {
	mk := func(inner string) *etree.Element {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(`<ds:Signature xmlns:ds="` + NSDSig + `" Id="s"><ds:Object><xades:QualifyingProperties xmlns:xades="` + NSXAdES +
			`" Target="#s"><xades:UnsignedProperties><xades:UnsignedSignatureProperties>` + inner +
			`</xades:UnsignedSignatureProperties></xades:UnsignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature>`); err != nil {
			t.Fatal(err)
		}
		return doc.Root()
	}
	vd, err := validationData(mk(`<xades:CertificateValues><xades:EncapsulatedX509Certificate>QU
JD</xades:EncapsulatedX509Certificate><xades:EncapsulatedX509Certificate>!!</xades:EncapsulatedX509Certificate></xades:CertificateValues>` +
		`<xades:RevocationValues><xades:CRLValues><xades:EncapsulatedCRLValue>REVG</xades:EncapsulatedCRLValue></xades:CRLValues>` +
		`<xades:OCSPValues><xades:EncapsulatedOCSPValue>R0hJ</xades:EncapsulatedOCSPValue></xades:OCSPValues></xades:RevocationValues>`))
	if err != nil || vd == nil || len(vd.Certs) != 1 || string(vd.Certs[0]) != "ABC" || string(vd.CRLs[0]) != "DEF" || string(vd.OCSPs[0]) != "GHI" {
		t.Fatalf("%v %+v", err, vd)
	}
	if vd, err := validationData(mk(`<xades:SignatureTimeStamp/>`)); err != nil || vd != nil {
		t.Errorf("no values: %v %+v", err, vd)
	}
	many := "<xades:CertificateValues>" + strings.Repeat("<xades:EncapsulatedX509Certificate>QQ==</xades:EncapsulatedX509Certificate>", maxValidationValues+1) + "</xades:CertificateValues>"
	if _, err := validationData(mk(many)); err == nil || !strings.Contains(err.Error(), "validation values") {
		t.Errorf("too many values: %v", err)
	}
}

// AddValidationData refuses a document without XAdES-T unsigned properties and a
// signature that has values already (ErrXAdES); it inserts before the end of the
// last signature's UnsignedSignatureProperties.
func TestAddValidationDataPlacement(t *testing.T) {
	if _, err := AddValidationData([]byte(`<r/>`), ltMaterialEmpty()); err == nil {
		t.Error("no signature accepted")
	}
	doc := []byte(`<r><ds:Signature xmlns:ds="x" Id="a"><xades:UnsignedSignatureProperties><t/></xades:UnsignedSignatureProperties></ds:Signature></r>`)
	out, err := AddValidationData(doc, ltMaterialEmpty())
	if err != nil || !strings.Contains(string(out), `<t/><xades:CertificateValues></xades:CertificateValues><xades:RevocationValues></xades:RevocationValues></xades:UnsignedSignatureProperties>`) {
		t.Fatalf("%v %s", err, out)
	}
	if _, err := AddValidationData(out, ltMaterialEmpty()); err == nil {
		t.Error("values added twice")
	}
	if _, err := AddValidationData([]byte(`<r><ds:Signature xmlns:ds="x"><ds:SignatureValue/></ds:Signature></r>`), ltMaterialEmpty()); err == nil {
		t.Error("a signature without unsigned properties accepted")
	}
}

func ltMaterialEmpty() pki.LTMaterial { return pki.LTMaterial{} }

// ltSigned signs sample at XAdES-T and adds values: the chain, a CRL value and an
// OCSP value (opaque bytes: this package only carries them).
func ltSigned(t testing.TB) []byte {
	k := rsaKey(t)
	out, err := Sign([]byte(sample), k.key, k.chain, Options{XAdES: true, TimeStamp: stamper(t)})
	if err != nil {
		t.Fatal(err)
	}
	out, err = AddValidationData(out, pki.LTMaterial{Certs: k.chain, CRLs: [][]byte{[]byte("crl")}, OCSPs: [][]byte{[]byte("ocsp")}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rule XAdES-LT: values added to a XAdES-T signature leave it valid (they are
// unsigned) and make level LT with the values readable. Negative: the same
// signature without them is T with no values.
func TestXAdESLTRoundTrip(t *testing.T) {
	res, err := Verify(ltSigned(t), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Signatures[0]
	if s.Err != nil || s.Level != LevelLT || s.ValidationData == nil || len(s.ValidationData.Certs) != len(rsaKey(t).chain) ||
		string(s.ValidationData.CRLs[0]) != "crl" || string(s.ValidationData.OCSPs[0]) != "ocsp" {
		t.Fatalf("%v %s %+v", s.Err, s.Level, s.ValidationData)
	}
	k := rsaKey(t)
	tOnly, err := Sign([]byte(sample), k.key, k.chain, Options{XAdES: true, TimeStamp: stamper(t)})
	if err != nil {
		t.Fatal(err)
	}
	res, err = Verify(tOnly, VerifyOptions{})
	if err != nil || res.Signatures[0].Level != LevelT || res.Signatures[0].ValidationData != nil {
		t.Errorf("T: %v %+v", err, res.Signatures[0])
	}
}

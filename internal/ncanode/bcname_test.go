package ncanode

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
)

// issue 12 item 7: tsp.tsa is Kalkan's GeneralName.toString() of a
// directoryName (Bouncy Castle 1.46's X509Name.toString(): encoding order, ","
// without a space, DefaultSymbols, backslash escapes, '#' hex for non-strings).
func TestBCGeneralNameDir(t *testing.T) {
	utf8 := func(s string) asn1.RawValue {
		return asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(s)}
	}
	atv := func(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oid, Value: v}
	}
	name := pkix.RDNSequence{
		{atv(asn1.ObjectIdentifier{2, 5, 4, 3}, utf8(`TSA "NCA", test`))},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 10}, "NCA+RK"), atv(asn1.ObjectIdentifier{2, 5, 4, 11}, "a=b;c<d>")},
		{atv(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("tsa@pki.gov.kz")})},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 5}, "BIN000740000728")},
		{atv(asn1.ObjectIdentifier{1, 2, 3, 4}, utf8("#x"))},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 15}, 5)},
		{atv(asn1.ObjectIdentifier{2, 5, 4, 6}, "KZ")},
	}
	der, err := asn1.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	want := `4: CN=TSA \"NCA\"\, test,O=NCA\+RK+OU=a\=b\;c\<d\>,E=tsa@pki.gov.kz,SERIALNUMBER=BIN000740000728,1.2.3.4=\#x,BusinessCategory=#020105,C=KZ`
	if got := bcGeneralNameDir(der); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Negative: what does not parse renders as nothing (tsa null).
	if got := bcGeneralNameDir(der[:len(der)-1]); got != "" {
		t.Errorf("truncated name rendered as %q", got)
	}
	if got := bcGeneralNameDir([]byte{0x04, 0x00}); got != "" {
		t.Errorf("non-name rendered as %q", got)
	}
}

// A token without a tsa field gives "tsa": null, as NCANode.
func TestTspInfoNullTSA(t *testing.T) {
	b, _ := TspInfo{SerialNumber: "01", Policy: "1.2"}.MarshalJSON()
	want := `{"serialNumber":"01","genTime":"0001-01-01T00:00:00.000+00:00","policy":"1.2","tsa":null,"tspHashAlgorithm":"","hash":"","valid":false}`
	if string(b) != want {
		t.Errorf("got %s", b)
	}
	b, _ = TspInfo{TSA: "4: CN=X"}.MarshalJSON()
	if want := `"tsa":"4: CN=X"`; !strings.Contains(string(b), want) {
		t.Errorf("got %s", b)
	}
}

package ncanode

import (
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// NCANode writes a time-stamp's tsa as Kalkan's (a fork of Bouncy Castle 1.4x)
// GeneralName.toString(): the tag number, ": ", then for a directoryName the
// X509Name.toString() of the name — the RDNs in the order of the encoding (not
// reversed), joined by "," without a space, the AVAs of a multi-valued RDN by
// "+", Bouncy Castle's DefaultSymbols as keywords (the dotted OID, without
// "OID.", for the others), and in each value the characters , " \ + = < > ;
// escaped with a backslash. A value that is not a string type is '#' and the
// lower-case hex of its DER; a string value starting with '#' gets a
// backslash before it. bcGeneralNameDir reproduces that for the directoryName
// a TSTInfo carries (tag 4).

// bcSymbols is X509Name.DefaultSymbols of Bouncy Castle 1.46.
var bcSymbols = map[string]string{
	"2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.12": "T", "2.5.4.11": "OU", "2.5.4.3": "CN",
	"2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.5": "SERIALNUMBER", "1.2.840.113549.1.9.1": "E",
	"0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID", "2.5.4.9": "STREET",
	"2.5.4.4": "SURNAME", "2.5.4.42": "GIVENNAME", "2.5.4.43": "INITIALS", "2.5.4.44": "GENERATION",
	"1.2.840.113549.1.9.8": "unstructuredAddress", "1.2.840.113549.1.9.2": "unstructuredName",
	"2.5.4.45": "UniqueIdentifier", "2.5.4.46": "DN", "2.5.4.65": "Pseudonym",
	"2.5.4.16": "PostalAddress", "1.3.36.8.3.14": "NameAtBirth",
	"1.3.6.1.5.5.7.9.4": "CountryOfCitizenship", "1.3.6.1.5.5.7.9.5": "CountryOfResidence",
	"1.3.6.1.5.5.7.9.3": "Gender", "1.3.6.1.5.5.7.9.2": "PlaceOfBirth",
	"1.3.6.1.5.5.7.9.1": "DateOfBirth", "2.5.4.17": "PostalCode", "2.5.4.15": "BusinessCategory",
	"2.5.4.20": "TelephoneNumber", "2.5.4.41": "Name",
}

// bcGeneralNameDir renders the DER Name raw as Kalkan's GeneralName.toString()
// of a directoryName; "" when it does not parse.
func bcGeneralNameDir(raw []byte) string {
	var rdns []rawRDNSET
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		return ""
	}
	parts := make([]string, 0, len(rdns))
	for _, rdn := range rdns {
		avas := make([]string, 0, len(rdn))
		for _, a := range rdn {
			avas = append(avas, bcAVA(a))
		}
		parts = append(parts, strings.Join(avas, "+"))
	}
	return "4: " + strings.Join(parts, ",")
}

func bcAVA(a rawATV) string {
	sym, ok := bcSymbols[a.Type.String()]
	if !ok {
		sym = a.Type.String()
	}
	s, isString := bcString(a.Value)
	if !isString {
		return sym + "=#" + hex.EncodeToString(a.Value.FullBytes)
	}
	var b strings.Builder
	b.WriteString(sym)
	b.WriteByte('=')
	start := 0
	if strings.HasPrefix(s, "#") {
		b.WriteString(`\#`) // the constructor's "\\" + v; the escaping skips those two
		start = 1
	}
	for _, c := range s[start:] {
		if strings.ContainsRune(`,"\+=<>;`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bcString decodes the DERString types of Bouncy Castle 1.46 (UniversalString
// excluded: X509Name renders it as hex).
func bcString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		return strings.ToValidUTF8(string(v.Bytes), "\uFFFD"), true
	case asn1.TagPrintableString, asn1.TagIA5String, asn1.TagT61String, asn1.TagNumericString,
		26 /* VisibleString */, 27 /* GeneralString */, asn1.TagBMPString:
		return javaString(asn1.RawValue{Class: v.Class, Tag: bcJavaTag(v.Tag), Bytes: v.Bytes})
	}
	return "", false
}

// bcJavaTag maps the 8-bit string types javaString does not list to one it
// decodes the same way (byte per character).
func bcJavaTag(tag int) int {
	switch tag {
	case asn1.TagNumericString, 26:
		return asn1.TagIA5String
	}
	return tag
}

package ncanode

import (
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"strings"
	"unicode/utf16"
)

// NCANode writes subject.dn and issuer.dn as Java's X500Principal.toString()
// renders a name (sun.security.x509.X500Name): the RDNs in reverse order of the
// encoding, joined by ", "; the AVAs of a multi-valued RDN joined by " + ";
// Java's keywords (SURNAME, GIVENNAME, SERIALNUMBER, EMAILADDRESS, ST, ...,
// OID.x.y.z for the others); values in RFC 1779 style, quoted when they hold a
// special character, leading or trailing space or two spaces in a row, with
// '"' and '\' escaped; a value that is not a string as '#' and the hex of its
// DER. javaDN reproduces that; the golden test compares it with Java itself.

// javaKeywords are the keywords of JDK 17's AVAKeyword table where the last
// keyword registered for an OID wins (ST over S, DNQ over DNQUALIFIER,
// EMAILADDRESS over EMAIL).
var javaKeywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"1.3.6.1.4.1.42.2.11.2.1":    "IP",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"2.5.4.46":                   "DNQ",
	"2.5.4.4":                    "SURNAME",
	"2.5.4.42":                   "GIVENNAME",
	"2.5.4.43":                   "INITIALS",
	"2.5.4.44":                   "GENERATION",
	"1.2.840.113549.1.9.1":       "EMAILADDRESS",
	"0.9.2342.19200300.100.1.1":  "UID",
	"2.5.4.5":                    "SERIALNUMBER",
}

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type rawRDNSET []rawATV

// javaDN renders the DER Name raw as Java's X500Principal.toString(); "" when
// it does not parse.
func javaDN(raw []byte) string {
	var rdns []rawRDNSET
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		return ""
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		avas := make([]string, 0, len(rdns[i]))
		for _, a := range rdns[i] {
			avas = append(avas, javaAVA(a))
		}
		parts = append(parts, strings.Join(avas, " + "))
	}
	return strings.Join(parts, ", ")
}

func javaAVA(a rawATV) string {
	kw, ok := javaKeywords[a.Type.String()]
	if !ok {
		kw = "OID." + a.Type.String()
	}
	s, isString := javaString(a.Value)
	if !isString {
		return kw + "=#" + strings.ToUpper(hex.EncodeToString(a.Value.FullBytes))
	}
	return kw + "=" + javaQuote(s)
}

// javaString decodes the string types Java's DerValue.getAsString reads.
func javaString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	b := v.Bytes
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, 27 /* GeneralString */ :
		if v.Tag == asn1.TagUTF8String {
			return strings.ToValidUTF8(string(b), "\uFFFD"), true
		}
		return latin1(b), true
	case asn1.TagT61String:
		return latin1(b), true
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString
		if len(b)%4 != 0 {
			return "", false
		}
		var sb strings.Builder
		for i := 0; i < len(b); i += 4 {
			sb.WriteRune(rune(binary.BigEndian.Uint32(b[i:])))
		}
		return sb.String(), true
	}
	return "", false
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// javaPrintable is DerValue.isPrintableStringChar.
func javaPrintable(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune(" '()+,-./:=?", c)
}

// javaQuote is AVA.toKeywordValueString's value part.
func javaQuote(v string) string {
	const escapees = ",+=\n<>#;\\\""
	r := []rune(v)
	alreadyQuoted := len(r) > 1 && r[0] == '"' && r[len(r)-1] == '"'
	quote, prevWhite := false, false
	var sb strings.Builder
	for i, c := range r {
		if alreadyQuoted && (i == 0 || i == len(r)-1) {
			sb.WriteRune(c)
			continue
		}
		if javaPrintable(c) || strings.ContainsRune(escapees, c) {
			if !quote && ((i == 0 && (c == ' ' || c == '\n')) || strings.ContainsRune(escapees, c)) {
				quote = true
			}
			if c != ' ' && c != '\n' {
				if c == '"' || c == '\\' {
					sb.WriteByte('\\')
				}
				prevWhite = false
			} else {
				if !quote && prevWhite {
					quote = true
				}
				prevWhite = true
			}
			sb.WriteRune(c)
		} else {
			prevWhite = false
			sb.WriteRune(c)
		}
	}
	out := sb.String()
	if n := len(out); n > 0 && (out[n-1] == ' ' || out[n-1] == '\n') {
		quote = true
	}
	if !alreadyQuoted && quote {
		return `"` + out + `"`
	}
	return out
}

// javaSerialHex renders a serial number given in hex as NCANode writes a
// time-stamp's: Hex.encode(BigInteger.toByteArray()), the two's-complement
// bytes in lower-case hex, so with a leading 00 when the top bit is set and
// always an even number of digits. (Certificate serial numbers NCANode writes
// with BigInteger.toString(16), as serialNumber already is.)
func javaSerialHex(h string) string {
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		return h
	}
	if n.Sign() < 0 {
		return h
	}
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return hex.EncodeToString(b)
}

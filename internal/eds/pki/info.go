package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Subject is what a distinguished name says about its holder in the Kazakh profile. The
// JSON names are those of NCANode's CertificateInfo.subject / issuer, so the
// NCANode-compatible API can return it as it is.
type Subject struct {
	CommonName string `json:"commonName,omitempty"`
	// LastName is the patronymic (GIVENNAME): NCANode's naming, kept for compatibility.
	LastName string `json:"lastName,omitempty"`
	// SurName is the family name (SURNAME).
	SurName      string `json:"surName,omitempty"`
	Email        string `json:"email,omitempty"`
	Organization string `json:"organization,omitempty"`
	IIN          string `json:"iin,omitempty"` // from SERIALNUMBER=IIN…, without the prefix
	BIN          string `json:"bin,omitempty"` // from OU=BIN…, without the prefix
	Country      string `json:"country,omitempty"`
	Locality     string `json:"locality,omitempty"`
	State        string `json:"state,omitempty"`
	// DN is the whole name in certificate order, RFC 4514 escaping, e.g.
	// "CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,GIVENNAME=ТЕСТОВИЧ".
	DN string `json:"dn"`
}

// Role is a holder role taken from an extended key usage. The names are NCANode's
// keyUser values where NCANode has one.
type Role string

// Roles of the NCA profile (extended key usage OIDs under 1.2.398.3.3.4).
const (
	RoleIndividual       Role = "INDIVIDUAL"         // 1.2.398.3.3.4.1.1
	RoleOrganization     Role = "ORGANIZATION"       // 1.2.398.3.3.4.1.2
	RoleCEO              Role = "CEO"                // 1.2.398.3.3.4.1.2.1 first head
	RoleCanSign          Role = "CAN_SIGN"           // 1.2.398.3.3.4.1.2.2 employee with signing right
	RoleCanSignFinancial Role = "CAN_SIGN_FINANCIAL" // 1.2.398.3.3.4.1.2.3
	RoleHR               Role = "HR"                 // 1.2.398.3.3.4.1.2.4
	RoleEmployee         Role = "EMPLOYEE"           // 1.2.398.3.3.4.1.2.5
	// The next two have no name in NCANode v3. 1.2.398.3.3.4.1.2.6 is the template "digital
	// system of a legal entity" (NCA order No. 522/НҚ; more specific systems sit below it,
	// 1.2.398.3.3.4.1.2.6.*), and 1.2.398.5.19.1.2.2.1 "participant of the digital system
	// Treasury–Client" (the Treasury's system K2), as the NCA's own Kalkan SDK samples and
	// several independent NCANode forks and clients name them. The NCA test files are named
	// the other way round (treasury_client carries 4.1.2.6 and is held by an information
	// system, CN=ИС "Тест", no IIN; infosystem carries 5.19.1.2.2.1 and is held by a
	// person): the holders agree with the names here, not with the file names.
	RoleInformationSystem Role = "INFORMATION_SYSTEM" // 1.2.398.3.3.4.1.2.6 and below
	RoleTreasuryClient    Role = "TREASURY_CLIENT"    // 1.2.398.5.19.1.2.2.1
	RoleNCAPrivileges     Role = "NCA_PRIVILEGES"     // 1.2.398.3.3.4.2
	RoleNCAAdmin          Role = "NCA_ADMIN"          // 1.2.398.3.3.4.2.1
	RoleNCAManager        Role = "NCA_MANAGER"        // 1.2.398.3.3.4.2.2
	RoleNCAOperator       Role = "NCA_OPERATOR"       // 1.2.398.3.3.4.2.3
	// Identification of the holder when the certificate was issued (NCANode's names).
	RoleIdentification                Role = "IDENTIFICATION"                   // 1.2.398.3.3.4.3
	RoleIdentificationCON             Role = "IDENTIFICATION_CON"               // 1.2.398.3.3.4.3.1 in person
	RoleIdentificationRemote          Role = "IDENTIFICATION_REMOTE"            // 1.2.398.3.3.4.3.2 remote
	RoleIdentificationRemoteDigitalID Role = "IDENTIFICATION_REMOTE_DIGITAL_ID" // 1.2.398.3.3.4.3.2.1 remote, by digital ID
)

// roleOfEKU names the role of an extended key usage; a specific digital system
// (1.2.398.3.3.4.1.2.6.*) is an information system.
func roleOfEKU(oid string) (Role, bool) {
	if r, ok := roleByEKU[oid]; ok {
		return r, true
	}
	if strings.HasPrefix(oid, infoSystemEKU+".") {
		return RoleInformationSystem, true
	}
	return "", false
}

const infoSystemEKU = "1.2.398.3.3.4.1.2.6"

var roleByEKU = map[string]Role{
	"1.2.398.3.3.4.1.1":    RoleIndividual,
	"1.2.398.3.3.4.1.2":    RoleOrganization,
	"1.2.398.3.3.4.1.2.1":  RoleCEO,
	"1.2.398.3.3.4.1.2.2":  RoleCanSign,
	"1.2.398.3.3.4.1.2.3":  RoleCanSignFinancial,
	"1.2.398.3.3.4.1.2.4":  RoleHR,
	"1.2.398.3.3.4.1.2.5":  RoleEmployee,
	"1.2.398.3.3.4.1.2.6":  RoleInformationSystem,
	"1.2.398.5.19.1.2.2.1": RoleTreasuryClient,
	"1.2.398.3.3.4.2":      RoleNCAPrivileges,
	"1.2.398.3.3.4.2.1":    RoleNCAAdmin,
	"1.2.398.3.3.4.2.2":    RoleNCAManager,
	"1.2.398.3.3.4.2.3":    RoleNCAOperator,
	"1.2.398.3.3.4.3":      RoleIdentification,
	"1.2.398.3.3.4.3.1":    RoleIdentificationCON,
	"1.2.398.3.3.4.3.2":    RoleIdentificationRemote,
	"1.2.398.3.3.4.3.2.1":  RoleIdentificationRemoteDigitalID,
}

// Policy is a certificate policy of the NCA profile.
type Policy struct {
	OID  string `json:"oid"`
	Name string `json:"name"` // "" for a policy outside the NCA profile
}

var policyNames = map[string]string{
	"1.2.398.3.3.2":   "GENERIC", // every GOST-2015 key: signing and authentication
	"1.2.398.3.3.2.1": "LEGAL_ENTITY_SIGN",
	"1.2.398.3.3.2.2": "LEGAL_ENTITY_AUTH",
	"1.2.398.3.3.2.3": "INDIVIDUAL_SIGN",
	"1.2.398.3.3.2.4": "INDIVIDUAL_AUTH",
}

// Key usage in NCANode's sense.
const (
	KeyUsageSign    = "SIGN"
	KeyUsageAuth    = "AUTH"
	KeyUsageUnknown = "UNKNOWN"
)

// Warning codes that Info reports. They never make a certificate invalid.
const (
	WarnIINCheckDigit = "eds.cert.iin_check_digit" // the IIN fails its check digit
	WarnBINCheckDigit = "eds.cert.bin_check_digit" // the BIN fails its check digit
)

// CertInfo is what a certificate says, in the Kazakh profile. The JSON names follow
// NCANode's CertificateInfo where it has the field.
type CertInfo struct {
	Subject      Subject   `json:"subject"`
	Issuer       Subject   `json:"issuer"`
	SerialNumber string    `json:"serialNumber"` // lower-case hex, no leading zeros, as NCANode
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`

	// KeyUsage is NCANode's: digitalSignature+nonRepudiation → SIGN; digitalSignature with
	// keyEncipherment or keyAgreement and without nonRepudiation → AUTH; else UNKNOWN.
	// GOST-2015 keys carry digitalSignature+nonRepudiation+keyAgreement and serve both
	// purposes: KeyUsage says SIGN (what NCANode says) and CanSign and CanAuth are both true.
	KeyUsage string `json:"keyUsage"`
	CanSign  bool   `json:"canSign"` // digitalSignature and nonRepudiation
	CanAuth  bool   `json:"canAuth"` // digitalSignature and keyEncipherment or keyAgreement

	Roles    []Role   `json:"keyUser"`
	Policies []Policy `json:"policies,omitempty"`

	// SignatureAlgorithm is NCANode's signAlg (e.g. "ECGOST3410-2015-512") when package eds
	// knows the OID, else the dotted OID.
	SignatureAlgorithm    string `json:"signAlg"`
	SignatureAlgorithmOID string `json:"signAlgOid"`

	// Check digits are reported, never a reason to reject: the NCA test certificates carry
	// numbers that fail them. False when the number is absent.
	IINCheckDigitValid bool     `json:"iinCheckDigitValid"`
	BINCheckDigitValid bool     `json:"binCheckDigitValid"`
	Warnings           []string `json:"warnings,omitempty"`
}

var ()

// Info reads a certificate in the Kazakh profile. It never fails: what is absent or
// malformed is left empty, and doubtful identifiers are reported in Warnings.
func Info(cert *x509.Certificate) CertInfo {
	ci := CertInfo{
		Subject:      subjectOf(cert.RawSubject),
		Issuer:       subjectOf(cert.RawIssuer),
		SerialNumber: serialHex(cert),
		NotBefore:    cert.NotBefore.UTC(),
		NotAfter:     cert.NotAfter.UTC(),
		Roles:        []Role{},
	}
	if ci.Subject.Email == "" && len(cert.EmailAddresses) > 0 {
		ci.Subject.Email = cert.EmailAddresses[0]
	}

	ku := cert.KeyUsage
	ds := ku&x509.KeyUsageDigitalSignature != 0
	nr := ku&x509.KeyUsageContentCommitment != 0
	ke := ku&(x509.KeyUsageKeyEncipherment|x509.KeyUsageKeyAgreement) != 0
	ci.CanSign = ds && nr
	ci.CanAuth = ds && ke
	switch {
	case ci.CanSign:
		ci.KeyUsage = KeyUsageSign
	case ci.CanAuth:
		ci.KeyUsage = KeyUsageAuth
	default:
		ci.KeyUsage = KeyUsageUnknown
	}

	for _, oid := range cert.UnknownExtKeyUsage {
		if r, ok := roleOfEKU(oid.String()); ok && !slices.Contains(ci.Roles, r) {
			ci.Roles = append(ci.Roles, r)
		}
	}
	for _, p := range cert.Policies {
		s := p.String()
		ci.Policies = append(ci.Policies, Policy{OID: s, Name: policyNames[s]})
	}
	if len(ci.Policies) == 0 {
		for _, oid := range cert.PolicyIdentifiers {
			s := oid.String()
			ci.Policies = append(ci.Policies, Policy{OID: s, Name: policyNames[s]})
		}
	}

	if oid, err := certSignatureAlgorithm(cert.Raw); err == nil {
		ci.SignatureAlgorithmOID = oid.String()
		ci.SignatureAlgorithm = algorithmName(oid)
	}

	if ci.Subject.IIN != "" {
		ci.IINCheckDigitValid = checkDigitValid(ci.Subject.IIN)
		if !ci.IINCheckDigitValid {
			ci.Warnings = append(ci.Warnings, WarnIINCheckDigit)
		}
	}
	if ci.Subject.BIN != "" {
		ci.BINCheckDigitValid = checkDigitValid(ci.Subject.BIN)
		if !ci.BINCheckDigitValid {
			ci.Warnings = append(ci.Warnings, WarnBINCheckDigit)
		}
	}
	return ci
}

// HasRole reports whether the certificate info carries role r.
func (ci CertInfo) HasRole(r Role) bool {
	for _, x := range ci.Roles {
		if x == r {
			return true
		}
	}
	return false
}

func serialHex(cert *x509.Certificate) string {
	if cert.SerialNumber == nil {
		return ""
	}
	return cert.SerialNumber.Text(16)
}

// certSignatureAlgorithm returns the OID of the outer signatureAlgorithm of a DER
// certificate, which crypto/x509 reports as Unknown for GOST.
func certSignatureAlgorithm(raw []byte) (asn1.ObjectIdentifier, error) {
	var c struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	rest, err := asn1.Unmarshal(raw, &c)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedCert, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformedCert)
	}
	return c.SigAlg.Algorithm, nil
}

// attrNames are the DN attribute names used in Subject.DN (BouncyCastle's, which Kalkan
// and NCANode print).
var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SURNAME",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.15":                   "BusinessCategory",
	"2.5.4.42":                   "GIVENNAME",
	"1.2.840.113549.1.9.1":       "E",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
}

// subjectOf reads a DER Name. Malformed names give an empty Subject.
func subjectOf(raw []byte) Subject {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		return Subject{}
	}
	var s Subject
	var dn strings.Builder
	for i, rdn := range rdns {
		if i > 0 {
			dn.WriteByte(',')
		}
		for j, atv := range rdn {
			if j > 0 {
				dn.WriteByte('+')
			}
			oid := atv.Type.String()
			name, ok := attrNames[oid]
			if !ok {
				name = oid
			}
			v, isString := atv.Value.(string)
			dn.WriteString(name)
			dn.WriteByte('=')
			if isString {
				dn.WriteString(escapeDNValue(v))
			} else if b, err := asn1.Marshal(atv.Value); err == nil {
				dn.WriteString("#" + hex.EncodeToString(b))
			}
			if !isString {
				continue
			}
			switch oid {
			case "2.5.4.3":
				s.CommonName = v
			case "2.5.4.4":
				s.SurName = v
			case "2.5.4.42":
				s.LastName = v
			case "2.5.4.5":
				if iin, ok := strings.CutPrefix(v, "IIN"); ok {
					s.IIN = iin
				}
			case "2.5.4.11":
				if bin, ok := strings.CutPrefix(v, "BIN"); ok {
					s.BIN = bin
				}
			case "2.5.4.10":
				s.Organization = v
			case "2.5.4.6":
				s.Country = v
			case "2.5.4.7":
				s.Locality = v
			case "2.5.4.8":
				s.State = v
			case "1.2.840.113549.1.9.1":
				s.Email = v
			}
		}
	}
	s.DN = dn.String()
	return s
}

// escapeDNValue escapes a value as RFC 4514 section 2.4 asks.
func escapeDNValue(v string) string {
	if !utf8.ValidString(v) {
		return "#" + hex.EncodeToString([]byte(v))
	}
	var b strings.Builder
	for i, r := range v {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';':
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == ' ' || r == '#') && i == 0, r == ' ' && i == len(v)-1:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkDigitValid checks the control digit of a 12-digit IIN or BIN (Government Decree
// No. 406 of 22.05.2007): weights 1..11 over the first 11 digits, sum mod 11; if that is
// 10, weights 3..11,1,2; if 10 again the number is invalid. Package kzid owns the full
// rules; this is only the check Info reports.
func checkDigitValid(s string) bool {
	if len(s) != 12 {
		return false
	}
	var d [12]int
	for i := range 12 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	sum := 0
	for i := range 11 {
		sum += (i + 1) * d[i]
	}
	c := sum % 11
	if c == 10 {
		sum = 0
		for i := range 11 {
			w := i + 3
			if w > 11 {
				w -= 11
			}
			sum += w * d[i]
		}
		c = sum % 11
		if c == 10 {
			return false
		}
	}
	return c == d[11]
}

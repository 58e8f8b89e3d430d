package pki

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInfoSubjects(t *testing.T) {
	individual := Subject{
		CommonName: "ТЕСТОВ ТЕСТ", SurName: "ТЕСТОВ", LastName: "ТЕСТОВИЧ",
		IIN: "123456789011", Country: "KZ",
		DN: "CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,GIVENNAME=ТЕСТОВИЧ",
	}
	head := Subject{
		CommonName: "ТЕСТОВ ТЕСТ", SurName: "ТЕСТОВ", LastName: "ТЕСТОВИЧ",
		IIN: "123456789011", BIN: "123456789021", Organization: `АО "ТЕСТ"`, Country: "KZ",
		DN: `CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,O=АО \"ТЕСТ\",OU=BIN123456789021,GIVENNAME=ТЕСТОВИЧ`,
	}
	employee := Subject{
		CommonName: "ТЕСТТОВ ТЕСТТ", SurName: "ТЕСТТОВ", LastName: "ТЕСТТОВИЧ",
		IIN: "123456789012", BIN: "123456789021", Organization: `АО "ТЕСТ"`, Country: "KZ",
		DN: `CN=ТЕСТТОВ ТЕСТТ,SURNAME=ТЕСТТОВ,SERIALNUMBER=IIN123456789012,C=KZ,O=АО \"ТЕСТ\",OU=BIN123456789021,GIVENNAME=ТЕСТТОВИЧ`,
	}
	infosystem := employee
	infosystem.DN = `DC=ROLE02,CN=ТЕСТТОВ ТЕСТТ,SURNAME=ТЕСТТОВ,SERIALNUMBER=IIN123456789012,C=KZ,O=АО \"ТЕСТ\",OU=BIN123456789021,BusinessCategory=KS1234,GIVENNAME=ТЕСТТОВИЧ`
	treasury := Subject{
		CommonName: `ИС "Тест"`, BIN: "123456789021", Organization: `АО "ТЕСТ"`, Country: "KZ",
		DN: `UID=1.2.398.6.10.1.1,CN=ИС \"Тест\",C=KZ,O=АО \"ТЕСТ\",OU=BIN123456789021`,
	}
	issuer := Subject{
		CommonName: "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022", Country: "KZ",
		DN: "CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022,C=KZ",
	}

	want := map[string]Subject{
		"individual_valid": individual, "individual_revoked": individual,
		"legal_valid_head": head, "legal_revoked_head": head,
		"legal_valid_employee": employee, "legal_revoked_employee": employee,
		"legal_valid_employee_signright": employee, "legal_revoked_employee_signright": employee,
		"legal_valid_infosystem": infosystem, "legal_revoked_infosystem": infosystem,
		"legal_valid_treasury_client": treasury, "legal_revoked_treasury_client": treasury,
	}
	for _, name := range leafNames {
		t.Run(name, func(t *testing.T) {
			ci := Info(ncaLeaf(t, name))
			if diff := cmp.Diff(want[name], ci.Subject); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(issuer, ci.Issuer); diff != "" {
				t.Errorf("issuer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInfoRolesAndProfile(t *testing.T) {
	tests := []struct {
		name     string
		roles    []Role
		warnings []string
	}{
		{"individual_valid", []Role{RoleIndividual}, []string{WarnIINCheckDigit}},
		{"legal_valid_head", []Role{RoleOrganization, RoleCEO}, []string{WarnIINCheckDigit, WarnBINCheckDigit}},
		{"legal_valid_employee", []Role{RoleOrganization, RoleEmployee}, []string{WarnIINCheckDigit, WarnBINCheckDigit}},
		{"legal_valid_employee_signright", []Role{RoleOrganization, RoleCanSign}, []string{WarnIINCheckDigit, WarnBINCheckDigit}},
		// The file names and the roles cross over: see RoleInformationSystem.
		{"legal_valid_infosystem", []Role{RoleOrganization, RoleTreasuryClient}, []string{WarnIINCheckDigit, WarnBINCheckDigit}},
		{"legal_valid_treasury_client", []Role{RoleOrganization, RoleInformationSystem}, []string{WarnBINCheckDigit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := Info(ncaLeaf(t, tt.name))
			if diff := cmp.Diff(tt.roles, ci.Roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			// The test numbers fail their check digit: reported, not rejected.
			if diff := cmp.Diff(tt.warnings, ci.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if ci.IINCheckDigitValid || ci.BINCheckDigitValid {
				t.Errorf("check digits reported valid: iin %v bin %v", ci.IINCheckDigitValid, ci.BINCheckDigitValid)
			}
			// GOST-2015 keys: digitalSignature+nonRepudiation+keyAgreement serve both purposes;
			// KeyUsage reports SIGN, as NCANode does.
			if ci.KeyUsage != KeyUsageSign || !ci.CanSign || !ci.CanAuth {
				t.Errorf("key usage = %q sign %v auth %v, want SIGN true true", ci.KeyUsage, ci.CanSign, ci.CanAuth)
			}
			if diff := cmp.Diff([]Policy{{OID: "1.2.398.3.3.2", Name: "GENERIC"}}, ci.Policies); diff != "" {
				t.Errorf("policies (-want +got):\n%s", diff)
			}
			if ci.SignatureAlgorithmOID != "1.2.398.3.10.1.1.2.3.2" {
				t.Errorf("signature algorithm OID = %q", ci.SignatureAlgorithmOID)
			}
		})
	}
}

func TestInfoSerialAndValidity(t *testing.T) {
	ci := Info(ncaLeaf(t, "legal_valid_head"))
	if ci.SerialNumber != "303eebdf17969f3edede9bd9828fb1355aabbe4e" {
		t.Errorf("serial = %q", ci.SerialNumber)
	}
	if want := time.Date(2026, 5, 8, 7, 10, 15, 0, time.UTC); !ci.NotBefore.Equal(want) {
		t.Errorf("notBefore = %v, want %v", ci.NotBefore, want)
	}
	if want := time.Date(2027, 5, 8, 7, 10, 15, 0, time.UTC); !ci.NotAfter.Equal(want) {
		t.Errorf("notAfter = %v, want %v", ci.NotAfter, want)
	}
	tc := Info(ncaLeaf(t, "legal_valid_treasury_client"))
	if want := time.Date(2029, 5, 7, 11, 27, 43, 0, time.UTC); !tc.NotAfter.Equal(want) {
		t.Errorf("treasury notAfter = %v, want %v", tc.NotAfter, want)
	}
}

func TestInfoJSONShape(t *testing.T) {
	b, err := json.Marshal(Info(ncaLeaf(t, "legal_valid_head")))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	subj, _ := m["subject"].(map[string]any)
	got := []string{}
	for k := range subj {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"bin", "commonName", "country", "dn", "iin", "lastName", "organization", "surName"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subject keys (-want +got):\n%s", diff)
	}
	for _, k := range []string{"serialNumber", "notBefore", "notAfter", "keyUsage", "keyUser", "signAlg"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
}

func TestInfoKeyUsage(t *testing.T) {
	tests := []struct {
		ku         int
		want       string
		sign, auth bool
	}{
		{1 | 2, KeyUsageSign, true, false},       // digitalSignature+nonRepudiation
		{1 | 2 | 16, KeyUsageSign, true, true},   // + keyAgreement: GOST-2015 keys
		{1 | 4, KeyUsageAuth, false, true},       // digitalSignature+keyEncipherment
		{1 | 16, KeyUsageAuth, false, true},      // digitalSignature+keyAgreement
		{1, KeyUsageUnknown, false, false},       // digitalSignature alone
		{32 | 64, KeyUsageUnknown, false, false}, // CA
		{2 | 16, KeyUsageUnknown, false, false},  // no digitalSignature
	}
	for _, tt := range tests {
		c := ncaLeaf(t, "individual_valid")
		c.KeyUsage = x509KeyUsage(tt.ku)
		ci := Info(c)
		if ci.KeyUsage != tt.want || ci.CanSign != tt.sign || ci.CanAuth != tt.auth {
			t.Errorf("ku %b: got %s %v %v, want %s %v %v", tt.ku, ci.KeyUsage, ci.CanSign, ci.CanAuth, tt.want, tt.sign, tt.auth)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	for _, s := range []string{"871008401427", "760212350620", "940140000385", "070941024691", "961141000023", "061211600012"} {
		if !checkDigitValid(s) {
			t.Errorf("%s: invalid, want valid", s)
		}
	}
	for _, s := range []string{"123456789011", "123456789012", "123456789021", "871008401428", "", "12345678901", "87100840142a", "8710084014270"} {
		if checkDigitValid(s) {
			t.Errorf("%s: valid, want invalid", s)
		}
	}
}

func TestEscapeDNValue(t *testing.T) {
	tests := map[string]string{
		`АО "ТЕСТ"`: `АО \"ТЕСТ\"`,
		" a,b ":     `\ a\,b\ `,
		"#x":        `\#x`,
		"a+b;c":     `a\+b\;c`,
		"\x01":      `\01`,
	}
	for in, want := range tests {
		if got := escapeDNValue(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeDNValue("\xff"); !strings.HasPrefix(got, "#") {
		t.Errorf("invalid UTF-8 not hex-encoded: %q", got)
	}
}

// The two roles NCANode has no name for, as the NCA's Kalkan samples name them, and a
// specific digital system below the legal entity's template (issue 12, item 7).
func TestRoleOfEKU(t *testing.T) {
	for oid, want := range map[string]Role{
		"1.2.398.3.3.4.1.2.6":    RoleInformationSystem,
		"1.2.398.3.3.4.1.2.6.71": RoleInformationSystem,
		"1.2.398.5.19.1.2.2.1":   RoleTreasuryClient,
		"1.2.398.3.3.4.1.2.5":    RoleEmployee,
		"1.2.398.3.3.4.1.2.60":   "",
		"1.2.398.5.19.1.2.2.1.1": "",
		"1.3.6.1.5.5.7.3.4":      "",
	} {
		got, ok := roleOfEKU(oid)
		if got != want || ok != (want != "") {
			t.Errorf("roleOfEKU(%s) = %q, %v; want %q", oid, got, ok, want)
		}
	}
}

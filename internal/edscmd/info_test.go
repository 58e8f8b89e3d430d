package edscmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const nca = "../../testdata/nca-gost2022/"

func init() { Now = func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) } }

func runInfo(t *testing.T, args ...string) (int, InfoReport, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Command(t.Context(), append([]string{"info"}, args...), &out, &errb)
	var rep InfoReport
	json.Unmarshal(out.Bytes(), &rep)
	return code, rep, out.String() + errb.String()
}

// Every file of the NCA test PKI gives the right subject, roles, chain and revocation.
func TestInfoEveryNCAFile(t *testing.T) {
	trust := []string{"--ca", nca + "root_test_gost_2022.cer", "--ca", nca + "nca_gost2022_test.cer", "--crl", nca + "nca_gost2022_test.crl"}
	tests := []struct {
		file    string
		iin     string
		bin     string
		roles   []string
		revoked bool
	}{
		{"individual/valid/individual_valid.p12", "123456789011", "", []string{"INDIVIDUAL"}, false},
		{"individual/revoked/individual_revoked.p12", "123456789011", "", []string{"INDIVIDUAL"}, true},
		{"legal/valid/head.p12", "123456789011", "123456789021", []string{"ORGANIZATION", "CEO"}, false},
		{"legal/valid/employee_signright.p12", "123456789012", "123456789021", []string{"ORGANIZATION", "CAN_SIGN"}, false},
		// Filed under valid/ but revoked on 2026-06-02, as the CRL says.
		{"legal/valid/employee.p12", "123456789012", "123456789021", []string{"ORGANIZATION", "EMPLOYEE"}, true},
		{"legal/valid/infosystem.p12", "123456789012", "123456789021", nil, true},
		{"legal/valid/treasury_client.p12", "", "123456789021", nil, false},
		{"legal/revoked/head.p12", "123456789011", "123456789021", []string{"CEO"}, true},
		{"legal/revoked/employee.p12", "123456789012", "123456789021", nil, true},
		{"legal/revoked/employee_signright.p12", "123456789012", "123456789021", nil, true},
		{"legal/revoked/infosystem.p12", "123456789012", "123456789021", nil, true},
		{"legal/revoked/treasury_client.p12", "", "123456789021", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, rep, out := runInfo(t, append([]string{nca + tt.file, "--password", "Qwerty12"}, trust...)...)
			if len(rep.Certificates) != 1 {
				t.Fatalf("exit %d, output:\n%s", code, out)
			}
			c := rep.Certificates[0]
			if c.Certificate.Subject.IIN != tt.iin || c.Certificate.Subject.BIN != tt.bin {
				t.Errorf("IIN %q BIN %q, want %q %q", c.Certificate.Subject.IIN, c.Certificate.Subject.BIN, tt.iin, tt.bin)
			}
			roles := map[string]bool{}
			for _, r := range c.Certificate.Roles {
				roles[string(r)] = true
			}
			for _, r := range tt.roles {
				if !roles[r] {
					t.Errorf("roles %v lack %s", c.Certificate.Roles, r)
				}
			}
			if len(c.Chain.Chain) != 3 || c.Chain.Signatures == nil {
				t.Errorf("chain %v, want leaf, issuing CA and root", c.Chain.Chain)
			}
			if c.Chain.CRL == nil {
				t.Fatal("no CRL check reported")
			}
			if got := c.Chain.CRL.Status == "revoked"; got != tt.revoked {
				t.Errorf("CRL status %q, want revoked=%v", c.Chain.CRL.Status, tt.revoked)
			}
			wantCode := 0
			if tt.revoked {
				wantCode = 1
			}
			if code != wantCode || rep.Valid != !tt.revoked {
				t.Errorf("exit %d valid %v, want %d", code, rep.Valid, wantCode)
			}
		})
	}
}

func TestInfoCertificatesAndRefusals(t *testing.T) {
	// A certificate file; without --ca the chain is reported as not checked.
	code, rep, out := runInfo(t, nca+"leaf/individual_valid.cer")
	if code != 0 || rep.Kind != "certificate" || rep.Certificates[0].Chain.Checked {
		t.Errorf("certificate without --ca: exit %d\n%s", code, out)
	}
	// Without --ca the validity period is still checked, as `eds verify` does (issue 12,
	// item 4): expired or not yet valid at --at is invalid, exit 1.
	for _, tc := range []struct{ at, code string }{{"2027-06-01T00:00:00Z", "eds.cert.expired"}, {"2020-01-01T00:00:00Z", "eds.cert.not_yet_valid"}} {
		code, rep, out := runInfo(t, nca+"leaf/individual_valid.cer", "--at", tc.at)
		if code != 1 || rep.Valid || rep.Certificates[0].Chain.Checked || len(rep.Certificates[0].Chain.Periods) != 1 ||
			strings.Join(rep.Certificates[0].Chain.Errors, ",") != tc.code {
			t.Errorf("without --ca at %s: exit %d\n%s", tc.at, code, out)
		}
	}
	if code, rep, out := runInfo(t, nca+"individual/valid/individual_valid.p12", "--password", "Qwerty12", "--at", "2027-06-01T00:00:00Z"); code != 1 || rep.Valid {
		t.Errorf("PKCS#12 without --ca, expired: exit %d\n%s", code, out)
	}
	// The root itself validates against itself.
	if code, _, out := runInfo(t, nca+"root_test_gost_2022.cer", "--ca", nca+"root_test_gost_2022.cer"); code != 0 {
		t.Errorf("root: exit %d\n%s", code, out)
	}
	// Expired at --at.
	code, rep, _ = runInfo(t, nca+"leaf/individual_valid.cer", "--ca", nca+"root_test_gost_2022.cer", "--ca", nca+"nca_gost2022_test.cer", "--at", "2027-06-01T00:00:00Z")
	if code != 1 || !strings.Contains(strings.Join(rep.Certificates[0].Chain.Errors, ","), "eds.cert.expired") {
		t.Errorf("expired: exit %d %+v", code, rep.Certificates[0].Chain)
	}
	// Untrusted: another root.
	code, rep, _ = runInfo(t, nca+"leaf/individual_valid.cer", "--ca", nca+"leaf/legal_valid_head.cer")
	if code != 1 || !strings.Contains(strings.Join(rep.Certificates[0].Chain.Errors, ","), "eds.cert.untrusted") {
		t.Errorf("untrusted: exit %d %+v", code, rep.Certificates[0].Chain)
	}
	// Unusable input: exit 2 with a stable code.
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.cer")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		args []string
		code string
	}{
		{[]string{nca + "individual/valid/individual_valid.p12", "--password", "wrong"}, "eds.pkcs12.bad_password"},
		{[]string{garbage}, "eds.input.unrecognized"},
	} {
		var out, errb bytes.Buffer
		if c := Command(t.Context(), append([]string{"info"}, tc.args...), &out, &errb); c != 2 || !strings.Contains(out.String(), tc.code) {
			t.Errorf("%v: exit %d, output %s", tc.args, c, out.String())
		}
	}
	for _, args := range [][]string{{}, {"a", "b"}, {nca + "root_test_gost_2022.cer", "--at", "yesterday"}, {"/no/such/file"}} {
		var out, errb bytes.Buffer
		if c := Command(t.Context(), append([]string{"info"}, args...), &out, &errb); c != 2 {
			t.Errorf("%v: exit %d, want 2", args, c)
		}
	}
}

// --ca-anchor trusts an intermediate CA certificate by itself; --ca does not. The report
// names the kind of anchor that ended the chain (issue 12, item 3).
func TestInfoCAAnchor(t *testing.T) {
	leaf, ca, root, crl := nca+"leaf/legal_valid_head.cer", nca+"nca_gost2022_test.cer", nca+"root_test_gost_2022.cer", nca+"nca_gost2022_test.crl"
	for _, tc := range []struct {
		name   string
		args   []string
		exit   int
		chain  int
		anchor string
		code   string
	}{
		{"root and intermediate", []string{"--ca", root, "--ca", ca, "--crl", crl}, 0, 3, "root", ""},
		{"intermediate as anchor", []string{"--ca-anchor", ca, "--crl", crl}, 0, 2, "intermediate", ""},
		{"root as anchor", []string{"--ca-anchor", root, "--ca", ca}, 0, 3, "root", ""},
		{"intermediate with --ca only builds chains", []string{"--ca", ca, "--crl", crl}, 1, 0, "", "eds.cert.untrusted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, rep, out := runInfo(t, append([]string{leaf}, tc.args...)...)
			if code != tc.exit || len(rep.Certificates) != 1 {
				t.Fatalf("exit %d, want %d\n%s", code, tc.exit, out)
			}
			c := rep.Certificates[0].Chain
			if !c.Checked || len(c.Chain) != tc.chain || c.Anchor != tc.anchor {
				t.Errorf("chain %v anchor %q, want %d %q", c.Chain, c.Anchor, tc.chain, tc.anchor)
			}
			if tc.code != "" && !strings.Contains(strings.Join(c.Errors, ","), tc.code) {
				t.Errorf("errors %v, want %s", c.Errors, tc.code)
			}
		})
	}
	// An end-entity certificate is refused as an anchor: unusable input, exit 2.
	if code, _, out := runInfo(t, leaf, "--ca-anchor", leaf); code != 2 || !strings.Contains(out, "not a CA certificate") {
		t.Errorf("end-entity anchor: exit %d\n%s", code, out)
	}
}

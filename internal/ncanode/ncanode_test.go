package ncanode

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
)

// ncaFile is what the NCA test PKI's README says of one key file and its leaf.
type ncaFile struct {
	p12, leaf string
	iin, bin  string
	roles     []pki.Role
	revoked   bool // by the CRL
}

var ncaFiles = []ncaFile{
	{"individual/valid/individual_valid.p12", "individual_valid", "123456789011", "", []pki.Role{pki.RoleIndividual}, false},
	{"individual/revoked/individual_revoked.p12", "individual_revoked", "123456789011", "", []pki.Role{pki.RoleIndividual}, true},
	{"legal/valid/head.p12", "legal_valid_head", "123456789011", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleCEO}, false},
	{"legal/valid/employee_signright.p12", "legal_valid_employee_signright", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleCanSign}, false},
	// Filed under valid/ but on the CRL since 2026-06-02 (superseded): a correct
	// validator reports them revoked.
	{"legal/valid/employee.p12", "legal_valid_employee", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleEmployee}, true},
	{"legal/valid/infosystem.p12", "legal_valid_infosystem", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleTreasuryClient}, true},
	{"legal/valid/treasury_client.p12", "legal_valid_treasury_client", "", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleInformationSystem}, false},
	{"legal/revoked/head.p12", "legal_revoked_head", "123456789011", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleCEO}, true},
	{"legal/revoked/employee.p12", "legal_revoked_employee", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleEmployee}, true},
	{"legal/revoked/employee_signright.p12", "legal_revoked_employee_signright", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleCanSign}, true},
	{"legal/revoked/infosystem.p12", "legal_revoked_infosystem", "123456789012", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleTreasuryClient}, true},
	{"legal/revoked/treasury_client.p12", "legal_revoked_treasury_client", "", "123456789021", []pki.Role{pki.RoleOrganization, pki.RoleInformationSystem}, true},
}

const (
	// Java's X500Principal form, as NCANode writes dn.
	ncaRootDN = "C=KZ, CN=НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022"
	ncaCADN   = "C=KZ, CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022"
)

// checkCert compares one CertificateInfo with what the README says of the file.
func checkCert(t *testing.T, f ncaFile, ci CertificateInfo) {
	t.Helper()
	if ci.Subject.IIN != f.iin || ci.Subject.BIN != f.bin {
		t.Errorf("IIN %q BIN %q, want %q %q", ci.Subject.IIN, ci.Subject.BIN, f.iin, f.bin)
	}
	if diff := cmp.Diff(f.roles, ci.KeyUser); diff != "" {
		t.Errorf("keyUser (-want +got):\n%s", diff)
	}
	if ci.Valid == f.revoked {
		t.Errorf("valid = %v, want %v (errors %v)", ci.Valid, !f.revoked, ci.Errors)
	}
	wantRev := Revocation{Revoked: f.revoked, By: "CRL", Status: "good"}
	if f.revoked {
		wantRev.Status = "revoked"
	}
	if len(ci.Revocations) != 1 {
		t.Fatalf("revocations %+v, want one by CRL", ci.Revocations)
	}
	got := ci.Revocations[0]
	if got.Revoked != wantRev.Revoked || got.By != wantRev.By || got.Status != wantRev.Status || (got.RevocationTime != nil) != f.revoked {
		t.Errorf("revocation %+v, want %+v", got, wantRev)
	}
	if f.revoked && (got.Reason == nil || *got.Reason == "") {
		t.Errorf("revoked without a reason")
	}
	leaf := readCert(t, "leaf/"+f.leaf+".cer")
	want := CertificateInfo{
		NotBefore: Time(leaf.NotBefore), NotAfter: Time(leaf.NotAfter),
		KeyUsage: "SIGN", SerialNumber: leaf.SerialNumber.Text(16), SignAlg: "ECGOST3410-2015-512",
		PublicKey: base64.StdEncoding.EncodeToString(leaf.RawSubjectPublicKeyInfo),
		Signature: base64.StdEncoding.EncodeToString(leaf.Signature),
		Chain:     []string{ci.Subject.DN, ncaCADN, ncaRootDN},
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b Time) bool { return a == b }),
		cmp.FilterPath(func(p cmp.Path) bool {
			switch p.Last().String() {
			case ".NotBefore", ".NotAfter", ".KeyUsage", ".SerialNumber", ".SignAlg", ".PublicKey", ".Signature", ".Chain":
				return false
			}
			return true
		}, cmp.Ignore()),
	}
	if diff := cmp.Diff(want, ci, opts); diff != "" {
		t.Errorf("certificate (-want +got):\n%s", diff)
	}
	if ci.Issuer.DN != ncaCADN {
		t.Errorf("issuer %q", ci.Issuer.DN)
	}
}

// Every key file of the NCA test PKI gives the right subject, roles, chain and
// revocation through /pkcs12/info.
func TestPkcs12InfoEveryNCAFile(t *testing.T) {
	h := newTestServer(t)
	for _, f := range ncaFiles {
		t.Run(f.p12, func(t *testing.T) {
			var resp VerificationResponse
			postOK(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{key(t, f.p12)}, RevocationCheck: []string{"CRL"}}, &resp)
			if resp.Status.Status != 200 || resp.Message != "OK" || len(resp.Signers) != 1 {
				t.Fatalf("response %+v", resp)
			}
			if resp.Valid != !f.revoked {
				t.Errorf("valid %v", resp.Valid)
			}
			checkCert(t, f, *resp.Signers[0])
		})
	}
}

// Every leaf certificate gives the same through /x509/info.
func TestX509InfoEveryLeaf(t *testing.T) {
	h := newTestServer(t)
	for _, f := range ncaFiles {
		t.Run(f.leaf, func(t *testing.T) {
			var resp VerificationResponse
			postOK(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/"+f.leaf+".cer"))}, RevocationCheck: []string{"CRL"}}, &resp)
			if len(resp.Signers) != 1 {
				t.Fatalf("response %+v", resp)
			}
			checkCert(t, f, *resp.Signers[0])
		})
	}
}

// The JSON is NCANode's: names, date format, status and message members.
func TestX509InfoShape(t *testing.T) {
	h := newTestServer(t)
	code, body := post(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/legal_valid_employee.cer"))}, RevocationCheck: []string{"CRL"}})
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	if m["status"] != float64(200) || m["message"] != "OK" || m["valid"] != false {
		t.Errorf("top level %v", m)
	}
	ci := m["signers"].([]any)[0].(map[string]any)
	for _, k := range []string{"valid", "revocations", "notBefore", "notAfter", "keyUsage", "serialNumber", "signAlg", "keyUser", "publicKey", "signature", "subject", "issuer"} {
		if _, ok := ci[k]; !ok {
			t.Errorf("CertificateInfo lacks %s", k)
		}
	}
	date := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$`)
	if s, _ := ci["notAfter"].(string); !date.MatchString(s) {
		t.Errorf("notAfter %q is not in NCANode's format", s)
	}
	rev := ci["revocations"].([]any)[0].(map[string]any)
	if rev["revoked"] != true || rev["by"] != "CRL" || rev["reason"] != "SUPERSEDED" || !date.MatchString(rev["revocationTime"].(string)) {
		t.Errorf("revocation %v", rev)
	}
	if !strings.HasPrefix(rev["revocationTime"].(string), "2026-06-02T") {
		t.Errorf("revocationTime %v, want 2026-06-02 (README)", rev["revocationTime"])
	}
	subj := ci["subject"].(map[string]any)
	for _, k := range []string{"commonName", "surName", "iin", "bin", "organization", "country", "dn"} {
		if _, ok := subj[k]; !ok {
			t.Errorf("subject lacks %s: %v", k, subj)
		}
	}
}

// /x509/info takes Base64 of DER, Base64 of PEM (NCANode's own example), PEM text and
// Base64 broken into lines.
func TestX509InfoInputForms(t *testing.T) {
	h := newTestServer(t)
	der := readFile(t, "leaf/individual_valid.cer")
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	lines := b64(der)
	lines = lines[:64] + "\r\n" + lines[64:128] + "\n" + lines[128:]
	for name, s := range map[string]string{
		"der": b64(der), "b64 pem": b64([]byte(pemText)), "pem": pemText, "lines": lines,
		"unpadded": strings.TrimRight(b64(der), "="),
	} {
		t.Run(name, func(t *testing.T) {
			var resp VerificationResponse
			postOK(t, h, "/x509/info", X509InfoRequest{Certs: []string{s}}, &resp)
			if len(resp.Signers) != 1 || resp.Signers[0].Subject.IIN != "123456789011" || !resp.Valid {
				t.Errorf("response %+v", resp)
			}
			// Without revocationCheck nothing is asked of CRL or OCSP.
			if len(resp.Signers[0].Revocations) != 0 {
				t.Errorf("revocations %+v", resp.Signers[0].Revocations)
			}
		})
	}
}

// Without trust anchors every certificate is invalid, as NCANode reports a
// certificate of an unknown issuer.
func TestNoValidator(t *testing.T) {
	h := newTestServer(t, func(c *Config) { c.Validator = nil })
	var resp VerificationResponse
	postOK(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}}, &resp)
	if resp.Valid || resp.Signers[0].Valid || !slices.Contains(resp.Signers[0].Errors, "eds.cert.untrusted") {
		t.Errorf("response %+v", resp)
	}
	if resp.Signers[0].Subject.IIN != "123456789011" {
		t.Errorf("subject %+v", resp.Signers[0].Subject)
	}

	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("x")), Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &sig)
	var ver CmsVerificationResponse
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS}, &ver)
	if ver.Valid || ver.Signers[0].Valid {
		t.Errorf("verify without trust anchors: %+v", ver)
	}
}

// Sign, verify, tamper, extract.
func TestCMSSignVerifyExtract(t *testing.T) {
	h := newTestServer(t)
	data := []byte("Келісім / consent #42")
	signer := key(t, "individual/valid/individual_valid.p12")

	for _, detached := range []bool{false, true} {
		name := map[bool]string{false: "attached", true: "detached"}[detached]
		t.Run(name, func(t *testing.T) {
			var sig CmsResponse
			postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64(data), Signers: []KeyRequest{signer}, Detached: detached}, &sig)
			if sig.Status.Status != 200 || sig.CMS == "" {
				t.Fatalf("sign %+v", sig)
			}
			raw, _ := base64.StdEncoding.DecodeString(sig.CMS)
			sd, err := cms.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if sd.HasContent == detached {
				t.Fatalf("HasContent %v for detached %v", sd.HasContent, detached)
			}

			req := CmsVerifyRequest{CMS: sig.CMS, RevocationCheck: []string{"CRL"}}
			if detached {
				req.Data = b64(data)
			}
			var ver CmsVerificationResponse
			postOK(t, h, "/cms/verify", req, &ver)
			if !ver.Valid || len(ver.Signers) != 1 || !ver.Signers[0].Valid || ver.Signers[0].Tsp != nil {
				t.Fatalf("verify %+v", ver)
			}
			ci := ver.Signers[0].Certificates
			if len(ci) != 1 {
				t.Fatalf("certificates %+v", ci)
			}
			checkCert(t, ncaFiles[0], ci[0])

			if detached {
				// One changed byte of the content: invalid, with the reason.
				bad := slices.Clone(data)
				bad[0] ^= 1
				req.Data = b64(bad)
				postOK(t, h, "/cms/verify", req, &ver)
				if ver.Valid || ver.Signers[0].Valid || !slices.Contains(ver.Signers[0].Errors, "eds.cms.digest_mismatch") {
					t.Errorf("tampered verify %+v", ver)
				}
				// A detached CMS without its content.
				code, body := post(t, h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS})
				checkError(t, code, body, 400, "eds.cms.detached_content_missing")
				code, body = post(t, h, "/cms/extract", CmsExtractRequest{CMS: sig.CMS})
				checkError(t, code, body, 400, "eds.cms.no_content")
				return
			}
			var ext CmsDataResponse
			postOK(t, h, "/cms/extract", CmsExtractRequest{CMS: sig.CMS}, &ext)
			if got, _ := base64.StdEncoding.DecodeString(ext.Data); string(got) != string(data) || ext.Message != "OK" {
				t.Errorf("extract %+v", ext)
			}
		})
	}
}

// A revoked signer's CMS is reported invalid, with the revocation.
func TestCMSVerifyRevokedSigner(t *testing.T) {
	h := newTestServer(t)
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("x")), Signers: []KeyRequest{key(t, "legal/valid/employee.p12")}}, &sig)
	var ver CmsVerificationResponse
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS, RevocationCheck: []string{"CRL"}}, &ver)
	if ver.Valid || ver.Signers[0].Valid || !ver.Signers[0].Certificates[0].Revocations[0].Revoked {
		t.Errorf("verify %+v", ver)
	}
	// Without revocationCheck the same CMS is valid: NCANode's semantics.
	postOK(t, h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS}, &ver)
	if !ver.Valid {
		t.Errorf("verify without revocation check %+v", ver)
	}
}

// /cms/sign/add keeps the first signer, time-stamp included, byte for byte.
func TestCMSSignAdd(t *testing.T) {
	h := newTestServer(t)
	data := []byte("two signers")
	for _, detached := range []bool{false, true} {
		t.Run(map[bool]string{false: "attached", true: "detached"}[detached], func(t *testing.T) {
			var first CmsResponse
			postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64(data), Detached: detached, WithTsp: true,
				Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &first)
			add := CmsSignRequest{CMS: first.CMS, Signers: []KeyRequest{key(t, "legal/valid/head.p12")}}
			if detached {
				code, body := post(t, h, "/cms/sign/add", add)
				checkError(t, code, body, 400, "eds.cms.detached_content_missing")
				add.Data = b64(data)
			}
			var second CmsResponse
			postOK(t, h, "/cms/sign/add", add, &second)

			r1, _ := base64.StdEncoding.DecodeString(first.CMS)
			r2, _ := base64.StdEncoding.DecodeString(second.CMS)
			sd1, err1 := cms.Parse(r1)
			sd2, err2 := cms.Parse(r2)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if len(sd2.Signers) != 2 || string(sd2.Signers[0].Raw) != string(sd1.Signers[0].Raw) {
				t.Fatalf("the first signer was not kept byte for byte")
			}
			req := CmsVerifyRequest{CMS: second.CMS, RevocationCheck: []string{"CRL"}}
			if detached {
				req.Data = b64(data)
			}
			var ver CmsVerificationResponse
			postOK(t, h, "/cms/verify", req, &ver)
			if !ver.Valid || len(ver.Signers) != 2 {
				t.Fatalf("verify %+v", ver)
			}
			if ver.Signers[0].Certificates[0].Subject.IIN != "123456789011" || ver.Signers[0].Tsp == nil || !ver.Signers[0].Tsp.Valid {
				t.Errorf("first signer %+v", ver.Signers[0])
			}
			if ver.Signers[1].Certificates[0].Subject.BIN != "123456789021" || ver.Signers[1].Tsp != nil {
				t.Errorf("second signer %+v", ver.Signers[1])
			}
		})
	}
}

// withTsp adds a signature time-stamp of the requested policy; /cms/verify reports it
// in NCANode's TspInfo.
func TestCMSSignWithTsp(t *testing.T) {
	h := newTestServer(t)
	for name, oid := range map[string]string{"": "1.2.398.3.3.2.6.4", "TSA_GOST2015_POLICY": "1.2.398.3.3.2.6.4", "TSA_GOST_POLICY": "1.2.398.3.3.2.6.1", "TSA_GOSTGT_POLICY": "1.2.398.3.3.2.6.2"} {
		t.Run(name, func(t *testing.T) {
			var sig CmsResponse
			postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("stamped")), WithTsp: true, TsaPolicy: name,
				Signers: []KeyRequest{key(t, "legal/valid/head.p12")}}, &sig)
			code, body := post(t, h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS, RevocationCheck: []string{"CRL"}})
			if code != 200 {
				t.Fatalf("HTTP %d %s", code, body)
			}
			var ver CmsVerificationResponse
			json.Unmarshal(body, &ver)
			ts := ver.Signers[0].Tsp
			if ts == nil {
				t.Fatalf("no tsp: %s", body)
			}
			if !ver.Valid || ts.Policy != oid || !ts.Valid || ts.SerialNumber == "" || ts.TspHashAlgorithm == "" {
				t.Errorf("tsp %+v valid %v", ts, ver.Valid)
			}
			if _, err := hex.DecodeString(ts.Hash); err != nil || len(ts.Hash) == 0 {
				t.Errorf("hash %q is not hex", ts.Hash)
			}
			if gt := time.Time(ts.GenTime); !gt.Equal(testNow) {
				t.Errorf("genTime %v", gt)
			}
		})
	}
}

// Several keys in one /pkcs12/info request, and keyAlias.
func TestPkcs12InfoKeysAndAlias(t *testing.T) {
	h := newTestServer(t)
	leaf := readCert(t, "leaf/legal_valid_head.cer")
	alias := hex.EncodeToString(leaf.SubjectKeyId)
	k := key(t, "legal/valid/head.p12")
	k.KeyAlias = strings.ToUpper(alias) // aliases match case-insensitively
	var resp VerificationResponse
	postOK(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{key(t, "individual/valid/individual_valid.p12"), k}}, &resp)
	if len(resp.Signers) != 2 || resp.Signers[0].Subject.BIN != "" || resp.Signers[1].Subject.BIN != "123456789021" || !resp.Valid {
		t.Errorf("response %+v", resp)
	}
	postOK(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{key(t, "individual/valid/individual_valid.p12"), key(t, "legal/valid/employee.p12")}, RevocationCheck: []string{"crl"}}, &resp)
	if resp.Valid || !resp.Signers[0].Valid || resp.Signers[1].Valid {
		t.Errorf("one revoked key must make the response invalid: %+v", resp)
	}
}

func checkError(t *testing.T, code int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Status  *int    `json:"status"`
		Message *string `json:"message"`
		Code    string  `json:"code"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("HTTP %d, body not JSON: %q", code, body)
	}
	if code != wantStatus || e.Status == nil || *e.Status != wantStatus || e.Code != wantCode || e.Message == nil || *e.Message == "" {
		t.Errorf("HTTP %d %s, want %d with code %s", code, body, wantStatus, wantCode)
	}
}

// Bad input: a clear NCANode-style error with its stable code, never a panic.
func TestErrors(t *testing.T) {
	h := newTestServer(t)
	noTSA := newTestServer(t, func(c *Config) { c.TSA = nil })
	small := newTestServer(t, func(c *Config) { c.MaxBody = 1024 })
	good := key(t, "individual/valid/individual_valid.p12")
	wrongPw := good
	wrongPw.Password = "Qwerty13"
	badAlias := good
	badAlias.KeyAlias = "00ff"
	notB64 := KeyRequest{Key: "%%% not base64 %%%", Password: "Qwerty12"}
	notP12 := KeyRequest{Key: b64([]byte("definitely not a PKCS#12 file")), Password: "Qwerty12"}
	data := b64([]byte("x"))
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{good}}, &sig)

	tests := []struct {
		name   string
		h      http.Handler
		path   string
		body   any
		status int
		code   string
	}{
		{"wrong password", h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{wrongPw}}, 400, "eds.pkcs12.bad_password"},
		{"wrong password sign", h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{wrongPw}}, 400, "eds.pkcs12.bad_password"},
		{"key not base64", h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{notB64}}, 400, "request.invalid_base64"},
		{"key not pkcs12", h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{notP12}}, 400, "eds.pkcs12.malformed"},
		{"key missing", h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{{Password: "Qwerty12"}}}, 400, "request.invalid_field"},
		{"no keys", h, "/pkcs12/info", Pkcs12InfoRequest{}, 400, "request.invalid_field"},
		{"unknown alias", h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{badAlias}}, 400, "eds.pkcs12.alias_not_found"},
		{"unknown alias sign", h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{badAlias}}, 400, "eds.pkcs12.alias_not_found"},
		{"no certs", h, "/x509/info", X509InfoRequest{}, 400, "request.invalid_field"},
		{"bad revocationCheck", h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}, RevocationCheck: []string{"LDAP"}}, 400, "request.invalid_field"},
		{"empty signers", h, "/cms/sign", CmsSignRequest{Data: data}, 400, "request.invalid_field"},
		{"no data", h, "/cms/sign", CmsSignRequest{Signers: []KeyRequest{good}}, 400, "request.invalid_field"},
		{"data not base64", h, "/cms/sign", CmsSignRequest{Data: "@@", Signers: []KeyRequest{good}}, 400, "request.invalid_base64"},
		{"unknown tsaPolicy", h, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{good}, WithTsp: true, TsaPolicy: "TSA_FOO"}, 400, "eds.tsp.unsupported"},
		{"withTsp without TSA", noTSA, "/cms/sign", CmsSignRequest{Data: data, Signers: []KeyRequest{good}, WithTsp: true}, 400, "eds.tsp.not_configured"},
		{"add without cms", h, "/cms/sign/add", CmsSignRequest{Data: data, Signers: []KeyRequest{good}}, 400, "request.invalid_field"},
		{"add to garbage", h, "/cms/sign/add", CmsSignRequest{CMS: b64([]byte("garbage")), Signers: []KeyRequest{good}}, 400, "eds.cms.malformed"},
		{"add empty signers", h, "/cms/sign/add", CmsSignRequest{CMS: sig.CMS}, 400, "request.invalid_field"},
		{"verify garbage", h, "/cms/verify", CmsVerifyRequest{CMS: b64([]byte{0x30, 0x80, 0x00, 0x00})}, 400, "eds.cms.malformed"},
		{"verify not base64", h, "/cms/verify", CmsVerifyRequest{CMS: "#"}, 400, "request.invalid_base64"},
		{"verify no cms", h, "/cms/verify", CmsVerifyRequest{}, 400, "request.invalid_field"},
		{"verify content conflict", h, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS, Data: b64([]byte("other"))}, 400, "eds.cms.content_conflict"},
		{"extract garbage", h, "/cms/extract", CmsExtractRequest{CMS: b64([]byte("garbage"))}, 400, "eds.cms.malformed"},
		{"not json", h, "/cms/extract", "{not json", 400, "request.malformed_json"},
		{"json array", h, "/cms/extract", "[]", 400, "request.malformed_json"},
		{"empty body", h, "/x509/info", "", 400, "request.malformed_json"},
		{"wrong type", h, "/x509/info", `{"certs": "one"}`, 400, "request.malformed_json"},
		{"too large", small, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}}, 413, "request.too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, tt.h, tt.path, tt.body)
			checkError(t, code, body, tt.status, tt.code)
		})
	}

	t.Run("messages", func(t *testing.T) {
		// NCANode's own texts, which integrations may match on.
		_, body := post(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{wrongPw}})
		if !strings.Contains(string(body), `"message":"Key reading error: Password incorrect."`) {
			t.Errorf("%s", body)
		}
		_, body = post(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{badAlias}})
		if !strings.Contains(string(body), `Key does not have '00ff' alias`) {
			t.Errorf("%s", body)
		}
	})

	t.Run("media type", func(t *testing.T) {
		// A form post (what a browser may send cross-site without a preflight) is refused.
		for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded"} {
			req, _ := http.NewRequest(http.MethodPost, "/x509/info", strings.NewReader(`{"certs":[]}`))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			rec := newRecorder()
			h.ServeHTTP(rec, req)
			checkError(t, rec.Code, rec.Body.Bytes(), 415, "request.unsupported_media_type")
		}
		// The main API's decoder checks: a charset parameter and +json types are JSON.
		for _, ct := range []string{"application/json; charset=utf-8", "application/vnd.ncanode+json"} {
			req, _ := http.NewRequest(http.MethodPost, "/x509/info", strings.NewReader(`{"certs":[]}`))
			req.Header.Set("Content-Type", ct)
			rec := newRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code == 415 {
				t.Errorf("%s refused: %s", ct, rec.Body.Bytes())
			}
		}
	})
}

// OCSP asked for with no responder reachable: the check is unknown, never good, and
// the certificate is not valid.
func TestX509InfoOCSPUnknown(t *testing.T) {
	h := newTestServer(t)
	var resp VerificationResponse
	postOK(t, h, "/x509/info", X509InfoRequest{Certs: []string{b64(readFile(t, "leaf/individual_valid.cer"))}, RevocationCheck: []string{"OCSP"}}, &resp)
	ci := resp.Signers[0]
	if resp.Valid || ci.Valid || len(ci.Revocations) != 1 {
		t.Fatalf("response %+v", resp)
	}
	if r := ci.Revocations[0]; r.By != "OCSP" || r.Revoked || r.Status != "unknown" || r.Reason == nil || *r.Reason == "" {
		t.Errorf("revocation %+v", r)
	}
}

// A time-stamp from a TSA that is not trusted makes its signer invalid.
func TestCMSVerifyUntrustedTSA(t *testing.T) {
	h := newTestServer(t)
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("x")), WithTsp: true, Signers: []KeyRequest{key(t, "individual/valid/individual_valid.p12")}}, &sig)
	// Another server: the same NCA trust, but not the test TSA's root.
	other := newTestServer(t, func(c *Config) { c.Validator = testValidator(t) })
	var ver CmsVerificationResponse
	postOK(t, other, "/cms/verify", CmsVerifyRequest{CMS: sig.CMS}, &ver)
	if ver.Valid || ver.Signers[0].Valid || ver.Signers[0].Tsp == nil || ver.Signers[0].Tsp.Valid || !slices.Contains(ver.Signers[0].Errors, "eds.tsp.untrusted") {
		t.Errorf("verify %+v", ver)
	}
}

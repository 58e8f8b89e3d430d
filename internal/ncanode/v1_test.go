package ncanode

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/problem"
)

// Every leaf gives the right subject, roles, chain and revocation through
// /v1/eds/info, in the report of `senim eds info`.
// pkiRootDN is the root's DN as the main API writes it (RFC 4514, certificate order).
const pkiRootDN = "CN=НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022,C=KZ"

func TestV1InfoEveryLeaf(t *testing.T) {
	h := newTestServer(t)
	for _, f := range ncaFiles {
		t.Run(f.leaf, func(t *testing.T) {
			var rep InfoResponse
			postOK(t, h, "/v1/eds/info", InfoRequest{Certificate: b64(readFile(t, "leaf/"+f.leaf+".cer")), Revocation: []string{"CRL"}}, &rep)
			c := rep.Certificate
			if c.Subject.IIN != f.iin || c.Subject.BIN != f.bin {
				t.Errorf("IIN %q BIN %q", c.Subject.IIN, c.Subject.BIN)
			}
			if diff := cmp.Diff(f.roles, c.Roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			if !rep.Chain.Checked || len(rep.Chain.Chain) != 3 || rep.Chain.Chain[2] != pkiRootDN {
				t.Errorf("chain %+v", rep.Chain)
			}
			wantCRL := "good"
			if f.revoked {
				wantCRL = "revoked"
			}
			if rep.Chain.CRL == nil || rep.Chain.CRL.Status != wantCRL || rep.Valid == f.revoked {
				t.Errorf("valid %v, CRL %+v; want %s", rep.Valid, rep.Chain.CRL, wantCRL)
			}
		})
	}
}

// at moves the validation time: after notAfter the certificate has expired.
func TestV1InfoAt(t *testing.T) {
	h := newTestServer(t)
	var rep InfoResponse
	postOK(t, h, "/v1/eds/info", InfoRequest{Certificate: b64(readFile(t, "leaf/individual_valid.cer")), At: "2028-01-01T00:00:00Z"}, &rep)
	if rep.Valid || !slices.Contains(rep.Chain.Errors, "eds.cert.expired") {
		t.Errorf("report %+v", rep.Chain)
	}
	code, body := post(t, h, "/v1/eds/info", InfoRequest{Certificate: b64(readFile(t, "leaf/individual_valid.cer")), At: "yesterday"})
	checkProblem(t, code, body, 400, "request.invalid_field")
}

func TestV1Verify(t *testing.T) {
	h := newTestServer(t)
	data := []byte("v1")
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64(data), Detached: true, Signers: []KeyRequest{key(t, "legal/valid/head.p12")}}, &sig)
	var rep edscmd.VerifyReport
	postOK(t, h, "/v1/eds/verify", VerifyRequest{CMS: sig.CMS, Data: b64(data), Revocation: []string{"CRL"}}, &rep)
	if !rep.Valid || !rep.Detached || len(rep.Signers) != 1 || rep.Signers[0].Certificate.Subject.BIN != "123456789021" || rep.Signers[0].Chain.CRL.Status != "good" {
		t.Errorf("report %+v", rep)
	}
	postOK(t, h, "/v1/eds/verify", VerifyRequest{CMS: sig.CMS, Data: b64([]byte("v2"))}, &rep)
	if rep.Valid || !slices.Contains(rep.Signers[0].Errors, "eds.cms.digest_mismatch") {
		t.Errorf("tampered %+v", rep)
	}
}

func checkProblem(t *testing.T, code int, body []byte, status int, wantCode string) {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil || code != status || p.Status != status || p.Code != wantCode || p.Type == "" || p.Title == "" {
		t.Errorf("HTTP %d %s, want %d %s", code, body, status, wantCode)
	}
}

func TestV1Errors(t *testing.T) {
	h := newTestServer(t)
	p12 := b64(readFile(t, "individual/valid/individual_valid.p12"))
	tests := []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		// The main API never takes a private key: a key file is not a certificate.
		{"key file", "/v1/eds/info", InfoRequest{Certificate: p12}, 400, "eds.cert.malformed"},
		{"no certificate", "/v1/eds/info", InfoRequest{}, 400, "request.invalid_field"},
		{"not base64", "/v1/eds/info", InfoRequest{Certificate: "~~"}, 400, "request.invalid_base64"},
		{"unknown member", "/v1/eds/info", `{"certificate":"AA==","password":"x"}`, 400, "request.unknown_field"},
		{"bad revocation", "/v1/eds/verify", VerifyRequest{CMS: p12, Revocation: []string{"X"}}, 400, "request.invalid_field"},
		{"garbage cms", "/v1/eds/verify", VerifyRequest{CMS: p12}, 400, "eds.cms.malformed"},
		{"no cms", "/v1/eds/verify", VerifyRequest{}, 400, "request.invalid_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, h, tt.path, tt.body)
			checkProblem(t, code, body, tt.status, tt.code)
		})
	}
	// Without a SandboxSigner there is no /v1/eds/sign.
	if code, _ := post(t, h, "/v1/eds/sign", SignRequest{Data: "AA=="}); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("/v1/eds/sign without a SandboxSigner: HTTP %d", code)
	}
}

func TestV1SandboxSign(t *testing.T) {
	f, err := pkcs12.Decode(readFile(t, "individual/valid/individual_valid.p12"), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	h := newTestServer(t, func(c *Config) {
		c.SandboxSigner = func(ctx context.Context, r *http.Request) (cms.SignerSpec, error) {
			if r.Header.Get("X-Test-Caller") == "" {
				return cms.SignerSpec{}, problem.Unauthenticated
			}
			return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}, nil
		}
	})
	code, body := post(t, h, "/v1/eds/sign", SignRequest{Data: b64([]byte("sandbox"))})
	checkProblem(t, code, body, 401, "auth.unauthenticated")

	req := newJSONRequest(t, "/v1/eds/sign", SignRequest{Data: b64([]byte("sandbox"))})
	req.Header.Set("X-Test-Caller", "demo")
	rec := newRecorder()
	h.ServeHTTP(rec, req)
	var sig SignResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &sig) != nil {
		t.Fatalf("HTTP %d %s", rec.Code, rec.Body)
	}
	var rep edscmd.VerifyReport
	postOK(t, h, "/v1/eds/verify", VerifyRequest{CMS: sig.CMS}, &rep)
	if !rep.Valid || rep.Signers[0].Certificate.Subject.IIN != "123456789011" {
		t.Errorf("report %+v", rep)
	}
}

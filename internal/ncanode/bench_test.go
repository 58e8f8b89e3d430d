package ncanode

import (
	"net/http"
	"testing"
)

// BenchmarkX509Info is one /x509/info of a GOST leaf with its chain (two GOST
// signature verifications) and the CRL, through the HTTP handler.
func BenchmarkX509Info(b *testing.B) {
	h := newTestServer(b)
	req := X509InfoRequest{Certs: []string{b64(readFile(b, "leaf/legal_valid_head.cer"))}, RevocationCheck: []string{"CRL"}}
	for b.Loop() {
		if code, body := post(b, h, "/x509/info", req); code != http.StatusOK {
			b.Fatalf("HTTP %d %s", code, body)
		}
	}
}

// BenchmarkCMSVerify is one /cms/verify of a one-signer GOST CMS (signature and chain:
// three GOST verifications) with the CRL.
func BenchmarkCMSVerify(b *testing.B) {
	h := newTestServer(b)
	var sig CmsResponse
	postOK(b, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("bench")), Signers: []KeyRequest{key(b, "legal/valid/head.p12")}}, &sig)
	req := CmsVerifyRequest{CMS: sig.CMS, RevocationCheck: []string{"CRL"}}
	for b.Loop() {
		if code, body := post(b, h, "/cms/verify", req); code != http.StatusOK {
			b.Fatalf("HTTP %d %s", code, body)
		}
	}
}

// BenchmarkCMSSign is one /cms/sign with an NCA key file (PKCS#12 decoding with its
// 1024-iteration KDFs, one GOST signature).
func BenchmarkCMSSign(b *testing.B) {
	h := newTestServer(b)
	req := CmsSignRequest{Data: b64([]byte("bench")), Signers: []KeyRequest{key(b, "legal/valid/head.p12")}}
	for b.Loop() {
		if code, body := post(b, h, "/cms/sign", req); code != http.StatusOK {
			b.Fatalf("HTTP %d %s", code, body)
		}
	}
}

package ncanode

import (
	"encoding/asn1"
	"os"
	"testing"
)

// A key file as OpenSSL 3 writes it by default (PBES2 with AES-256-CBC and
// PBKDF2-HMAC-SHA-256, an HMAC-SHA-256 MAC), made by
// internal/eds/pkcs12/testdata/gen.sh.
const opensslP12 = "../eds/pkcs12/testdata/openssl-ec-aes256.p12"

// TestPBES2KeyFile: the API signs with an OpenSSL 3 key file, and refuses a
// file that demands too many iterations with its own code, before deriving.
func TestPBES2KeyFile(t *testing.T) {
	p12, err := os.ReadFile(opensslP12)
	if err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t)
	var sig CmsResponse
	postOK(t, h, "/cms/sign", CmsSignRequest{Data: b64([]byte("x")), Signers: []KeyRequest{{Key: b64(p12), Password: "Senim2026"}}}, &sig)
	if sig.CMS == "" {
		t.Fatal("no CMS")
	}

	// The MAC iteration count raised to 2^30.
	var pfx struct {
		Version  int
		AuthSafe asn1.RawValue
		MacData  struct {
			Mac        asn1.RawValue
			MacSalt    []byte
			Iterations int
		}
	}
	if _, err := asn1.Unmarshal(p12, &pfx); err != nil {
		t.Fatal(err)
	}
	pfx.MacData.Iterations = 1 << 30
	hostile, err := asn1.Marshal(pfx)
	if err != nil {
		t.Fatal(err)
	}
	code, body := post(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{{Key: b64(hostile), Password: "Senim2026"}}})
	checkError(t, code, body, 400, "eds.pkcs12.iteration_limit")
	code, body = post(t, h, "/pkcs12/info", Pkcs12InfoRequest{Keys: []KeyRequest{{Key: b64(p12), Password: "Senim2027"}}})
	checkError(t, code, body, 400, "eds.pkcs12.bad_password")
}

package cms_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
)

// pssSpec is the RSA test key of testdata/ (gen-pss.sh) signing RSASSA-PSS.
func pssSpec(t *testing.T) cms.SignerSpec {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM", name)
		}
		return blk.Bytes
	}
	key, err := eds.ParsePKCS8PrivateKey(read("rsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	if key, err = key.WithAlgorithm(eds.OIDSignRSAPSS); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(read("rsa.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return cms.SignerSpec{Signer: key, Cert: cert}
}

func verifyNoChain(t *testing.T, der, content []byte) cms.SignerResult {
	t.Helper()
	res, err := cms.Verify(t.Context(), der, content, cms.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signers) != 1 {
		t.Fatalf("%d signers", len(res.Signers))
	}
	return res.Signers[0]
}

// TestRSAPSSOpenSSLSamples verifies CMS that `openssl cms -sign -keyopt
// rsa_padding_mode:pss` made: the supported profile (SHA-256, MGF1-SHA-256)
// verifies with salt 32 and with OpenSSL's default salt length (the maximum,
// 222 bytes for this 2048-bit key), as the parameters state it; SHA-512 is
// refused with eds.signature.pss_params, before any RSA operation.
func TestRSAPSSOpenSSLSamples(t *testing.T) {
	tests := []struct {
		file string
		ok   bool
	}{
		{"openssl-pss.p7s", true},
		{"openssl-pss-saltmax.p7s", true},
		{"openssl-pss-sha512.p7s", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := verifyNoChain(t, der, nil)
			if tt.ok {
				if !r.SignatureValid || !r.DigestValid || len(r.Errors) != 0 || r.SignatureAlgorithm != "SHA256withRSAandMGF1" {
					t.Fatalf("signature %v digest %v codes %v alg %s", r.SignatureValid, r.DigestValid, r.Codes(), r.SignatureAlgorithm)
				}
				return
			}
			if r.SignatureValid || !slices.Contains(r.Codes(), "eds.signature.pss_params") {
				t.Fatalf("signature %v codes %v", r.SignatureValid, r.Codes())
			}
			for _, e := range r.Errors {
				if eds.Code(e) == "eds.signature.pss_params" && !(errors.Is(e, cms.ErrUnsupported) && errors.Is(e, eds.ErrPSSParams)) {
					t.Errorf("%v is not both ErrUnsupported and ErrPSSParams", e)
				}
			}
		})
	}
}

// TestRSAPSSSign: our RSASSA-PSS CMS carries OpenSSL's parameter encoding,
// verifies here, and is refused once its salt length parameter is changed (a
// parameter mismatch, not a bad signature).
func TestRSAPSSSign(t *testing.T) {
	spec := pssSpec(t)
	content := []byte("Senim RSA-PSS test")
	der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Now: ncaClock})
	if err != nil {
		t.Fatal(err)
	}
	r := verifyNoChain(t, der, nil)
	if !r.SignatureValid || !r.DigestValid || len(r.Errors) != 0 || r.SignatureAlgorithm != "SHA256withRSAandMGF1" {
		t.Fatalf("signature %v digest %v codes %v alg %s", r.SignatureValid, r.DigestValid, r.Codes(), r.SignatureAlgorithm)
	}
	sample, err := os.ReadFile(filepath.Join("testdata", "openssl-pss.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(der, eds.PSSParameters) || !bytes.Contains(sample, eds.PSSParameters) {
		t.Fatal("the PSS parameters differ from OpenSSL's encoding")
	}
	salt32 := []byte{0xa2, 0x03, 0x02, 0x01, 0x20}
	if bytes.Count(der, salt32) != 1 {
		t.Fatal("salt length parameter not found once")
	}
	bad := bytes.Replace(der, salt32, []byte{0xa2, 0x03, 0x02, 0x01, 0x14}, 1)
	if r := verifyNoChain(t, bad, nil); r.SignatureValid || !slices.Contains(r.Codes(), "eds.signature.pss_params") {
		t.Fatalf("salt 20: signature %v codes %v", r.SignatureValid, r.Codes())
	}
	// A salt length the profile allows but the signature was not made with: the
	// stated length is the one verified, so the signature fails.
	other := bytes.Replace(der, salt32, []byte{0xa2, 0x03, 0x02, 0x01, 0x40}, 1)
	if r := verifyNoChain(t, other, nil); r.SignatureValid || !slices.Contains(r.Codes(), "eds.cms.signature_invalid") {
		t.Fatalf("salt 64 stated, 32 used: signature %v codes %v", r.SignatureValid, r.Codes())
	}
}

// TestRSAPSSStatedSaltIsVerified: OpenSSL's maximum-salt sample states 222; told
// 200 instead it fails as a bad signature; told 20, or 1025, it is refused as parameters.
func TestRSAPSSStatedSaltIsVerified(t *testing.T) {
	der, err := os.ReadFile(filepath.Join("testdata", "openssl-pss-saltmax.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	salt222 := []byte{0xa2, 0x04, 0x02, 0x02, 0x00, 0xde}
	if bytes.Count(der, salt222) != 1 {
		t.Fatal("the sample does not state salt 222 once")
	}
	// Same length encoding, so the structure's lengths stay right.
	for stated, code := range map[uint16]string{200: "eds.cms.signature_invalid", 20: "eds.signature.pss_params", 1025: "eds.signature.pss_params"} {
		b := bytes.Replace(der, salt222, []byte{0xa2, 0x04, 0x02, 0x02, byte(stated >> 8), byte(stated)}, 1)
		if r := verifyNoChain(t, b, nil); r.SignatureValid || !slices.Contains(r.Codes(), code) {
			t.Errorf("salt %d stated: signature %v codes %v, want %s", stated, r.SignatureValid, r.Codes(), code)
		}
	}
}

// TestRSAPSSOpenSSLVerifiesOurs: `openssl cms -verify` accepts our
// RSASSA-PSS CMS, attached and detached, and reports the content.
func TestRSAPSSOpenSSLVerifiesOurs(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed: the OpenSSL-made samples still test our verifier")
	}
	spec := pssSpec(t)
	content := []byte("Senim RSA-PSS test, signed by Senim")
	dir := t.TempDir()
	contentPath := filepath.Join(dir, "content")
	if err := os.WriteFile(contentPath, content, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, detached := range []bool{false, true} {
		der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Now: ncaClock, Detached: detached})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "sig.p7s")
		if err := os.WriteFile(path, der, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", path, "-CAfile", filepath.Join("testdata", "rsa.crt"), "-purpose", "any",
			"-attime", "1798761600"} // 2027-01-01, inside rsa.crt's validity
		if detached {
			args = append(args, "-content", contentPath)
		}
		out, err := exec.CommandContext(t.Context(), openssl, args...).Output()
		if err != nil {
			t.Fatalf("detached %v: openssl: %v", detached, err)
		}
		if !bytes.Equal(out, content) {
			t.Fatalf("openssl output %q", out)
		}
		// A changed content fails in openssl too.
		if detached {
			other := filepath.Join(dir, "other")
			os.WriteFile(other, []byte("other"), 0o600)
			args[len(args)-1] = other
			if _, err := exec.CommandContext(t.Context(), openssl, args...).Output(); err == nil {
				t.Error("openssl verified other content")
			}
		}
	}
}

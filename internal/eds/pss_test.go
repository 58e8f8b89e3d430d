package eds

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

// OpenSSL 3's encoding of RSASSA-PSS-params for SHA-256, MGF1-SHA-256, salt
// 32 (from `openssl cms -sign -keyopt rsa_padding_mode:pss -keyopt
// rsa_pss_saltlen:32`): the hashes with NULL parameters, no trailer field.
const opensslPSSParams = "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"

func TestPSSParametersEncoding(t *testing.T) {
	if got := hex.EncodeToString(PSSParameters); got != opensslPSSParams {
		t.Fatalf("PSSParameters %s, want OpenSSL's %s", got, opensslPSSParams)
	}
	alg, _ := LookupSignatureAlgorithm(OIDSignRSAPSS)
	if p := alg.Parameters(); hex.EncodeToString(p) != opensslPSSParams {
		t.Fatal("Parameters() differs")
	}
	if p := mustAlg(t, OIDSignSHA256WithRSA).Parameters(); p != nil {
		t.Fatal("PKCS#1 v1.5 has PSS parameters")
	}
}

func mustAlg(t *testing.T, oid []int) *Algorithm {
	t.Helper()
	a, ok := LookupSignatureAlgorithm(oid)
	if !ok {
		t.Fatal("unknown", oid)
	}
	return a
}

func mustHexPSS(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckSignatureParameters: only the one profile passes; every other
// hash, MGF, salt length or trailer, a truncation or trailing byte is
// ErrPSSParams (eds.signature.pss_params).
func TestCheckSignatureParameters(t *testing.T) {
	const (
		hashSHA256     = "a00f300d06096086480165030402010500"
		hashSHA256NoNl = "a00d300b0609608648016503040201"
		hashSHA512     = "a00f300d06096086480165030402030500"
		mgfSHA256      = "a11c301a06092a864886f70d010108300d06096086480165030402010500"
		mgfSHA256NoNl  = "a11a301806092a864886f70d010108300b0609608648016503040201"
		mgfSHA1        = "a118301606092a864886f70d010108300906052b0e03021a0500"
		salt32         = "a203020120"
		salt20         = "a203020114"
		salt31         = "a20302011f"
		salt222        = "a2040202" + "00de"
		salt1025       = "a2040202" + "0401"
		trailer1       = "a303020101"
		trailer2       = "a303020102"
	)
	seq := func(parts ...string) string {
		body := ""
		for _, p := range parts {
			body += p
		}
		return "30" + hex.EncodeToString([]byte{byte(len(body) / 2)}) + body
	}
	tests := []struct {
		name   string
		params string
		ok     bool
	}{
		{"OpenSSL's encoding", opensslPSSParams, true},
		{"hashes without NULL", seq(hashSHA256NoNl, mgfSHA256NoNl, salt32), true},
		{"explicit trailer 1", seq(hashSHA256, mgfSHA256, salt32, trailer1), true},
		{"hash SHA-512", seq(hashSHA512, mgfSHA256, salt32), false},
		{"hash absent (DEFAULT SHA-1)", seq(mgfSHA256, salt32), false},
		{"MGF1 with SHA-1", seq(hashSHA256, mgfSHA1, salt32), false},
		{"MGF absent", seq(hashSHA256, salt32), false},
		{"salt 20", seq(hashSHA256, mgfSHA256, salt20), false},
		{"salt 31", seq(hashSHA256, mgfSHA256, salt31), false},
		{"salt 222 (OpenSSL's maximum for RSA-2048)", seq(hashSHA256, mgfSHA256, salt222), true},
		{"salt 1025", seq(hashSHA256, mgfSHA256, salt1025), false},
		{"salt absent (DEFAULT 20)", seq(hashSHA256, mgfSHA256), false},
		{"trailer 2", seq(hashSHA256, mgfSHA256, salt32, trailer2), false},
		{"fields out of order", seq(mgfSHA256, hashSHA256, salt32), false},
		{"empty SEQUENCE (all DEFAULTs)", "3000", false},
		{"absent", "", false},
		{"NULL", "0500", false},
		{"trailing byte", opensslPSSParams + "00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSignatureParameters(OIDSignRSAPSS, mustHexPSS(t, tt.params))
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrPSSParams) || Code(err) != "eds.signature.pss_params") {
				t.Fatalf("err = %v, code %q", err, Code(err))
			}
		})
	}
	good := mustHexPSS(t, opensslPSSParams)
	for n := range len(good) {
		if err := CheckSignatureParameters(OIDSignRSAPSS, good[:n]); !errors.Is(err, ErrPSSParams) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	// Other algorithms are not checked here.
	if err := CheckSignatureParameters(OIDSignSHA256WithRSA, []byte{5, 0}); err != nil {
		t.Fatal(err)
	}
}

// TestRSAPSSSignVerify: a PSS key signs with salt 32 and verifies; a
// signature with another salt length, or PKCS#1 v1.5 under the PSS OID, does
// not.
func TestRSAPSSSignVerify(t *testing.T) {
	std, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewSigner(std, OIDSignRSAPSS)
	if err != nil {
		t.Fatal(err)
	}
	if key.Algorithm().Name != "SHA256withRSAandMGF1" {
		t.Fatal(key.Algorithm().Name)
	}
	msg := []byte("RSASSA-PSS")
	sig, err := key.Sign(nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(msg)
	if err := rsa.VerifyPSS(&std.PublicKey, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatalf("not PSS with a 32-byte salt: %v", err)
	}
	if err := VerifySignature(key.Public(), OIDSignRSAPSS, msg, sig); err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(key.Public(), OIDSignRSAPSS, []byte("other"), sig); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("other message: %v", err)
	}
	salt20, _ := rsa.SignPSS(rand.Reader, std, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 20})
	v15, _ := rsa.SignPKCS1v15(rand.Reader, std, crypto.SHA256, digest[:])
	for name, s := range map[string][]byte{"salt 20": salt20, "PKCS#1 v1.5": v15} {
		if err := VerifySignature(key.Public(), OIDSignRSAPSS, msg, s); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// And a PSS signature is not a PKCS#1 v1.5 one.
	if err := VerifySignature(key.Public(), OIDSignSHA256WithRSA, msg, sig); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("PSS accepted as PKCS#1 v1.5: %v", err)
	}
	// The default RSA algorithm stays PKCS#1 v1.5.
	def, _ := NewSigner(std, nil)
	if def.Algorithm().Name != "SHA256withRSA" {
		t.Errorf("default %s", def.Algorithm().Name)
	}
}

// FuzzCheckSignatureParameters: no input panics; whatever passes is the
// profile, so it re-encodes to PSSParameters up to NULLs and the trailer.
func FuzzCheckSignatureParameters(f *testing.F) {
	f.Add(PSSParameters)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, params []byte) {
		err := CheckSignatureParameters(OIDSignRSAPSS, params)
		if err != nil {
			if Code(err) != "eds.signature.pss_params" {
				t.Fatalf("code %q", Code(err))
			}
			return
		}
		if len(params) < 0x2e || len(params) > len(PSSParameters)+5 {
			t.Fatalf("accepted %d bytes: %x", len(params), params)
		}
	})
}

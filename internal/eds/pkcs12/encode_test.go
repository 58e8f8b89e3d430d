package pkcs12

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// testNow is the fixed clock of these tests (never the wall clock).
var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func ncaChain(t testing.TB) []*x509.Certificate {
	var chain []*x509.Certificate
	for _, n := range []string{"nca_gost2022_test.cer", "root_test_gost_2022.cer"} {
		c, err := x509.ParseCertificate(readFile(t, filepath.Join(ncaDir, n)))
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	return chain
}

// ecdsaKeyAndCert makes a P-256 key (as the sandbox CA issues) and a
// self-signed certificate for it.
func ecdsaKeyAndCert(t testing.TB) (*eds.PrivateKey, *x509.Certificate) {
	key, err := eds.GenerateKey(nil, eds.KeyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "Senim sandbox test", Country: []string{"KZ"}},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(365 * 24 * time.Hour),
		SubjectKeyId: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Crypto().Public(), key.Crypto())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func ncaKeyAndCert(t testing.TB) (*eds.PrivateKey, *x509.Certificate) {
	f, err := Decode(readFile(t, filepath.Join(ncaDir, "legal", "valid", "head.p12")), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return f.Entries[0].PrivateKey, f.Entries[0].Certificate
}

func TestEncodeRoundTrip(t *testing.T) {
	chain := ncaChain(t)
	tests := []struct {
		name  string
		keyFn func(testing.TB) (*eds.PrivateKey, *x509.Certificate)
		chain []*x509.Certificate
		alias string
	}{
		{"GOST 2015-512 with NCA chain", ncaKeyAndCert, chain, ""},
		{"ECDSA P-256", ecdsaKeyAndCert, nil, "мой ключ"},
	}
	for _, tt := range tests {
		for _, format := range []Format{FormatNCA, FormatPBES2, FormatNCA3DES} {
			t.Run(fmt.Sprintf("%s format %d", tt.name, format), func(t *testing.T) {
				key, cert := tt.keyFn(t)
				const pw = "Senim2026"
				data, err := EncodeFormat(format, key, cert, tt.chain, pw, tt.alias)
				if err != nil {
					t.Fatal(err)
				}
				f, err := Decode(data, pw)
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Entries) != 1 || len(f.Certificates) != 1+len(tt.chain) {
					t.Fatalf("%d entries, %d certificates", len(f.Entries), len(f.Certificates))
				}
				e := f.Entries[0]
				wantAlias := tt.alias
				if wantAlias == "" {
					wantAlias = strings.ToLower(strings.TrimSpace(hexString(cert.SubjectKeyId)))
				}
				if e.Alias != wantAlias || !bytes.Equal(e.CertificateRaw, cert.Raw) || len(e.CACertificates) != len(tt.chain) {
					t.Fatalf("entry: alias %q (want %q), same cert %v, %d CA certs", e.Alias, wantAlias, bytes.Equal(e.CertificateRaw, cert.Raw), len(e.CACertificates))
				}
				if !e.PrivateKey.Public().Equal(key.Public()) {
					t.Fatal("key changed")
				}
				msg := []byte("re-encoded key signs")
				sig, err := e.PrivateKey.Sign(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := eds.VerifySignature(key.Public(), key.Algorithm().OID, msg, sig); err != nil {
					t.Fatal(err)
				}
				if _, err := Decode(data, "Senim2027"); !errors.Is(err, ErrBadPassword) {
					t.Fatalf("wrong password: %v", err)
				}
				// RC2-40 (OpenSSL 3's legacy provider) only in the NCA layout itself.
				rc2, _ := asn1.Marshal(oidPBEWithSHAAnd40BitRC2CBC)
				tdes, _ := asn1.Marshal(oidPBEWithSHAAnd3KeyTripleDES)
				if got, want := bytes.Contains(data, rc2), format == FormatNCA; got != want {
					t.Errorf("RC2-40 present: %v, want %v", got, want)
				}
				if format == FormatNCA3DES && bytes.Count(data, tdes) != 2 {
					t.Errorf("FormatNCA3DES: %d 3DES bags, want the key's and the certificates'", bytes.Count(data, tdes))
				}
			})
		}
	}
	if _, err := EncodeFormat(Format(9), nil, nil, nil, "Senim2026", ""); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestEncodeRefusesForeignCertificate(t *testing.T) {
	key, _ := ecdsaKeyAndCert(t)
	_, cert := ncaKeyAndCert(t)
	if _, err := Encode(key, cert, nil, "Senim2026", ""); err == nil {
		t.Fatal("a certificate of another key was accepted")
	}
}

// TestEncodeOpenSSL checks that `openssl pkcs12 -legacy` reads what Encode
// writes: MAC, 3DES key bag, RC2-40 certificate bag. OpenSSL does not know the
// Kazakh GOST key OID, so for GOST only the certificates are extracted.
func TestEncodeOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	tests := []struct {
		name  string
		keyFn func(testing.TB) (*eds.PrivateKey, *x509.Certificate)
		args  []string
		want  []string
	}{
		{"ECDSA P-256", ecdsaKeyAndCert, []string{"-nodes"}, []string{"BEGIN PRIVATE KEY", "BEGIN CERTIFICATE", "friendlyName"}},
		{"GOST 2015-512", ncaKeyAndCert, []string{"-nokeys"}, []string{"BEGIN CERTIFICATE", "friendlyName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, cert := tt.keyFn(t)
			data, err := Encode(key, cert, nil, "Senim2026", "")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "key.p12")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"pkcs12", "-legacy", "-in", path, "-passin", "pass:Senim2026"}, tt.args...)
			out, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("openssl output lacks %q:\n%s", w, out)
				}
			}
			// The certificate openssl extracted is ours, byte for byte.
			rest := out[bytes.Index(out, []byte("-----BEGIN CERTIFICATE")):]
			if b, _ := pem.Decode(rest); b == nil || !bytes.Equal(b.Bytes, cert.Raw) {
				t.Error("openssl extracted another certificate")
			}
			// A wrong password fails the MAC in openssl too.
			args[5] = "pass:Senim2027"
			if _, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput(); err == nil {
				t.Error("openssl accepted a wrong password")
			}
		})
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"Qwerty12", true},
		{"Aa1bcd", true},
		{"Aa1bcdefghijklmnopqrstuvwxyz0123", true},   // 32
		{"Aa1bcdefghijklmnopqrstuvwxyz01234", false}, // 33
		{"Aa1bc", false},
		{"qwerty12", false},
		{"QWERTY12", false},
		{"Qwertyui", false},
		{"Сенім2026a", false}, // Cyrillic capitals are not [A-Z]
		{"Сенім2026aB", true},
		{"Qwer\nty12", false},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrWeakPassword) || eds.Code(err) != "eds.pkcs12.weak_password") {
			t.Errorf("CheckPassword(%q): %v", tt.pw, err)
		}
	}
}

package pkcs12

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// The OpenSSL-made samples of testdata/ (see testdata/gen.sh).
var opensslSamples = []struct {
	file, password, key, cert, alias string
}{
	{"openssl-rsa-aes256.p12", "Senim2026", "rsa.key", "rsa.crt", "rsa"},
	{"openssl-ec-aes256.p12", "Senim2026", "ec.key", "ec.crt", "ec"},
	{"openssl-ec-cyrillic.p12", "Сенім2026", "ec.key", "ec.crt", ""},
	{"openssl-ec-aes128-sha512.p12", "Senim2026", "ec.key", "ec.crt", ""},
}

func readPEM(t testing.TB, name string) []byte {
	t.Helper()
	b, _ := pem.Decode(readFile(t, filepath.Join("testdata", name)))
	if b == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return b.Bytes
}

// TestDecodeOpenSSLPBES2 reads the files OpenSSL 3 writes by default (PBES2:
// PBKDF2-HMAC-SHA-256, AES-256-CBC; an HMAC-SHA-256 MAC), with AES-128 and an
// HMAC-SHA-512 MAC, and with a Cyrillic password (UTF-8 for PBKDF2, BMPString
// for the MAC): the key and the certificate are the ones OpenSSL was given.
func TestDecodeOpenSSLPBES2(t *testing.T) {
	for _, s := range opensslSamples {
		t.Run(s.file, func(t *testing.T) {
			f, err := Decode(readFile(t, filepath.Join("testdata", s.file)), s.password)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Entries) != 1 {
				t.Fatalf("%d entries", len(f.Entries))
			}
			e := f.Entries[0]
			if !bytes.Equal(e.CertificateRaw, readPEM(t, s.cert)) {
				t.Error("certificate differs from", s.cert)
			}
			want, err := eds.ParsePKCS8PrivateKey(readPEM(t, s.key))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.PrivateKey.MarshalPKCS8()
			if err != nil {
				t.Fatal(err)
			}
			wantDER, _ := want.MarshalPKCS8()
			if !bytes.Equal(got, wantDER) {
				t.Error("private key differs from", s.key)
			}
			if s.alias != "" && e.Alias != s.alias {
				t.Errorf("alias %q, want %q", e.Alias, s.alias)
			}
			// A wrong password fails the MAC; so does the password in
			// another case or with the last character missing.
			for _, pw := range []string{"", strings.ToUpper(s.password), s.password[:len(s.password)-1]} {
				if _, err := Decode(readFile(t, filepath.Join("testdata", s.file)), pw); !errors.Is(err, ErrBadPassword) || eds.Code(err) != "eds.pkcs12.bad_password" {
					t.Fatalf("password %q: %v", pw, err)
				}
			}
		})
	}
}

// TestDecodePBES2BadMAC flips bytes of the SHA-256 MAC and of the content it
// covers: ErrBadPassword, never a key.
func TestDecodePBES2BadMAC(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "openssl-ec-aes256.p12"))
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		t.Fatal(err)
	}
	for _, part := range [][]byte{pfx.MacData.Mac.Digest, pfx.AuthSafe.Content.Bytes[len(pfx.AuthSafe.Content.Bytes)-40:]} {
		i := bytes.Index(data, part)
		if i < 0 {
			t.Fatal("part not found")
		}
		c := bytes.Clone(data)
		c[i+len(part)/2] ^= 1
		if _, err := Decode(c, "Senim2026"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("err = %v, want ErrBadPassword", err)
		}
	}
}

// remac rewrites an OpenSSL-made DER file: mutate changes the
// AuthenticatedSafe, and the SHA-256 MAC is recomputed so that the change
// reaches the decryption.
func remac(t *testing.T, data []byte, password string, mutate func([]byte) []byte) []byte {
	t.Helper()
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		t.Fatal(err)
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		t.Fatal(err)
	}
	authSafe = mutate(authSafe)
	pw, _ := newSecret(password)
	newHash, ok := macHash(pfx.MacData.Mac.Algorithm)
	if !ok {
		t.Fatal("MAC hash")
	}
	pfx.MacData.Mac.Digest = pkcs12MAC(newHash, pw.bmp, pfx.MacData.MacSalt, pfx.MacData.Iterations, authSafe)
	octets, err := asn1.Marshal(authSafe)
	if err != nil {
		t.Fatal(err)
	}
	pfx.AuthSafe.Content = explicit0(octets)
	out, err := asn1.Marshal(pfx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestDecodePBES2Refusals changes one algorithm of the PBES2 parameters of a
// valid file (MAC recomputed): each gives a stable code, never a key.
func TestDecodePBES2Refusals(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "openssl-rsa-aes256.p12"))
	const pw = "Senim2026"
	tests := []struct {
		name     string
		from, to string // DER hex
		want     error
		code     string
	}{
		// hmacWithSHA256 -> hmacWithSHA224
		{"unsupported PRF", "06082a864886f70d0209", "06082a864886f70d0208", ErrUnsupported, "eds.pkcs12.unsupported"},
		// aes256-CBC -> aes256-GCM
		{"unsupported cipher", "060960864801650304012a", "060960864801650304012e", ErrUnsupported, "eds.pkcs12.unsupported"},
		// PBKDF2 -> PBMAC1
		{"unsupported KDF", "06092a864886f70d01050c", "06092a864886f70d01050e", ErrUnsupported, "eds.pkcs12.unsupported"},
		// PBES2 -> an unknown PKCS#5 OID
		{"unsupported scheme", "06092a864886f70d01050d", "06092a864886f70d01057f", ErrUnsupported, "eds.pkcs12.unsupported"},
		// the 16-byte IV after the AES OID tagged as 15 bytes plus one trailing byte
		{"bad IV", "060960864801650304012a0410", "060960864801650304012a040f", ErrMalformed, "eds.pkcs12.malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.from, tt.to
			c := remac(t, data, pw, func(b []byte) []byte {
				n := bytes.Count(b, mustHex(from))
				if n == 0 {
					t.Fatalf("%s not found", from)
				}
				return bytes.ReplaceAll(b, mustHex(from), mustHex(to))
			})
			_, err := Decode(c, pw)
			if !errors.Is(err, tt.want) || eds.Code(err) != tt.code {
				t.Fatalf("err = %v (code %q), want %v", err, eds.Code(err), tt.want)
			}
		})
	}
	// The unchanged file, re-MACed, still opens: the refusals come from the
	// changes.
	if _, err := Decode(remac(t, data, pw, func(b []byte) []byte { return b }), pw); err != nil {
		t.Fatal(err)
	}
}

func makePBES2Params(t *testing.T, iterations, keyLength int, prf asn1.ObjectIdentifier, iv []byte) asn1.RawValue {
	t.Helper()
	kp := pbkdf2Params{Salt: []byte("salt5678"), IterationCount: iterations, KeyLength: keyLength}
	if prf != nil {
		kp.PRF = pkix.AlgorithmIdentifier{Algorithm: prf, Parameters: asn1.NullRawValue}
	}
	kdf, err := asn1.Marshal(kp)
	if err != nil {
		t.Fatal(err)
	}
	ivDER, _ := asn1.Marshal(iv)
	der, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{FullBytes: der}
}

// TestPBES2Params checks the parameter rules one by one, the iteration limits
// first: a hostile count is refused before any derivation.
func TestPBES2Params(t *testing.T) {
	iv := make([]byte, 16)
	pw := func() *secret { s, _ := newSecret("Senim2026"); return s }
	tests := []struct {
		name   string
		params asn1.RawValue
		pw     *secret
		want   error
	}{
		{"good, PRF HMAC-SHA-256", makePBES2Params(t, 2048, 0, oidHMACWithSHA256, iv), pw(), nil},
		{"good, default PRF HMAC-SHA-1", makePBES2Params(t, 2048, 32, nil, iv), pw(), nil},
		{"good, PRF HMAC-SHA-512", makePBES2Params(t, 2048, 0, oidHMACWithSHA512, iv), pw(), nil},
		{"key length mismatch", makePBES2Params(t, 2048, 16, oidHMACWithSHA256, iv), pw(), ErrMalformed},
		{"short IV", makePBES2Params(t, 2048, 0, oidHMACWithSHA256, iv[:8]), pw(), ErrMalformed},
		{"zero iterations", makePBES2Params(t, 0, 0, oidHMACWithSHA256, iv), pw(), ErrMalformed},
		{"negative iterations", makePBES2Params(t, -1, 0, oidHMACWithSHA256, iv), pw(), ErrMalformed},
		{"hostile iterations", makePBES2Params(t, 2_000_000_000, 0, oidHMACWithSHA256, iv), pw(), ErrIterationLimit},
		{"just over the limit", makePBES2Params(t, maxPBKDF2Iterations+1, 0, oidHMACWithSHA256, iv), pw(), ErrIterationLimit},
		{"work budget spent", makePBES2Params(t, 2048, 0, oidHMACWithSHA256, iv), &secret{work: maxWork - 100}, ErrIterationLimit},
		{"unknown PRF", makePBES2Params(t, 2048, 0, asn1.ObjectIdentifier{1, 2, 3}, iv), pw(), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, _, err := pbes2Cipher(tt.params, tt.pw)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil && time.Since(start) > 100*time.Millisecond {
				t.Errorf("refusal took %v", time.Since(start))
			}
		})
	}
	// Every truncation of good parameters is ErrMalformed.
	good := makePBES2Params(t, 2048, 0, oidHMACWithSHA256, iv).FullBytes
	for n := range len(good) {
		if _, _, err := pbes2Cipher(asn1.RawValue{FullBytes: good[:n]}, pw()); !errors.Is(err, ErrMalformed) || eds.Code(err) != "eds.pkcs12.malformed" {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}

// TestDecodeMACIterationLimit: a MAC iteration count above the limit is
// refused with its own code before any derivation.
func TestDecodeMACIterationLimit(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "openssl-ec-aes256.p12"))
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{maxIterations + 1, 1 << 30} {
		pfx.MacData.Iterations = n
		c, err := asn1.Marshal(pfx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(c, "Senim2026"); !errors.Is(err, ErrIterationLimit) || eds.Code(err) != "eds.pkcs12.iteration_limit" {
			t.Fatalf("%d iterations: %v", n, err)
		}
	}
}

// TestDecodeUnsupportedMAC: a MAC digest outside SHA-1 and SHA-2 (here
// SHA-224) is refused as unsupported.
func TestDecodeUnsupportedMAC(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "openssl-ec-aes256.p12"))
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		t.Fatal(err)
	}
	pfx.MacData.Mac.Algorithm.Algorithm = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	c, _ := asn1.Marshal(pfx)
	if _, err := Decode(c, "Senim2026"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
}

// TestEncodePBES2OpenSSL: `openssl pkcs12` (OpenSSL 3, without -legacy) reads
// what EncodeFormat(FormatPBES2) writes, reports PBES2/AES-256-CBC and the
// SHA-256 MAC, and extracts our key and certificate; a wrong password fails
// its MAC check. The Cyrillic password checks the two password encodings.
func TestEncodePBES2OpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed: the OpenSSL-made samples in testdata still test the reader")
	}
	rsaKey, err := eds.ParsePKCS8PrivateKey(readPEM(t, "rsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	rsaCert, err := x509.ParseCertificate(readPEM(t, "rsa.crt"))
	if err != nil {
		t.Fatal(err)
	}
	rsaFn := func(testing.TB) (*eds.PrivateKey, *x509.Certificate) { return rsaKey, rsaCert }
	tests := []struct {
		name     string
		keyFn    func(testing.TB) (*eds.PrivateKey, *x509.Certificate)
		password string
		args     []string
		wantKey  bool
	}{
		{"RSA", rsaFn, "Senim2026", []string{"-nodes"}, true},
		{"ECDSA P-256", ecdsaKeyAndCert, "Senim2026", []string{"-nodes"}, true},
		{"ECDSA P-256, Cyrillic password", ecdsaKeyAndCert, "Сенім2026", []string{"-nodes"}, true},
		// OpenSSL does not know the Kazakh GOST key OID: certificates only.
		{"GOST 2015-512", ncaKeyAndCert, "Senim2026", []string{"-nokeys"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, cert := tt.keyFn(t)
			data, err := EncodeFormat(FormatPBES2, key, cert, nil, tt.password, "")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "key.p12")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"pkcs12", "-info", "-in", path, "-passin", "pass:" + tt.password}, tt.args...)
			out, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			for _, w := range []string{"MAC: sha256, Iteration 2048", "PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256", "friendlyName"} {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("openssl output lacks %q:\n%s", w, out)
				}
			}
			rest := out[bytes.Index(out, []byte("-----BEGIN CERTIFICATE")):]
			if b, _ := pem.Decode(rest); b == nil || !bytes.Equal(b.Bytes, cert.Raw) {
				t.Error("openssl extracted another certificate")
			}
			if tt.wantKey {
				i := bytes.Index(out, []byte("-----BEGIN PRIVATE KEY"))
				if i < 0 {
					t.Fatalf("no key:\n%s", out)
				}
				b, _ := pem.Decode(out[i:])
				got, err := eds.ParsePKCS8PrivateKey(b.Bytes)
				if err != nil || !got.Public().Equal(key.Public()) {
					t.Errorf("openssl extracted another key: %v", err)
				}
			}
			args[5] = "pass:" + tt.password + "x"
			if out, err := exec.CommandContext(t.Context(), openssl, args...).CombinedOutput(); err == nil {
				t.Errorf("openssl accepted a wrong password:\n%s", out)
			}
		})
	}
}

// TestDecodePBES2Truncated: every truncation of an OpenSSL 3 file is
// ErrMalformed; a flipped byte anywhere is an error, never a panic or a key.
func TestDecodePBES2Truncated(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "openssl-rsa-aes256.p12"))
	for n := 0; n < len(data); n += 5 {
		if _, err := Decode(data[:n], "Senim2026"); !errors.Is(err, ErrMalformed) || eds.Code(err) != "eds.pkcs12.malformed" {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for i := 0; i < len(data); i += 11 {
		c := bytes.Clone(data)
		c[i] ^= 0x55
		if _, err := Decode(c, "Senim2026"); err == nil || eds.Code(err) == "" {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
}

// TestDecodeOpenSSLLive has the installed openssl make fresh files (new
// salts and IVs) with its defaults from an RSA and an ECDSA key: Decode opens
// them, keys and certificates equal. The committed samples cover machines
// without openssl.
func TestDecodeOpenSSLLive(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed: TestDecodeOpenSSLPBES2 covers the committed samples")
	}
	for _, kc := range [][2]string{{"rsa.key", "rsa.crt"}, {"ec.key", "ec.crt"}} {
		t.Run(kc[0], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.p12")
			out, err := exec.CommandContext(t.Context(), openssl, "pkcs12", "-export",
				"-inkey", filepath.Join("testdata", kc[0]), "-in", filepath.Join("testdata", kc[1]),
				"-passout", "pass:Сенім-2026", "-out", path).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			f, err := Decode(readFile(t, path), "Сенім-2026")
			if err != nil {
				t.Fatal(err)
			}
			want, err := eds.ParsePKCS8PrivateKey(readPEM(t, kc[0]))
			if err != nil {
				t.Fatal(err)
			}
			e := f.Entries[0]
			if len(f.Entries) != 1 || !e.PrivateKey.Public().Equal(want.Public()) || !bytes.Equal(e.CertificateRaw, readPEM(t, kc[1])) {
				t.Fatal("key or certificate differs")
			}
		})
	}
}

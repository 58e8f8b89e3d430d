package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
)

// Issue 16: a bank's developer opens the sandbox's RSA/ECDSA key file with OpenSSL 3
// as it is, without -legacy (PBES2/AES-256, HMAC-SHA-256); Senim's own reader opens
// it too; GOST key files keep the NCA layout NCALayer reads, with the certificates under
// 3DES so that OpenSSL 3 opens them without -legacy as well.
func TestSandboxKeyFilesOpenWithOpenSSL(t *testing.T) {
	dir := t.TempDir()
	c, err := ca.Open(filepath.Join(dir, "ca"), ca.Config{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	pop := Demo()
	k := &Keys{CA: c, Dir: filepath.Join(dir, "keys"), Pop: pop}
	bin := pop.Organizations[0].BIN
	p256, err := k.P12("org", bin, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := pkcs12.Decode(p256, KeyPassword); err != nil || f.Entries[0].PrivateKey == nil {
		t.Fatalf("Senim cannot read its own key file: %v", err)
	}
	gost, err := k.P12("org", bin, ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pkcs12.Decode(gost, KeyPassword); err != nil {
		t.Fatal(err)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	path := filepath.Join(dir, "bank.p12")
	os.WriteFile(path, p256, 0o600)
	out, err := exec.Command(openssl, "pkcs12", "-in", path, "-passin", "pass:"+KeyPassword, "-nodes", "-info").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12 without -legacy: %v\n%s", err, out)
	}
	for _, want := range []string{"PBES2", "AES-256-CBC", "sha256", "BEGIN PRIVATE KEY", "BEGIN CERTIFICATE"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("openssl's view lacks %q:\n%s", want, out)
		}
	}
	// The wrong password is refused by OpenSSL as well (the MAC).
	if out, err := exec.Command(openssl, "pkcs12", "-in", path, "-passin", "pass:wrong", "-nodes").CombinedOutput(); err == nil {
		t.Fatalf("openssl opened the file with a wrong password:\n%s", out)
	}

	// The GOST key file: OpenSSL 3 checks its MAC and decrypts its certificates without
	// -legacy (no RC2-40); it has no GOST, so it is not asked for the key.
	gpath := filepath.Join(dir, "gost.p12")
	os.WriteFile(gpath, gost, 0o600)
	out, err = exec.Command(openssl, "pkcs12", "-in", gpath, "-passin", "pass:"+KeyPassword, "-nokeys", "-info").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12 -nokeys without -legacy on the GOST file: %v\n%s", err, out)
	}
	for _, want := range []string{"pbeWithSHA1And3-KeyTripleDES-CBC", "BEGIN CERTIFICATE"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("openssl's view of the GOST file lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "RC2") {
		t.Errorf("the GOST file still uses RC2-40:\n%s", out)
	}
	if out, err := exec.Command(openssl, "pkcs12", "-in", gpath, "-passin", "pass:wrong", "-nokeys").CombinedOutput(); err == nil {
		t.Fatalf("openssl opened the GOST file with a wrong password:\n%s", out)
	}
}

package cacmd

import (
	"bytes"
	"context"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func runCommand(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Command(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommand(t *testing.T) {
	old := commandNow
	commandNow = func() time.Time { return testNow }
	t.Cleanup(func() { commandNow = old })
	dir := filepath.Join(t.TempDir(), "pki")
	p12 := filepath.Join(t.TempDir(), "key.p12")

	if code, out, errOut := runCommand(t, "init", "--dir", dir, "--base-url", "http://pki.example"); code != 0 || !strings.Contains(out, "gost2015-root") || !strings.Contains(out, "http://pki.example/sandbox/ca/ocsp") {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	// Flags after the arguments, a generated password, the base URL kept from init.
	code, out, errOut := runCommand(t, "issue", "--iin", "850314400001", "--surname", "Сәрсенбаева", "--name", "Айгерім",
		"--bin", "050490000001", "--org", "Demo Bank JSC", "--role", "ceo", "--out", p12, "--dir", dir)
	if code != 0 {
		t.Fatalf("issue: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^serial +([0-9a-f]+)$`).FindStringSubmatch(out)
	pw := regexp.MustCompile(`(?m)^password +(\S+)$`).FindStringSubmatch(out)
	if m == nil || pw == nil {
		t.Fatalf("issue output:\n%s", out)
	}
	data, err := os.ReadFile(p12)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(data, pw[1])
	if err != nil {
		t.Fatal(err)
	}
	cert := f.Entries[0].Certificate
	ci := pki.Info(cert)
	if ci.Subject.BIN != "050490000001" || !ci.HasRole(pki.RoleCEO) || ci.SignatureAlgorithm != "ECGOST3410-2015-512" || cert.OCSPServer[0] != "http://pki.example/sandbox/ca/ocsp" {
		t.Errorf("issued %+v, OCSP %v", ci, cert.OCSPServer)
	}
	if code, _, errOut := runCommand(t, "issue", "--dir", dir, "--bin", "050490000001", "--org", "Demo Bank JSC", "--system", "Core", "--alg", "p256", "--out", p12, "--password", "Sandbox1"); code != 0 {
		t.Fatalf("issue information system: %s", errOut)
	}

	if code, out, errOut := runCommand(t, "revoke", m[1], "--dir", dir, "--serial", m[1], "--reason", "keyCompromise"); code != 2 {
		t.Errorf("revoke with a stray argument: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCommand(t, "revoke", "--dir", dir, "--serial", m[1], "--reason", "keyCompromise"); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	code, out, errOut = runCommand(t, "crl", "--dir", dir)
	if code != 0 {
		t.Fatalf("crl: %s", errOut)
	}
	crl, err := pki.ParseCRL([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := new(big.Int).SetString(m[1], 16)
	if e, ok := crl.Lookup(serial); !ok || e.Reason != pki.ReasonKeyCompromise {
		t.Errorf("CRL entries %+v", crl.Entries)
	}

	failures := [][]string{
		nil,
		{"frobnicate"},
		{"crl"},
		{"issue", "--dir", dir, "--iin", "850314400001"},
		{"issue", "--dir", dir, "--iin", "85031440", "--out", p12},
		{"issue", "--dir", dir, "--iin", "850314400001", "--out", p12, "--password", "weak"},
		{"revoke", "--dir", dir, "--serial", "xyz"},
		{"revoke", "--dir", dir, "--serial", "abc"},
		{"revoke", "--dir", dir, "--serial", m[1], "--reason", "boredom"},
		{"crl", "--dir", dir, "--ca", "nope"},
		{"init", "--dir", dir, "--nope"},
	}
	for _, args := range failures {
		if code, _, errOut := runCommand(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, _ := runCommand(t, "help"); code != 0 {
		t.Errorf("help: %d", code)
	}
}

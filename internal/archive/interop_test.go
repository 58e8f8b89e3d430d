package archive

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// The CAdES-LT signature is a plain CMS to another implementation: OpenSSL verifies it
// against the root alone, checking revocation with the CRL embedded at ingest, and
// refuses it when one byte of the content changes. (OpenSSL has no GOST 2015 without an
// engine, so the keys here are ECDSA; the CMS layer is the same.)
func TestOpenSSLVerifiesLT(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	w := newWorld(t)
	cfg, err := w.root.TSA(eds.KeyECDSA, "TSA ECDSA", day(2026, 1, 1), day(2031, 1, 1), func() time.Time { return w.clock })
	if err != nil {
		t.Fatal(err)
	}
	w.tsa1 = &tsp.Local{Config: cfg}
	cert, key, err := w.root.Leaf(eds.KeyECDSA, "Signer", day(2026, 1, 1), day(2028, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("agreement")
	sig, err := cms.Sign(t.Context(), content, []cms.SignerSpec{{Signer: key, Cert: cert}}, cms.SignOptions{Detached: true, Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	lt, _, err := MakeLT(t.Context(), sig, content, w.validation(w.crl()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sigFile, root := write("sig.p7s", lt), write("root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.root.Cert.Raw}))
	at := strconv.FormatInt(w.clock.Add(time.Hour).Unix(), 10)
	verify := func(doc string) ([]byte, error) {
		return exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", sigFile, "-content", doc, "-binary",
			"-CAfile", root, "-crl_check", "-purpose", "any", "-attime", at, "-out", os.DevNull).CombinedOutput()
	}
	if out, err := verify(write("doc", content)); err != nil {
		t.Fatalf("openssl refuses the LT signature: %v\n%s", err, out)
	}
	if _, err := verify(write("changed", []byte("agreemenT"))); err == nil {
		t.Fatal("openssl accepts a changed content")
	}
}

package edsfast

import (
	"crypto/x509"
	"errors"
	"os"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

func certs(t *testing.T) (leaf, issuer *x509.Certificate) {
	t.Helper()
	read := func(p string) *x509.Certificate {
		b, err := os.ReadFile("../../testdata/nca-gost2022/" + p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return read("leaf/legal_valid_head.cer"), read("nca_gost2022_test.cer")
}

// Both modes verify the real NCA signatures and refuse a tampered one, and the fast
// mode really takes the fast path.
func TestModes(t *testing.T) {
	leaf, issuer := certs(t)
	pub, err := eds.ParsePublicKey(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Use(Reference) })
	for _, mode := range []string{Fast, Reference} {
		t.Run(mode, func(t *testing.T) {
			if err := Use(mode); err != nil {
				t.Fatal(err)
			}
			before := FastCalls()
			if err := eds.VerifySignature(pub, eds.OIDSignGOST2015_512, leaf.RawTBSCertificate, leaf.Signature); err != nil {
				t.Fatalf("NCA leaf signature: %v", err)
			}
			bad := append([]byte(nil), leaf.RawTBSCertificate...)
			bad[len(bad)-1] ^= 1
			if err := eds.VerifySignature(pub, eds.OIDSignGOST2015_512, bad, leaf.Signature); !errors.Is(err, eds.ErrSignatureInvalid) {
				t.Fatalf("tampered: %v", err)
			}
			used := FastCalls() - before
			if mode == Fast && used != 2 || mode == Reference && used != 0 {
				t.Errorf("mode %s made %d fast verifications", mode, used)
			}
		})
	}
	if err := Use("turbo"); err == nil {
		t.Error("unknown mode accepted")
	}
}

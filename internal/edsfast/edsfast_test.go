package edsfast

import (
	"crypto/x509"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
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

// Both Streebog implementations verify the real NCA certificate and CRL
// signatures (GOST 2015-512 over Streebog-512) and refuse tampered ones, and the
// switch really changes the implementation behind every Streebog digest.
func TestStreebogModes(t *testing.T) {
	leaf, issuer := certs(t)
	pub, err := eds.ParsePublicKey(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	crlDER, err := os.ReadFile("../../testdata/nca-gost2022/nca_gost2022_test.crl")
	if err != nil {
		t.Fatal(err)
	}
	crl, err := pki.ParseCRL(crlDER)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { UseStreebog(Fast) })
	signed := []struct {
		name     string
		tbs, sig []byte
	}{
		{"certificate", leaf.RawTBSCertificate, leaf.Signature},
		{"CRL", crl.RawTBS, crl.Signature},
	}
	for mode, wantPkg := range map[string]string{Fast: "github.com/senimkz/senim/internal/eds/streebog", Reference: "github.com/deatil/go-cryptobin/hash/gost/gost34112012"} {
		t.Run(mode, func(t *testing.T) {
			if err := UseStreebog(mode); err != nil {
				t.Fatal(err)
			}
			newH, ok := eds.LookupDigestAlgorithm(eds.OIDDigestStreebog512)
			if !ok {
				t.Fatal("no Streebog-512")
			}
			if got := reflect.TypeOf(newH()).Elem().PkgPath(); got != wantPkg {
				t.Fatalf("mode %s hashes with %s, want %s", mode, got, wantPkg)
			}
			for _, s := range signed {
				if err := eds.VerifySignature(pub, eds.OIDSignGOST2015_512, s.tbs, s.sig); err != nil {
					t.Fatalf("NCA %s signature: %v", s.name, err)
				}
				bad := append([]byte(nil), s.tbs...)
				bad[len(bad)/2] ^= 1
				if err := eds.VerifySignature(pub, eds.OIDSignGOST2015_512, bad, s.sig); !errors.Is(err, eds.ErrSignatureInvalid) {
					t.Fatalf("tampered %s: %v", s.name, err)
				}
			}
		})
	}
	if err := UseStreebog("turbo"); err == nil {
		t.Error("unknown mode accepted")
	}
}

package eds

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const ncaDir = "../../testdata/nca-gost2022"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// signed is anything carrying a TBS part, a signature algorithm and a signature.
type signed struct {
	name   string
	tbs    []byte
	sigAlg asn1.ObjectIdentifier
	sig    []byte
	issuer *x509.Certificate
}

func certSigned(t testing.TB, name string, c, issuer *x509.Certificate) signed {
	t.Helper()
	var outer struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		t.Fatal(err)
	}
	return signed{name, c.RawTBSCertificate, outer.SigAlg.Algorithm, c.Signature, issuer}
}

// ncaSigned lists every signature of the NCA test PKI: the root (self-signed),
// the intermediate (by the root), every leaf and the CRL (by the intermediate).
func ncaSigned(t testing.TB) []signed {
	root := readCert(t, filepath.Join(ncaDir, "root_test_gost_2022.cer"))
	inter := readCert(t, filepath.Join(ncaDir, "nca_gost2022_test.cer"))
	list := []signed{certSigned(t, "root", root, root), certSigned(t, "intermediate", inter, root)}
	leaves, err := filepath.Glob(filepath.Join(ncaDir, "leaf", "*.cer"))
	if err != nil || len(leaves) < 12 {
		t.Fatalf("leaf certificates: %v, %d found", err, len(leaves))
	}
	for _, p := range leaves {
		list = append(list, certSigned(t, filepath.Base(p), readCert(t, p), inter))
	}
	// crypto/x509 rejects this CRL (NULL parameter differs between the inner and
	// outer AlgorithmIdentifier), so take it apart with encoding/asn1.
	var crl struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	rest, err := asn1.Unmarshal(readFile(t, filepath.Join(ncaDir, "nca_gost2022_test.crl")), &crl)
	if err != nil || len(rest) != 0 {
		t.Fatalf("CRL: %v", err)
	}
	return append(list, signed{"crl", crl.TBS.FullBytes, crl.SigAlg.Algorithm, crl.Sig.Bytes, inter})
}

func TestVerifyNCATestPKI(t *testing.T) {
	for _, s := range ncaSigned(t) {
		t.Run(s.name, func(t *testing.T) {
			if !s.sigAlg.Equal(OIDSignGOST2015_512) {
				t.Fatalf("signature algorithm %s, want GOST 2015-512", s.sigAlg)
			}
			pub, err := ParsePublicKey(s.issuer.RawSubjectPublicKeyInfo)
			if err != nil {
				t.Fatal(err)
			}
			if pub.Type != KeyGOST2015_512 || pub.Key.(*GOSTPublicKey).Curve != CurveGOST512A {
				t.Fatalf("issuer key %v, want GOST 2015-512 on paramSetA", pub.Type)
			}
			if err := VerifySignature(pub, s.sigAlg, s.tbs, s.sig); err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
			h := newStreebog512()
			h.Write(s.tbs)
			if err := VerifyDigest(pub, s.sigAlg, h.Sum(nil), s.sig); err != nil {
				t.Fatalf("VerifyDigest: %v", err)
			}

			// One flipped bit anywhere must fail: in the message, in r, in s.
			for _, flip := range []struct {
				name string
				msg  bool
				pos  int
			}{{"tbs", true, len(s.tbs) / 2}, {"r", false, 3}, {"s", false, 64 + 7}} {
				msg := append([]byte(nil), s.tbs...)
				sig := append([]byte(nil), s.sig...)
				if flip.msg {
					msg[flip.pos] ^= 0x10
				} else {
					sig[flip.pos] ^= 0x01
				}
				if err := VerifySignature(pub, s.sigAlg, msg, sig); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("flipped bit in %s: err = %v, want ErrSignatureInvalid", flip.name, err)
				}
			}
		})
	}
}

func TestNCAPublicKeyRoundTrip(t *testing.T) {
	root := readCert(t, filepath.Join(ncaDir, "root_test_gost_2022.cer"))
	pub, err := ParsePublicKey(root.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	der, err := MarshalGOSTPublicKey(pub.Type, pub.Key.(*GOSTPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if string(der) != string(root.RawSubjectPublicKeyInfo) {
		t.Fatalf("MarshalGOSTPublicKey differs from the NCA encoding:\n got %x\nwant %x", der, root.RawSubjectPublicKeyInfo)
	}
}

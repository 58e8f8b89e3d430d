package gostfast

import (
	"crypto/x509"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
)

const ncaDir = "../../../testdata/nca-gost2022"

// signedObject is the common outer shape of a certificate and a CRL.
type signedObject struct {
	TBS       asn1.RawValue
	Algorithm asn1.RawValue
	Signature asn1.BitString
}

type subjectPublicKeyInfo struct {
	Algorithm asn1.RawValue
	PublicKey asn1.BitString
}

type ncaSignature struct {
	name   string
	tbs    []byte // DER of the signed part
	sig    []byte // r LE ‖ s LE
	issuer []byte // issuer public key, x LE ‖ y LE
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ncaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitSigned returns the TBS bytes and the signature value of a certificate
// or CRL, parsed with encoding/asn1 (crypto/x509 rejects the test CRL).
func splitSigned(t testing.TB, der []byte) (tbs, sig []byte) {
	t.Helper()
	var so signedObject
	rest, err := asn1.Unmarshal(der, &so)
	if err != nil || len(rest) != 0 {
		t.Fatalf("parse signed object: %v (%d trailing bytes)", err, len(rest))
	}
	if so.Signature.BitLength%8 != 0 {
		t.Fatalf("signature BIT STRING has %d bits", so.Signature.BitLength)
	}
	return so.TBS.FullBytes, so.Signature.Bytes
}

// certPublicKey returns the GOST public key of a certificate: its SPKI BIT
// STRING holds an OCTET STRING with x LE ‖ y LE.
func certPublicKey(t testing.TB, der []byte) []byte {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var spki subjectPublicKeyInfo
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	var key []byte
	rest, err := asn1.Unmarshal(spki.PublicKey.Bytes, &key)
	if err != nil || len(rest) != 0 {
		t.Fatalf("public key OCTET STRING: %v", err)
	}
	return key
}

// ncaSignatures returns every signature in the NCA test material: the
// self-signed root, the intermediate (signed by the root), every leaf and the
// CRL (signed by the intermediate).
func ncaSignatures(t testing.TB) []ncaSignature {
	t.Helper()
	root := readFile(t, "root_test_gost_2022.cer")
	inter := readFile(t, "nca_gost2022_test.cer")
	rootKey := certPublicKey(t, root)
	interKey := certPublicKey(t, inter)

	var out []ncaSignature
	add := func(name string, der, issuer []byte) {
		tbs, sig := splitSigned(t, der)
		out = append(out, ncaSignature{name: name, tbs: tbs, sig: sig, issuer: issuer})
	}
	add("root_test_gost_2022.cer", root, rootKey)
	add("nca_gost2022_test.cer", inter, rootKey)
	leaves, err := filepath.Glob(filepath.Join(ncaDir, "leaf", "*.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) < 10 {
		t.Fatalf("found only %d leaf certificates", len(leaves))
	}
	for _, l := range leaves {
		der, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		add("leaf/"+filepath.Base(l), der, interKey)
	}
	add("nca_gost2022_test.crl", readFile(t, "nca_gost2022_test.crl"), interKey)
	return out
}

func streebog512(b []byte) []byte {
	h := gost34112012512.New()
	h.Write(b)
	return h.Sum(nil)
}

// TestVerifyKZNCA verifies every signature of the NCA test PKI with
// VerifyKZ and with go-cryptobin, and checks that a flipped bit in the
// digest, the signature or the key makes both reject it.
func TestVerifyKZNCA(t *testing.T) {
	for _, s := range ncaSignatures(t) {
		t.Run(s.name, func(t *testing.T) {
			if len(s.sig) != 128 || len(s.issuer) != 128 {
				t.Fatalf("signature %d bytes, key %d bytes; want 128 and 128", len(s.sig), len(s.issuer))
			}
			d := streebog512(s.tbs)
			if !VerifyKZ(Tc26512A, s.issuer, d, s.sig) {
				t.Fatal("VerifyKZ rejects a genuine NCA signature")
			}
			key, err := NewPublicKey512KZ(s.issuer)
			if err != nil {
				t.Fatal(err)
			}
			if !key.VerifyKZ(d, s.sig) {
				t.Fatal("PublicKey512.VerifyKZ rejects a genuine NCA signature")
			}
			if !cryptobinVerifyKZ(t, Tc26512A, s.issuer, d, s.sig) {
				t.Fatal("go-cryptobin rejects a genuine NCA signature: the test's conventions are wrong")
			}
			for _, i := range []int{0, 31, 63, 64, 100, 127} {
				bad := append([]byte(nil), s.sig...)
				bad[i] ^= 0x01
				if VerifyKZ(Tc26512A, s.issuer, d, bad) || key.VerifyKZ(d, bad) {
					t.Errorf("accepts signature with byte %d flipped", i)
				}
				badD := append([]byte(nil), d...)
				badD[i%64] ^= 0x80
				if VerifyKZ(Tc26512A, s.issuer, badD, s.sig) || key.VerifyKZ(badD, s.sig) {
					t.Errorf("accepts digest with byte %d flipped", i%64)
				}
			}
			badKey := append([]byte(nil), s.issuer...)
			badKey[5] ^= 0x04
			if VerifyKZ(Tc26512A, badKey, d, s.sig) {
				t.Error("accepts a modified key")
			}
		})
	}
}

package eds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"path/filepath"
	"testing"
)

func marshalSPKI(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestVerifyInternational(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("Senim: сенім")

	rsaSign := func(h crypto.Hash) func() []byte {
		return func() []byte {
			hh := h.New()
			hh.Write(msg)
			sig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, h, hh.Sum(nil))
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	ecSign := func(k *ecdsa.PrivateKey, h crypto.Hash) func() []byte {
		return func() []byte {
			hh := h.New()
			hh.Write(msg)
			sig, err := ecdsa.SignASN1(rand.Reader, k, hh.Sum(nil))
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	tests := []struct {
		name    string
		pub     any
		alg     asn1.ObjectIdentifier
		keyType KeyType
		sign    func() []byte
	}{
		{"SHA1withRSA", &rsaKey.PublicKey, OIDSignSHA1WithRSA, KeyRSA, rsaSign(crypto.SHA1)},
		{"SHA256withRSA", &rsaKey.PublicKey, OIDSignSHA256WithRSA, KeyRSA, rsaSign(crypto.SHA256)},
		{"SHA384withRSA", &rsaKey.PublicKey, OIDSignSHA384WithRSA, KeyRSA, rsaSign(crypto.SHA384)},
		{"SHA512withRSA", &rsaKey.PublicKey, OIDSignSHA512WithRSA, KeyRSA, rsaSign(crypto.SHA512)},
		{"SHA256withECDSA", &p256.PublicKey, OIDSignECDSAWithSHA256, KeyECDSA, ecSign(p256, crypto.SHA256)},
		{"SHA384withECDSA", &p384.PublicKey, OIDSignECDSAWithSHA384, KeyECDSA, ecSign(p384, crypto.SHA384)},
		{"Ed25519", edPub, OIDSignEd25519, KeyEd25519, func() []byte { return ed25519.Sign(edPriv, msg) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := ParsePublicKey(marshalSPKI(t, tt.pub))
			if err != nil {
				t.Fatal(err)
			}
			if pub.Type != tt.keyType {
				t.Fatalf("key type %v, want %v", pub.Type, tt.keyType)
			}
			alg, ok := LookupSignatureAlgorithm(tt.alg)
			if !ok || alg.Name != tt.name {
				t.Fatalf("LookupSignatureAlgorithm = %v, %v", alg, ok)
			}
			sig := tt.sign()
			if err := VerifySignature(pub, tt.alg, msg, sig); err != nil {
				t.Fatalf("valid signature: %v", err)
			}
			bad := append([]byte(nil), sig...)
			bad[len(bad)/2] ^= 0x04
			if err := VerifySignature(pub, tt.alg, msg, bad); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("flipped signature bit: %v", err)
			}
			if err := VerifySignature(pub, tt.alg, append(msg, '!'), sig); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("changed message: %v", err)
			}
			if alg.Hash != nil {
				h := alg.Hash()
				h.Write(msg)
				if err := VerifyDigest(pub, tt.alg, h.Sum(nil), sig); err != nil {
					t.Errorf("VerifyDigest: %v", err)
				}
			} else if err := VerifyDigest(pub, tt.alg, msg, sig); !errors.Is(err, ErrUnknownAlgorithm) {
				t.Errorf("VerifyDigest on Ed25519: %v, want ErrUnknownAlgorithm", err)
			}
		})
	}
}

func TestVerifyRefusals(t *testing.T) {
	root := readCert(t, filepath.Join(ncaDir, "root_test_gost_2022.cer"))
	gostPub, err := ParsePublicKey(root.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPub, err := ParsePublicKey(marshalSPKI(t, &p256.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sig := root.Signature
	tests := []struct {
		name    string
		pub     *PublicKey
		alg     asn1.ObjectIdentifier
		digest  []byte
		sig     []byte
		want    error
		wantCod string
	}{
		{"unknown OID", gostPub, asn1.ObjectIdentifier{1, 2, 3}, make([]byte, 64), sig, ErrUnknownAlgorithm, "eds.algorithm.unknown"},
		{"GOST key, ECDSA algorithm", gostPub, OIDSignECDSAWithSHA256, make([]byte, 32), sig, ErrBadPublicKey, "eds.key.invalid"},
		{"ECDSA key, GOST algorithm", ecPub, OIDSignGOST2015_512, make([]byte, 64), sig, ErrBadPublicKey, "eds.key.invalid"},
		{"GOST 512 key, GOST 256 algorithm", gostPub, OIDSignGOST2015_256, make([]byte, 32), sig, ErrBadPublicKey, "eds.key.invalid"},
		{"short signature", gostPub, OIDSignGOST2015_512, make([]byte, 64), sig[:127], ErrSignatureInvalid, "eds.signature.invalid"},
		{"empty signature", gostPub, OIDSignGOST2015_512, make([]byte, 64), nil, ErrSignatureInvalid, "eds.signature.invalid"},
		{"zero signature", gostPub, OIDSignGOST2015_512, make([]byte, 64), make([]byte, 128), ErrSignatureInvalid, "eds.signature.invalid"},
		{"r = q", gostPub, OIDSignGOST2015_512, make([]byte, 64), kzSignatureFromRS(CurveGOST512A.Q, big.NewInt(1), 64), ErrSignatureInvalid, "eds.signature.invalid"},
		{"digest of wrong size", gostPub, OIDSignGOST2015_512, make([]byte, 32), sig, ErrSignatureInvalid, "eds.signature.invalid"},
		{"nil key", nil, OIDSignGOST2015_512, make([]byte, 64), sig, ErrBadPublicKey, "eds.key.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyDigest(tt.pub, tt.alg, tt.digest, tt.sig)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := Code(err); got != tt.wantCod {
				t.Errorf("Code = %q, want %q", got, tt.wantCod)
			}
		})
	}
}

func TestParsePublicKeyRefusals(t *testing.T) {
	root := readCert(t, filepath.Join(ncaDir, "root_test_gost_2022.cer"))
	good := root.RawSubjectPublicKeyInfo
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)

	offCurve := func() []byte {
		pub, _ := ParsePublicKey(good)
		k := *pub.Key.(*GOSTPublicKey)
		k.Y = new(big.Int).Add(k.Y, big.NewInt(1))
		der, err := MarshalGOSTPublicKey(KeyGOST2015_512, &k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}()
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(append([]byte(nil), good...), 0)},
		{"point off the curve", offCurve},
		{"P-224", marshalSPKI(t, &p224.PublicKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePublicKey(tt.der); !errors.Is(err, ErrBadPublicKey) {
				t.Fatalf("err = %v, want ErrBadPublicKey", err)
			}
		})
	}
}

// TestGOSTVerifierRegistry checks that a verifier set for an OID is the one
// used, receives the values the contract promises, and is restored.
func TestGOSTVerifierRegistry(t *testing.T) {
	root := readCert(t, filepath.Join(ncaDir, "root_test_gost_2022.cer"))
	pub, err := ParsePublicKey(root.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	restore, err := SetGOSTVerifier(OIDSignGOST2015_512, func(c *GOSTCurve, x, y, e, r, s *big.Int) bool {
		calls++
		if c != CurveGOST512A || e.Sign() <= 0 || e.Cmp(c.Q) >= 0 || !c.IsOnCurve(x, y) {
			t.Errorf("verifier called outside its contract")
		}
		return VerifyGOSTReference(c, x, y, e, r, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(pub, OIDSignGOST2015_512, root.RawTBSCertificate, root.Signature); err != nil || calls != 1 {
		t.Fatalf("with the registered verifier: err = %v, calls = %d", err, calls)
	}

	// A verifier that says no is obeyed.
	restore2, _ := SetGOSTVerifier(OIDSignGOST2015_512, func(*GOSTCurve, *big.Int, *big.Int, *big.Int, *big.Int, *big.Int) bool { return false })
	if err := VerifySignature(pub, OIDSignGOST2015_512, root.RawTBSCertificate, root.Signature); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("rejecting verifier: err = %v", err)
	}
	restore2()
	restore()
	if err := VerifySignature(pub, OIDSignGOST2015_512, root.RawTBSCertificate, root.Signature); err != nil || calls != 1 {
		t.Fatalf("after restore: err = %v, calls = %d", err, calls)
	}
	if _, err := SetGOSTVerifier(OIDSignSHA256WithRSA, VerifyGOSTReference); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Fatalf("SetGOSTVerifier(RSA) err = %v", err)
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(readCert(f, filepath.Join(ncaDir, "root_test_gost_2022.cer")).RawSubjectPublicKeyInfo)
	f.Add(readCert(f, filepath.Join(ncaDir, "leaf", "individual_valid.cer")).RawSubjectPublicKeyInfo)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Add(marshalSPKI(f, &k.PublicKey))
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := ParsePublicKey(der)
		if err != nil {
			if !errors.Is(err, ErrBadPublicKey) {
				t.Fatalf("error %v does not wrap ErrBadPublicKey", err)
			}
			return
		}
		_ = VerifyDigest(pub, OIDSignGOST2015_512, make([]byte, 64), make([]byte, 128))
	})
}

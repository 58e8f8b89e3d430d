package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pkcs12"
)

func selfSigned(t testing.TB, key any, pub any) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func ncaSigner(t testing.TB) (*eds.PrivateKey, []*x509.Certificate) {
	t.Helper()
	b, err := os.ReadFile("../../../testdata/nca-gost2022/individual/valid/individual_valid.p12")
	if err != nil {
		t.Fatal(err)
	}
	f, err := pkcs12.Decode(b, "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	return e.PrivateKey, []*x509.Certificate{e.Certificate}
}

func TestSignVerify(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecSigner, _ := eds.NewSigner(ecKey, nil)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edSigner, _ := eds.NewSigner(edKey, nil)
	gost, gostChain := ncaSigner(t)
	tests := []struct {
		name   string
		signer eds.Signer
		chain  []*x509.Certificate
		alg    string
	}{
		{"GOST 2015-512 (real NCA key)", gost, gostChain, "GOST3410-2015-512"},
		{"ES256", ecSigner, []*x509.Certificate{selfSigned(t, ecKey, &ecKey.PublicKey)}, "ES256"},
		{"EdDSA", edSigner, []*x509.Certificate{selfSigned(t, edKey, edPub)}, "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Sign(tt.signer, tt.chain, "test+jwt", []byte(`{"iss":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Header.Alg != tt.alg || string(tok.Payload) != `{"iss":"x"}` || !tok.Chain[0].Equal(tt.chain[0]) {
				t.Errorf("parsed %+v", tok.Header)
			}
			if err := tok.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// A changed payload no longer verifies.
			parts := strings.Split(s, ".")
			parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"y"}`))
			tok2, err := Parse(strings.Join(parts, "."))
			if err != nil {
				t.Fatal(err)
			}
			if err := tok2.Verify(); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("tampered payload: %v, want ErrSignatureInvalid", err)
			}
		})
	}
	// A token whose x5c names another key than the one that signed it fails.
	s, _ := Sign(ecSigner, gostChain, "", []byte(`{}`))
	if tok, err := Parse(s); err == nil {
		if err := tok.Verify(); !errors.Is(err, ErrAlgKeyMismatch) {
			t.Errorf("ES256 over a GOST certificate: %v, want ErrAlgKeyMismatch", err)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	cert := base64.StdEncoding.EncodeToString(mustRead(t, "../../../testdata/nca-gost2022/root_test_gost_2022.cer"))
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"two parts", "a.b", ErrMalformed},
		{"bad base64", "!!.a.b", ErrMalformed},
		{"header not json", enc([]byte("nope")) + ".e30.c2ln", ErrMalformed},
		{"alg none", enc([]byte(`{"alg":"none","x5c":["`+cert+`"]}`)) + ".e30.", ErrUnsupportedAlg},
		{"alg HS256", enc([]byte(`{"alg":"HS256","x5c":["`+cert+`"]}`)) + ".e30.c2ln", ErrUnsupportedAlg},
		{"no x5c", enc([]byte(`{"alg":"ES256"}`)) + ".e30.c2ln", ErrMalformed},
		{"garbage x5c", enc([]byte(`{"alg":"ES256","x5c":["AAAA"]}`)) + ".e30.c2ln", ErrMalformed},
		{"crit", enc([]byte(`{"alg":"ES256","crit":["b64"],"x5c":["`+cert+`"]}`)) + ".e30.c2ln", ErrMalformed},
		{"huge", strings.Repeat("a", MaxSize+1), ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func mustRead(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParse(f *testing.F) {
	gost, chain := ncaSigner(f)
	s, _ := Sign(gost, chain, "x", []byte(`{"a":1}`))
	f.Add(s)
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, in string) {
		tok, err := Parse(in)
		if err != nil {
			return
		}
		tok.Verify() // must not panic, whatever the input
	})
}

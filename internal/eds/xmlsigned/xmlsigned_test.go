package xmlsigned_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/eds/xmlsigned"
)

const ncaDir = "../../../testdata/nca-gost2022"

// ncaNow is inside the NCA test certificates' validity and before the test CRL's
// nextUpdate.
var ncaNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ncaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(read(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func opts(t testing.TB) xmlsigned.Options {
	t.Helper()
	crl, err := pki.ParseCRL(read(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return ncaNow }
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{cert(t, "root_test_gost_2022.cer")},
		Intermediates: []*x509.Certificate{cert(t, "nca_gost2022_test.cer")}, CRLs: []*pki.CRL{crl}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return xmlsigned.Options{Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationCRL}, Now: clock}
}

func sign(t testing.TB, key string, doc []byte, o xmldsig.Options) []byte {
	t.Helper()
	f, err := pkcs12.Decode(read(t, key), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	out, err := xmldsig.Sign(doc, e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...), o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const valid = "individual/valid/individual_valid.p12"

var offered = []byte(`<consent xmlns="urn:senim:consent:1" lang="ru"><text>` + xmlsigned.EscapeText("SENIM v2 ru\nИИН: 1 & <2>\r\n") + `</text></consent>`)

func TestCheck(t *testing.T) {
	o := opts(t)
	signed := sign(t, valid, offered, xmldsig.Options{})
	s, err := xmlsigned.Check(t.Context(), signed, offered, o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Info.Subject.IIN == "" || !s.Info.CanSign {
		t.Fatalf("signer %+v", s.Info)
	}
	// NCANode's inclusive form (and an XML declaration NCALayer may add) is the same
	// document.
	decl := append([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`+"\n"), offered...)
	if _, err := xmlsigned.Check(t.Context(), sign(t, valid, decl, xmldsig.Options{Inclusive: true}), offered, o); err != nil {
		t.Fatalf("inclusive with a declaration: %v", err)
	}
}

func TestCheckRefusals(t *testing.T) {
	o := opts(t)
	signed := sign(t, valid, offered, xmldsig.Options{})
	other := bytes.Replace(offered, []byte("ru"), []byte("kk"), 1)
	withID := []byte(`<consent xmlns="urn:senim:consent:1"><text Id="t">x</text></consent>`)
	for _, tc := range []struct {
		name   string
		signed []byte
		want   error
		code   string
	}{
		{"tampered text", bytes.Replace(signed, []byte("1 &amp;"), []byte("2 &amp;"), 1), xmldsig.ErrDigest, "eds.xml.digest_mismatch"},
		{"another document, validly signed", sign(t, valid, other, xmldsig.Options{}), xmlsigned.ErrNotTheDocument, "eds.xml.not_the_document"},
		{"a part of a document (#id)", sign(t, valid, withID, xmldsig.Options{ReferenceURI: "#t"}), xmlsigned.ErrNotTheDocument, "eds.xml.not_the_document"},
		// Signature wrapping: the signed element moved beside one with the same ID.
		{"wrapping", wrap(sign(t, valid, withID, xmldsig.Options{ReferenceURI: "#t"})), xmldsig.ErrDuplicateID, "eds.xml.duplicate_id"},
		{"two signatures", sign(t, valid, signed, xmldsig.Options{}), xmlsigned.ErrNotTheDocument, "eds.xml.not_the_document"},
		{"revoked signer", sign(t, "individual/revoked/individual_revoked.p12", offered, xmldsig.Options{}), pki.ErrRevoked, "eds.cert.revoked"},
		{"no signature", offered, xmldsig.ErrNoSignature, "eds.xml.no_signature"},
		{"DOCTYPE", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), signed...), xmldsig.ErrDTD, "eds.xml.dtd_forbidden"},
		{"not XML", []byte("<consent"), xmldsig.ErrMalformed, "eds.xml.malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := xmlsigned.Check(t.Context(), tc.signed, offered, o)
			if s != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", s, err, tc.want)
			}
			var c interface{ Code() string }
			if !errors.As(err, &c) || c.Code() != tc.code {
				t.Fatalf("code of %v, want %s", err, tc.code)
			}
		})
	}
	// An untrusted chain: a validator that trusts no NCA root.
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{cert(t, "leaf/legal_valid_head.cer")}, Clock: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.Validator, o.Revocation = v, nil
	if _, err := xmlsigned.Check(t.Context(), signed, offered, o); !errors.Is(err, pki.ErrUntrusted) {
		t.Fatalf("without the NCA root: %v", err)
	}
}

// wrap copies the signed <text Id="t"> and puts a forged one with the same Id first.
func wrap(signed []byte) []byte {
	return []byte(strings.Replace(string(signed), `<text Id="t">x</text>`, `<text Id="t">forged</text><text Id="t">x</text>`, 1))
}

func TestIsXML(t *testing.T) {
	for in, want := range map[string]bool{"<a/>": true, " \n<a/>": true, "\xef\xbb\xbf<a/>": true, "\x30\x82": false, "": false, "MII": false} {
		if xmlsigned.IsXML([]byte(in)) != want {
			t.Errorf("IsXML(%q) != %v", in, want)
		}
	}
}

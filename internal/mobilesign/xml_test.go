package mobilesign

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

const ncaDir = "../../testdata/nca-gost2022"

func ncaFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ncaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ncaCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(ncaFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ncaEntry(t *testing.T, name string) *pkcs12.Entry {
	t.Helper()
	f, err := pkcs12.Decode(ncaFile(t, name), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	return &f.Entries[0]
}

// ncaService trusts the NCA test PKI (with its CRL) at a time its certificates are valid.
func ncaService(t *testing.T, db *store.DB, c *clock) *Service {
	t.Helper()
	crl, err := pki.ParseCRL(ncaFile(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{Roots: []*x509.Certificate{ncaCert(t, "root_test_gost_2022.cer")},
		Intermediates: []*x509.Certificate{ncaCert(t, "nca_gost2022_test.cer")}, CRLs: []*pki.CRL{crl}, Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DB: db, Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationCRL}, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signMethod XML (rule DC-1: a signature is accepted only over exactly what was
// offered, by the person it was asked of): API-2 gives documentXml, the PUT carries the
// document with an enveloped signature; a tampered document, a signature over another
// document (wrapping), a CMS in place of XML, a wrong signer and a revoked key are each
// refused with a stable code and change nothing; the accepted result is taken once and
// the link cannot be used again.
func TestXMLSignMethod(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		c := &clock{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
		s := ncaService(t, db, c)
		valid := ncaEntry(t, "individual/valid/individual_valid.p12")
		iin := pki.Info(valid.Certificate).Subject.IIN
		doc := []byte(`<consent xmlns="urn:senim:consent:1"><text>I consent &amp; sign</text></consent>`)
		st, err := s.Start(t.Context(), "https://senim.test", Request{Document: doc, Method: XML, ExpectIIN: iin,
			Description: map[string]string{"kk": "Келісім", "ru": "Согласие", "en": "Consent"}})
		if err != nil {
			t.Fatal(err)
		}
		link := strings.TrimPrefix(st.Link, "https://senim.test/mobile-sign/")
		info, err := s.Open(t.Context(), link, "https://senim.test", "ru")
		if err != nil {
			t.Fatal(err)
		}
		token := authOf(t, info)
		d, err := s.Document(t.Context(), link, token)
		if err != nil || d.SignMethod != XML || d.DocumentsToSign[0].DocumentXML != string(doc) {
			t.Fatalf("API-2: %+v %v", d, err)
		}
		if b, _ := json.Marshal(d); bytes.Contains(b, []byte(`"document":`)) || !bytes.Contains(b, []byte(`"documentXml":`)) {
			t.Errorf("API-2 of XML: %s", b)
		}
		sign := func(e *pkcs12.Entry, doc []byte) []byte {
			out, err := xmldsig.Sign(doc, e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...), xmldsig.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		put := func(method string, signed []byte) error {
			b, _ := json.Marshal(Documents{SignMethod: method, DocumentsToSign: []Document{{ID: 1, DocumentXML: string(signed)}}})
			return s.Accept(t.Context(), link, token, b)
		}
		good := sign(valid, doc)
		der, err := cms.Sign(t.Context(), doc, []cms.SignerSpec{{Signer: valid.PrivateKey, Cert: valid.Certificate, Chain: valid.CACertificates}}, cms.SignOptions{})
		if err != nil {
			t.Fatal(err)
		}
		other := []byte(`<consent xmlns="urn:senim:consent:1"><text>something else</text></consent>`)
		for _, tc := range []struct {
			name, method string
			signed       []byte
			want         string
		}{
			{"tampered", XML, bytes.Replace(good, []byte("I consent"), []byte("I refuse"), 1), ErrTampered.Code},
			{"another document", XML, sign(valid, other), ErrTampered.Code},
			{"wrapped", XML, []byte(strings.Replace(string(sign(valid, other)), "<text>", `<text>I consent &amp; sign</text><text>`, 1)), ErrTampered.Code},
			{"a CMS instead", XML, []byte(base64.StdEncoding.EncodeToString(der)), ErrMalformed.Code},
			{"empty", XML, nil, ErrMalformed.Code},
			{"another method", CMSWithData, good, ErrMalformed.Code},
			{"revoked", XML, sign(ncaEntry(t, "individual/revoked/individual_revoked.p12"), doc), ErrInvalid.Code},
		} {
			if err := put(tc.method, tc.signed); code(err) != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
			if w, _ := s.Watch(t.Context(), st.Watch); w.State != StateOpened || w.Refusal != tc.want {
				t.Errorf("%s: the page sees %+v", tc.name, w)
			}
		}
		// A valid signature by someone else than the person asked (the NCA test keys
		// share one IIN: the request names another).
		st2, _ := s.Start(t.Context(), "https://senim.test", Request{Document: doc, Method: XML, ExpectIIN: "123456789012"})
		link2 := strings.TrimPrefix(st2.Link, "https://senim.test/mobile-sign/")
		info2, _ := s.Open(t.Context(), link2, "https://senim.test", "ru")
		b, _ := json.Marshal(Documents{SignMethod: XML, DocumentsToSign: []Document{{ID: 1, DocumentXML: string(good)}}})
		if err := s.Accept(t.Context(), link2, authOf(t, info2), b); code(err) != ErrWrongSigner.Code {
			t.Errorf("wrong signer: %v", err)
		}
		if err := put(XML, good); err != nil {
			t.Fatalf("the citizen's signature: %v", err)
		}
		got, err := s.Take(t.Context(), st.Watch)
		if err != nil || !bytes.Equal(got, good) {
			t.Fatalf("take: %v", err)
		}
		// Reused: the link, its document and the result are used up.
		if err := put(XML, good); code(err) != ErrDone.Code {
			t.Errorf("second PUT: %v", err)
		}
		if _, err := s.Open(t.Context(), link, "https://senim.test", "ru"); code(err) != ErrLinkUsed.Code {
			t.Errorf("second API-1: %v", err)
		}
		if _, err := s.Take(t.Context(), st.Watch); code(err) != ErrLinkGone.Code {
			t.Errorf("second take: %v", err)
		}
	})
}

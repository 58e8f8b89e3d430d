package signeddata_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
)

func TestToDER(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, out []byte
		err     error
	}{
		{"DER unchanged", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}, nil},
		{"indefinite sequence", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}, nil},
		{"nested indefinite", []byte{0x30, 0x80, 0xa0, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00}, []byte{0x30, 0x04, 0xa0, 0x02, 0x05, 0x00}, nil},
		{"chunked OCTET STRING", []byte{0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x00, 0x00}, []byte{0x04, 0x03, 'a', 'b', 'c'}, nil},
		{"definite chunked OCTET STRING", []byte{0x24, 0x07, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c'}, []byte{0x04, 0x03, 'a', 'b', 'c'}, nil},
		{"long-form length made minimal", []byte{0x04, 0x82, 0x00, 0x01, 'x'}, []byte{0x04, 0x01, 'x'}, nil},
		{"high tag number kept", []byte{0x9f, 0x81, 0x00, 0x01, 0x07}, []byte{0x9f, 0x81, 0x00, 0x01, 0x07}, nil},
		{"empty", nil, nil, signeddata.ErrMalformed},
		{"truncated header", []byte{0x30}, nil, signeddata.ErrMalformed},
		{"length beyond data", []byte{0x30, 0x05, 0x02, 0x01}, nil, signeddata.ErrMalformed},
		{"no end-of-contents", []byte{0x30, 0x80, 0x02, 0x01, 0x05}, nil, signeddata.ErrMalformed},
		{"indefinite primitive", []byte{0x04, 0x80, 0x00, 0x00}, nil, signeddata.ErrMalformed},
		{"trailing bytes", []byte{0x05, 0x00, 0x05, 0x00}, nil, signeddata.ErrMalformed},
		{"wrong segment in a chunked string", []byte{0x24, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00}, nil, signeddata.ErrMalformed},
		{"five-byte length", []byte{0x04, 0x85, 0, 0, 0, 0, 1, 'x'}, nil, signeddata.ErrMalformed},
		{"too deep", bytes.Repeat([]byte{0x30, 0x80}, 100), nil, signeddata.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := signeddata.ToDER(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.out, got); tc.err == nil && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func newCA(t *testing.T) *tsptest.CA {
	t.Helper()
	ca, err := tsptest.NewRoot(eds.KeyECDSA, "CA", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func leaf(t *testing.T, ca *tsptest.CA) (*x509.Certificate, *eds.PrivateKey) {
	t.Helper()
	c, k, err := ca.Leaf(eds.KeyECDSA, "Signer", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func signedAttrs(t *testing.T, content []byte, certForAttr *x509.Certificate, hash asn1.ObjectIdentifier) []signeddata.Attribute {
	t.Helper()
	md, _ := signeddata.Digest(eds.OIDDigestSHA256, content)
	scv2, err := signeddata.AttrSigningCertificateV2(certForAttr, hash)
	if err != nil {
		t.Fatal(err)
	}
	return []signeddata.Attribute{signeddata.AttrMessageDigest(md), signeddata.AttrContentType(signeddata.OIDData), scv2}
}

func TestSignerInfo(t *testing.T) {
	ca := newCA(t)
	cert, key := leaf(t, ca)
	other, _ := leaf(t, ca)
	content := []byte("content")
	for _, tc := range []struct {
		name    string
		attrFor *x509.Certificate
		hash    asn1.ObjectIdentifier
		wantErr error
	}{
		{"SHA-256 ESSCertIDv2", cert, eds.OIDDigestSHA256, nil},
		{"Streebog-512 ESSCertIDv2", cert, eds.OIDDigestStreebog512, nil},
		{"names another certificate", other, eds.OIDDigestSHA256, signeddata.ErrSigningCertMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			si, err := signeddata.NewSignerInfo(nil, key, cert, signedAttrs(t, content, tc.attrFor, tc.hash))
			if err != nil {
				t.Fatal(err)
			}
			if err := si.CheckContent(signeddata.OIDData, content); err != nil {
				t.Errorf("CheckContent: %v", err)
			}
			if err := si.CheckContent(signeddata.OIDData, []byte("other")); !errors.Is(err, signeddata.ErrDigestMismatch) {
				t.Errorf("CheckContent(other): %v", err)
			}
			if err := si.CheckContent(signeddata.OIDContentTSTInfo, content); !errors.Is(err, signeddata.ErrBadAttributes) {
				t.Errorf("CheckContent(other type): %v", err)
			}
			if err := si.CheckSignature(key.Public(), nil); err != nil {
				t.Errorf("CheckSignature: %v", err)
			}
			present, err := si.CheckSigningCertificate(cert)
			if !present || !errors.Is(err, tc.wantErr) {
				t.Errorf("CheckSigningCertificate: %v %v, want %v", present, err, tc.wantErr)
			}
			// The signed attributes are in DER order whatever order they were given in.
			if !si.Identifies(cert) || si.Identifies(other) {
				t.Error("Identifies")
			}
			// Unsigned attributes leave the signed part and the signature alone.
			si2, err := si.WithUnsignedAttrs([]signeddata.Attribute{{Type: asn1.ObjectIdentifier{1, 2, 3}, Values: [][]byte{{0x05, 0x00}}}})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(si2.RawSignedAttrs, si.RawSignedAttrs) || !bytes.Equal(si2.Signature, si.Signature) || len(si2.UnsignedAttrs) != 1 {
				t.Error("WithUnsignedAttrs changed the signed part")
			}
			if err := si2.CheckSignature(key.Public(), nil); err != nil {
				t.Errorf("CheckSignature after WithUnsignedAttrs: %v", err)
			}
		})
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	ca := newCA(t)
	cert, key := leaf(t, ca)
	content := []byte("content")
	si, err := signeddata.NewSignerInfo(nil, key, cert, signedAttrs(t, content, cert, eds.OIDDigestSHA256))
	if err != nil {
		t.Fatal(err)
	}
	sd := &signeddata.SignedData{ContentType: signeddata.OIDData, Content: content, HasContent: true, Signers: []*signeddata.SignerInfo{si}}
	sd.AddDigestAlgorithm(eds.OIDDigestSHA256)
	sd.AddDigestAlgorithm(eds.OIDDigestSHA256)
	sd.AddCertificate(cert)
	sd.AddCertificate(cert)
	sd.AddCertificate(ca.Cert)
	der, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := signeddata.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || len(got.DigestAlgorithms) != 1 || len(got.Certificates) != 2 || !bytes.Equal(got.Content, content) ||
		len(got.Signers) != 1 || !bytes.Equal(got.Signers[0].Raw, si.Raw) || got.SignerCertificate(got.Signers[0]) == nil {
		t.Errorf("round trip: %+v", got)
	}
	again, _ := got.Marshal()
	if !bytes.Equal(again, der) {
		t.Error("Marshal(Parse(der)) != der")
	}
}

// The SignedData version follows RFC 5652 section 5.1: an OCSP response among the
// revocation information ([1] OtherRevocationInfoFormat, RFC 5940) makes it 5, an X.509
// CRL leaves it at 1, and other eContent makes it 3.
func TestMarshalVersion(t *testing.T) {
	ca := newCA(t)
	cert, key := leaf(t, ca)
	content := []byte("content")
	si, err := signeddata.NewSignerInfo(nil, key, cert, signedAttrs(t, content, cert, eds.OIDDigestSHA256))
	if err != nil {
		t.Fatal(err)
	}
	crl := []byte{0x30, 0x03, 0x02, 0x01, 0x00}   // a CertificateList stands as a SEQUENCE
	other := []byte{0xa1, 0x03, 0x06, 0x01, 0x00} // [1] OtherRevocationInfoFormat
	for _, tc := range []struct {
		name  string
		ctype asn1.ObjectIdentifier
		crls  [][]byte
		want  int
	}{
		{"data", signeddata.OIDData, nil, 1},
		{"data with a CRL", signeddata.OIDData, [][]byte{crl}, 1},
		{"data with an OCSP response", signeddata.OIDData, [][]byte{crl, other}, 5},
		{"other eContent", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}, nil, 3},
		{"other eContent with an OCSP response", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}, [][]byte{other}, 5},
	} {
		sd := &signeddata.SignedData{ContentType: tc.ctype, Content: content, HasContent: true, Signers: []*signeddata.SignerInfo{si}, RawCRLs: tc.crls}
		sd.AddDigestAlgorithm(eds.OIDDigestSHA256)
		der, err := sd.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := signeddata.Parse(der)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Version != tc.want {
			t.Errorf("%s: version %d, want %d", tc.name, got.Version, tc.want)
		}
	}
}

// TestCachedCertificateIsACopy: reusing the input buffer after Parse must not change the
// cached certificate that later parses return.
func TestCachedCertificateIsACopy(t *testing.T) {
	ca := newCA(t)
	cert, key := leaf(t, ca)
	si, err := signeddata.NewSignerInfo(nil, key, cert, signedAttrs(t, []byte("x"), cert, eds.OIDDigestSHA256))
	if err != nil {
		t.Fatal(err)
	}
	sd := &signeddata.SignedData{ContentType: signeddata.OIDData, HasContent: true, Content: []byte("x"), Signers: []*signeddata.SignerInfo{si}}
	sd.AddCertificate(cert)
	der, _ := sd.Marshal()
	buf := bytes.Clone(der)
	first, err := signeddata.Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	clear(buf)
	if !bytes.Equal(first.Certificates[0].Raw, cert.Raw) {
		t.Fatal("the certificate changed with the caller's buffer")
	}
	again, err := signeddata.Parse(der)
	if err != nil || !bytes.Equal(again.Certificates[0].Raw, cert.Raw) {
		t.Fatalf("cached certificate differs: %v", err)
	}
}

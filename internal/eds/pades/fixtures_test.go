package pades

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
)

// The NCA's public test PKI, from the repository (testdata/README.md).
const nca = "../../../testdata/nca-gost2022/"

func readNCA(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(nca + name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ncaOptions(t testing.TB) cms.VerifyOptions {
	t.Helper()
	cert := func(name string) *x509.Certificate {
		c, err := x509.ParseCertificate(readNCA(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	crl, err := pki.ParseCRL(readNCA(t, "nca_gost2022_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.New(pki.Config{
		Roots:         []*x509.Certificate{cert("root_test_gost_2022.cer")},
		Intermediates: []*x509.Certificate{cert("nca_gost2022_test.cer")},
		CRLs:          []*pki.CRL{crl},
		Clock:         clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cms.VerifyOptions{Validator: v, Revocation: []pki.RevocationMethod{pki.RevocationCRL}, Now: clock}
}

func ncaSpec(t testing.TB, file string) cms.SignerSpec {
	t.Helper()
	f, err := pkcs12.Decode(readNCA(t, file), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Entries {
		if e.PrivateKey != nil && e.Certificate != nil {
			return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}
		}
	}
	t.Fatal("no key")
	return cms.SignerSpec{}
}

// fixtures are committed PDFs (testdata/), made by this package with the NCA's
// GOST 2015-512 test keys; SENIM_UPDATE_FIXTURES=1 rewrites them.
func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	names := []string{"unsigned.pdf", "signed-gost.pdf", "signed-gost-objstm.pdf", "signed-revoked.pdf", "appended-after-signing.pdf", "byterange-moved.pdf"}
	if os.Getenv("SENIM_UPDATE_FIXTURES") == "1" {
		good := ncaSpec(t, "individual/valid/individual_valid.p12")
		signed, err := Sign(t.Context(), makePDF(t, classicXref), good, SignOptions{Now: clock, Reason: "fixture"})
		if err != nil {
			t.Fatal(err)
		}
		objstm, err := Sign(t.Context(), makePDF(t, objStreams), good, SignOptions{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := Sign(t.Context(), makePDF(t, xrefStream), ncaSpec(t, "legal/revoked/head.p12"), SignOptions{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		appended := append(bytes.Clone(signed), "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"...)
		moved := rewriteByteRange(t, signed, func(br [4]int64) [4]int64 { // the hole starts two bytes early
			return [4]int64{0, br[1] - 2, br[2], br[3]}
		})
		out := map[string][]byte{"unsigned.pdf": makePDF(t, classicXref), "signed-gost.pdf": signed,
			"signed-gost-objstm.pdf": objstm, "signed-revoked.pdf": revoked,
			"appended-after-signing.pdf": appended, "byterange-moved.pdf": moved}
		for n, b := range out {
			if err := os.WriteFile(filepath.Join("testdata", n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		m[n] = b
	}
	return m
}

// The committed fixtures verify as recorded: the NCA GOST signatures valid under
// the NCA test root (the revoked key's not), the appended and ByteRange-moved files
// refused with their codes, the unsigned file eds.pdf.no_signatures.
func TestFixtures(t *testing.T) {
	fx := fixtures(t)
	opts := ncaOptions(t)
	if _, err := Verify(t.Context(), fx["unsigned.pdf"], opts); !errors.Is(err, ErrNoSignatures) {
		t.Errorf("unsigned.pdf: %v", err)
	}
	for _, n := range []string{"signed-gost.pdf", "signed-gost-objstm.pdf"} {
		res, err := Verify(t.Context(), fx[n], opts)
		if err != nil || !res.Valid || res.Signatures[0].CMS.Signers[0].SignatureAlgorithm != "ECGOST3410-2015-512" {
			t.Errorf("%s: %v %+v", n, err, res)
		}
	}
	res, err := Verify(t.Context(), fx["signed-revoked.pdf"], opts)
	if err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, pki.ErrRevoked.Code()) {
		t.Errorf("signed-revoked.pdf: %v %v", err, res)
	}
	res, err = Verify(t.Context(), fx["appended-after-signing.pdf"], opts)
	if err != nil || res.Valid || !res.UnsignedChanges || !res.Signatures[0].Valid {
		t.Errorf("appended-after-signing.pdf: %v %+v", err, res)
	}
	res, err = Verify(t.Context(), fx["byterange-moved.pdf"], opts)
	if err != nil || res.Valid || !hasCode(res.Signatures[0].Errors, ErrByteRange.Code()) {
		t.Errorf("byterange-moved.pdf: %v %+v", err, res)
	}
}

package cms_test

import (
	"bytes"
	"crypto/x509"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
)

// Differential tests against github.com/digitorus/pkcs7 (ECDSA only: it knows no GOST).
func TestDifferentialPKCS7(t *testing.T) {
	p := newECDSAPKI(t)
	content := []byte("differential")
	pool := x509.NewCertPool()
	pool.AddCert(p.root.Cert)

	t.Run("they read ours", func(t *testing.T) {
		for _, detached := range []bool{false, true} {
			der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{p.spec}, cms.SignOptions{Now: ncaClock, Detached: detached})
			if err != nil {
				t.Fatal(err)
			}
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if detached {
				p7.Content = content
			}
			if err := p7.VerifyWithChainAtTime(pool, ncaNow); err != nil {
				t.Errorf("detached %v: %v", detached, err)
			}
			if !bytes.Equal(p7.Content, content) || !p7.GetOnlySigner().Equal(p.spec.Cert) {
				t.Error("content or signer differs")
			}
		}
	})
	t.Run("we read theirs and add to it", func(t *testing.T) {
		sd, err := pkcs7.NewSignedData(content)
		if err != nil {
			t.Fatal(err)
		}
		sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
		if err := sd.AddSigner(p.spec.Cert, p.spec.Signer.(*eds.PrivateKey).Crypto(), pkcs7.SignerInfoConfig{}); err != nil {
			t.Fatal(err)
		}
		theirs, err := sd.Finish()
		if err != nil {
			t.Fatal(err)
		}
		res, err := cms.Verify(t.Context(), theirs, nil, cms.VerifyOptions{Validator: p.v, Now: ncaClock})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Valid || !bytes.Equal(res.Content, content) {
			t.Errorf("valid %v codes %v", res.Valid, res.Signers[0].Codes())
		}
		both, err := cms.AddSigner(t.Context(), theirs, nil, newECDSAPKI(t).spec, cms.SignOptions{Now: ncaClock})
		if err != nil {
			t.Fatal(err)
		}
		p7, err := pkcs7.Parse(both)
		if err != nil {
			t.Fatal(err)
		}
		if err := p7.Verify(); err != nil || len(p7.Signers) != 2 {
			t.Errorf("pkcs7 on the two-signer CMS: %v, %d signers", err, len(p7.Signers))
		}
	})
}

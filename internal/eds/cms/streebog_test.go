package cms_test

import (
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
)

// A GOST CMS signed with one Streebog implementation verifies with the other
// (message digest, signed attributes, chain and CRL all hashed by it), and
// tampered content fails with both.
func TestStreebogImplementationsInterchangeable(t *testing.T) {
	content := []byte("Senim: договор / contract, Streebog cross-check")
	spec := ncaSpec(t, individualValid)
	v := ncaValidator(t)
	for _, c := range []struct {
		name              string
		signRef, checkRef bool
	}{
		{"sign reference, verify fast", true, false},
		{"sign fast, verify reference", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			restore := eds.SetStreebogReference(c.signRef)
			defer restore()
			der, err := cms.Sign(t.Context(), content, []cms.SignerSpec{spec}, cms.SignOptions{Detached: true, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			eds.SetStreebogReference(c.checkRef)
			res, err := cms.Verify(t.Context(), der, content, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Valid || len(res.Signers) != 1 || !res.Signers[0].DigestValid || !res.Signers[0].SignatureValid {
				t.Fatalf("not valid: %v", res.Signers[0].Codes())
			}
			tampered := append([]byte(nil), content...)
			tampered[3] ^= 1
			for _, ref := range []bool{false, true} {
				eds.SetStreebogReference(ref)
				res, err := cms.Verify(t.Context(), der, tampered, cms.VerifyOptions{Validator: v, Revocation: crlOnly, Now: ncaClock})
				if err == nil && (res.Valid || res.Signers[0].DigestValid) {
					t.Fatalf("tampered content accepted (reference %v)", ref)
				}
			}
		})
	}
}

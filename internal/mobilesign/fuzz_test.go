package mobilesign

import (
	"context"
	"testing"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
)

// FuzzCheck: the phone's PUT body is untrusted bytes. Whatever it is, the check
// answers with one of this package's codes and never accepts a signature that no
// trust anchor vouches for.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"signMethod":"CMS_WITH_DATA","documentsToSign":[{"id":1,"document":{"file":{"mime":"","data":"MAA="}}}]}`,
		`{"signMethod":"CMS_SIGN_ONLY","documentsToSign":[{"id":1,"document":{"file":{"data":"MIIBAAYJKoZIhvcNAQcCoA=="}}}]}`,
		`{"signMethod":"XML","documentsToSign":[]}`,
		`{"signMethod":"CMS_WITH_DATA","documentsToSign":[{"id":2}]}`,
		`{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	v, err := pki.New(pki.Config{})
	if err != nil {
		f.Fatal(err)
	}
	s := &Service{cfg: Config{Validator: v}}
	known := map[string]bool{ErrMalformed.Code: true, ErrTampered.Code: true, ErrInvalid.Code: true, ErrWrongSigner.Code: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, method := range []string{CMSWithData, CMSSignOnly} {
			der, err := s.check(context.Background(), &row{method: method, document: []byte("doc"), expectIIN: "850314010001"}, body)
			if err == nil {
				t.Fatalf("accepted %x without a trust anchor", der)
			}
			if c := problem.From(err).Code; !known[c] {
				t.Fatalf("code %q for %q", c, body)
			}
		}
	})
}

package xmlsigned_test

import (
	"testing"

	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/eds/xmlsigned"
)

// BenchmarkCheck: one consent document signed in GOST 2015-512, checked with the
// chain and the CRL, as the server does for each XML-signed consent.
func BenchmarkCheck(b *testing.B) {
	o := opts(b)
	signed := sign(b, valid, offered, xmldsig.Options{})
	for b.Loop() {
		if _, err := xmlsigned.Check(b.Context(), signed, offered, o); err != nil {
			b.Fatal(err)
		}
	}
}

package xmlsigned_test

import (
	"testing"

	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/eds/xmlsigned"
)

// FuzzCheck: whatever bytes arrive as a signed document, Check neither panics nor
// accepts anything but a valid signature over exactly the offered document.
func FuzzCheck(f *testing.F) {
	o := opts(f)
	signed := sign(f, valid, offered, xmldsig.Options{})
	f.Add(signed)
	f.Add(offered)
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Add([]byte(`<a xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature/></a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := xmlsigned.Check(t.Context(), b, offered, o)
		if err == nil && (s == nil || s.Info.Subject.IIN == "") {
			t.Fatalf("accepted without a signer: %q", b)
		}
	})
}

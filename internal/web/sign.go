package web

import (
	"net/http"

	"github.com/senimkz/senim/internal/edslogin"
)

// Sign is the "show this text, get a CMS signature back" component shared by EDS login
// and every confirmation by signature: {{template "sign-text" .}} shows how to sign and
// the exact text, {{template "sign-field" .}} the field the signature is pasted into,
// and SignedCMS reads it back.
type Sign struct {
	How     string // catalog key: how to sign (the sandbox's command line)
	Heading string // catalog key of a heading above the text, or ""
	TextID  string // element id of the text
	Text    string // exactly what is signed
	// TextLang is the language of Text when it is not the page's (the consent text
	// of format v1 is English, so it is marked lang="en").
	TextLang string
	Label    string // catalog key of the field's label
}

// SignedCMS returns the signature pasted into the form's "cms" field as DER when it is
// PEM or base64; what does not decode is passed on as it is, for the verifier to refuse
// with its own code.
func SignedCMS(r *http.Request) []byte {
	b := []byte(r.PostFormValue("cms"))
	if der, err := edslogin.DecodeCMS(b); err == nil {
		return der
	}
	return b
}

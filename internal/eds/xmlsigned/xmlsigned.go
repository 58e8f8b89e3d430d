// Package xmlsigned checks an XML document a person signed in the browser (NCALayer's
// format "xml", eGov Mobile's signMethod XML) the way the CMS of those paths is
// checked: the XML-DSig signature itself (internal/eds/xmldsig), that it covers exactly
// the document Senim offered, and the signer's certificate — chain to a trust anchor,
// validity at the time of checking, revocation, key usage for signing.
//
// Only one shape is accepted: one enveloped ds:Signature, one Reference with URI ""
// (the whole document), whose canonical form is byte for byte the offered document's.
// A signature that covers a part of the document ("#id") or that sits beside another
// signature is refused (ErrNotTheDocument), so nothing can be wrapped around the
// signed bytes: what Senim acts on is what it offered.
package xmlsigned

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/xmldsig"
)

// Errors of this package with stable codes (besides xmldsig's and pki's).
var (
	// ErrNotTheDocument: the signature is valid XML-DSig but does not cover exactly
	// the offered document (other content, a part of it, or several signatures).
	ErrNotTheDocument = eds.NewError("eds.xml.not_the_document", "xmlsigned: the signature does not cover exactly the offered document")
	// ErrKeyUsage: the signer's certificate is not one for signing.
	ErrKeyUsage = eds.NewError("eds.xml.key_usage", "xmlsigned: the signer's certificate is not for signing")
)

// Options configure Check.
type Options struct {
	Validator  *pki.Validator // required
	Revocation []pki.RevocationMethod
	Now        func() time.Time
	Limits     xmldsig.Limits
}

// Signer is who signed, after every check passed.
type Signer struct {
	Certificate *x509.Certificate
	Info        pki.CertInfo
}

// Check verifies that signed is offered with one valid enveloped signature over the
// whole of it by a valid signing certificate. offered must be in canonical form (no
// XML declaration, no comments, attributes in order, text escaped as C14N writes it:
// Canonical makes it so); Senim makes the documents it offers that way.
//
// The error wraps the first failed check's coded error: xmldsig's (malformed,
// digest_mismatch, duplicate_id, …), ErrNotTheDocument, pki's (untrusted, expired,
// revoked, …) or ErrKeyUsage.
func Check(ctx context.Context, signed, offered []byte, opts Options) (*Signer, error) {
	if opts.Validator == nil {
		return nil, errors.New("xmlsigned: a validator is required")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res, err := xmldsig.Verify(signed, xmldsig.VerifyOptions{Limits: opts.Limits})
	if res == nil {
		return nil, err
	}
	if len(res.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrNotTheDocument, len(res.Signatures))
	}
	s := res.Signatures[0]
	// A document Senim cannot read as one signature (wrapping, duplicate IDs, a
	// foreign structure or algorithm) is refused for that first.
	if err != nil && !errors.Is(err, xmldsig.ErrDigest) && !errors.Is(err, eds.ErrSignatureInvalid) {
		return nil, err
	}
	// What was digested decides, before the signature value: a signature over other
	// bytes is that, whatever else is wrong with it.
	if len(s.References) != 1 || s.References[0].URI != "" {
		return nil, fmt.Errorf("%w: one reference to the whole document is expected", ErrNotTheDocument)
	}
	if !bytes.Equal(s.References[0].Canonical, offered) {
		if errors.Is(err, xmldsig.ErrDigest) {
			return nil, err
		}
		return nil, ErrNotTheDocument
	}
	if err != nil {
		return nil, err
	}
	v := opts.Validator.Validate(ctx, s.Certificate, now(), pki.Options{Revocation: opts.Revocation, Intermediates: s.Certificates})
	if !v.Valid {
		if len(v.Errors) > 0 {
			return nil, v.Errors[0]
		}
		return nil, pki.ErrUntrusted
	}
	info := pki.Info(s.Certificate)
	if !info.CanSign {
		return nil, ErrKeyUsage
	}
	return &Signer{Certificate: s.Certificate, Info: info}, nil
}

// EscapeText escapes s as canonical XML writes character data (C14N 1.0 §2.3:
// &amp; &lt; &gt; and &#xD;), for documents made in canonical form.
func EscapeText(s string) string {
	return textEscaper.Replace(s)
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")

// IsXML reports whether a signature handed in by a form is an XML document rather
// than a CMS (DER starts with a SEQUENCE, 0x30; XML with '<' after any blanks or a BOM).
func IsXML(b []byte) bool {
	b = bytes.TrimPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '<'
}

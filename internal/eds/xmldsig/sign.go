package xmldsig

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/senimkz/senim/internal/eds"
)

// Options configures Sign.
type Options struct {
	// ReferenceURI is "" (the whole document, NCANode's default) or "#id" (the
	// one element whose Id, ID, id or wsu:Id is id).
	ReferenceURI string
	// Canonicalization is the URI of the canonicalisation of SignedInfo and of the
	// reference's last transform. Default ExcC14N10. C14N10 with C14N10Comments
	// on the reference is what NCANode writes: set Inclusive for that form.
	Canonicalization string
	// Inclusive makes NCANode's form: SignedInfo in C14N 1.0 and the reference in
	// C14N 1.0 #WithComments (Canonicalization is then ignored).
	Inclusive bool
	// ClearSignatures removes the ds:Signature elements the document element
	// already has; TrimXML removes whitespace-only text. Either rewrites the
	// document in its canonical form (C14N 1.0 with comments); otherwise the
	// input bytes are kept and the signature is inserted before the document
	// element's end tag.
	ClearSignatures, TrimXML bool
	Limits                   Limits
	// Rand is the source of randomness for GOST; nil means crypto/rand.
	Rand io.Reader
	// TimeStamp, when set, gets an RFC 3161 time-stamp token over data hashed
	// with hashAlg (the signer's digest). The token goes where NCANode's XAdES-T
	// puts it: ds:Object/xades:QualifyingProperties/.../xades:SignatureTimeStamp,
	// over the exclusive canonical form of ds:SignatureValue. Without XAdES
	// only the unsigned time-stamp is made; with XAdES it makes level T.
	TimeStamp func(hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error)
	// XAdES makes a XAdES baseline B signature (ETSI EN 319 132-1) as NCANode
	// writes it: the signature gets an Id, the content Reference the Id
	// "<id>-ref0", and ds:Object/xades:QualifyingProperties holds
	// SignedProperties (SigningTime, SigningCertificateV2 with the digest of
	// chain[0] and its IssuerSerialV2, the DataObjectFormat of the content),
	// referenced from SignedInfo with Type TypeSignedProperties under
	// exclusive C14N. With TimeStamp it is level T.
	XAdES bool
	// SigningTime is the XAdES SigningTime; zero means now.
	SigningTime time.Time
}

// XAdES 1.3.2, the namespace of the time-stamp's container.
const NSXAdES = "http://uri.etsi.org/01903/v1.3.2#"

// Sign adds an enveloped ds:Signature by signer as the last child of doc's
// document element and returns the signed document. chain[0] must be the
// signer's certificate; it (and the rest of chain) goes into KeyInfo/X509Data.
func Sign(doc []byte, signer eds.Signer, chain []*x509.Certificate, opts Options) ([]byte, error) {
	if len(chain) == 0 || chain[0] == nil {
		return nil, fmt.Errorf("%w: the signer's certificate is needed", ErrNoCertificate)
	}
	alg, ok := sigAlgByOID(signer.Algorithm().OID)
	if !ok {
		return nil, fmt.Errorf("%w: %s keys cannot sign XML", ErrUnknownAlgorithm, signer.Algorithm().Name)
	}
	certKey, err := eds.ParsePublicKey(chain[0].RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	if !certKey.Equal(signer.Public()) {
		return nil, fmt.Errorf("%w: the certificate is not the signer's", ErrKeyMismatch)
	}
	siC14N, refC14N := ExcC14N10, ExcC14N10
	switch {
	case opts.Inclusive:
		siC14N, refC14N = C14N10, C14N10Comments
	case opts.Canonicalization != "":
		siC14N, refC14N = opts.Canonicalization, opts.Canonicalization
	}
	siMethod, ok := c14nByURI(siC14N)
	if !ok {
		return nil, fmt.Errorf("%w: canonicalization %s", ErrUnknownAlgorithm, siC14N)
	}
	refMethod, _ := c14nByURI(refC14N)
	refMethod.comments = false // same-document references drop comments

	p, err := parse(doc, opts.Limits)
	if err != nil {
		return nil, err
	}
	if opts.ClearSignatures || opts.TrimXML {
		if doc, err = rewrite(p, opts); err != nil {
			return nil, err
		}
		if p, err = parse(doc, opts.Limits); err != nil {
			return nil, err
		}
	}

	// The digest of the content: the signature is not there yet, and the
	// enveloped transform will take it out again.
	var content []byte
	switch uri := opts.ReferenceURI; {
	case uri == "":
		content = canonicalDocument(p.doc, refMethod, nil)
	case strings.HasPrefix(uri, "#") && len(uri) > 1:
		el, err := elementByID(p.root, uri[1:])
		if err != nil {
			return nil, err
		}
		content = canonicalSubtree(el, refMethod, nil)
	default:
		return nil, fmt.Errorf("%w: URI %q (only \"\" and \"#id\" are accepted)", ErrReference, uri)
	}
	newHash, _ := digestByURI(alg.digestURI)
	h := newHash()
	h.Write(content)

	var b strings.Builder
	sigID := ""
	if opts.TimeStamp != nil || opts.XAdES {
		rnd := make([]byte, 16)
		if _, err := io.ReadFull(randOr(opts.Rand), rnd); err != nil {
			return nil, err
		}
		sigID = "sig-" + hex.EncodeToString(rnd)
		b.WriteString(`<ds:Signature xmlns:ds="` + NSDSig + `" Id="` + sigID + `">` + "\n<ds:SignedInfo>\n")
	} else {
		b.WriteString(`<ds:Signature xmlns:ds="` + NSDSig + `">` + "\n<ds:SignedInfo>\n")
	}
	dataRefID, spID := sigID+"-ref0", sigID+"-signedprops"
	b.WriteString(`<ds:CanonicalizationMethod Algorithm="` + siC14N + `"/>` + "\n")
	b.WriteString(`<ds:SignatureMethod Algorithm="` + alg.uri + `"/>` + "\n")
	if opts.XAdES {
		b.WriteString(`<ds:Reference Id="` + dataRefID + `" URI="` + attrEscape(opts.ReferenceURI) + `">` + "\n<ds:Transforms>\n")
	} else {
		b.WriteString(`<ds:Reference URI="` + attrEscape(opts.ReferenceURI) + `">` + "\n<ds:Transforms>\n")
	}
	b.WriteString(`<ds:Transform Algorithm="` + TransformEnveloped + `"/>` + "\n")
	b.WriteString(`<ds:Transform Algorithm="` + refC14N + `"/>` + "\n</ds:Transforms>\n")
	b.WriteString(`<ds:DigestMethod Algorithm="` + alg.digestURI + `"/>` + "\n")
	b.WriteString(`<ds:DigestValue>` + base64.StdEncoding.EncodeToString(h.Sum(nil)) + "</ds:DigestValue>\n")
	b.WriteString("</ds:Reference>\n")
	spAt := -1 // where the digest of the SignedProperties goes
	if opts.XAdES {
		b.WriteString(`<ds:Reference Type="` + TypeSignedProperties + `" URI="#` + spID + `">` + "\n<ds:Transforms>\n")
		b.WriteString(`<ds:Transform Algorithm="` + ExcC14N10 + `"/>` + "\n</ds:Transforms>\n")
		b.WriteString(`<ds:DigestMethod Algorithm="` + alg.digestURI + `"/>` + "\n<ds:DigestValue>")
		spAt = b.Len()
		b.WriteString("</ds:DigestValue>\n</ds:Reference>\n")
	}
	b.WriteString("</ds:SignedInfo>\n<ds:SignatureValue>")
	valueAt := b.Len()
	b.WriteString("</ds:SignatureValue>\n<ds:KeyInfo>\n<ds:X509Data>\n")
	for _, c := range chain {
		b.WriteString("<ds:X509Certificate>" + base64.StdEncoding.EncodeToString(c.Raw) + "</ds:X509Certificate>\n")
	}
	b.WriteString("</ds:X509Data>\n</ds:KeyInfo>\n")
	qpEndAt := -1 // where UnsignedProperties go
	if opts.XAdES {
		t := opts.SigningTime
		if t.IsZero() {
			t = time.Now()
		}
		sp, err := signedPropertiesXML(spID, dataRefID, alg.digestURI, chain[0], t)
		if err != nil {
			return nil, err
		}
		b.WriteString(`<ds:Object><xades:QualifyingProperties xmlns:xades="` + NSXAdES + `" Target="#` + sigID + `">` + sp)
		qpEndAt = b.Len()
		b.WriteString("</xades:QualifyingProperties></ds:Object>\n")
	}
	b.WriteString("</ds:Signature>")
	sig := b.String()

	out, at := insertBeforeRootEnd(doc, p, sig)
	valueAt += at
	lastSig := func(doc []byte) (*etree.Element, error) {
		p2, err := parse(doc, opts.Limits)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: the signed document does not parse: %w", err)
		}
		kids := p2.root.ChildElements()
		last := kids[len(kids)-1]
		if !is(last, NSDSig, "Signature") || last.SelectElement("SignedInfo") == nil {
			return nil, fmt.Errorf("xmldsig: inserted signature not found")
		}
		return last, nil
	}
	if opts.XAdES {
		// The SignedProperties are digested in their place: exclusive C14N
		// takes the namespaces they use (xades, ds) from their ancestors.
		last, err := lastSig(out)
		if err != nil {
			return nil, err
		}
		qps := qualifyingProperties(last)
		if len(qps) != 1 || child(qps[0], NSXAdES, "SignedProperties") == nil {
			return nil, fmt.Errorf("xmldsig: inserted SignedProperties not found")
		}
		h := newHash()
		h.Write(canonicalSubtree(child(qps[0], NSXAdES, "SignedProperties"), c14nMethod{exclusive: true}, nil))
		d := base64.StdEncoding.EncodeToString(h.Sum(nil))
		out = append(out[:at+spAt:at+spAt], append([]byte(d), out[at+spAt:]...)...)
		valueAt += len(d)
		qpEndAt += len(d)
	}
	// SignedInfo is canonicalised in its place in the signed document: inclusive
	// C14N takes the namespaces in scope there.
	last, err := lastSig(out)
	if err != nil {
		return nil, err
	}
	value, err := signer.Sign(opts.Rand, canonicalSubtree(last.SelectElement("SignedInfo"), siMethod, nil))
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString(value)
	res := make([]byte, 0, len(out)+len(enc))
	res = append(res, out[:valueAt]...)
	res = append(res, enc...)
	res = append(res, out[valueAt:]...)
	qpEndAt += len(enc)
	if opts.TimeStamp == nil {
		return res, nil
	}
	// The time-stamp covers the exclusive canonical form of ds:SignatureValue.
	svC14N := []byte(`<ds:SignatureValue xmlns:ds="` + NSDSig + `">` + enc + `</ds:SignatureValue>`)
	token, err := opts.TimeStamp(signer.Algorithm().HashOID, svC14N)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: time-stamp: %w", err)
	}
	var obj string
	var objAt int
	if opts.XAdES {
		obj, objAt = unsignedTimeStampXML(token), at+qpEndAt
	} else {
		obj = `<ds:Object><xades:QualifyingProperties xmlns:xades="` + NSXAdES + `" Target="#` + sigID + `">` +
			unsignedTimeStampXML(token) + `</xades:QualifyingProperties></ds:Object>` + "\n"
		objAt = at + len(sig) - len("</ds:Signature>") + len(enc)
	}
	final := make([]byte, 0, len(res)+len(obj))
	final = append(final, res[:objAt]...)
	final = append(final, obj...)
	return append(final, res[objAt:]...), nil
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// insertBeforeRootEnd inserts s as the last content of the document element
// and returns the new document and the offset of s in it.
func insertBeforeRootEnd(doc []byte, p *parsed, s string) ([]byte, int) {
	var out bytes.Buffer
	if p.selfEnd {
		// <root .../> becomes <root ...>s</root>
		out.Write(doc[:p.rootEnd])
		out.WriteByte('>')
		at := out.Len()
		out.WriteString(s)
		out.WriteString("</" + p.root.FullTag() + ">")
		out.Write(doc[p.rootEnd+2:])
		return out.Bytes(), at
	}
	out.Write(doc[:p.rootEnd])
	at := out.Len()
	out.WriteString(s)
	out.Write(doc[p.rootEnd:])
	return out.Bytes(), at
}

// rewrite applies ClearSignatures and TrimXML and returns the document in
// canonical form (C14N 1.0 with comments), which every parser reads the same.
func rewrite(p *parsed, opts Options) ([]byte, error) {
	if opts.ClearSignatures {
		for _, c := range p.root.ChildElements() {
			if is(c, NSDSig, "Signature") {
				p.root.RemoveChild(c)
			}
		}
	}
	if opts.TrimXML {
		var trim func(e *etree.Element)
		trim = func(e *etree.Element) {
			for i := 0; i < len(e.Child); {
				if cd, ok := e.Child[i].(*etree.CharData); ok && strings.TrimSpace(cd.Data) == "" {
					e.RemoveChildAt(i)
					continue
				}
				if c, ok := e.Child[i].(*etree.Element); ok {
					trim(c)
				}
				i++
			}
		}
		trim(p.root)
	}
	return canonicalDocument(p.doc, c14nMethod{comments: true}, nil), nil
}

func attrEscape(s string) string {
	var b bytes.Buffer
	escapeAttr(&b, s)
	return b.String()
}

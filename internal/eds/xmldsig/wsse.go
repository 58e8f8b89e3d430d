package xmldsig

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/beevik/etree"
	"github.com/senimkz/senim/internal/eds"
)

// SOAP envelope namespaces.
const (
	NSSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// SOAPOptions configures SignSOAP.
type SOAPOptions struct {
	// BinarySecurityToken puts the certificate into a wsse:BinarySecurityToken
	// that KeyInfo refers to. Default (false): NCANode's form, which SmartBridge
	// (ШЭП) expects — KeyInfo/wsse:SecurityTokenReference/wsse:KeyIdentifier of
	// type X509v3 holding the certificate.
	BinarySecurityToken bool
	// TrimXML removes whitespace-only text first.
	TrimXML bool
	Limits  Limits
	// Rand is the source of randomness (GOST signatures, the IDs); nil means
	// crypto/rand.
	Rand io.Reader
}

// SignSOAP signs the Body of a SOAP 1.1 or 1.2 envelope per WS-Security 1.0 as
// NCANode does: the Body gets a wsu:Id (its own is kept), a wsse:Security header
// (mustUnderstand) receives a ds:Signature in exclusive C14N whose one
// Reference is the Body. The envelope is returned in canonical form (C14N 1.0
// with comments). chain[0] is the signer's certificate.
func SignSOAP(envelope []byte, signer eds.Signer, chain []*x509.Certificate, opts SOAPOptions) ([]byte, error) {
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
	p, err := parse(envelope, opts.Limits)
	if err != nil {
		return nil, err
	}
	if opts.TrimXML {
		doc, _ := rewrite(p, Options{TrimXML: true})
		if p, err = parse(doc, opts.Limits); err != nil {
			return nil, err
		}
	}
	env := p.root
	soapNS := nsOf(env)
	if env.Tag != "Envelope" || (soapNS != NSSOAP11 && soapNS != NSSOAP12) {
		return nil, fmt.Errorf("%w: not a SOAP envelope", ErrMalformed)
	}
	var header, body *etree.Element
	for _, c := range env.ChildElements() {
		switch {
		case is(c, soapNS, "Header") && header == nil && body == nil:
			header = c
		case is(c, soapNS, "Body") && body == nil:
			body = c
		default:
			return nil, fmt.Errorf("%w: unexpected %s in the SOAP envelope", ErrMalformed, c.Tag)
		}
	}
	if body == nil {
		return nil, fmt.Errorf("%w: SOAP envelope without Body", ErrMalformed)
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	newID := func(prefix string) (string, error) {
		b := make([]byte, 16)
		if _, err := rnd.Read(b); err != nil {
			return "", err
		}
		return prefix + hex.EncodeToString(b), nil
	}

	bodyID := ""
	for _, a := range body.Attr {
		if a.Key == "Id" && a.Space != "" && lookupPrefix(body, a.Space) == NSWSU {
			bodyID = a.Value
		}
	}
	if bodyID == "" {
		// As NCANode names the Body: "id-" and a random (version 4) UUID.
		b := make([]byte, 16)
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, err
		}
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
		h := hex.EncodeToString(b)
		bodyID = "id-" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		pfx := freePrefix(body, "wsu")
		body.CreateAttr("xmlns:"+pfx, NSWSU)
		body.CreateAttr(pfx+":Id", bodyID)
	}
	if _, err := elementByID(env, bodyID); err != nil {
		return nil, err
	}
	if header == nil {
		header = etree.NewElement(env.Space + ":Header")
		if env.Space == "" {
			header = etree.NewElement("Header")
		}
		env.InsertChildAt(body.Index(), header)
	}
	sec := header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", NSWSSE)
	envPfx := env.Space
	if envPfx == "" {
		envPfx = "soapenv"
		sec.CreateAttr("xmlns:soapenv", soapNS)
	}
	sec.CreateAttr(envPfx+":mustUnderstand", "1")
	certB64 := base64.StdEncoding.EncodeToString(chain[0].Raw)
	tokenID := ""
	if opts.BinarySecurityToken {
		if tokenID, err = newID("X509-"); err != nil {
			return nil, err
		}
		sec.CreateAttr("xmlns:wsu", NSWSU)
		bst := sec.CreateElement("wsse:BinarySecurityToken")
		bst.CreateAttr("EncodingType", wsseBase64)
		bst.CreateAttr("ValueType", wsseX509v3)
		bst.CreateAttr("wsu:Id", tokenID)
		bst.SetText(certB64)
	}

	sig := sec.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", ExcC14N10)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", alg.uri)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "#"+bodyID)
	ref.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", ExcC14N10)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", alg.digestURI)
	newHash, _ := digestByURI(alg.digestURI)
	h := newHash()
	h.Write(canonicalSubtree(body, c14nMethod{exclusive: true}, nil))
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(h.Sum(nil)))
	sv := sig.CreateElement("ds:SignatureValue")
	str := sig.CreateElement("ds:KeyInfo").CreateElement("wsse:SecurityTokenReference")
	if opts.BinarySecurityToken {
		r := str.CreateElement("wsse:Reference")
		r.CreateAttr("URI", "#"+tokenID)
		r.CreateAttr("ValueType", wsseX509v3)
	} else {
		ki := str.CreateElement("wsse:KeyIdentifier")
		ki.CreateAttr("EncodingType", wsseBase64)
		ki.CreateAttr("ValueType", wsseX509v3)
		ki.SetText(certB64)
	}
	value, err := signer.Sign(opts.Rand, canonicalSubtree(si, c14nMethod{exclusive: true}, nil))
	if err != nil {
		return nil, err
	}
	sv.SetText(base64.StdEncoding.EncodeToString(value))
	return canonicalDocument(p.doc, c14nMethod{comments: true}, nil), nil
}

// freePrefix returns want, or want with a digit, that is not bound at e to
// another namespace than NSWSU.
func freePrefix(e *etree.Element, want string) string {
	p := want
	for i := 1; ; i++ {
		if u := lookupPrefix(e, p); u == "" || u == NSWSU {
			return p
		}
		p = fmt.Sprintf("%s%d", want, i)
	}
}

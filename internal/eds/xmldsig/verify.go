package xmldsig

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
)

// WS-Security namespaces.
const (
	NSWSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWSU  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

	wsseX509v3   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	wsseBase64   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
	maxSigs      = 16
	maxRefs      = 16
	maxKeyInfoCs = 8
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Limits Limits
	// SOAPBody requires doc to be a SOAP envelope and every "#id" reference to
	// name its Body (the Body element that is a child of the Envelope): a
	// signed Body moved into the header and replaced by another is refused
	// with ErrReference, whatever the signature says.
	SOAPBody bool
}

// Result describes every ds:Signature of a document, in document order.
type Result struct {
	Signatures []Signature
}

// Signature is one checked ds:Signature.
type Signature struct {
	// Certificate is the signer's certificate from KeyInfo (nil if none was
	// found: Err is then ErrNoCertificate).
	Certificate *x509.Certificate
	// Certificates are the other certificates in KeyInfo (a chain, if given).
	Certificates []*x509.Certificate
	// Method is the SignatureMethod URI; Algorithm its eds algorithm (nil when
	// unsupported).
	Method    string
	Algorithm *eds.Algorithm
	// References are what the signature covers.
	References []Reference
	// SignatureValue is the raw signature (for a time-stamp over it).
	SignatureValue []byte
	// TimeStampToken is the RFC 3161 token of an XAdES SignatureTimeStamp in the
	// signature's ds:Object (nil if none), TimeStampData what it must cover: the
	// exclusive canonical form of ds:SignatureValue. Verify does not check the
	// token: the caller does, with its trust anchors (tsp.VerifyToken with Data).
	TimeStampToken, TimeStampData []byte
	// TimeStampErr is ErrTimeStampImprint when TimeStampToken does not parse or
	// its message imprint is not the hash of TimeStampData.
	TimeStampErr error
	// XAdES is what the XAdES signed properties say; nil for a signature
	// without them (plain XML-DSig). Set only when they are bound to the
	// signature: referenced once from SignedInfo with Type SignedProperties,
	// in the signature's own QualifyingProperties, naming the signer's
	// certificate (otherwise Err is ErrXAdES or ErrSigningCertificate).
	XAdES *XAdESInfo
	// Level is the XAdES baseline level the signature has: "" (no signed
	// properties), LevelB, LevelT (B and a time-stamp whose imprint covers the
	// SignatureValue; its signature and TSA are the caller's to check) or
	// LevelLT (T with CertificateValues and RevocationValues present; the
	// embedded values are not used here). Empty when Err is not nil.
	Level string
	// ValidationData are the values of CertificateValues and RevocationValues
	// (XAdES-LT), nil without them: evidence for the caller's validation at the
	// time-stamp's time, trusted no more than any other.
	ValidationData *ValidationData
	// Err is nil when the signature is cryptographically valid: every digest
	// matches and the SignatureValue verifies with Certificate's key. It says
	// nothing about the certificate's validity (the caller validates it).
	Err error
}

// Reference is one ds:Reference of a valid or invalid signature.
type Reference struct {
	URI string
	// Canonical is the exact byte string that was digested: the signed content
	// after its transforms. Act on this, not on an element found by name.
	Canonical []byte
	// Element is the local name of the referenced element.
	Element string
}

// Verify checks every ds:Signature in doc. It returns an error when doc cannot
// be read or holds no signature, and otherwise the first signature's Err (nil
// when all are valid) together with the Result, which has every signature's
// own outcome.
//
// Several enveloped signatures (several signers, each appended to the
// document element) are checked as NCANode checks them: the last one first,
// then it is removed and the one before is checked.
func Verify(doc []byte, opts VerifyOptions) (*Result, error) {
	p, err := parse(doc, opts.Limits)
	if err != nil {
		return nil, err
	}
	if opts.SOAPBody {
		if p.soapBody, err = soapBody(p.root); err != nil {
			return nil, err
		}
	}
	var sigs []*etree.Element
	var walk func(e *etree.Element) error
	walk = func(e *etree.Element) error {
		if is(e, NSDSig, "Signature") {
			if len(sigs) == maxSigs {
				return fmt.Errorf("%w: more than %d signatures", ErrTooLarge, maxSigs)
			}
			sigs = append(sigs, e)
			return nil // a signature inside a signature is not looked at
		}
		for _, c := range e.ChildElements() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(p.root); err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, ErrNoSignature
	}
	res := &Result{Signatures: make([]Signature, len(sigs))}
	// Several references may each cover the whole document: bound the bytes
	// canonicalised in all to a few times the document's size.
	p.budget = 4*len(doc) + 1<<20
	for i := len(sigs) - 1; i >= 0; i-- {
		res.Signatures[i] = verifyOne(p, sigs[i])
		if parent := sigs[i].Parent(); parent != nil {
			parent.RemoveChild(sigs[i])
		}
	}
	for _, s := range res.Signatures {
		if s.Err != nil {
			return res, s.Err
		}
	}
	return res, nil
}

// signedInfo is the parsed ds:SignedInfo.
type signedInfo struct {
	el     *etree.Element
	c14n   c14nMethod
	method string
	refs   []reference
}

type reference struct {
	uri, typ    string
	enveloped   bool
	c14n        c14nMethod
	digest      string
	digestVal   []byte
	hasExplicit bool
}

func verifyOne(p *parsed, sig *etree.Element) (out Signature) {
	si, sigVal, keyInfo, err := readSignature(sig)
	if err != nil {
		out.Err = err
		return out
	}
	out.Method = si.method
	out.SignatureValue = sigVal
	if tok := timeStampToken(sig); tok != nil {
		out.TimeStampToken = tok
		out.TimeStampData = canonicalSubtree(sig.ChildElements()[1], c14nMethod{exclusive: true}, nil)
		out.TimeStampErr = checkTimeStampImprint(tok, out.TimeStampData)
	}
	out.Certificate, out.Certificates, err = keyInfoCertificates(p, keyInfo)
	alg, ok := sigAlgByURI(si.method)
	if ok {
		out.Algorithm, _ = eds.LookupSignatureAlgorithm(alg.oid)
	}
	// References first: their content is reported even when the key is missing.
	for _, r := range si.refs {
		ref, rerr := checkReference(p, sig, r)
		out.References = append(out.References, ref)
		if rerr != nil && out.Err == nil {
			out.Err = rerr
		}
	}
	if out.Err != nil {
		return out
	}
	if !ok {
		out.Err = fmt.Errorf("%w: SignatureMethod %s", ErrUnknownAlgorithm, si.method)
		return out
	}
	if err != nil {
		out.Err = err
		return out
	}
	pub, err := eds.ParsePublicKey(out.Certificate.RawSubjectPublicKeyInfo)
	if err != nil {
		out.Err = err
		return out
	}
	if pub.Type != out.Algorithm.KeyType {
		out.Err = fmt.Errorf("%w: %s key, %s signature", ErrKeyMismatch, pub.Type, out.Algorithm.Name)
		return out
	}
	canon := canonicalSubtree(si.el, si.c14n, nil)
	if err := eds.VerifySignature(pub, alg.oid, canon, sigVal); err != nil {
		out.Err = err
		return out
	}
	if out.XAdES, err = checkXAdES(p, sig, si, out.Certificate); err != nil {
		out.Err = err
		return out
	}
	if out.XAdES != nil {
		out.Level = LevelB
		if out.TimeStampToken != nil && out.TimeStampErr == nil {
			out.Level = LevelT
			if hasValidationData(sig) {
				out.Level = LevelLT
				if out.ValidationData, err = validationData(sig); err != nil {
					out.Err, out.Level = err, ""
					return out
				}
			}
		}
	}
	return out
}

// children returns e's child elements, refusing non-blank text between them.
func children(e *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			out = append(out, t)
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, fmt.Errorf("%w: text inside %s", ErrStructure, e.Tag)
			}
		}
	}
	return out, nil
}

// readSignature checks the structure of ds:Signature (XML-DSig §4) and parses
// SignedInfo.
func readSignature(sig *etree.Element) (*signedInfo, []byte, *etree.Element, error) {
	kids, err := children(sig)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(kids) < 2 || !is(kids[0], NSDSig, "SignedInfo") || !is(kids[1], NSDSig, "SignatureValue") {
		return nil, nil, nil, fmt.Errorf("%w: Signature must start with SignedInfo and SignatureValue", ErrStructure)
	}
	var keyInfo *etree.Element
	for i, k := range kids[2:] {
		switch {
		case i == 0 && is(k, NSDSig, "KeyInfo"):
			keyInfo = k
		case is(k, NSDSig, "Object"):
		default:
			return nil, nil, nil, fmt.Errorf("%w: unexpected %s in Signature", ErrStructure, k.Tag)
		}
	}
	sigVal, err := decodeB64(kids[1])
	if err != nil {
		return nil, nil, nil, err
	}
	si := &signedInfo{el: kids[0]}
	sk, err := children(kids[0])
	if err != nil {
		return nil, nil, nil, err
	}
	if len(sk) < 3 || !is(sk[0], NSDSig, "CanonicalizationMethod") || !is(sk[1], NSDSig, "SignatureMethod") {
		return nil, nil, nil, fmt.Errorf("%w: SignedInfo must hold CanonicalizationMethod, SignatureMethod and a Reference", ErrStructure)
	}
	if si.c14n, err = readC14N(sk[0]); err != nil {
		return nil, nil, nil, err
	}
	si.method = sk[1].SelectAttrValue("Algorithm", "")
	if len(sk)-2 > maxRefs {
		return nil, nil, nil, fmt.Errorf("%w: more than %d references", ErrTooLarge, maxRefs)
	}
	for _, r := range sk[2:] {
		if !is(r, NSDSig, "Reference") {
			return nil, nil, nil, fmt.Errorf("%w: unexpected %s in SignedInfo", ErrStructure, r.Tag)
		}
		ref, err := readReference(r)
		if err != nil {
			return nil, nil, nil, err
		}
		si.refs = append(si.refs, ref)
	}
	return si, sigVal, keyInfo, nil
}

func readC14N(e *etree.Element) (c14nMethod, error) {
	uri := e.SelectAttrValue("Algorithm", "")
	m, ok := c14nByURI(uri)
	if !ok {
		return m, fmt.Errorf("%w: canonicalization %s", ErrUnknownAlgorithm, uri)
	}
	kids, err := children(e)
	if err != nil {
		return m, err
	}
	for _, k := range kids {
		if !m.exclusive || k.Tag != "InclusiveNamespaces" || nsOf(k) != ExcC14N10 {
			return m, fmt.Errorf("%w: unexpected %s in %s", ErrStructure, k.Tag, e.Tag)
		}
		m.inclusive = map[string]bool{}
		for _, pfx := range strings.Fields(k.SelectAttrValue("PrefixList", "")) {
			if pfx == "#default" {
				pfx = ""
			}
			m.inclusive[pfx] = true
		}
	}
	return m, nil
}

func readReference(r *etree.Element) (reference, error) {
	ref := reference{uri: r.SelectAttrValue("URI", ""), typ: r.SelectAttrValue("Type", "")}
	if r.SelectAttr("URI") == nil {
		return ref, fmt.Errorf("%w: Reference without URI", ErrReference)
	}
	kids, err := children(r)
	if err != nil {
		return ref, err
	}
	if len(kids) > 0 && is(kids[0], NSDSig, "Transforms") {
		ts, err := children(kids[0])
		if err != nil {
			return ref, err
		}
		if len(ts) == 0 {
			return ref, fmt.Errorf("%w: empty Transforms", ErrStructure)
		}
		for i, t := range ts {
			if !is(t, NSDSig, "Transform") {
				return ref, fmt.Errorf("%w: unexpected %s in Transforms", ErrStructure, t.Tag)
			}
			uri := t.SelectAttrValue("Algorithm", "")
			switch {
			case uri == TransformEnveloped && i == 0:
				ref.enveloped = true
			case i == len(ts)-1 && !ref.hasExplicit:
				if ref.c14n, err = readC14N(t); err != nil {
					return ref, err
				}
				ref.hasExplicit = true
			default:
				return ref, fmt.Errorf("%w: transform %s", ErrUnknownAlgorithm, uri)
			}
		}
		kids = kids[1:]
	}
	if len(kids) != 2 || !is(kids[0], NSDSig, "DigestMethod") || !is(kids[1], NSDSig, "DigestValue") {
		return ref, fmt.Errorf("%w: Reference must hold DigestMethod and DigestValue", ErrStructure)
	}
	ref.digest = kids[0].SelectAttrValue("Algorithm", "")
	if ref.digestVal, err = decodeB64(kids[1]); err != nil {
		return ref, err
	}
	return ref, nil
}

func decodeB64(e *etree.Element) ([]byte, error) {
	if len(e.ChildElements()) != 0 {
		return nil, fmt.Errorf("%w: element inside %s", ErrStructure, e.Tag)
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, e.Text())
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: %s is not Base64", ErrStructure, e.Tag)
	}
	return b, nil
}

// checkReference computes the digest of what r names and compares it.
func checkReference(p *parsed, sig *etree.Element, r reference) (Reference, error) {
	out := Reference{URI: r.uri}
	newHash, ok := digestByURI(r.digest)
	if !ok {
		return out, fmt.Errorf("%w: DigestMethod %s", ErrUnknownAlgorithm, r.digest)
	}
	var skip *etree.Element
	if r.enveloped {
		skip = sig
	}
	m := r.c14n
	m.comments = false // a same-document reference drops comments (XML-DSig §4.3.3.3)
	switch {
	case r.uri == "":
		out.Element = p.root.Tag
		out.Canonical = canonicalDocument(p.doc, m, skip)
	case strings.HasPrefix(r.uri, "#") && len(r.uri) > 1 && !strings.HasPrefix(r.uri, "#xpointer("):
		el, err := elementByID(p.root, r.uri[1:])
		if err != nil {
			return out, err
		}
		if p.soapBody != nil && el != p.soapBody {
			return out, fmt.Errorf("%w: %q is not the SOAP Body", ErrReference, r.uri)
		}
		out.Element = el.Tag
		out.Canonical = canonicalSubtree(el, m, skip)
	default:
		return out, fmt.Errorf("%w: URI %q (only \"\" and \"#id\" are accepted)", ErrReference, r.uri)
	}
	if p.budget -= len(out.Canonical); p.budget < 0 {
		return out, fmt.Errorf("%w: the references cover more than a few times the document", ErrTooLarge)
	}
	h := newHash()
	h.Write(out.Canonical)
	if subtle.ConstantTimeCompare(h.Sum(nil), r.digestVal) != 1 {
		return out, fmt.Errorf("%w: reference %q", ErrDigest, r.uri)
	}
	return out, nil
}

// idOf reports the ID attributes of e: Id, ID, id (no namespace) or wsu:Id.
func idsOf(e *etree.Element) []string {
	var ids []string
	for _, a := range e.Attr {
		switch {
		case a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id"):
			ids = append(ids, a.Value)
		case a.Space != "" && a.Key == "Id" && lookupPrefix(e, a.Space) == NSWSU:
			ids = append(ids, a.Value)
		}
	}
	return ids
}

// elementByID returns the one element whose ID is id. Two elements with that
// ID — the shape of a signature-wrapping attack — is ErrDuplicateID.
func elementByID(root *etree.Element, id string) (*etree.Element, error) {
	var found *etree.Element
	n := 0
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, v := range idsOf(e) {
			if v == id {
				found = e
				n++
				break
			}
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: no element with ID %q", ErrReference, id)
	case n > 1:
		return nil, fmt.Errorf("%w: %d elements with ID %q", ErrDuplicateID, n, id)
	}
	return found, nil
}

// keyInfoCertificates returns the signer's certificate from KeyInfo:
// X509Data/X509Certificate (the first is the signer's, as Santuario writes
// them), or a WS-Security SecurityTokenReference holding a KeyIdentifier of
// type X509v3 or pointing at a BinarySecurityToken.
func keyInfoCertificates(p *parsed, keyInfo *etree.Element) (*x509.Certificate, []*x509.Certificate, error) {
	if keyInfo == nil {
		return nil, nil, ErrNoCertificate
	}
	var ders [][]byte
	kids, err := children(keyInfo)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range kids {
		switch {
		case is(k, NSDSig, "X509Data"):
			xs, err := children(k)
			if err != nil {
				return nil, nil, err
			}
			for _, x := range xs {
				if is(x, NSDSig, "X509Certificate") {
					der, err := decodeB64(x)
					if err != nil {
						return nil, nil, err
					}
					ders = append(ders, der)
				}
			}
		case is(k, NSWSSE, "SecurityTokenReference"):
			der, err := tokenReference(p, k)
			if err != nil {
				return nil, nil, err
			}
			ders = append(ders, der)
		}
	}
	if len(ders) == 0 {
		return nil, nil, ErrNoCertificate
	}
	if len(ders) > maxKeyInfoCs {
		return nil, nil, fmt.Errorf("%w: more than %d certificates in KeyInfo", ErrTooLarge, maxKeyInfoCs)
	}
	var certs []*x509.Certificate
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errBadCert, err)
		}
		certs = append(certs, c)
	}
	return certs[0], certs[1:], nil
}

// errBadCert is pki's code for a certificate that does not parse: one code, one title.
var errBadCert = pki.ErrMalformedCert

// ErrBadCertificate: a certificate in KeyInfo does not parse (code eds.cert.malformed).
var ErrBadCertificate = errBadCert

func tokenReference(p *parsed, str *etree.Element) ([]byte, error) {
	kids, err := children(str)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		switch {
		case is(k, NSWSSE, "KeyIdentifier"):
			if vt := k.SelectAttrValue("ValueType", ""); vt != wsseX509v3 {
				return nil, fmt.Errorf("%w: KeyIdentifier of type %q", ErrNoCertificate, vt)
			}
			return decodeB64(k)
		case is(k, NSWSSE, "Reference"):
			uri := k.SelectAttrValue("URI", "")
			if !strings.HasPrefix(uri, "#") {
				return nil, fmt.Errorf("%w: token reference %q", ErrNoCertificate, uri)
			}
			bst, err := elementByID(p.root, uri[1:])
			if err != nil {
				return nil, err
			}
			if !is(bst, NSWSSE, "BinarySecurityToken") || bst.SelectAttrValue("ValueType", "") != wsseX509v3 {
				return nil, fmt.Errorf("%w: token reference does not name an X509v3 BinarySecurityToken", ErrNoCertificate)
			}
			return decodeB64(bst)
		}
	}
	return nil, fmt.Errorf("%w: SecurityTokenReference without a certificate", ErrNoCertificate)
}

// timeStampToken returns the EncapsulatedTimeStamp of the first
// xades:SignatureTimeStamp in sig's own ds:Object elements, or nil.
func timeStampToken(sig *etree.Element) []byte {
	for _, obj := range sig.ChildElements() {
		if !is(obj, NSDSig, "Object") {
			continue
		}
		for _, qp := range obj.ChildElements() {
			if !is(qp, NSXAdES, "QualifyingProperties") {
				continue
			}
			if id := sig.SelectAttrValue("Id", ""); id != "" && qp.SelectAttrValue("Target", "") != "#"+id {
				continue
			}
			up := child(qp, NSXAdES, "UnsignedProperties")
			usp := child(up, NSXAdES, "UnsignedSignatureProperties")
			st := child(usp, NSXAdES, "SignatureTimeStamp")
			enc := child(st, NSXAdES, "EncapsulatedTimeStamp")
			if enc == nil {
				continue
			}
			if tok, err := decodeB64(enc); err == nil {
				return tok
			}
		}
	}
	return nil
}

func child(e *etree.Element, ns, local string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}

// soapBody returns the Body of a SOAP 1.1 or 1.2 envelope.
func soapBody(env *etree.Element) (*etree.Element, error) {
	ns := nsOf(env)
	if env.Tag != "Envelope" || (ns != NSSOAP11 && ns != NSSOAP12) {
		return nil, fmt.Errorf("%w: not a SOAP envelope", ErrMalformed)
	}
	var body *etree.Element
	for _, c := range env.ChildElements() {
		if is(c, ns, "Body") {
			if body != nil {
				return nil, fmt.Errorf("%w: two SOAP Bodies", ErrMalformed)
			}
			body = c
		}
	}
	if body == nil {
		return nil, fmt.Errorf("%w: SOAP envelope without Body", ErrMalformed)
	}
	return body, nil
}

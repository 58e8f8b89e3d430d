package xmldsig

import (
	"encoding/asn1"
	"hash"

	"github.com/senimkz/senim/internal/eds"
)

// Namespaces and algorithm URIs.
const (
	NSDSig = "http://www.w3.org/2000/09/xmldsig#"

	// TransformEnveloped removes the signature from the content it signs.
	TransformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

	// The NCA's URIs (Kalkan's XML security provider, as NCANode writes them).
	SignatureGOST2015_512 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"
	SignatureGOST2015_256 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256"
	DigestGOST2015_512    = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"
	DigestGOST2015_256    = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256"
	SignatureGOST2004     = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"
	DigestGOST34311       = "http://www.w3.org/2001/04/xmldsig-more#gost34311"

	// RFC 6931 URIs.
	SignatureRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SignatureRSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	SignatureRSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	DigestSHA256       = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA384       = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	DigestSHA512       = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// sigAlg maps a SignatureMethod URI to the eds signature algorithm and the
// DigestMethod URI the signer uses with it. SHA-1 (rsa-sha1, sha1) is not
// accepted: a collision-prone digest makes a signature on chosen XML forgeable.
type sigAlg struct {
	uri, digestURI string
	oid            asn1.ObjectIdentifier
}

var sigAlgs = []sigAlg{
	{SignatureGOST2015_512, DigestGOST2015_512, eds.OIDSignGOST2015_512},
	{SignatureGOST2015_256, DigestGOST2015_256, eds.OIDSignGOST2015_256},
	{SignatureGOST2004, DigestGOST34311, eds.OIDSignGOST2004},
	{SignatureGOST2004, DigestGOST34311, eds.OIDSignGOST2004Kalkan},
	{SignatureRSASHA256, DigestSHA256, eds.OIDSignSHA256WithRSA},
	{SignatureRSASHA384, DigestSHA384, eds.OIDSignSHA384WithRSA},
	{SignatureRSASHA512, DigestSHA512, eds.OIDSignSHA512WithRSA},
}

var digestAlgs = map[string]asn1.ObjectIdentifier{
	DigestGOST2015_512: eds.OIDDigestStreebog512,
	DigestGOST2015_256: eds.OIDDigestStreebog256,
	DigestGOST34311:    eds.OIDDigestGOST34311,
	DigestSHA256:       eds.OIDDigestSHA256,
	DigestSHA384:       eds.OIDDigestSHA384,
	DigestSHA512:       eds.OIDDigestSHA512,
}

func sigAlgByURI(uri string) (sigAlg, bool) {
	for _, a := range sigAlgs {
		if a.uri == uri {
			return a, true
		}
	}
	return sigAlg{}, false
}

func sigAlgByOID(oid asn1.ObjectIdentifier) (sigAlg, bool) {
	for _, a := range sigAlgs {
		if a.oid.Equal(oid) {
			return a, true
		}
	}
	return sigAlg{}, false
}

func digestByURI(uri string) (func() hash.Hash, bool) {
	oid, ok := digestAlgs[uri]
	if !ok {
		return nil, false
	}
	return eds.LookupDigestAlgorithm(oid)
}

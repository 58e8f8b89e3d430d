package xmldsig

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

var signingTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func signXAdES(t testing.TB, k testKey, doc string, o Options) []byte {
	t.Helper()
	o.XAdES, o.SigningTime = true, signingTime
	out, err := Sign([]byte(doc), k.key, k.chain, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func stamper(t testing.TB) func(asn1.ObjectIdentifier, []byte) ([]byte, error) {
	ts := testTSA(t)
	return func(h asn1.ObjectIdentifier, data []byte) ([]byte, error) {
		return ts.TimeStamp(context.Background(), h, data)
	}
}

// rule XAdES-B: a XAdES-B signature (GOST 2015-512 and RSA) has SignedProperties
// with SigningTime and SigningCertificateV2, referenced with Type SignedProperties,
// verifies, and reports level B, the claimed signing time and the digested properties.
// A plain XML-DSig signature has no level.
func TestXAdESBRoundTrip(t *testing.T) {
	for name, k := range map[string]testKey{"gost": gost(t), "rsa": rsaKey(t)} {
		for _, uri := range []string{"", "#it1"} {
			out := signXAdES(t, k, sample, Options{ReferenceURI: uri})
			for _, want := range []string{`Type="` + TypeSignedProperties + `"`, "<xades:SigningCertificateV2>", "<xades:IssuerSerialV2>", "-ref0", "<xades:SigningTime>2026-11-20T09:30:00Z<"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("%s: no %s in\n%s", name, want, out)
				}
			}
			res, err := Verify(out, VerifyOptions{})
			if err != nil {
				t.Fatalf("%s %q: %v\n%s", name, uri, err, out)
			}
			s := res.Signatures[0]
			if s.Level != LevelB || s.XAdES == nil || !s.XAdES.SigningTime.Equal(signingTime) || len(s.References) != 2 || s.References[1].Element != "SignedProperties" {
				t.Fatalf("%s: level %q, %+v", name, s.Level, s.XAdES)
			}
		}
		plain, err := Sign([]byte(sample), k.key, k.chain, Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Verify(plain, VerifyOptions{})
		if err != nil || res.Signatures[0].Level != "" || res.Signatures[0].XAdES != nil {
			t.Fatalf("%s plain: %v %+v", name, err, res)
		}
	}
}

// rule XAdES-T: with a time-stamp the level is T and the token sits in the same
// QualifyingProperties; a token taken from another signature leaves level B with
// ErrTimeStampImprint in TimeStampErr; a token that is not a token too.
func TestXAdEST(t *testing.T) {
	k := gost(t)
	stamp := stamper(t)
	out := signXAdES(t, k, sample, Options{TimeStamp: stamp})
	if n := strings.Count(string(out), "<xades:QualifyingProperties"); n != 1 {
		t.Fatalf("%d QualifyingProperties", n)
	}
	res, err := Verify(out, VerifyOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := res.Signatures[0]
	if s.Level != LevelT || s.TimeStampErr != nil || s.TimeStampToken == nil {
		t.Fatalf("level %q, %v", s.Level, s.TimeStampErr)
	}
	// Another signature's token: the imprint does not match.
	other := signXAdES(t, k, sample, Options{TimeStamp: stamp})
	tokRe := regexp.MustCompile(`<xades:EncapsulatedTimeStamp>[^<]*</xades:EncapsulatedTimeStamp>`)
	swapped := tokRe.ReplaceAll(out, tokRe.Find(other))
	res, err = Verify(swapped, VerifyOptions{})
	if err != nil || res.Signatures[0].Level != LevelB || !errors.Is(res.Signatures[0].TimeStampErr, ErrTimeStampImprint) {
		t.Fatalf("swapped token: %v %q %v", err, res.Signatures[0].Level, res.Signatures[0].TimeStampErr)
	}
	junk := tokRe.ReplaceAll(out, []byte(`<xades:EncapsulatedTimeStamp>AAAA</xades:EncapsulatedTimeStamp>`))
	res, err = Verify(junk, VerifyOptions{})
	if err != nil || res.Signatures[0].Level != LevelB || !errors.Is(res.Signatures[0].TimeStampErr, ErrTimeStampImprint) {
		t.Fatalf("junk token: %v %+v", err, res.Signatures[0])
	}
	// LT shape: CertificateValues and RevocationValues beside the time-stamp.
	lt := strings.Replace(string(out), "</xades:SignatureTimeStamp>", "</xades:SignatureTimeStamp><xades:CertificateValues/><xades:RevocationValues/>", 1)
	if res, err = Verify([]byte(lt), VerifyOptions{}); err != nil || res.Signatures[0].Level != LevelLT {
		t.Fatalf("LT: %v %q", err, res.Signatures[0].Level)
	}
}

// sameKeyCert returns a second certificate for k's RSA key, with another serial.
func sameKeyCert(t *testing.T, k testKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: "xmldsig test twin"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	rk := k.key.Crypto().(*rsa.PrivateKey)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// rule XAdES-BIND: each way of unbinding the signed properties is refused with a
// stable code, never a valid XAdES signature: properties moved out of the signature
// (eds.xml.xades_malformed), duplicated elsewhere (eds.xml.duplicate_id) or inside
// (eds.xml.xades_malformed), changed (eds.xml.digest_mismatch), retargeted, a second
// QualifyingProperties, and another certificate with the same key put in KeyInfo
// (eds.xml.signing_certificate_mismatch).
func TestXAdESBindingAttacks(t *testing.T) {
	k := rsaKey(t)
	// The content reference names one element, so that what is added beside it
	// leaves that digest alone and only the XAdES checks can refuse.
	out := string(signXAdES(t, k, sample, Options{ReferenceURI: "#it1"}))
	spRe := regexp.MustCompile(`(?s)<xades:SignedProperties .*</xades:SignedProperties>`)
	sp := spRe.FindString(out)
	if sp == "" {
		t.Fatal("no SignedProperties")
	}
	// Declarations the moved copy needs to keep its canonical form.
	movedSP := strings.Replace(sp, "<xades:SignedProperties ", `<xades:SignedProperties xmlns:xades="`+NSXAdES+`" xmlns:ds="`+NSDSig+`" `, 1)
	root := "</doc>"
	if !strings.Contains(out, root) {
		t.Fatalf("sample root: %s", out)
	}
	qpRe := regexp.MustCompile(`(?s)<ds:Object><xades:QualifyingProperties.*</xades:QualifyingProperties></ds:Object>`)
	cases := map[string]struct {
		doc  string
		want error
	}{
		"moved out of the signature":  {strings.Replace(strings.Replace(out, sp, "", 1), root, movedSP+root, 1), ErrXAdES},
		"moved and Object emptied":    {strings.Replace(qpRe.ReplaceAllString(out, ""), root, "<w>"+movedSP+"</w>"+root, 1), ErrXAdES},
		"duplicated in the document":  {strings.Replace(out, root, movedSP+root, 1), ErrDuplicateID},
		"duplicated in the signature": {strings.Replace(out, sp, sp+strings.Replace(sp, "-signedprops", "-copy", 1), 1), ErrXAdES},
		"signing time changed":        {strings.Replace(out, "2026-11-20T09:30:00Z", "2026-11-21T09:30:00Z", 1), ErrDigest},
		"retargeted":                  {regexp.MustCompile(`Target="#[^"]*"`).ReplaceAllString(out, `Target="#other"`), ErrXAdES},
		"second QualifyingProperties": {strings.Replace(out, "</ds:Signature>", `<ds:Object><xades:QualifyingProperties xmlns:xades="`+NSXAdES+`" `+
			regexp.MustCompile(`Target="#[^"]*"`).FindString(out)+`><xades:UnsignedProperties/></xades:QualifyingProperties></ds:Object></ds:Signature>`, 1), ErrXAdES},
	}
	twin := sameKeyCert(t, k)
	certRe := regexp.MustCompile(`<ds:X509Certificate>[^<]*</ds:X509Certificate>`)
	cases["another certificate of the same key"] = struct {
		doc  string
		want error
	}{certRe.ReplaceAllString(out, "<ds:X509Certificate>"+b64(twin.Raw)+"</ds:X509Certificate>"), ErrSigningCertificate}
	for name, c := range cases {
		if c.doc == out {
			t.Fatalf("%s: the attack changed nothing", name)
		}
		res, err := Verify([]byte(c.doc), VerifyOptions{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v\n%s", name, err, c.want, c.doc)
			continue
		}
		if eds.Code(err) == "" || (res != nil && res.Signatures[0].Level != "") {
			t.Errorf("%s: code %q, level %q", name, eds.Code(err), res.Signatures[0].Level)
		}
	}
	// The untouched signature verifies (the cases are not failing for another reason).
	if _, err := Verify([]byte(out), VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// rule XAdES-CERT: the signing-certificate property is checked by digest and by
// IssuerSerialV2: a property whose digest names the signer but whose IssuerSerialV2
// names another serial is refused; so is one without any signing certificate.
func TestXAdESSigningCertificateChecks(t *testing.T) {
	k := rsaKey(t)
	twin := sameKeyCert(t, k)
	isv, _ := issuerSerialV2(twin)
	good, _ := issuerSerialV2(k.chain[0])
	sp, err := signedPropertiesXML("sp", "r", DigestSHA256, k.chain[0], signingTime)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sp, b64(good)) {
		t.Fatal("IssuerSerialV2 not written")
	}
	// Check certMatches directly on parsed properties.
	check := func(xml string) (bool, error) {
		p, err := parse([]byte(`<r xmlns:xades="`+NSXAdES+`" xmlns:ds="`+NSDSig+`">`+xml+`</r>`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		c := p.root.FindElement("//Cert")
		return certMatches(c, k.chain[0], true)
	}
	if ok, err := check(sp); !ok || err != nil {
		t.Fatalf("own properties: %v %v", ok, err)
	}
	if _, err := check(strings.Replace(sp, b64(good), b64(isv), 1)); !errors.Is(err, ErrSigningCertificate) {
		t.Errorf("IssuerSerialV2 of another certificate: %v", err)
	}
	h := sha256.Sum256(twin.Raw)
	digRe := regexp.MustCompile(`(<xades:CertDigest>.*?<ds:DigestValue>)[^<]*`)
	if ok, err := check(digRe.ReplaceAllString(sp, "${1}"+b64(h[:]))); ok || err != nil {
		t.Errorf("digest of another certificate: %v %v", ok, err)
	}
	if _, err := check(strings.Replace(sp, DigestSHA256, "http://www.w3.org/2000/09/xmldsig#sha1", 1)); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("SHA-1 cert digest: %v", err)
	}
}

var xadesIDArgs = []string{"--id-attr:Id", NSXAdES + ":SignedProperties"}

// rule XAdES-INTEROP: xmlsec1 verifies the XML-DSig layer of our RSA XAdES-B and -T
// signatures (both references, the SignedProperties one by ID), and refuses one whose
// signed properties changed.
func TestXmlsec1VerifiesXAdES(t *testing.T) {
	bin := requireXmlsec1(t)
	k := rsaKey(t)
	_, certFile := writePEMs(t, k)
	for _, o := range []Options{{}, {ReferenceURI: "#it1"}, {TimeStamp: stamper(t)}} {
		out := signXAdES(t, k, sample, o)
		f := filepath.Join(t.TempDir(), "signed.xml")
		os.WriteFile(f, out, 0o600)
		args := append(append([]string{"--verify", "--trusted-pem", certFile}, idArgs...), xadesIDArgs...)
		if b, err := exec.Command(bin, append(args, f)...).CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 refuses: %v\n%s\n%s", err, b, out)
		}
		bad := strings.Replace(string(out), "2026-11-20T09:30:00Z", "2026-11-21T09:30:00Z", 1)
		os.WriteFile(f, []byte(bad), 0o600)
		if b, err := exec.Command(bin, append(args, f)...).CombinedOutput(); err == nil {
			t.Errorf("xmlsec1 accepts changed signed properties\n%s", b)
		}
	}
}

// rule XAdES-INTEROP: a XAdES-B signature whose digests and signature value xmlsec1
// computed (from a template holding the signed properties) verifies here at level B;
// the same template naming another certificate is refused.
func TestWeVerifyXmlsec1XAdES(t *testing.T) {
	bin := requireXmlsec1(t)
	k := rsaKey(t)
	keyFile, certFile := writePEMs(t, k)
	tmpl := func(cert *x509.Certificate) string {
		sp, err := signedPropertiesXML("sp-1", "ref-1", DigestSHA256, cert, signingTime)
		if err != nil {
			t.Fatal(err)
		}
		return `<ds:Signature xmlns:ds="` + NSDSig + `" Id="sig-1"><ds:SignedInfo>` +
			`<ds:CanonicalizationMethod Algorithm="` + ExcC14N10 + `"/><ds:SignatureMethod Algorithm="` + SignatureRSASHA256 + `"/>` +
			`<ds:Reference Id="ref-1" URI=""><ds:Transforms><ds:Transform Algorithm="` + TransformEnveloped + `"/>` +
			`<ds:Transform Algorithm="` + ExcC14N10 + `"/></ds:Transforms><ds:DigestMethod Algorithm="` + DigestSHA256 + `"/><ds:DigestValue/></ds:Reference>` +
			`<ds:Reference Type="` + TypeSignedProperties + `" URI="#sp-1"><ds:Transforms><ds:Transform Algorithm="` + ExcC14N10 + `"/></ds:Transforms>` +
			`<ds:DigestMethod Algorithm="` + DigestSHA256 + `"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
			`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>` +
			`<ds:Object><xades:QualifyingProperties xmlns:xades="` + NSXAdES + `" Target="#sig-1">` + sp +
			`</xades:QualifyingProperties></ds:Object></ds:Signature>`
	}
	for _, c := range []struct {
		cert *x509.Certificate
		want error
	}{{k.chain[0], nil}, {sameKeyCert(t, k), ErrSigningCertificate}} {
		p, err := parse([]byte(sample), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		withTmpl, _ := insertBeforeRootEnd([]byte(sample), p, tmpl(c.cert))
		dir := t.TempDir()
		in, outF := filepath.Join(dir, "tmpl.xml"), filepath.Join(dir, "out.xml")
		os.WriteFile(in, withTmpl, 0o600)
		args := append(append([]string{"--sign", "--privkey-pem", keyFile + "," + certFile, "--output", outF}, idArgs...), xadesIDArgs...)
		if b, err := exec.Command(bin, append(args, in)...).CombinedOutput(); err != nil {
			t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
		}
		signed, _ := os.ReadFile(outF)
		res, err := Verify(signed, VerifyOptions{})
		if !errors.Is(err, c.want) || (err == nil && res.Signatures[0].Level != LevelB) {
			t.Fatalf("xmlsec1's XAdES: %v (want %v)\n%s", err, c.want, signed)
		}
	}
}

// rule XAdES-B: two XAdES signers, the second over the whole document with the first
// signature in it: each has its own Ids and properties and verifies at level B; a
// change to the first signer's properties breaks both.
func TestXAdESTwoSigners(t *testing.T) {
	first := signXAdES(t, gost(t), sample, Options{ReferenceURI: "#it1"})
	both := signXAdES(t, rsaKey(t), string(first), Options{})
	res, err := Verify(both, VerifyOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, both)
	}
	if len(res.Signatures) != 2 || res.Signatures[0].Level != LevelB || res.Signatures[1].Level != LevelB ||
		!res.Signatures[1].Certificate.Equal(rsaKey(t).chain[0]) {
		t.Fatalf("%+v", res.Signatures)
	}
	bad := strings.Replace(string(both), "2026-11-20T09:30:00Z", "2026-11-21T09:30:00Z", 1)
	res, err = Verify([]byte(bad), VerifyOptions{})
	if !errors.Is(err, ErrDigest) || !errors.Is(res.Signatures[1].Err, ErrDigest) {
		t.Fatalf("changed first properties: %v %+v", err, res)
	}
}

package xmldsig

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const soapSample = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:typ="http://bip.bee.kz/SyncChannel/v10/Types">
  <soapenv:Body>
    <typ:SendMessage><request><requestInfo><messageId>9d1c938b</messageId><serviceId>TEST</serviceId></requestInfo></request></typ:SendMessage>
  </soapenv:Body>
</soapenv:Envelope>`

// issue 12 item 8: SignSOAP makes a WS-Security signature of the Body that
// Verify accepts, with the certificate as NCANode's KeyIdentifier or as a
// BinarySecurityToken; the signed content is the Body, and a changed Body is refused.
func TestSignSOAP(t *testing.T) {
	for _, k := range []testKey{gost(t), rsaKey(t)} {
		for _, bst := range []bool{false, true} {
			out, err := SignSOAP([]byte(soapSample), k.key, k.chain, SOAPOptions{BinarySecurityToken: bst})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(out, VerifyOptions{})
			if err != nil {
				t.Fatalf("bst=%v: %v\n%s", bst, err, out)
			}
			s := res.Signatures[0]
			if !s.Certificate.Equal(k.chain[0]) || s.References[0].Element != "Body" || !strings.Contains(string(s.References[0].Canonical), "9d1c938b") {
				t.Fatalf("bst=%v: %+v", bst, s.References)
			}
			if !bytes.Contains(out, []byte(`soapenv:mustUnderstand="1"`)) || bytes.Contains(out, []byte("BinarySecurityToken")) != bst {
				t.Fatalf("bst=%v: header\n%s", bst, out)
			}
			bad := bytes.Replace(out, []byte("9d1c938b"), []byte("9d1c938c"), 1)
			if _, err := Verify(bad, VerifyOptions{}); !errors.Is(err, ErrDigest) {
				t.Errorf("changed body: %v", err)
			}
		}
	}
	k := gost(t)
	for _, c := range []struct{ name, doc string }{
		{"not soap", "<a><b/></a>"},
		{"no body", `<e:Envelope xmlns:e="` + NSSOAP11 + `"><e:Header/></e:Envelope>`},
		{"two bodies", `<e:Envelope xmlns:e="` + NSSOAP11 + `"><e:Body/><e:Body/></e:Envelope>`},
	} {
		if _, err := SignSOAP([]byte(c.doc), k.key, k.chain, SOAPOptions{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A Body that already has a wsu:Id keeps it; SOAP 1.2 and a missing Header work.
	own := `<e:Envelope xmlns:e="` + NSSOAP12 + `"><e:Body xmlns:u="` + NSWSU + `" u:Id="mine"><x/></e:Body></e:Envelope>`
	out, err := SignSOAP([]byte(own), k.key, k.chain, SOAPOptions{TrimXML: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(out, VerifyOptions{}); err != nil || res.Signatures[0].References[0].URI != "#mine" {
		t.Fatalf("%v\n%s", err, out)
	}
}

// issue 12 item 8: xmlsec1 verifies the RSA SOAP signature (the key given to it
// directly: it does not read WS-Security token references).
func TestXmlsec1VerifiesSOAP(t *testing.T) {
	bin := requireXmlsec1(t)
	k := rsaKey(t)
	_, certFile := writePEMs(t, k)
	for _, bst := range []bool{false, true} {
		out, err := SignSOAP([]byte(soapSample), k.key, k.chain, SOAPOptions{BinarySecurityToken: bst})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "soap.xml")
		os.WriteFile(f, out, 0o600)
		args := append([]string{"--verify", "--pubkey-cert-pem", certFile}, idArgs...)
		if b, err := exec.Command(bin, append(args, f)...).CombinedOutput(); err != nil {
			t.Errorf("bst=%v: xmlsec1: %v\n%s\n%s", bst, err, b, out)
		}
	}
}

// issue 12 (bad input): WS-Security wrapping. The signed Body moved into the
// header and replaced by another Body with a new ID verifies as XML-DSig, but
// not as a SOAP signature (SOAPBody), which demands that the signature cover
// the envelope's Body itself.
func TestSOAPBodyWrapping(t *testing.T) {
	k := rsaKey(t)
	out, err := SignSOAP([]byte(soapSample), k.key, k.chain, SOAPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(out, VerifyOptions{SOAPBody: true}); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	s := string(out)
	i, j := strings.Index(s, "<soapenv:Body"), strings.Index(s, "</soapenv:Body>")+len("</soapenv:Body>")
	body := s[i:j]
	evil := `<soapenv:Body xmlns:wsu="` + NSWSU + `" wsu:Id="evil"><pay>1000000</pay></soapenv:Body>`
	moved := strings.Replace(s[:i]+evil+s[j:], "</soapenv:Header>", "<hidden>"+body+"</hidden></soapenv:Header>", 1)
	if _, err := Verify([]byte(moved), VerifyOptions{}); err != nil {
		t.Fatalf("plain XML-DSig of the moved Body: %v", err)
	}
	if _, err := Verify([]byte(moved), VerifyOptions{SOAPBody: true}); !errors.Is(err, ErrReference) {
		t.Errorf("moved Body accepted as a SOAP signature: %v", err)
	}
	if _, err := Verify([]byte("<a/>"), VerifyOptions{SOAPBody: true}); !errors.Is(err, ErrMalformed) {
		t.Errorf("not SOAP: %v", err)
	}
}

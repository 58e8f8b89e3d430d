package xmldsig

import (
	"os"
	"testing"
)

// A signature made by KalkanCrypt verifies: the NCA's URIs, inclusive C14N and
// the byte order of GOST 2015 signatures in XML are the ones Kalkan uses.
func TestVerifyKalkanGOST2015(t *testing.T) {
	doc, err := os.ReadFile("testdata/kalkan-gost2015-512.xml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(doc, VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	s := res.Signatures[0]
	if s.Algorithm.Name != "ECGOST3410-2015-512" || s.Certificate == nil {
		t.Fatalf("signature: %+v", s)
	}
	if got := string(s.References[0].Canonical); got != "<test><message>QCxn00hfuH9zCv58</message></test>" {
		t.Fatalf("signed content %q", got)
	}
}

package ncanode

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func rawString(tag int, b []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}
}

func utf8v(s string) asn1.RawValue      { return rawString(asn1.TagUTF8String, []byte(s)) }
func printablev(s string) asn1.RawValue { return rawString(asn1.TagPrintableString, []byte(s)) }

func oid(s string) asn1.ObjectIdentifier {
	var o asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		var n int
		for _, c := range p {
			n = n*10 + int(c-'0')
		}
		o = append(o, n)
	}
	return o
}

// syntheticNames are names with what Java quotes, escapes or prints in hex.
func syntheticNames(t *testing.T) map[string][]byte {
	bmp := []byte{0x04, 0x1a, 0x04, 0x30, 0x00, 0x20, 0x00, 0x2b} // "Ка +"
	names := map[string][]rawRDNSET{
		"synthetic-specials": {
			{{oid("2.5.4.6"), printablev("KZ")}},
			{{oid("2.5.4.8"), utf8v("АСТАНА")}, {oid("2.5.4.7"), utf8v("Нур-Султан")}},
			{{oid("2.5.4.10"), utf8v(`ТОО "Ромашка, и К"`)}},
			{{oid("2.5.4.11"), utf8v(" leading")}},
			{{oid("2.5.4.3"), utf8v("two  spaces")}},
			{{oid("2.5.4.12"), utf8v("trailing ")}},
			{{oid("2.5.4.9"), utf8v(`back\slash;semi<lt>gt#hash=eq`)}},
			{{oid("1.2.840.113549.1.9.1"), rawString(asn1.TagIA5String, []byte("a@b.kz"))}},
			{{oid("2.5.4.15"), utf8v("KS1234")}},
			{{oid("0.9.2342.19200300.100.1.25"), rawString(asn1.TagIA5String, []byte("ROLE02"))}},
			{{oid("2.5.4.46"), printablev("q")}, {oid("2.5.4.43"), printablev("I.")}, {oid("2.5.4.44"), printablev("III")}},
			{{oid("2.5.4.4"), rawString(asn1.TagBMPString, bmp)}},
			{{oid("2.5.4.42"), rawString(asn1.TagT61String, []byte{'c', 0xe9})}},
			{{oid("0.9.2342.19200300.100.1.1"), utf8v(`"already quoted"`)}},
			{{oid("1.2.3.4"), rawString(asn1.TagNumericString, []byte("123"))}},
			{{oid("2.5.4.65"), utf8v("tab\tx!@_*&")}},
		},
	}
	out := map[string][]byte{}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, rdns := range names {
		raw, err := asn1.Marshal(rdns)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: raw, RawIssuer: raw,
			NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		out[name+".cer"] = der
	}
	return out
}

// issue 12 item 7: subject.dn and issuer.dn are Java's X500Principal form, as
// NCANode returns them: compared with a golden file made by Java over every
// certificate of the NCA test PKI, the Kalkan XML fixture's and synthetic
// names with every quoting rule; when a JDK is installed, with Java itself.
func TestJavaDN(t *testing.T) {
	certs := syntheticNames(t)
	for _, dir := range []string{"leaf", "."} {
		files, _ := filepath.Glob(filepath.Join(nca, dir, "*.cer"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			certs[filepath.Base(f)] = b
		}
	}
	ours := map[string]string{}
	for name, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ours[name] = javaDN(c.RawSubject) + "\t" + javaDN(c.RawIssuer)
	}
	golden := map[string]string{}
	gb, err := os.ReadFile("testdata/java-dn.golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(gb), "\n"), "\n") {
		name, rest, _ := strings.Cut(line, "\t")
		golden[name] = rest
	}
	if java, err := exec.LookPath("java"); err == nil && os.Getenv("SENIM_SKIP_JAVA") == "" {
		dir := t.TempDir()
		var args []string
		for name, der := range certs {
			p := filepath.Join(dir, name)
			os.WriteFile(p, der, 0o600)
			args = append(args, p)
		}
		sort.Strings(args)
		out, err := exec.Command(java, append([]string{"testdata/JavaDN.java"}, args...)...).Output()
		if err != nil {
			// A JRE without the compiler cannot run a source file: compare with the golden file only.
			t.Logf("java could not run JavaDN.java (%v): golden file only", err)
			out = nil
		}
		live := map[string]string{}
		for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if name, rest, ok := strings.Cut(line, "\t"); ok {
				live[name] = rest
			}
		}
		for name, want := range live {
			if ours[name] != want {
				t.Errorf("%s (java):\n got %q\nwant %q", name, ours[name], want)
			}
		}
		if os.Getenv("SENIM_UPDATE_GOLDEN") != "" && len(live) > 0 {
			var names []string
			for n := range live {
				names = append(names, n)
			}
			sort.Strings(names)
			var b strings.Builder
			for _, n := range names {
				b.WriteString(n + "\t" + live[n] + "\n")
			}
			os.WriteFile("testdata/java-dn.golden", []byte(b.String()), 0o644)
			golden = live
		}
	}
	if len(golden) != len(certs) {
		t.Errorf("golden has %d names, the test %d", len(golden), len(certs))
	}
	for name, want := range golden {
		if ours[name] != want {
			t.Errorf("%s (golden):\n got %q\nwant %q", name, ours[name], want)
		}
	}
}

package pkcs12

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
)

const ncaDir = "../../../testdata/nca-gost2022"

const testPassword = "Qwerty12"

// ncaKeyFiles maps every NCA test key file to the name of its extracted
// certificate under leaf/.
func ncaKeyFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(ncaDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".p12") {
			return err
		}
		rel, _ := filepath.Rel(ncaDir, path)
		parts := strings.Split(strings.TrimSuffix(rel, ".p12"), string(filepath.Separator))
		name := parts[len(parts)-1]
		if parts[0] == "legal" {
			name = strings.Join(parts, "_")
		}
		files[path] = name + ".cer"
		return nil
	})
	if err != nil || len(files) != 12 {
		t.Fatalf("key files: %v, %d found", err, len(files))
	}
	return files
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeNCAKeyFiles(t *testing.T) {
	for path, cerName := range ncaKeyFiles(t) {
		t.Run(cerName, func(t *testing.T) {
			f, err := Decode(readFile(t, path), testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Entries) != 1 {
				t.Fatalf("%d entries, want 1", len(f.Entries))
			}
			e := f.Entries[0]
			want := readFile(t, filepath.Join(ncaDir, "leaf", cerName))
			if !bytes.Equal(e.CertificateRaw, want) || e.Certificate == nil || !bytes.Equal(e.Certificate.Raw, want) {
				t.Fatalf("certificate differs from leaf/%s", cerName)
			}
			if got := hex.EncodeToString(e.Certificate.SubjectKeyId); e.Alias != got {
				t.Errorf("alias %q, want hex SKI %q", e.Alias, got)
			}
			if !bytes.Equal(e.LocalKeyID, e.Certificate.SubjectKeyId) {
				t.Errorf("localKeyId %x, want SKI %x", e.LocalKeyID, e.Certificate.SubjectKeyId)
			}
			if got, ok := f.Entry(strings.ToUpper(e.Alias)); !ok || got.Alias != e.Alias {
				t.Errorf("Entry(alias) lookup failed")
			}
			if e.PrivateKey.Algorithm().Name != "ECGOST3410-2015-512" {
				t.Errorf("algorithm %s", e.PrivateKey.Algorithm().Name)
			}
			// The private key signs what the certificate's public key verifies.
			pub, err := eds.ParsePublicKey(e.Certificate.RawSubjectPublicKeyInfo)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(e.PrivateKey.Public()) {
				t.Fatal("private key does not belong to the certificate")
			}
			msg := []byte("Senim test document")
			sig, err := e.PrivateKey.Sign(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := eds.VerifySignature(pub, eds.OIDSignGOST2015_512, msg, sig); err != nil {
				t.Fatalf("signature by the NCA key does not verify: %v", err)
			}
		})
	}
}

func TestDecodeWrongPassword(t *testing.T) {
	data := readFile(t, filepath.Join(ncaDir, "individual", "valid", "individual_valid.p12"))
	for _, pw := range []string{"", "qwerty12", "Qwerty123", "Qwerty1"} {
		_, err := Decode(data, pw)
		if !errors.Is(err, ErrBadPassword) {
			t.Fatalf("password %q: err = %v, want ErrBadPassword", pw, err)
		}
		if eds.Code(err) != "eds.pkcs12.bad_password" {
			t.Fatalf("code %q", eds.Code(err))
		}
	}
}

func TestDecodeTruncatedAndCorrupt(t *testing.T) {
	data := readFile(t, filepath.Join(ncaDir, "legal", "valid", "head.p12"))
	for n := 0; n < len(data); n += 7 {
		_, err := Decode(data[:n], testPassword)
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrMalformed", n, err)
		}
		if eds.Code(err) != "eds.pkcs12.malformed" {
			t.Fatalf("code %q", eds.Code(err))
		}
	}
	// A flipped byte anywhere gives an error (mostly the MAC), never a panic.
	for i := 0; i < len(data); i += 3 {
		c := append([]byte(nil), data...)
		c[i] ^= 0x55
		if _, err := Decode(c, testPassword); err == nil {
			t.Fatalf("byte %d flipped: no error", i)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for path := range ncaKeyFiles(f) {
		f.Add(readFile(f, path), testPassword)
	}
	for _, s := range opensslSamples { // PBES2 and SHA-2 MACs
		f.Add(readFile(f, filepath.Join("testdata", s.file)), s.password)
	}
	f.Add([]byte{0x30, 0x80, 0x00, 0x00}, "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		file, err := Decode(data, password)
		if err != nil {
			if eds.Code(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		for _, e := range file.Entries {
			if e.PrivateKey == nil {
				t.Fatal("entry without a key")
			}
		}
	})
}

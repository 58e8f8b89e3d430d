package ca

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
)

func TestPersistence(t *testing.T) {
	clk := &clock{t: testNow}
	c, dir := newCA(t, clk, GOST2015)
	first, err := c.IssueIndividual(aigerim, GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(first.Certificate.SerialNumber, pki.ReasonSuperseded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	crl1, err := c.CRL("gost2015-ca")
	if err != nil {
		t.Fatal(err)
	}

	// Modes: 0700 directory, 0600 files.
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v %v", fi.Mode(), err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v %v", e.Name(), fi.Mode(), err)
			}
		}
	}

	clk.Add(time.Minute)
	c2, err := Open(dir, Config{Now: clk.Now, BaseURL: "http://ca.test", Algorithms: []Algorithm{GOST2015}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Roots()) != 1 || !c2.Roots()[0].Equal(c.Roots()[0]) || !c2.Intermediates()[0].Equal(c.Intermediates()[0]) {
		t.Fatal("reopened CA has other certificates")
	}
	second, err := c2.IssueIndividual(nurlan, GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	hi := func(s *big.Int) *big.Int { return new(big.Int).Rsh(s, 64) }
	if hi(second.Certificate.SerialNumber).Cmp(hi(first.Certificate.SerialNumber)) <= 0 {
		t.Errorf("serial %x after %x", second.Certificate.SerialNumber, first.Certificate.SerialNumber)
	}
	// The reopened CA's key signs what the old root verifies.
	res := validator(t, c2, nil, clk.Now()).Validate(t.Context(), second.Certificate, clk.Now(), pki.Options{Revocation: []pki.RevocationMethod{pki.RevocationCRL}})
	if !res.Valid {
		t.Errorf("new certificate: %v", res.Errors)
	}
	der, err := c2.CRL("gost2015-ca")
	if err != nil {
		t.Fatal(err)
	}
	crl, err := pki.ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := pki.ParseCRL(crl1)
	if crl.Number.Cmp(old.Number) <= 0 {
		t.Errorf("CRL number %v after %v", crl.Number, old.Number)
	}
	if e, ok := crl.Lookup(first.Certificate.SerialNumber); !ok || e.Reason != pki.ReasonSuperseded || !e.RevocationTime.Equal(testNow) {
		t.Errorf("revocation lost: %+v", crl.Entries)
	}
	if err := c2.Revoke(first.Certificate.SerialNumber, pki.ReasonKeyCompromise, time.Time{}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("revoked twice: %v", err)
	}

	// A P-256 hierarchy added later leaves the GOST one alone.
	c3, err := Open(dir, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if len(c3.Roots()) != 2 || !c3.Roots()[0].Equal(c.Roots()[0]) {
		t.Errorf("roots after adding P-256: %d", len(c3.Roots()))
	}
}

func TestCRLCaching(t *testing.T) {
	clk := &clock{t: testNow}
	c, _ := newCA(t, clk, P256)
	number := func() int64 {
		t.Helper()
		der, err := c.CRL("p256-ca")
		if err != nil {
			t.Fatal(err)
		}
		crl, err := pki.ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		return crl.Number.Int64()
	}
	steps := []struct {
		name string
		do   func()
		want int64
	}{
		{"first", func() {}, 1},
		{"cached", func() { clk.Add(11 * time.Hour) }, 1},
		{"12 hours old", func() { clk.Add(time.Hour) }, 2},
		{"after a revocation", func() {
			is, err := c.IssueIndividual(aigerim, P256)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Revoke(is.Certificate.SerialNumber, pki.ReasonUnspecified, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}, 3},
		{"clock set back", func() { clk.Add(-time.Hour) }, 4},
	}
	for _, s := range steps {
		s.do()
		if got := number(); got != s.want {
			t.Errorf("%s: CRL number %d, want %d", s.name, got, s.want)
		}
	}
	if _, err := c.CRL("gost2015-ca"); !errors.Is(err, ErrUnknownAuthority) {
		t.Errorf("CRL of a disabled hierarchy: %v", err)
	}
}

func TestOpenRefusesUnsafeOrBrokenDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX modes")
	}
	clk := &clock{t: testNow}
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"directory readable by others", func(t *testing.T, dir string) { chmod(t, dir, 0o755) }},
		{"key readable by others", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "p256-root.key"), 0o644) }},
		{"key without certificate", func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "p256-ca.cer")) }},
		{"foreign intermediate", func(t *testing.T, dir string) {
			remove(t, filepath.Join(dir, "p256-root.cer"))
			remove(t, filepath.Join(dir, "p256-root.key"))
		}},
		{"key of another certificate", func(t *testing.T, dir string) {
			data, err := os.ReadFile(filepath.Join(dir, "p256-root.key"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "p256-ca.key"), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt state", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dir := newCA(t, clk, P256)
			tt.spoil(t, dir)
			before, _ := os.ReadDir(dir)
			if _, err := Open(dir, Config{Now: clk.Now, Algorithms: []Algorithm{P256}}); !errors.Is(err, ErrStore) || eds.Code(err) != "eds.ca.store" {
				t.Errorf("Open: %v", err)
			}
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("a failed Open wrote files: %d before, %d after", len(before), len(after))
			}
		})
	}
	if _, err := Open(t.TempDir(), Config{Algorithms: []Algorithm{"rsa"}}); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func chmod(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func TestRequestValidation(t *testing.T) {
	c := testCA(t)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"short IIN", Request{Algorithm: P256, Person: Person{IIN: "12345", Surname: "A", Name: "B"}}, ErrInvalidRequest},
		{"IIN with letters", Request{Algorithm: P256, Person: Person{IIN: "12345678901a", Surname: "A", Name: "B"}}, ErrInvalidRequest},
		{"no surname", Request{Algorithm: P256, Person: Person{IIN: "850314400001", Name: "B"}}, ErrInvalidRequest},
		{"control character", Request{Algorithm: P256, Person: Person{IIN: "850314400001", Surname: "A\nB", Name: "B"}}, ErrInvalidRequest},
		{"individual with a role", Request{Algorithm: P256, Person: aigerim, Role: pki.RoleCEO}, ErrInvalidRequest},
		{"bad BIN", Request{Algorithm: P256, Person: aigerim, BIN: "1", Organization: "X"}, ErrInvalidRequest},
		{"no organization name", Request{Algorithm: P256, Person: aigerim, BIN: "050490000001"}, ErrInvalidRequest},
		{"role outside the NCA's", Request{Algorithm: P256, Person: aigerim, BIN: "050490000001", Organization: "X", Role: pki.RoleNCAAdmin}, ErrInvalidRequest},
		{"organization without a person", Request{Algorithm: P256, BIN: "050490000001", Organization: "X"}, ErrInvalidRequest},
		{"system with a role", Request{Algorithm: P256, BIN: "050490000001", Organization: "X", SystemName: "S", Role: pki.RoleCEO}, ErrInvalidRequest},
		{"unknown algorithm", Request{Algorithm: "rsa", Person: aigerim}, ErrAlgorithm},
		{"no algorithm", Request{Person: aigerim}, ErrAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Issue(tt.req); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	// An information system with its responsible person, as the NCA issues them.
	is, err := c.Issue(Request{Algorithm: P256, Person: nurlan, BIN: "050490000001", Organization: "Demo Bank JSC", SystemName: "KS1234"})
	if err != nil {
		t.Fatal(err)
	}
	ci := pki.Info(is.Certificate)
	if ci.Subject.IIN != nurlan.IIN || ci.Subject.CommonName != "ЖАҚЫПОВ НҰРЛАН" || !ci.HasRole(pki.RoleInformationSystem) {
		t.Errorf("%+v", ci)
	}
}

func TestRevokeErrors(t *testing.T) {
	c := testCA(t)
	is, err := c.IssueIndividual(aigerim, P256)
	if err != nil {
		t.Fatal(err)
	}
	s := is.Certificate.SerialNumber
	tests := []struct {
		name   string
		serial *big.Int
		reason pki.Reason
		at     time.Time
		want   error
	}{
		{"unknown serial", big.NewInt(12345), pki.ReasonKeyCompromise, time.Time{}, ErrUnknownSerial},
		{"nil serial", nil, pki.ReasonKeyCompromise, time.Time{}, ErrInvalidRequest},
		{"reason 7", s, 7, time.Time{}, ErrInvalidRequest},
		{"removeFromCRL", s, pki.ReasonRemoveFromCRL, time.Time{}, ErrInvalidRequest},
		{"in the future", s, pki.ReasonKeyCompromise, testNow.Add(time.Hour), ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Revoke(tt.serial, tt.reason, tt.at); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPKCS12Password(t *testing.T) {
	c := testCA(t)
	is, err := c.IssueIndividual(aigerim, P256)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "qwerty12", "QWERTY12", "Qw1"} {
		if _, err := PKCS12(is, pw); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q accepted: %v", pw, err)
		}
	}
	for range 20 {
		pw, err := NewPassword()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PKCS12(is, pw); err != nil {
			t.Errorf("NewPassword %q: %v", pw, err)
		}
	}
}

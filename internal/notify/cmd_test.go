package notify_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/verifycmd"
)

// rule DC-2: `senim notify verify` checks a downloaded receipt offline.
func TestVerifyCmd(t *testing.T) {
	bundle, jws, jwks, other, iinAlice, iinBob := notify.ReceiptForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	bundlePath, jwsPath := write("receipt.json", bundle), write("receipt.jws", jws)
	jwksPath, otherJWKS := write("jwks.json", jwks), write("other.json", other)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"bundle", []string{bundlePath, "--jwks", jwksPath}, 0},
		{"bare JWS", []string{jwsPath, "--jwks", jwksPath}, 0},
		{"her IIN", []string{bundlePath, "--jwks", jwksPath, "--iin", iinAlice}, 0},
		{"another IIN", []string{bundlePath, "--jwks", jwksPath, "--iin", iinBob}, 1},
		{"another key set", []string{bundlePath, "--jwks", otherJWKS}, 1},
		{"IIN without salt", []string{jwsPath, "--jwks", jwksPath, "--iin", iinAlice}, 2},
		{"no JWKS", []string{bundlePath}, 2},
		{"missing file", []string{filepath.Join(dir, "none"), "--jwks", jwksPath}, 2},
	} {
		var out, errb bytes.Buffer
		if code := verifycmd.Notify(t.Context(), tc.args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d; %s%s", tc.name, code, tc.code, out.String(), errb.String())
		}
	}
}

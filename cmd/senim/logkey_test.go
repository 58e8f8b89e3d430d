package main

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/app"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/store"
)

func writeKEK(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "kek")
	os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(b)), 0o600)
	return p
}

func TestLogKeyCommand(t *testing.T) {
	dir, kek := t.TempDir(), writeKEK(t)
	if code, _, errs := runCmd(t, "migrate", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	// A server's first start creates the key.
	db, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "senim.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := app.LogKeys(app.Config{KEKFile: kek}, db)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.New(t.Context(), auditlog.Config{DB: db, Keys: ks, Origin: "senim.kz/log"})
	if err != nil {
		t.Fatal(err)
	}
	first := l.Key()
	db.Close()

	code, out, errs := runCmd(t, "log", "key", "list", "--data-dir", dir, "--kek-file", kek)
	if code != 0 || !strings.Contains(out, first) || !strings.Contains(out, "signing") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, "log", "key", "rotate", "--data-dir", dir, "--kek-file", kek)
	if code != 0 || !strings.HasPrefix(out, "added senim.kz/log+") {
		t.Fatalf("rotate: %d %q %q", code, out, errs)
	}
	second := strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "added ")
	code, out, errs = runCmd(t, "log", "key", "retire", strings.Split(first, "+")[1], "--data-dir", dir, "--kek-file", kek)
	if code != 0 || !strings.Contains(out, "retired "+first) {
		t.Fatalf("retire: %d %q %q", code, out, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"retire", second, "--kek-file", kek}, "only active key"},
		{[]string{"rotate"}, "--kek-file"},
		{[]string{"rotate", "--kek-file", writeKEK(t)}, "different key-encryption key"},
		{[]string{"retire", "--kek-file", kek}, "expected list, rotate, retire KEY or import FILE"},
		{[]string{"import", filepath.Join(dir, "missing.key"), "--kek-file", kek}, "no key file"},
		{[]string{"burn", "--kek-file", kek}, "unknown subcommand"},
	} {
		code, _, errs := runCmd(t, append(append([]string{"log", "key"}, tc.args...), "--data-dir", dir)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	code, out, _ = runCmd(t, "log", "key", "list", "--data-dir", dir, "--kek-file", kek)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "retired") {
		t.Fatalf("list after rotation: %q", out)
	}
}

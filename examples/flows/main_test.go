package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/pd/pdtest"
	"github.com/senimkz/senim/internal/store/storetest"
)

// The example runs all three flows against a sandbox. The sandbox here is made of
// fresh keys and a fresh CA, so the wall clock is safe (no fixture expires).
func TestExampleAgainstSandbox(t *testing.T) {
	for _, alg := range []string{"gost2015", "p256"} {
		t.Run(alg, func(t *testing.T) {
			sb := pdtest.Start(t, storetest.Open(t), time.Now)
			var out, errb bytes.Buffer
			if code := run(t.Context(), []string{"-url", sb.URL, "-alg", alg}, &out, &errb); code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), "OK: all three flows passed") {
				t.Fatal(out.String())
			}
			t.Log(out.String())
		})
	}
	// A wrong URL fails with a non-zero exit.
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"-url", "http://127.0.0.1:1", "-timeout", "2s"}, &out, &errb); code == 0 {
		t.Fatal("no failure against a dead URL")
	}
}

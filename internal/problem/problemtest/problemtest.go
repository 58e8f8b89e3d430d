// Package problemtest checks, in tests, the promises the API's answers make: that an
// answer replayed for an Idempotency-Key is the first answer again.
package problemtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/senimkz/senim/internal/problem"
)

// Answer is an HTTP answer as a test received it.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Recorded is the answer a ResponseRecorder holds.
func Recorded(w *httptest.ResponseRecorder) Answer {
	return Answer{Status: w.Code, Header: w.Header().Clone(), Body: bytes.Clone(w.Body.Bytes())}
}

// ReplayHeaders are the headers a replay must carry as the first answer did.
var ReplayHeaders = []string{"Content-Type", "Location", "X-Content-Type-Options", "Cache-Control"}

// SameReplay fails t unless replay is first again: the same status, the same body byte
// for byte, the same ReplayHeaders; Idempotent-Replayed: true on the replay and not on
// the first answer. Both must carry nosniff and a Cache-Control (no-store unless the
// family chose another).
func SameReplay(t testing.TB, first, replay Answer) {
	t.Helper()
	if first.Status != replay.Status {
		t.Errorf("replay status %d, first %d", replay.Status, first.Status)
	}
	if !bytes.Equal(first.Body, replay.Body) {
		t.Errorf("replay body differs from the first answer:\nfirst:  %q\nreplay: %q", first.Body, replay.Body)
	}
	for _, h := range ReplayHeaders {
		if f, r := first.Header.Values(h), replay.Header.Values(h); !slices.Equal(f, r) {
			t.Errorf("replay %s: %q, first answer %q", h, r, f)
		}
	}
	if v := first.Header.Get(problem.ReplayedHeader); v != "" {
		t.Errorf("first answer has %s: %q", problem.ReplayedHeader, v)
	}
	if v := replay.Header.Get(problem.ReplayedHeader); v != "true" {
		t.Errorf("replay has %s: %q, want true", problem.ReplayedHeader, v)
	}
	if v := first.Header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("first answer X-Content-Type-Options %q, want nosniff", v)
	}
	if first.Header.Get("Cache-Control") == "" {
		t.Error("first answer has no Cache-Control")
	}
}

package pki

import (
	"errors"
	"fmt"
	"testing"
)

// Only an absent embedded answer is left to the CRL without an error; a live
// responder's failure, alone or after the stored answers (firstOCSP), is still one.
func TestNotStored(t *testing.T) {
	ns := notStoredError{serial: "1f"}
	live := fmt.Errorf("%w: connection refused", ErrOCSPUnavailable)
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"no stored answer", ns, true},
		{"no stored answer, as firstOCSP joins it", errors.Join(ns), true},
		{"no stored answer, then the responder down", errors.Join(ns, live), false},
		{"the responder down", live, false},
		{"a stored answer that fails", fmt.Errorf("%w: bad signature", ErrOCSPSignature), false},
	} {
		if got := notStored(tt.err); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
		if tt.err == error(ns) && !errors.Is(tt.err, ErrOCSPUnavailable) {
			t.Errorf("%s: not an ErrOCSPUnavailable", tt.name)
		}
	}
}

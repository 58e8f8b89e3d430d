package main

import (
	"strings"
	"testing"
)

const stream = `{"config":{"protocol_version":"v1.0.0"}}
{"osv":{"id":"GO-1","summary":"in a module"}}
{"osv":{"id":"GO-2","summary":"in the standard library"}}
{"osv":{"id":"GO-3","summary":"imported, not called"}}
{"finding":{"osv":"GO-1","fixed_version":"v1.2.3","trace":[{"module":"example.com/m","package":"example.com/m/p","function":"F"},{"module":"github.com/senimkz/senim","package":"github.com/senimkz/senim/x","function":"G"}]}}
{"finding":{"osv":"GO-2","fixed_version":"v1.26.9","trace":[{"module":"stdlib","package":"html/template","function":"Execute"}]}}
{"finding":{"osv":"GO-3","trace":[{"module":"example.com/n","package":"example.com/n/q"}]}}
`

// A reachable module vulnerability fails; a standard-library one fails unless
// warned; an imported but uncalled one never fails; no input is an error.
func TestVulncheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		warnStd  bool
		want     int
		contains string
	}{
		{"module and stdlib", stream, false, 1, "FAIL GO-2"},
		{"stdlib warned, module still fails", stream, true, 1, "warn GO-2"},
		{"stdlib only, warned", strings.Replace(stream, `"function":"F"`, `"function":""`, 1), true, 0, "warn GO-2"},
		{"stdlib only, fatal", strings.Replace(stream, `"function":"F"`, `"function":""`, 1), false, 1, "FAIL GO-2"},
		{"nothing reachable", `{"config":{}}` + "\n", false, 0, "0 reachable"},
		{"no output", "", false, 2, "no output"},
	} {
		var out strings.Builder
		if got := run(strings.NewReader(tc.in), &out, tc.warnStd); got != tc.want || !strings.Contains(out.String(), tc.contains) {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, got, tc.want, out.String())
		}
	}
}

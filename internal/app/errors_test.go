package app

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/problem"
)

var updateErrors = flag.Bool("update-errors", false, "rewrite docs/errors.md from the problem catalogue")

// edsStatus is the HTTP status /v1/eds answers an eds error with (ncanode's classify):
// the time-stamping authority's failures are a bad gateway, the rest the client's.
func edsStatus(code string) int {
	if strings.HasPrefix(code, "tsp.") || strings.HasPrefix(code, "eds.tsp.") {
		return http.StatusBadGateway
	}
	return http.StatusBadRequest
}

// catalogue renders docs/errors.md from the codes the linked packages define.
func catalogue() (string, []string) {
	for _, e := range eds.Codes() {
		if e.Code() != "internal" {
			problem.Register(edsStatus(e.Code()), e.Code(), e.Error())
		}
	}
	var b strings.Builder
	var missing []string
	b.WriteString(`# Error codes

Generated from the server's own problem catalogue (` + "`internal/problem.Catalog`" + `) by
` + "`go test ./internal/app -run TestErrorCatalogue -update-errors`" + `; a test fails when a code
the server can produce is missing here or has no advice. Every error is an RFC 9457
` + "`application/problem+json`" + ` body: ` + "`type`" + ` (` + "`urn:senim:problem:<code>`" + `), ` + "`title`" + `,
` + "`status`" + `, ` + "`code`" + `, often ` + "`detail`" + `, ` + "`rule`" + ` (the rule of
` + "`seed-rules.md`" + ` enforced) and, for a request field, ` + "`field`" + `. Match on ` + "`code`" + `, never on text.
Which operation returns which codes: ` + "`x-problem-codes`" + ` in ` + "`api/openapi.yaml`" + `.

| code | status | rule | meaning | what to do |
| --- | --- | --- | --- | --- |
`)
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, e := range problem.Catalog() {
		if e.Todo == "" {
			missing = append(missing, e.Code)
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s |\n", e.Code, e.Status, e.Rule, esc(e.Title), esc(e.Todo))
	}
	return b.String(), missing
}

// The error catalogue is generated from the code and cannot drift: every problem code
// defined anywhere the server links has a line in docs/errors.md, with advice.
func TestErrorCatalogue(t *testing.T) {
	got, missing := catalogue()
	if len(missing) > 0 {
		t.Errorf("codes without advice in internal/problem/todo.go: %s", strings.Join(missing, ", "))
	}
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "docs", "errors.md")
	if *updateErrors {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatalf("docs/errors.md is not what the code defines; run go test ./internal/app -run TestErrorCatalogue -update-errors (%v)", err)
	}
}

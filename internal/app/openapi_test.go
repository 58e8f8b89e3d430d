package app

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/senimkz/senim/api"
)

// apiPath turns a ServeMux pattern's path into the OpenAPI path: {name...} becomes
// {name} (OpenAPI has no multi-segment parameter; the tile route says so) and {$}
// is dropped.
var wildcard = regexp.MustCompile(`\{([a-z_]+)\.\.\.\}`)

func apiPath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = wildcard.ReplaceAllString(path, "{$1}")
	path = strings.TrimSuffix(path, "{$}")
	return method, path
}

// The OpenAPI document is the contract: every route the sandbox server registers
// (apart from the cabinet's HTML pages, the sandbox CA's PKI endpoints and /metrics)
// is documented with its method, and every documented operation is registered. A
// route added without documentation fails here.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a, srv := newSandbox(t, "")
	for path, want := range map[string]string{"/openapi.yaml": "openapi: 3.1.0", "/api/reference": "<code>/v1/pd/consents</code>"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d, lacks %q", path, res.StatusCode, want)
		}
	}
	doc, err := api.Load()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, o := range api.Operations(doc) {
		documented[o.Method+" "+o.Path] = true
	}
	registered := map[string]bool{}
	for _, p := range a.Server.Patterns() {
		if slices.Contains(a.pages, p) {
			continue
		}
		m, path := apiPath(p)
		if m == "" || path == "" {
			t.Errorf("route %q has no method", p)
			continue
		}
		registered[m+" "+path] = true
		if !documented[m+" "+path] {
			t.Errorf("route %q is not in api/openapi.yaml", p)
		}
	}
	for op := range documented {
		if !registered[op] {
			t.Errorf("api/openapi.yaml documents %q, which the server does not register", op)
		}
	}
	if len(registered) < 40 {
		t.Fatalf("only %d API routes found; is the server's route list empty?", len(registered))
	}
	// Every problem response names its codes: an operation that documents a 4xx
	// other than the common ones lists x-problem-codes.
	for _, o := range api.Operations(doc) {
		for status := range o.Op.Responses.Map() {
			if (status == "403" || status == "404" || status == "409" || status == "422") && len(api.ProblemCodes(o.Op)) == 0 &&
				!strings.HasPrefix(o.Path, "/sandbox/") {
				t.Errorf("%s %s documents %s but lists no x-problem-codes", o.Method, o.Path, status)
			}
		}
	}
}

// Package api holds Senim's API contract, api/openapi.yaml (OpenAPI 3.1), embedded in
// the binary: served at /openapi.yaml and rendered as a page at /api/reference. The
// tests keep it true (internal/app: every route registered is documented and every
// documented path is registered; api/apitest: the API tests' requests and responses
// are validated against it).
package api

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Spec is the OpenAPI document.
//
//go:embed openapi.yaml
var Spec []byte

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	loadErr  error
)

// Load parses and validates Spec (once).
func Load() (*openapi3.T, error) {
	loadOnce.Do(func() {
		loaded, loadErr = openapi3.NewLoader().LoadFromData(Spec)
		if loadErr == nil {
			loadErr = loaded.Validate(context.Background())
		}
	})
	return loaded, loadErr
}

// Register mounts GET /openapi.yaml and GET /api/reference with handle.
func Register(handle func(pattern string, h http.Handler)) error {
	page, err := Reference()
	if err != nil {
		return err
	}
	handle("GET /openapi.yaml", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(Spec)
	}))
	handle("GET /api/reference", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Write(page)
	}))
	return nil
}

// Operation is one documented route, as the reference page and the tests see it.
type Operation struct {
	Method, Path string
	Op           *openapi3.Operation
}

// Operations lists every documented operation, in path order.
func Operations(doc *openapi3.T) []Operation {
	var out []Operation
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for m, op := range item.Operations() {
			out = append(out, Operation{Method: m, Path: p, Op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ProblemCodes returns the problem codes op documents (x-problem-codes); a code
// ending in ".*" stands for every code under that prefix.
func ProblemCodes(op *openapi3.Operation) []string {
	return stringList(op.Extensions["x-problem-codes"])
}

// CommonProblemCodes are the codes any operation may return.
func CommonProblemCodes(doc *openapi3.T) []string {
	return stringList(doc.Extensions["x-common-problem-codes"])
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// CodeAllowed reports whether code is in codes, directly or under a "prefix.*".
func CodeAllowed(code string, codes []string) bool {
	for _, c := range codes {
		if c == code || (strings.HasSuffix(c, ".*") && strings.HasPrefix(code, strings.TrimSuffix(c, "*"))) {
			return true
		}
	}
	return false
}

type refOp struct {
	Method, Path, Summary, Description string
	Params                             []string
	Body                               string
	Responses                          []string
	Codes                              []string
	Auth                               string
}

type refTag struct {
	Name, Description string
	Ops               []refOp
}

var refTemplate = template.Must(template.New("ref").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — reference</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a}
code,pre{font:14px ui-monospace,monospace;background:#f4f4f4;border-radius:4px}
code{padding:0 .25em}pre{padding:.75rem;overflow-x:auto;white-space:pre-wrap}
section.op{border-top:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;min-width:4.5em;font-weight:700}
h3{font-size:1rem;margin:.25rem 0;word-break:break-all}
</style></head><body>
<h1>{{.Title}} <small>v{{.Version}}</small></h1>
<p>Machine-readable: <a href="/openapi.yaml">/openapi.yaml</a> (OpenAPI {{.OpenAPI}}). Error codes: <code>docs/errors.md</code>.</p>
<pre>{{.Description}}</pre>
<nav><ul>{{range .Tags}}<li><a href="#{{.Name}}">{{.Name}}</a> — {{.Description}}</li>{{end}}</ul></nav>
{{range .Tags}}<h2 id="{{.Name}}">{{.Name}}</h2>
{{range .Ops}}<section class="op"><h3><span class="m">{{.Method}}</span> <code>{{.Path}}</code></h3>
<p>{{.Summary}}{{if .Auth}} <em>({{.Auth}})</em>{{end}}</p>{{if .Description}}<pre>{{.Description}}</pre>{{end}}
{{if .Params}}<p>Parameters: {{range .Params}}<code>{{.}}</code> {{end}}</p>{{end}}
{{if .Body}}<p>Body example:</p><pre>{{.Body}}</pre>{{end}}
<p>Responses: {{range .Responses}}<code>{{.}}</code> {{end}}</p>
{{if .Codes}}<p>Problem codes: {{range .Codes}}<code>{{.}}</code> {{end}}</p>{{end}}
</section>{{end}}{{end}}
</body></html>
`))

// Reference renders the document as an HTML page (no script).
func Reference() ([]byte, error) {
	doc, err := Load()
	if err != nil {
		return nil, fmt.Errorf("api: openapi.yaml: %w", err)
	}
	byTag := map[string]*refTag{}
	var tags []*refTag
	for _, t := range doc.Tags {
		rt := &refTag{Name: t.Name, Description: t.Description}
		byTag[t.Name] = rt
		tags = append(tags, rt)
	}
	for _, o := range Operations(doc) {
		ro := refOp{Method: o.Method, Path: o.Path, Summary: o.Op.Summary, Description: o.Op.Description, Codes: ProblemCodes(o.Op)}
		if o.Op.Security != nil && len(*o.Op.Security) == 0 {
			ro.Auth = "no authentication"
		} else {
			ro.Auth = "organisation certificate"
		}
		for _, p := range o.Op.Parameters {
			ro.Params = append(ro.Params, p.Value.In+":"+p.Value.Name)
		}
		if rb := o.Op.RequestBody; rb != nil && rb.Value != nil {
			for _, mt := range rb.Value.Content {
				for _, ex := range mt.Examples {
					if ex.Value != nil {
						b, _ := jsonIndent(ex.Value.Value)
						ro.Body = string(b)
					}
				}
			}
		}
		for code := range o.Op.Responses.Map() {
			ro.Responses = append(ro.Responses, code)
		}
		slices.Sort(ro.Responses)
		tag := "other"
		if len(o.Op.Tags) > 0 {
			tag = o.Op.Tags[0]
		}
		rt := byTag[tag]
		if rt == nil {
			rt = &refTag{Name: tag}
			byTag[tag] = rt
			tags = append(tags, rt)
		}
		rt.Ops = append(rt.Ops, ro)
	}
	var buf bytes.Buffer
	err = refTemplate.Execute(&buf, map[string]any{"Title": doc.Info.Title, "Version": doc.Info.Version, "OpenAPI": doc.OpenAPI,
		"Description": doc.Info.Description, "Tags": tags})
	return buf.Bytes(), err
}

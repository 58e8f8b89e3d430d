// Package apitest checks, in the API tests, every real request and response against
// api/openapi.yaml: a validating middleware (kin-openapi's openapi3filter) put in
// front of the server a test talks to. A drift between the code and the document —
// an undocumented route, status, field or problem code, or a response that does not
// match its schema — fails the test that caused it.
//
// A request that does not match the document (a test sending a malformed body on
// purpose) must be answered with a documented 4xx problem. OpenAPI 3.1 documents are
// validated with JSON Schema 2020-12, which openapi3filter switches on for them.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/senimkz/senim/api"
)

var (
	once   sync.Once
	router routers.Router
	doc    *openapi3.T
	setErr error
)

func setup() {
	doc, setErr = api.Load()
	if setErr != nil {
		return
	}
	// Servers would make the router match only the sandbox's host; tests run anywhere.
	d := *doc
	d.Servers = nil
	router, setErr = legacy.NewRouter(&d)
	openapi3filter.RegisterBodyDecoder("application/jwk-set+json", openapi3filter.JSONBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/jose", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-pkcs12", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/vnd.etsi.asic-e+zip", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
}

// Middleware validates each request next serves against the document; skip, when
// not nil, names requests that are not part of the API (the cabinet's pages).
func Middleware(t testing.TB, next http.Handler, skip func(*http.Request) bool) http.Handler {
	once.Do(setup)
	if setErr != nil {
		t.Fatalf("apitest: %v", setErr)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skip != nil && skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			r.Body.Close()
		}
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		if err := check(r, reqBody, rec); err != "" {
			t.Errorf("apitest: %s %s → %d: %s", r.Method, r.URL.RequestURI(), rec.Code, err)
		}
	})
}

// check returns what is wrong with the exchange, or "".
func check(r *http.Request, reqBody []byte, rec *httptest.ResponseRecorder) string {
	probe := r.Clone(r.Context())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	if strings.HasPrefix(probe.URL.Path, "/log/tile/") {
		// {path...} spans segments; OpenAPI's {path} does not.
		u := *probe.URL
		u.Path = "/log/tile/" + strings.ReplaceAll(strings.TrimPrefix(u.Path, "/log/tile/"), "/", "_")
		probe.URL = &u
	}
	route, params, err := router.FindRoute(probe)
	if err != nil {
		// No such route or method: the answer must be a common problem (or, for a
		// browser, the cabinet's page saying so).
		if mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); mt == "text/html" && (rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed) {
			return ""
		}
		code := problemCode(rec)
		if code == "" || !api.CodeAllowed(code, api.CommonProblemCodes(doc)) || rec.Code < 400 {
			return "the route is not in api/openapi.yaml (" + err.Error() + ")"
		}
		return ""
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	reqErr := openapi3filter.ValidateRequest(r.Context(), in)
	code := problemCode(rec)
	if code == "http.not_found" || code == "http.method_not_allowed" || (rec.Code == http.StatusNotFound && rec.Body.String() == "404 page not found\n") {
		return "" // the server under test mounts only part of the API
	}
	if reqErr != nil && (rec.Code < 400 || rec.Code >= 500 || code == "") {
		return "the request does not match the document (" + reqErr.Error() + ") yet was not refused with a 4xx problem"
	}
	if code != "" && !api.CodeAllowed(code, api.ProblemCodes(route.Operation)) && !api.CodeAllowed(code, api.CommonProblemCodes(doc)) {
		return "problem code " + code + " is not in the operation's x-problem-codes"
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if rec.Body.Len() == 0 {
		out.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		return "the response does not match the document: " + err.Error()
	}
	return ""
}

func problemCode(rec *httptest.ResponseRecorder) string {
	mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if mt != "application/problem+json" {
		return ""
	}
	var p struct {
		Code string `json:"code"`
	}
	json.Unmarshal(rec.Body.Bytes(), &p)
	return p.Code
}

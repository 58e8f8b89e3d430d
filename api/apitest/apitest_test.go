package apitest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// recTB records Errorf calls instead of failing.
type recTB struct {
	testing.TB
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

// The middleware must fail a test when the server drifts from the document, and
// stay quiet when it does not.
func TestMiddlewareCatchesDrift(t *testing.T) {
	problem := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			io.WriteString(w, `{"type":"urn:senim:problem:`+code+`","title":"t","status":`+strconv.Itoa(status)+`,"code":"`+code+`"}`)
		}
	}
	jsonBody := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	for _, tc := range []struct {
		name          string
		method, path  string
		body          string
		h             http.HandlerFunc
		wantComplaint bool
	}{
		{"documented answer", "GET", "/v1/pd/grounds", "", jsonBody(200, `{"grounds":[{"code":"CPC-199"}]}`), false},
		{"missing required member", "GET", "/v1/pd/grounds", "", jsonBody(200, `{}`), true},
		{"wrong member type", "GET", "/v1/pd/grounds", "", jsonBody(200, `{"grounds":"CPC-199"}`), true},
		{"undocumented status", "GET", "/v1/pd/grounds", "", jsonBody(202, `{"grounds":[]}`), true},
		{"undocumented route", "GET", "/v1/pd/secret", "", jsonBody(200, `{}`), true},
		{"unknown route answered 404", "GET", "/v1/pd/secret", "", problem(404, "http.not_found"), false},
		{"documented problem code", "GET", "/v1/webhooks/x/deliveries", "", problem(404, "webhook.not_found"), false},
		{"undocumented problem code", "GET", "/v1/webhooks/x/deliveries", "", problem(404, "pd.not_found"), true},
		{"malformed request accepted", "POST", "/v1/webhooks", `{"url":1}`, jsonBody(201, `{"id":"wh_1","url":"x","events":[],"created_at":"2026-01-01T00:00:00Z"}`), true},
		{"malformed request refused", "POST", "/v1/webhooks", `{"url":1}`, problem(400, "request.field_type"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &recTB{TB: t}
			srv := httptest.NewServer(Middleware(rt, tc.h, nil))
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := len(rt.errs) > 0; got != tc.wantComplaint {
				t.Fatalf("complaint = %v (%v), want %v", got, rt.errs, tc.wantComplaint)
			}
		})
	}
}

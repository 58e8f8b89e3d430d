package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/senimkz/senim/internal/problem"
)

func newTestServer(t *testing.T, logs *bytes.Buffer) *Server {
	t.Helper()
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	reg := prometheus.NewRegistry()
	s := New(Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: reg})
	s.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("id") == "bad" {
			return problem.Field("id", "must not be bad").WithRule("PD-0")
		}
		if r.PathValue("id") == "boom" {
			return errors.New("database password is hunter2")
		}
		if r.PathValue("id") == "panic" {
			panic("secret internal state")
		}
		problem.WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
		return nil
	})
	s.HandleFunc("POST /v1/things", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		}
		if err := problem.DecodeJSON(w, r, 64, &in); err != nil {
			return err
		}
		problem.WriteJSON(w, 201, in)
		return nil
	})
	s.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return s
}

func do(t *testing.T, h http.Handler, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &m)
	return res, m
}

func TestProblems(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown route", "GET", "/nope", "", 404, "http.not_found"},
		{"wrong method", "DELETE", "/v1/things/1", "", 405, "http.method_not_allowed"},
		{"domain problem", "GET", "/v1/things/bad", "", 400, "request.invalid_field"},
		{"internal error", "GET", "/v1/things/boom", "", 500, "internal"},
		{"panic", "GET", "/v1/things/panic", "", 500, "internal"},
		{"malformed json", "POST", "/v1/things", `{"name":`, 400, "request.malformed_json"},
		{"wrong type names field", "POST", "/v1/things", `{"count":"x"}`, 400, "request.field_type"},
		{"unknown field", "POST", "/v1/things", `{"nmae":"x"}`, 400, "request.unknown_field"},
		{"trailing data", "POST", "/v1/things", `{"name":"x"} {}`, 400, "request.trailing_data"},
		{"oversize", "POST", "/v1/things", `{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "request.too_large"},
		{"empty body", "POST", "/v1/things", ``, 400, "request.malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, m := do(t, s, tt.method, tt.path, tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%v)", res.StatusCode, tt.status, m)
			}
			if ct := res.Header.Get("Content-Type"); ct != problem.ContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			if m["code"] != tt.code || m["type"] != problem.TypePrefix+tt.code || m["title"] == "" || m["status"] != float64(tt.status) {
				t.Errorf("body = %v, want code %s", m, tt.code)
			}
			b, _ := json.Marshal(m)
			for _, leak := range []string{"hunter2", "secret internal state"} {
				if strings.Contains(string(b), leak) {
					t.Errorf("body leaks internal text: %s", b)
				}
			}
		})
	}
	res, m := do(t, s, "DELETE", "/v1/things/1", "")
	if res.Header.Get("Allow") == "" {
		t.Errorf("405 without Allow header: %v", m)
	}
	_, m = do(t, s, "POST", "/v1/things", `{"count":"x"}`)
	if m["field"] != "count" {
		t.Errorf("wrong-type problem does not name the field: %v", m)
	}
	_, m = do(t, s, "GET", "/v1/things/bad", "")
	if m["rule"] != "PD-0" || m["field"] != "id" {
		t.Errorf("rule/field not rendered: %v", m)
	}
}

func TestAccessLogHasRouteNotPath(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, &logs)
	req := httptest.NewRequest("GET", "/v1/things/871008401427?phone=77011234567", nil)
	req.Header.Set("X-Request-Id", "client-chosen-id-1")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got != "client-chosen-id-1" {
		t.Errorf("request id = %q", got)
	}
	out := logs.String()
	if strings.Contains(out, "871008401427") || strings.Contains(out, "77011234567") {
		t.Errorf("access log carries personal data from the path or query: %s", out)
	}
	if !strings.Contains(out, `"route":"GET /v1/things/{id}"`) || !strings.Contains(out, `"request_id":"client-chosen-id-1"`) {
		t.Errorf("access log lacks route or request id: %s", out)
	}
	// A malformed request id is replaced.
	req = httptest.NewRequest("GET", "/v1/things/1", nil)
	req.Header.Set("X-Request-Id", "bad id\nwith newline")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \n") {
		t.Errorf("malformed request id echoed: %q", got)
	}
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t, nil)
	do(t, s, "GET", "/v1/things/1", "")
	do(t, s, "GET", "/nope", "")
	req := httptest.NewRequest("GET", "/metrics", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	body := rec.Body.String()
	for _, want := range []string{
		`senim_http_requests_total{method="GET",route="GET /v1/things/{id}",status="200"} 1`,
		`senim_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`senim_http_request_duration_seconds_bucket{method="GET",route="GET /v1/things/{id}"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(1, 3)
	l.Now = func() time.Time { return now }
	h := RateLimit(l, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get := func(addr string) *http.Response {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	for i := range 3 {
		if res := get("192.0.2.1:1000"); res.StatusCode != 200 {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	res := get("192.0.2.1:2000")
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("4th request: status %d Retry-After %q, want 429 and 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get("192.0.2.2:1000"); res.StatusCode != 200 {
		t.Error("another client is limited by the first one's bucket")
	}
	now = now.Add(time.Second)
	if res := get("192.0.2.1:1000"); res.StatusCode != 200 {
		t.Error("no token after a second")
	}
	now = now.Add(time.Hour)
	get("192.0.2.3:1")
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("idle buckets not swept: %d left", n)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	started := make(chan struct{})
	s.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) error {
		close(started)
		time.Sleep(200 * time.Millisecond)
		w.Write([]byte("done"))
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resc := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			resc <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		resc <- string(b)
	}()
	<-started
	cancel()
	if got := <-resc; got != "done" {
		t.Errorf("request in flight got %q, want it to finish", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}

// Size mistakes get problem+json like every other error (issue 18 item 8): a URI or
// headers over the limit, and a form over the limit, which a form handler would
// otherwise parse truncated and refuse as a forged form (auth.csrf).
func TestLimits(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s.HandleFunc("GET /v1/things", func(w http.ResponseWriter, r *http.Request) error {
		problem.WriteJSON(w, 200, map[string]int{"uri": len(r.RequestURI)})
		return nil
	})
	s.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) error {
		// What the web shell does: a missing token is a forged form.
		if r.PostFormValue("csrf") != "token" {
			return problem.CSRF
		}
		problem.WriteJSON(w, 200, map[string]int{"field": len(r.PostFormValue("field"))})
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()

	send := func(req *http.Request) (int, string, map[string]any) {
		t.Helper()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return res.StatusCode, res.Header.Get("Content-Type"), m
	}
	get := func(uri string, hdr http.Header) (int, string, map[string]any) {
		req, _ := http.NewRequest("GET", base+uri, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		return send(req)
	}
	form := func(body string, chunked bool) (int, string, map[string]any) {
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("POST", base+"/form", rd)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return send(req)
	}
	q := func(n int) string { return "/v1/things?q=" + strings.Repeat("a", n) }

	if st, _, m := get(q(MaxURI-100), nil); st != 200 {
		t.Errorf("URI under the limit: %d %v", st, m)
	}
	if st, ct, m := get(q(MaxURI), nil); st != 414 || ct != problem.ContentType || m["code"] != "request.uri_too_long" {
		t.Errorf("URI over the limit: %d %q %v", st, ct, m)
	}
	if st, ct, m := get(q(100<<10), nil); st != 414 || ct != problem.ContentType {
		t.Errorf("100 KiB URI: %d %q %v", st, ct, m)
	}
	big := http.Header{"X-Big": {strings.Repeat("b", MaxHeaders)}}
	if st, ct, m := get("/v1/things", big); st != 431 || ct != problem.ContentType || m["code"] != "request.headers_too_large" {
		t.Errorf("headers over the limit: %d %q %v", st, ct, m)
	}

	// Form bodies are the handler's to bound (the web shell's per route): one larger
	// than any form of the cabinet but an upload's reaches the handler whole.
	field := func(n int) string { return "csrf=token&field=" + strings.Repeat("f", n) }
	for _, chunked := range []bool{false, true} {
		if st, _, m := form(field(1000), chunked); st != 200 || m["field"] != float64(1000) {
			t.Errorf("small form (chunked %v): %d %v", chunked, st, m)
		}
		if st, _, m := form(field(2<<20), chunked); st != 200 || m["field"] != float64(2<<20) {
			t.Errorf("2 MiB form (chunked %v): %d %v", chunked, st, m)
		}
		if st, _, m := form("field=x", chunked); st != 403 || m["code"] != "auth.csrf" {
			t.Errorf("form without its token (chunked %v): %d %v", chunked, st, m)
		}
	}
}

// TestNotFoundPageForBrowsers: a browser gets the cabinet's page for an unknown URL;
// an API client still gets problem+json.
func TestNotFoundPageForBrowsers(t *testing.T) {
	s := newTestServer(t, nil)
	s.NotFoundPage(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<p>page</p>"))
	}))
	req := httptest.NewRequest("GET", "/nope", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 404 || rec.Body.String() != "<p>page</p>" {
		t.Errorf("browser: %d %q", rec.Code, rec.Body)
	}
	if res, m := do(t, s, "GET", "/nope", ""); res.StatusCode != 404 || m["code"] != "http.not_found" {
		t.Errorf("API client: %d %v", res.StatusCode, m)
	}
}

// TestMethodNotAllowedPageForBrowsers: a browser that asks with a method the path does
// not serve — a form's answer opened again by its address — gets the cabinet's page,
// with the Allow header; an API client still gets problem+json.
func TestMethodNotAllowedPageForBrowsers(t *testing.T) {
	s := newTestServer(t, nil)
	s.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) error { return nil })
	s.MethodNotAllowedPage(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusMethodNotAllowed)
		w.Write([]byte("<p>page</p>"))
	}))
	req := httptest.NewRequest("GET", "/form", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 405 || rec.Body.String() != "<p>page</p>" || rec.Header().Get("Allow") != "POST" {
		t.Errorf("browser: %d %q, Allow %q", rec.Code, rec.Body, rec.Header().Get("Allow"))
	}
	if res, m := do(t, s, "GET", "/form", ""); res.StatusCode != 405 || m["code"] != "http.method_not_allowed" || res.Header.Get("Allow") != "POST" {
		t.Errorf("API client: %d %v", res.StatusCode, m)
	}
}

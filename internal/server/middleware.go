package server

import (
	"context"
	"encoding/hex"
	"fmt"
	"github.com/senimkz/senim/internal/secret"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/senimkz/senim/internal/problem"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the id of the request being served, or "".
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// requestID takes a well-formed X-Request-Id from the client or makes one, echoes it,
// and gives the request a logger that carries it.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !wellFormedID(id) {
			id = hex.EncodeToString(secret.Bytes(12))
		}
		w.Header().Set("X-Request-Id", id)
		ctx := r.Context()
		ctx = context.WithValue(ctx, requestIDKey, id)
		ctx = problem.WithLogger(ctx, s.log.With(slog.String("request_id", id)))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func wellFormedID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// recoverer turns a panic in a handler into a 500 problem; the stack goes to the log,
// never to the client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			s.log.ErrorContext(r.Context(), "handler panic", slog.String("request_id", RequestID(r)),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			problem.Write(w, r, problem.Internal)
		}()
		next.ServeHTTP(w, r)
	})
}

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "senim_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "senim_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "senim_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.inflight)
	return m
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe counts and times requests by route pattern and writes the access log. The
// route is the mux pattern ("GET /v1/kzid/{number}"), never the raw path, so numbers
// and other personal data in paths and queries stay out of logs and metrics; the
// client address is left out for the same reason.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			s.metrics.inflight.Dec()
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			s.metrics.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
				slog.String("request_id", RequestID(r)),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", sw.status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", d))
		}()
		next.ServeHTTP(sw, r)
	})
}

// Request size limits. net/http itself refuses a request line plus headers over
// maxHeaderBytes with a text/plain 431 before any handler runs; below that, limits
// answers with problem+json, so API clients get the same error format for every size
// mistake.
const (
	// MaxURI is the longest request target (path and query) served.
	MaxURI = 64 << 10
	// MaxHeaders is the most header bytes (names and values) served.
	MaxHeaders = 64 << 10
	// maxHeaderBytes is http.Server.MaxHeaderBytes: room for a too-long URI or header
	// to reach limits and be answered as a problem.
	maxHeaderBytes = 256 << 10
)

// limits refuses a URI over MaxURI (414 request.uri_too_long) and headers over
// MaxHeaders (431 request.headers_too_large). Bodies are bounded where they are read:
// the web shell reads each form within its route's bound and refuses a larger one in
// the reader's language (web.Form, web.Upload); the API's decoders bound each JSON
// body (problem.DecodeJSON). One bound here for every form refused a 20 MB upload
// that its route takes, with JSON that a browser shows raw.
func (s *Server) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > MaxURI {
			problem.Write(w, r, problem.URITooLong.WithDetail(fmt.Sprintf("the request target may be at most %d bytes", MaxURI)))
			return
		}
		n := 0
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4 // ": " and CRLF
			}
		}
		if n > MaxHeaders {
			problem.Write(w, r, problem.HeadersTooLarge.WithDetail(fmt.Sprintf("the request headers may be at most %d bytes", MaxHeaders)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

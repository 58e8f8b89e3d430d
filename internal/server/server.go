// Package server is Senim's HTTP front: one http.Server with explicit timeouts and
// graceful shutdown, a method-pattern mux, and the middleware every request passes
// through — panic recovery, request ids, Prometheus metrics by route, an access log
// without personal data, size limits on URIs, headers and forms, and per-client rate
// limits. Unknown routes and wrong methods get problem+json like every other error.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/senimkz/senim/internal/problem"
)

// Config configures a Server.
type Config struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics registry; a new one when nil
	// Timeouts; zero values get safe defaults.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
}

// Server routes requests to handlers through the common middleware.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	metrics  *metrics
	handler  http.Handler
	page404  http.Handler // for browsers; nil: problem+json for everyone
	page405  http.Handler // likewise, for a method the path does not serve
	patterns []string     // as registered, for tests (Patterns)
}

// NotFoundPage sets the page a browser (Accept: text/html) gets for a URL no route
// serves; API clients keep getting problem+json.
func (s *Server) NotFoundPage(h http.Handler) { s.page404 = h }

// MethodNotAllowedPage sets the page a browser (Accept: text/html) gets for a method a
// path does not serve — typically the address of a form's answer opened again (a
// restored tab, the history) — with the Allow header; API clients keep getting
// problem+json.
func (s *Server) MethodNotAllowedPage(h http.Handler) { s.page405 = h }

// New returns a Server with no routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.ReadHeaderTimeout, 5*time.Second)
	def(&cfg.ReadTimeout, 30*time.Second)
	def(&cfg.WriteTimeout, 60*time.Second)
	def(&cfg.IdleTimeout, 120*time.Second)
	def(&cfg.ShutdownTimeout, 20*time.Second)
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), metrics: newMetrics(cfg.Registry)}
	s.handler = s.recoverer(s.requestID(s.observe(s.limits(http.HandlerFunc(s.route)))))
	return s
}

// Registry returns the metrics registry, for collectors of other packages.
func (s *Server) Registry() *prometheus.Registry { return s.cfg.Registry }

// Handle registers h for a method pattern such as "POST /v1/consents".
func (s *Server) Handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// Patterns lists every pattern registered, in order: tests walk them (rule DC-1: every
// route that changes legal state refuses an anonymous caller).
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// HandleFunc registers an error-returning handler: a non-nil error is rendered as
// problem+json.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.Handle(pattern, ErrorHandler(h))
}

// ErrorHandler adapts an error-returning handler to http.Handler.
func ErrorHandler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			problem.Write(w, r, err)
		}
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route dispatches to the mux, turning its plain-text 404 and 405 into problems.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// No route matched: ask the mux what it would say (404, 405 with Allow, or a
	// redirect for a cleaned path) without letting its text body out.
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		if s.page405 != nil && strings.Contains(r.Header.Get("Accept"), "text/html") {
			s.page405.ServeHTTP(w, r)
			return
		}
		problem.Write(w, r, problem.MethodNotAllowed)
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		w.Header().Set("Location", rec.header.Get("Location"))
		w.WriteHeader(rec.status)
	default:
		if s.page404 != nil && strings.Contains(r.Header.Get("Accept"), "text/html") {
			s.page404.ServeHTTP(w, r)
			return
		}
		problem.Write(w, r, problem.NotFound)
	}
}

type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops accepting,
// lets requests in flight finish within the shutdown timeout, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

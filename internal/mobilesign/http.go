package mobilesign

import (
	"io"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/problem"
)

// maxPut bounds the PUT's body: one CMS of a short text with its chain.
const maxPut = 1 << 20

// Register mounts the phone's API under the prefix: API-1 (GET {prefix}/{link}), API-2
// (GET {prefix}/{link}/document) and the signed result (PUT {prefix}/{link}/document).
// Errors are problem+json with the codes of this package.
func (s *Service) Register(handle func(pattern string, fn func(http.ResponseWriter, *http.Request) error)) {
	p := s.cfg.Prefix
	handle("GET "+p+"/{link}", func(w http.ResponseWriter, r *http.Request) error {
		info, err := s.Open(r.Context(), r.PathValue("link"), BaseOf(r), lang(r))
		if err != nil {
			return err
		}
		noStore(w)
		problem.WriteJSON(w, http.StatusOK, info)
		return nil
	})
	handle("GET "+p+"/{link}/document", func(w http.ResponseWriter, r *http.Request) error {
		d, err := s.Document(r.Context(), r.PathValue("link"), bearer(r))
		if err != nil {
			return err
		}
		noStore(w)
		problem.WriteJSON(w, http.StatusOK, d)
		return nil
	})
	handle("PUT "+p+"/{link}/document", func(w http.ResponseWriter, r *http.Request) error {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPut))
		if err != nil {
			return ErrMalformed.WithCause(err)
		}
		if err := s.Accept(r.Context(), r.PathValue("link"), bearer(r), b); err != nil {
			return err
		}
		noStore(w)
		problem.WriteJSON(w, http.StatusOK, map[string]string{"status": "OK"})
		return nil
	})
}

// BaseOf is the scheme and host a request reached Senim at.
func BaseOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// lang is the phone's language for the description: kk, ru (default) or en.
func lang(r *http.Request) string {
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	switch {
	case strings.HasPrefix(al, "kk"):
		return "kk"
	case strings.HasPrefix(al, "en"):
		return "en"
	}
	return "ru"
}

func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

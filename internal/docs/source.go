package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of a reference source that callers act on.
var (
	// ErrNoDocument: the source holds no such document for this person.
	ErrNoDocument = errors.New("docs: the reference source holds no such document for this person")
	// ErrSourceUnavailable: the source did not answer usably; retry later.
	ErrSourceUnavailable = errors.New("docs: reference source unavailable")
)

// Record is a document's data as a reference source answers it.
type Record struct {
	Kind    string            `json:"kind"`
	Version int               `json:"version"`
	Fields  map[string]string `json:"fields"`
}

// Source is a reference data source: the population register (in the sandbox,
// package sandbox) or any state database speaking the contract of docs/adapters.md.
// Fetch is called on every view; its answer is never stored (DC-7).
type Source interface {
	// Fetch returns the person's document of kind, or ErrNoDocument.
	Fetch(ctx context.Context, kind, iin string) (*Record, error)
}

// maxRecord bounds a source's answer.
const maxRecord = 64 << 10

// ParseRecord decodes a source's answer strictly: one JSON object with kind, version
// and fields (strings, valid UTF-8), nothing else.
func ParseRecord(b []byte) (*Record, error) {
	if len(b) > maxRecord {
		return nil, fmt.Errorf("record larger than %d bytes", maxRecord)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("record: %v", err)
	}
	if dec.More() {
		return nil, errors.New("record: trailing data")
	}
	if !validKind(r.Kind) || r.Version < 1 || len(r.Fields) == 0 || len(r.Fields) > 64 {
		return nil, errors.New("record: kind, version and fields are required")
	}
	for k, v := range r.Fields {
		if !validKind(k) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("record: field %q is not a valid name or text", k)
		}
	}
	return &r, nil
}

// HTTPSourceConfig configures an HTTP reference source.
type HTTPSourceConfig struct {
	BaseURL string        // e.g. https://gbdfl.example.gov.kz/senim
	Token   string        // bearer token, if the source wants one
	Timeout time.Duration // per request; 5 s when zero
	Client  *http.Client
}

// HTTPSource is the production client of a reference source (docs/adapters.md):
//
//	POST {base}/v1/documents {"kind": ..., "iin": ...}
//	-> 200 {"kind": ..., "version": N, "fields": {...}} | 404 (no such document)
//
// The IIN travels in the body, never in the URL, so no access log along the way
// records whose document was asked for.
type HTTPSource struct {
	base  string
	token string
	http  *http.Client
}

// NewHTTPSource returns a client of the source at cfg.BaseURL.
func NewHTTPSource(cfg HTTPSourceConfig) (*HTTPSource, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("docs: source URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	hc := http.Client{}
	if cfg.Client != nil {
		hc = *cfg.Client
	}
	hc.Timeout = cfg.Timeout
	if hc.Timeout <= 0 {
		hc.Timeout = 5 * time.Second
	}
	return &HTTPSource{base: u.String(), token: cfg.Token, http: &hc}, nil
}

// Fetch implements Source.
func (s *HTTPSource) Fetch(ctx context.Context, kind, iin string) (*Record, error) {
	body, _ := json.Marshal(map[string]string{"kind": kind, "iin": iin})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/documents", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSourceUnavailable, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxRecord+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: reading answer: %v", ErrSourceUnavailable, err)
	case res.StatusCode == http.StatusNotFound:
		return nil, ErrNoDocument
	case res.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: status %d", ErrSourceUnavailable, res.StatusCode)
	}
	r, err := ParseRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSourceUnavailable, err)
	}
	if r.Kind != kind {
		return nil, fmt.Errorf("%w: asked for %s, answered %s", ErrSourceUnavailable, kind, r.Kind)
	}
	return r, nil
}

// SourceHandler serves a Source over the contract HTTPSource speaks; the sandbox
// mounts it so the HTTP client is exercised against the sandbox register.
func SourceHandler(src Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Kind, IIN string }
		dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
		// Errors are JSON like the answer ({"code": ...}); http.Error would label
		// them text/plain.
		fail := func(status int, code string) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(status)
			io.WriteString(w, `{"code":"`+code+`"}`+"\n")
		}
		if err := dec.Decode(&in); err != nil || in.Kind == "" || in.IIN == "" {
			fail(http.StatusBadRequest, "bad_request")
			return
		}
		rec, err := src.Fetch(r.Context(), in.Kind, in.IIN)
		switch {
		case errors.Is(err, ErrNoDocument):
			fail(http.StatusNotFound, "not_found")
			return
		case err != nil:
			fail(http.StatusServiceUnavailable, "unavailable")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(rec)
	})
}

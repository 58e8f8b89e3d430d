// Package problem is Senim's one API error type and its one renderer: RFC 9457
// application/problem+json with a stable dotted machine code and, where a rule of
// docs/rules.md is enforced, the rule's id.
//
// Handlers return errors; Write turns any error into a response through From, the one
// mapping that the web shell's pages use too. A *Problem is rendered as it is; any error
// whose chain holds a *Problem is rendered as that problem (so a domain package can wrap
// one with context); an unavailable dependency (store.ErrUnavailable) or a deadline
// becomes 503 with Retry-After; everything else becomes a 500. Internal text never
// reaches the client. 4xx are logged at warn, 5xx at error — with the code and the
// request id, never with personal data.
//
// DecodeJSON (decode.go) is the one decoder of JSON request bodies.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// ContentType is the media type of every error body.
const ContentType = "application/problem+json"

// TypePrefix prefixes a problem's code to form its type URI.
const TypePrefix = "urn:senim:problem:"

// Problem is an API error. The zero value is not useful; use New.
type Problem struct {
	Status int    // HTTP status
	Code   string // stable dotted code, e.g. pd.verification_token.signature_invalid
	Title  string // short, safe, human-readable summary of the code (constant per code)
	Detail string // safe explanation of this occurrence
	Rule   string // the docs/rules.md rule enforced, e.g. PD-6.1.4
	// Extra holds extension members rendered next to the standard ones.
	Extra map[string]any
	// Header holds response headers to set, e.g. Retry-After.
	Header http.Header

	cause error // internal, never rendered
}

// New returns a problem with the given status, code and title, and enters the code in
// the catalogue (Catalog), from which docs/errors.md is generated.
func New(status int, code, title string) *Problem {
	register(status, code, title)
	return &Problem{Status: status, Code: code, Title: title}
}

// Error implements error; it includes the internal cause for logs and tests.
func (p *Problem) Error() string {
	s := p.Code
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.cause != nil {
		s += ": " + p.cause.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (p *Problem) Unwrap() error { return p.cause }

// Is makes errors.Is match problems by code, so a sentinel *Problem can be compared
// with a copy that carries a detail.
func (p *Problem) Is(target error) bool {
	t, ok := target.(*Problem)
	return ok && t.Code == p.Code
}

func (p *Problem) clone() *Problem {
	c := *p
	if p.Extra != nil {
		c.Extra = make(map[string]any, len(p.Extra))
		for k, v := range p.Extra {
			c.Extra[k] = v
		}
	}
	if p.Header != nil {
		c.Header = p.Header.Clone()
	}
	return &c
}

// WithDetail returns a copy with a detail message. Details are shown to the client:
// never put internal error text or personal data in them.
func (p *Problem) WithDetail(detail string) *Problem { c := p.clone(); c.Detail = detail; return c }

// WithRule returns a copy naming the rule it enforces.
func (p *Problem) WithRule(rule string) *Problem {
	registerRule(p.Code, rule)
	c := p.clone()
	c.Rule = rule
	return c
}

// WithCause returns a copy carrying an internal cause for logs; it is never rendered.
func (p *Problem) WithCause(err error) *Problem { c := p.clone(); c.cause = err; return c }

// With returns a copy with an extension member.
func (p *Problem) With(key string, value any) *Problem {
	c := p.clone()
	if c.Extra == nil {
		c.Extra = map[string]any{}
	}
	c.Extra[key] = value
	return c
}

// WithHeader returns a copy that sets a response header.
func (p *Problem) WithHeader(key, value string) *Problem {
	c := p.clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return c
}

// Common problems. Domain packages define their own with their own codes.
var (
	NotFound         = New(http.StatusNotFound, "http.not_found", "No such resource")
	MethodNotAllowed = New(http.StatusMethodNotAllowed, "http.method_not_allowed", "Method not allowed on this resource")
	MalformedJSON    = New(http.StatusBadRequest, "request.malformed_json", "The request body is not valid JSON for this endpoint")
	TrailingData     = New(http.StatusBadRequest, "request.trailing_data", "The request body has data after its JSON value")
	UnknownField     = New(http.StatusBadRequest, "request.unknown_field", "The request body has a field this endpoint does not know")
	FieldType        = New(http.StatusBadRequest, "request.field_type", "A field of the request body has the wrong JSON type")
	InvalidField     = New(http.StatusBadRequest, "request.invalid_field", "A field of the request is missing or invalid")
	InvalidBase64    = New(http.StatusBadRequest, "request.invalid_base64", "A field is not valid Base64")
	BodyUnreadable   = New(http.StatusBadRequest, "request.body_unreadable", "The request body could not be read")
	TooLarge         = New(http.StatusRequestEntityTooLarge, "request.too_large", "The request body is too large")
	URITooLong       = New(http.StatusRequestURITooLong, "request.uri_too_long", "The request URI is too long")
	HeadersTooLarge  = New(http.StatusRequestHeaderFieldsTooLarge, "request.headers_too_large", "The request header fields are too large")
	UnsupportedMedia = New(http.StatusUnsupportedMediaType, "request.unsupported_media_type", "The request body must be application/json")
	Unauthenticated  = New(http.StatusUnauthorized, "auth.unauthenticated", "Authentication is required")
	Forbidden        = New(http.StatusForbidden, "auth.forbidden", "You may not act on this resource")
	CSRF             = New(http.StatusForbidden, "auth.csrf", "The form's anti-forgery token is missing or wrong")
	RateLimited      = New(http.StatusTooManyRequests, "http.rate_limited", "Too many requests; retry later")
	Unavailable      = New(http.StatusServiceUnavailable, "http.unavailable", "The service is temporarily unavailable")
	Internal         = New(http.StatusInternalServerError, "internal", "Internal error")
	Canceled         = New(499, "http.canceled", "The client closed the request")
)

// UnavailableRetryAfter is the Retry-After (seconds) of the problems From makes for an
// outage.
const UnavailableRetryAfter = 5

// From is the one mapping from an error to the response it stands for, shared by the
// JSON API (Write) and the web shell's HTML pages:
//
//   - the *Problem in err's chain, as it is — unless it is a 5xx other than 503 and
//     the chain also says a dependency is unavailable, which wins;
//   - context.Canceled: Canceled (the client left; nothing is written);
//   - an error in the chain with a method Unavailable() bool that returns true (such as
//     store.ErrUnavailable: the database cannot be reached), or
//     context.DeadlineExceeded: 503 Unavailable with Retry-After;
//   - anything else: 500 Internal with a generic detail.
//
// Only a *Problem's own detail is ever shown; the text of wrapping errors goes to the
// log as the cause, never to the client.
func From(err error) *Problem {
	var p *Problem
	found := errors.As(err, &p)
	if found && (p.Status < 500 || p.Status == http.StatusServiceUnavailable) {
		return p
	}
	switch {
	case errors.Is(err, context.Canceled) && !found:
		return Canceled.WithCause(err)
	case isUnavailable(err):
		return RetryAfter(Unavailable.WithDetail("a service this request needs is unreachable; retry later"), UnavailableRetryAfter).WithCause(err)
	case errors.Is(err, context.DeadlineExceeded):
		return RetryAfter(Unavailable.WithDetail("the request took too long; retry later"), UnavailableRetryAfter).WithCause(err)
	case found:
		return p
	}
	return Internal.WithCause(err)
}

// isUnavailable reports whether some error in err's tree says so through a method
// Unavailable() bool.
func isUnavailable(err error) bool {
	type unavailable interface{ Unavailable() bool }
	for err != nil {
		if u, ok := err.(unavailable); ok && u.Unavailable() {
			return true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if isUnavailable(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// Logger returns the logger Write uses for a request; the server sets it to one that
// carries the request id. It defaults to slog.Default.
var loggerKey = struct{ name string }{"problem.logger"}

// WithLogger returns a context whose Write calls log through l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// Write renders err as problem+json and logs it.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	p := From(err)
	ctx := r.Context()
	attrs := []slog.Attr{slog.String("code", p.Code), slog.Int("status", p.Status)}
	if p.Status >= 500 {
		attrs = append(attrs, slog.String("error", errString(p.cause)))
		logger(ctx).LogAttrs(ctx, slog.LevelError, "request failed", attrs...)
	} else if p.Status != Canceled.Status {
		logger(ctx).LogAttrs(ctx, slog.LevelWarn, "request refused", attrs...)
	}
	for k, vs := range p.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(UnavailableRetryAfter))
	}
	body := make(map[string]any, 6+len(p.Extra))
	for k, v := range p.Extra {
		body[k] = v
	}
	body["type"] = TypePrefix + p.Code
	body["title"] = p.Title
	body["status"] = p.Status
	body["code"] = p.Code
	if p.Detail != "" {
		body["detail"] = p.Detail
	}
	if p.Rule != "" {
		body["rule"] = p.Rule
	}
	if p.Status == 499 {
		return // nobody is listening
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(body)
	w.Write(append(b, '\n'))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// RetryAfter returns a copy of p that tells the client to retry after secs seconds.
func RetryAfter(p *Problem, secs int) *Problem {
	return p.WithHeader("Retry-After", strconv.Itoa(secs))
}

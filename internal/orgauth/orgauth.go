package orgauth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
)

// Scheme is the Authorization scheme of signed requests.
const Scheme = "Senim-Signature"

// TokenType is the JWS "typ" of a signed request.
const TokenType = "senim-req+jwt"

// Challenge is the WWW-Authenticate of every 401 answer of the organisations' API (RFC
// 9110 §11.6.1): sign the request (docs/api.md). Mutual TLS has no HTTP challenge.
const Challenge = Scheme + ` realm="senim"`

// Problems, each with a stable code.
var (
	ErrMalformed   = unauthorized("orgauth.signature.malformed", "The request signature is malformed")
	ErrSignature   = unauthorized("orgauth.signature.invalid", "The request signature does not verify")
	ErrStale       = unauthorized("orgauth.signature.stale", "The request signature is too old or from the future")
	ErrReplayed    = unauthorized("orgauth.signature.replayed", "This request signature was used before")
	ErrMismatch    = unauthorized("orgauth.signature.request_mismatch", "The request signature was made for another request")
	ErrUntrusted   = unauthorized("orgauth.certificate.untrusted", "The certificate does not chain to a trusted authority, or is expired or revoked")
	ErrNoBIN       = problem.New(403, "orgauth.certificate.no_bin", "The certificate does not belong to an organization (no BIN)")
	ErrBodyTooLong = problem.New(413, "request.too_large", "The request body is too large")
)

func unauthorized(code, title string) *problem.Problem {
	return problem.New(http.StatusUnauthorized, code, title).WithHeader("WWW-Authenticate", Challenge)
}

// Config configures an Authenticator.
type Config struct {
	// Validator checks certificate chains against the configured trust anchors.
	Validator *pki.Validator
	// Revocation lists the revocation checks to make (none when empty).
	Revocation []pki.RevocationMethod
	Now        func() time.Time
	// Window is how far a signed request's iat may lie from now (default 2 minutes).
	Window time.Duration
	// MaxBody bounds the request bodies it hashes (default 1 MiB): at least the largest
	// body of any route it guards, each of which bounds its own body below it.
	MaxBody int64
}

// Authenticator authenticates organizations' requests.
type Authenticator struct {
	cfg    Config
	replay *replayCache
}

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Validator == nil {
		return nil, errors.New("orgauth: a Validator is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Window <= 0 {
		cfg.Window = 2 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	return &Authenticator{cfg: cfg, replay: newReplayCache()}, nil
}

// Middleware authenticates a request that carries credentials and puts the Caller in
// its context; a request without credentials passes on without one (handlers that need
// an organization call Require). Wrong credentials are refused here, with their code.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			c   *Caller
			err error
		)
		switch {
		case strings.HasPrefix(r.Header.Get("Authorization"), Scheme+" "):
			c, err = a.signed(w, r)
		case r.TLS != nil && len(r.TLS.PeerCertificates) > 0:
			c, err = a.caller(r, r.TLS.PeerCertificates, "mtls")
		}
		if err != nil {
			problem.Write(w, r, err)
			return
		}
		if c != nil {
			r = r.WithContext(WithCaller(r.Context(), c))
		}
		next.ServeHTTP(w, r)
	})
}

type claims struct {
	Htm string `json:"htm"`
	Htu string `json:"htu"`
	Iat int64  `json:"iat"`
	Jti string `json:"jti"`
	Bdh string `json:"bdh"`
}

func (a *Authenticator) signed(w http.ResponseWriter, r *http.Request) (*Caller, error) {
	tok, err := jws.Parse(strings.TrimPrefix(r.Header.Get("Authorization"), Scheme+" "))
	if err != nil {
		return nil, ErrMalformed.WithDetail(jwsDetail(err)).WithCause(err)
	}
	if tok.Header.Typ != TokenType {
		return nil, ErrMalformed.WithDetail("typ must be " + TokenType)
	}
	var cl claims
	dec := json.NewDecoder(bytes.NewReader(tok.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cl); err != nil || cl.Htm == "" || cl.Htu == "" || cl.Jti == "" || len(cl.Jti) > 128 || cl.Bdh == "" {
		return nil, ErrMalformed.WithDetail("the payload must hold htm, htu, iat, jti (at most 128 characters) and bdh")
	}
	now := a.cfg.Now()
	iat := time.Unix(cl.Iat, 0)
	if iat.Before(now.Add(-a.cfg.Window)) || iat.After(now.Add(a.cfg.Window)) {
		return nil, ErrStale.WithDetail(fmt.Sprintf("iat must be within %s of the server's time", a.cfg.Window))
	}
	if cl.Htm != r.Method || cl.Htu != r.URL.RequestURI() {
		return nil, ErrMismatch.WithDetail("htm and htu must be the request's method and path with query")
	}
	// The signature and the certificate before the body: only a trusted organisation's
	// fresh request makes Senim read a body, which may be as large as MaxBody.
	if err := tok.Verify(); err != nil {
		return nil, ErrSignature.WithDetail(jwsDetail(err)).WithCause(err)
	}
	c, err := a.caller(r, tok.Chain, "signature")
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, ErrBodyTooLong.WithDetail(fmt.Sprintf("a request body may be at most %d bytes", a.cfg.MaxBody))
		}
		return nil, problem.BodyUnreadable.WithCause(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(cl.Bdh), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1 {
		return nil, ErrMismatch.WithDetail("bdh is not the SHA-256 of the body")
	}
	// Only a request that verified spends its jti, so nobody can burn another's.
	if !a.replay.add(c.Thumbprint+"|"+cl.Jti, iat.Add(a.cfg.Window), now) {
		return nil, ErrReplayed
	}
	return c, nil
}

// jwsDetail is the client-safe message of the jws error err wraps. The wrapping text
// (certificate parser and crypto library messages) goes to the log as the cause,
// never to the client.
func jwsDetail(err error) string {
	for _, s := range []error{jws.ErrMalformed, jws.ErrUnsupportedAlg, jws.ErrAlgKeyMismatch, jws.ErrSignatureInvalid} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "the token is not a valid JWS"
}

func (a *Authenticator) caller(r *http.Request, chain []*x509.Certificate, transport string) (*Caller, error) {
	leaf := chain[0]
	res := a.cfg.Validator.Validate(r.Context(), leaf, a.cfg.Now(), pki.Options{Revocation: a.cfg.Revocation, Intermediates: chain[1:]})
	if !res.Valid {
		detail := "chain, validity or revocation check failed"
		if len(res.Errors) > 0 {
			detail = pki.Code(res.Errors[0])
		}
		return nil, ErrUntrusted.WithDetail(detail)
	}
	info := pki.Info(leaf)
	if info.Subject.BIN == "" {
		return nil, ErrNoBIN
	}
	return &Caller{BIN: info.Subject.BIN, Certificate: leaf, Chain: res.Chain, Info: info, Thumbprint: Thumbprint(leaf), Transport: transport}, nil
}

// replayCache remembers the jtis of signed requests until they could no longer pass
// the time window. It is per process: with several API nodes, put a shared store here.
type replayCache struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	swept time.Time
}

func newReplayCache() *replayCache { return &replayCache{seen: map[string]time.Time{}} }

func (c *replayCache) add(key string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) > 30*time.Second {
		for k, t := range c.seen {
			if t.Before(now) {
				delete(c.seen, k)
			}
		}
		c.swept = now
	}
	if t, ok := c.seen[key]; ok && !t.Before(now) {
		return false
	}
	c.seen[key] = until
	return true
}

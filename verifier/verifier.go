// Package verifier is what a state data owner embeds to check the security tokens Senim
// issues (PD-6.1.10, PD-6.2.4, PD-6.3.8) without calling Senim on the hot path: the
// ES256 signature through Senim's published keys (JWKS, cached, refetched on an unknown
// key id), the issuer, the audience (the owner's own BIN), the expiry with a bounded
// clock skew, that the data request is for the token's subject and for data sets inside
// its scope, that it comes from the certificate the token is bound to (RFC 8705
// cnf.x5t#S256; switchable where a government bus ends TLS before the owner), and
// optionally an online check that the consent behind a token was not revoked.
//
// With Config.Log set, it also refuses a token whose issuance is not proven to be in
// Senim's tamper-evident log ("no access without a logged token"): it asks
// GET /log/proof/event/{evt} for the leaf of the token's issuance event, its RFC 6962
// inclusion proof and the signed checkpoint, checks them with the log's note
// verifier key configured out of band, and checks that the leaf binds this token's
// jti (a v2 leaf), so a proof of another event under the same id proves nothing.
// Refusals: verifier.token.not_logged (not in the log yet after Log.Wait, or no evt
// claim), verifier.log.wrong_event (the leaf at evt is not this token's issuance),
// verifier.log.proof_invalid, verifier.log.checkpoint_invalid,
// verifier.log.unavailable. A proven event is remembered with its jti, so a token
// costs one call to the log, not one per request.
//
//	Log: &verifier.LogRequirement{
//		URL:         "https://senim.example.kz",
//		VerifierKey: "senim.kz/log+1a2b3c4d+AU…", // from GET /log/key, pinned
//		Wait:        2 * time.Second,
//	},
//
// It imports nothing of Senim's internals, only the standard library and
// golang.org/x/mod/sumdb/note (signed-note checkpoints), so a data owner can audit
// and vendor it alone.
//
//	v, err := verifier.New(verifier.Config{
//		Keys:     verifier.NewJWKS("https://senim.example.kz/.well-known/jwks.json", nil),
//		Issuer:   "https://senim.example.kz",
//		Audience: "123456789012", // the data owner's BIN
//	})
//	mux.Handle("GET /persons/{iin}", v.Middleware(func(r *http.Request) (verifier.Request, error) {
//		return verifier.Request{Subject: r.PathValue("iin"), DataSets: []string{"identity"}}, nil
//	}, handler))
package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"
)

// Error is a verification failure with a stable dotted code.
type Error struct {
	code   string
	msg    string
	status int
}

func (e *Error) Error() string { return "verifier: " + e.msg }

// Code returns the stable code, e.g. "verifier.token.expired".
func (e *Error) Code() string { return e.code }

// Status is the HTTP status the middleware answers with.
func (e *Error) Status() int { return e.status }

// The errors Verify returns (wrapped with detail; test with errors.Is).
var (
	ErrMissing     = &Error{"verifier.token.missing", "no security token", 401}
	ErrMalformed   = &Error{"verifier.token.malformed", "malformed security token", 401}
	ErrUnknownKey  = &Error{"verifier.token.unknown_key", "the token's key id is not among Senim's published keys", 401}
	ErrSignature   = &Error{"verifier.token.signature_invalid", "the token's signature does not verify", 401}
	ErrIssuer      = &Error{"verifier.token.issuer_mismatch", "the token was not issued by the configured Senim", 401}
	ErrAudience    = &Error{"verifier.token.audience_mismatch", "the token is for another data owner", 403}
	ErrExpired     = &Error{"verifier.token.expired", "the token has expired", 401}
	ErrNotYetValid = &Error{"verifier.token.not_yet_valid", "the token is issued in the future", 401}
	ErrSubject     = &Error{"verifier.request.subject_mismatch", "the request is about another subject than the token's", 403}
	ErrScope       = &Error{"verifier.request.scope_exceeded", "the request asks for data sets outside the token's scope", 403}
	ErrInitiator   = &Error{"verifier.request.initiator_mismatch", "the request comes from another organization than the token's", 403}
	ErrSender      = &Error{"verifier.request.sender_mismatch", "the request does not come from the certificate the token is bound to", 401}
	ErrRevoked     = &Error{"verifier.token.revoked", "the online check says the token is no longer good (consent revoked)", 403}
	ErrUnavailable = &Error{"verifier.unavailable", "Senim's keys or online check are unavailable", 503}
)

// Is lets errors.Is match a wrapped copy.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code
}

func fail(e *Error, detail string) error { return fmt.Errorf("%w: %s", e, detail) }

// KeySource returns Senim's public key with a key id.
type KeySource interface {
	Key(ctx context.Context, kid string) (*ecdsa.PublicKey, error)
}

// OnlineChecker asks Senim whether a token is still good (e.g. its consent not revoked).
type OnlineChecker interface {
	Check(ctx context.Context, jti string) (active bool, reason string, err error)
}

// Config configures a Verifier.
type Config struct {
	Keys     KeySource // required
	Issuer   string    // required: Senim's issuer URL, the tokens' "iss"
	Audience string    // required: the data owner's BIN
	// Skew is the clock skew tolerated on exp and iat. Default 30 s, at most 5 min.
	Skew time.Duration
	// NoSenderConstraint switches off the certificate binding: only for an owner behind
	// a government bus that ends TLS (Senim then issues tokens without cnf).
	NoSenderConstraint bool
	// Online, when set, is asked about every token (a network call per request).
	Online OnlineChecker
	// Log, when set, makes Verify refuse a token whose issuance is not proven to be
	// in Senim's tamper-evident log (see LogRequirement).
	Log *LogRequirement
	Now func() time.Time
}

// Verifier checks security tokens. It is safe for concurrent use.
type Verifier struct {
	cfg     Config
	log     *logChecker
	mu      sync.RWMutex
	headers map[string]*ecdsa.PublicKey // protected header (base64url) -> key
}

// New validates cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Keys == nil || cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("verifier: Keys, Issuer and Audience are required")
	}
	if cfg.Skew <= 0 {
		cfg.Skew = 30 * time.Second
	}
	if cfg.Skew > 5*time.Minute {
		cfg.Skew = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, headers: map[string]*ecdsa.PublicKey{}}
	if cfg.Log != nil {
		lc, err := newLogChecker(cfg.Log)
		if err != nil {
			return nil, err
		}
		v.log = lc
	}
	return v, nil
}

// Request is the data request a token is presented with.
type Request struct {
	Subject  string   // the IIN the request is about
	DataSets []string // the data sets it asks for
	// Initiator, when known (e.g. from the client certificate), must be the token's azp.
	Initiator string
	// ClientCert is the certificate the request came with (TLS client certificate);
	// required unless the sender constraint is off.
	ClientCert *x509.Certificate
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// Parse checks the token itself — signature, issuer, audience, time — and returns its
// claims, without looking at a request.
func (v *Verifier) Parse(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, ErrMissing
	}
	if len(token) > 16<<10 {
		return nil, fail(ErrMalformed, "too long")
	}
	i := strings.IndexByte(token, '.')
	j := strings.LastIndexByte(token, '.')
	if i <= 0 || j <= i {
		return nil, fail(ErrMalformed, "want three dot-separated parts")
	}
	hb64, pb64, sb64 := token[:i], token[i+1:j], token[j+1:]
	key, err := v.keyFor(ctx, hb64)
	if err != nil {
		return nil, err
	}
	var sig [64]byte
	if base64.RawURLEncoding.DecodedLen(len(sb64)) != 64 {
		return nil, fail(ErrSignature, "an ES256 signature is 64 bytes")
	}
	if _, err := base64.RawURLEncoding.Decode(sig[:], []byte(sb64)); err != nil {
		return nil, fail(ErrMalformed, "signature is not base64url")
	}
	sum := sha256.Sum256([]byte(token[:j]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, sum[:], r, s) {
		return nil, ErrSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(pb64)
	if err != nil {
		return nil, fail(ErrMalformed, "payload is not base64url")
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fail(ErrMalformed, "payload is not the claims of a security token")
	}
	if c.Issuer != v.cfg.Issuer {
		return nil, ErrIssuer
	}
	if c.Audience != v.cfg.Audience {
		return nil, ErrAudience
	}
	now := v.cfg.Now()
	if c.Expiry == 0 || !now.Before(time.Unix(c.Expiry, 0).Add(v.cfg.Skew)) {
		return nil, ErrExpired
	}
	if time.Unix(c.IssuedAt, 0).After(now.Add(v.cfg.Skew)) {
		return nil, ErrNotYetValid
	}
	if c.Subject == "" || c.ID == "" {
		return nil, fail(ErrMalformed, "sub and jti are required")
	}
	return &c, nil
}

// keyFor returns the key named by a protected header, remembering decoded headers.
func (v *Verifier) keyFor(ctx context.Context, hb64 string) (*ecdsa.PublicKey, error) {
	v.mu.RLock()
	k := v.headers[hb64]
	v.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	hb, err := base64.RawURLEncoding.DecodeString(hb64)
	if err != nil {
		return nil, fail(ErrMalformed, "header is not base64url")
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fail(ErrMalformed, "header is not JSON")
	}
	if h.Alg != "ES256" || h.Typ != TokenType || h.Kid == "" {
		return nil, fail(ErrMalformed, "want alg ES256, typ "+TokenType+" and a kid")
	}
	k, err = v.cfg.Keys.Key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.headers) > 64 {
		clear(v.headers)
	}
	v.headers[hb64] = k
	v.mu.Unlock()
	return k, nil
}

// Verify checks token and that it matches req (PD-6.1.10): the token is good, the
// request is for its subject, inside its scope, from its initiator's certificate,
// (with an online checker) still good at Senim, and (with Config.Log) its issuance
// is proven to be in Senim's tamper-evident log.
func (v *Verifier) Verify(ctx context.Context, token string, req Request) (*Claims, error) {
	c, err := v.Parse(ctx, token)
	if err != nil {
		return nil, err
	}
	if req.Subject != c.Subject {
		return nil, ErrSubject
	}
	if len(req.DataSets) == 0 {
		return nil, fail(ErrScope, "the request names no data sets")
	}
	for _, d := range req.DataSets {
		if !slices.Contains(c.Scope, d) {
			return nil, fail(ErrScope, d)
		}
	}
	if req.Initiator != "" && req.Initiator != c.Initiator {
		return nil, ErrInitiator
	}
	if !v.cfg.NoSenderConstraint {
		if c.Confirmation == nil {
			return nil, fail(ErrSender, "the token is not bound to a certificate")
		}
		if req.ClientCert == nil {
			return nil, fail(ErrSender, "the request came without a client certificate")
		}
		sum := sha256.Sum256(req.ClientCert.Raw)
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.Confirmation.X5TS256 {
			return nil, ErrSender
		}
	}
	if v.cfg.Online != nil {
		active, reason, err := v.cfg.Online.Check(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if !active {
			return nil, fail(ErrRevoked, reason)
		}
	}
	if v.log != nil {
		// rule PD-6.1.10: no access without a logged token.
		if err := v.log.check(ctx, c.Event, c.ID); err != nil {
			return nil, err
		}
	}
	return c, nil
}

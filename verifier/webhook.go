package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// WebhookType is the typ of a webhook event's JWS header (a security token's is
// TokenType; neither passes for the other).
const WebhookType = "senim-webhook+jwt"

// WebhookEvent is a signed event Senim POSTs to an organisation's endpoint (body: the
// compact JWS, Content-Type application/jose).
type WebhookEvent struct {
	Issuer    string          `json:"iss"`
	Audience  string          `json:"aud"` // the receiving organisation's BIN
	ID        string          `json:"jti"` // the event id, the same in every attempt: drop repeats by it
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"` // RFC 3339
	IssuedAt  int64           `json:"iat"`        // when this attempt was signed
	Data      json.RawMessage `json:"data"`
}

// WebhookOptions says what VerifyWebhook expects.
type WebhookOptions struct {
	Issuer   string // required: Senim's issuer URL
	Audience string // required: your BIN
	// MaxAge refuses an attempt signed longer ago than this (default 10 minutes), so a
	// recorded request cannot be replayed later; within it, drop repeats by ID.
	MaxAge time.Duration
	Now    func() time.Time
}

// VerifyWebhook checks a webhook body: an ES256 JWS of typ WebhookType signed by a key
// of Senim's published set (keys: a JWKS or StaticKeys), for this issuer and
// audience, signed within MaxAge. It returns the event; the receiver then drops an ID
// it has seen.
func VerifyWebhook(ctx context.Context, body []byte, keys KeySource, o WebhookOptions) (*WebhookEvent, error) {
	token := strings.TrimSpace(string(body))
	if token == "" {
		return nil, ErrMissing
	}
	if len(token) > 64<<10 {
		return nil, fail(ErrMalformed, "too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fail(ErrMalformed, "want three dot-separated parts")
	}
	enc := base64.RawURLEncoding
	hb, err1 := enc.DecodeString(parts[0])
	pb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fail(ErrMalformed, "not base64url")
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil || h.Alg != "ES256" || h.Typ != WebhookType || h.Kid == "" {
		return nil, fail(ErrMalformed, "want alg ES256, typ "+WebhookType+" and a kid")
	}
	if len(sig) != 64 {
		return nil, fail(ErrSignature, "an ES256 signature is 64 bytes")
	}
	key, err := keys.Key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, ErrSignature
	}
	var e WebhookEvent
	if err := json.Unmarshal(pb, &e); err != nil {
		return nil, fail(ErrMalformed, "payload is not a webhook event")
	}
	if e.Issuer != o.Issuer {
		return nil, ErrIssuer
	}
	if e.Audience != o.Audience {
		return nil, ErrAudience
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	maxAge := o.MaxAge
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	iat := time.Unix(e.IssuedAt, 0)
	if e.IssuedAt == 0 || now().Sub(iat) > maxAge {
		return nil, ErrExpired
	}
	if iat.After(now().Add(30 * time.Second)) {
		return nil, ErrNotYetValid
	}
	if e.ID == "" || e.Type == "" {
		return nil, fail(ErrMalformed, "jti and type are required")
	}
	return &e, nil
}

package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
}

// ParseJWKS reads a JWK set and returns its P-256 keys by key id.
func ParseJWKS(b []byte) (map[string]*ecdsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("verifier: JWKS is not JSON: %w", err)
	}
	out := map[string]*ecdsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || k.Kid == "" {
			continue
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("verifier: JWK %s has bad coordinates", k.Kid)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("verifier: JWK %s: %w", k.Kid, err)
		}
		out[k.Kid] = pub
	}
	return out, nil
}

// StaticKeys is a KeySource of fixed keys (tests, air-gapped owners).
type StaticKeys map[string]*ecdsa.PublicKey

// Key implements KeySource.
func (s StaticKeys) Key(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	if k := s[kid]; k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// JWKS is a KeySource that fetches Senim's key set from its URL, keeps it, refreshes it
// every Refresh and when a token names an unknown key id (at most every MinInterval, so
// forged key ids cannot make it hammer Senim).
type JWKS struct {
	URL         string
	Client      *http.Client
	Refresh     time.Duration // default 1 h
	MinInterval time.Duration // default 10 s

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time
	tried   time.Time
}

// NewJWKS returns a JWKS for url (client nil: a client with a 10 s timeout).
func NewJWKS(url string, client *http.Client) *JWKS {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &JWKS{URL: url, Client: client}
}

// Key implements KeySource.
func (j *JWKS) Key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	refresh, min := j.Refresh, j.MinInterval
	if refresh <= 0 {
		refresh = time.Hour
	}
	if min <= 0 {
		min = 10 * time.Second
	}
	now := time.Now()
	k := j.keys[kid]
	if (k == nil || now.Sub(j.fetched) > refresh) && now.Sub(j.tried) >= min {
		j.tried = now
		keys, err := j.fetch(ctx)
		if err != nil && j.keys == nil {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if err == nil {
			j.keys, j.fetched = keys, now
			k = keys[kid]
		}
	}
	if k == nil {
		return nil, ErrUnknownKey
	}
	return k, nil
}

func (j *JWKS) fetch(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, err
	}
	res, err := j.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", j.URL, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return ParseJWKS(b)
}

// HTTPOnline is an OnlineChecker that asks Senim's GET /v1/pd/tokens/{jti}/status. The
// client must authenticate the data owner (mutual TLS with its EDS certificate).
type HTTPOnline struct {
	BaseURL string
	Client  *http.Client
}

// Check implements OnlineChecker.
func (h *HTTPOnline) Check(ctx context.Context, jti string) (bool, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.BaseURL+"/v1/pd/tokens/"+jti+"/status", nil)
	if err != nil {
		return false, "", err
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return false, "", err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return false, "unknown", nil
	}
	if res.StatusCode != http.StatusOK {
		return false, "", fmt.Errorf("status check: %s", res.Status)
	}
	var st struct {
		Active bool   `json:"active"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&st); err != nil {
		return false, "", err
	}
	return st.Active, st.Reason, nil
}

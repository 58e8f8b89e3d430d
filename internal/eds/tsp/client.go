package tsp

import (
	"bytes"
	"context"
	"encoding/asn1"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds"
)

// Client asks an RFC 3161 TSA over HTTP. It implements cms.TimeStamper.
type Client struct {
	// URL of the TSA, e.g. http://test.pki.gov.kz/tsp/.
	URL string
	// HTTPClient sends the requests. Default: a client with Timeout.
	HTTPClient *http.Client
	// Timeout of one request when HTTPClient is nil. Default 10 s.
	Timeout time.Duration
	// Policy to request; nil leaves it to the TSA.
	Policy asn1.ObjectIdentifier
	// Hash, when set, overrides the hash algorithm TimeStamp is given.
	Hash asn1.ObjectIdentifier
	// MaxResponseSize bounds the body read. Default 1 MiB.
	MaxResponseSize int64
}

// TimeStamp gets a token over data, hashed with hashAlg (or c.Hash), with a fresh nonce
// and the TSA certificate requested. The token is checked against the request (imprint,
// nonce, policy) and its signature verified; trust in the TSA is the verifier's business.
// Errors wrap ErrUnavailable, ErrRejected, ErrMalformed or the errors of VerifyToken.
func (c *Client) TimeStamp(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return c.timeStamp(ctx, hashAlg, data, true)
}

// TimeStampMatched is TimeStamp without verifying the token's signature: the answer is
// checked against the request only (granted; the imprint, nonce, policy and hash
// algorithm asked for). It is for a caller that verifies the token completely right
// after, before relying on it — archive.MakeLT verifies the signature with its new
// token through cms.Verify — and spares it a second verification of every token.
// Everyone else calls TimeStamp.
func (c *Client) TimeStampMatched(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return c.timeStamp(ctx, hashAlg, data, false)
}

func (c *Client) timeStamp(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte, verify bool) ([]byte, error) {
	if c.Hash != nil {
		hashAlg = c.Hash
	}
	if hashAlg == nil {
		hashAlg = eds.OIDDigestStreebog512
	}
	req, err := NewRequest(nil, hashAlg, data, c.Policy)
	if err != nil {
		return nil, err
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	hc := c.HTTPClient
	if hc == nil {
		t := c.Timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	hr.Header.Set("Content-Type", ContentTypeQuery)
	hr.Header.Set("Accept", ContentTypeReply)
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, ContentTypeReply) {
		return nil, fmt.Errorf("%w: content type %q", ErrUnavailable, ct)
	}
	limit := c.MaxResponseSize
	if limit <= 0 {
		limit = 1 << 20
	}
	rb, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if int64(len(rb)) > limit {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrUnavailable, limit)
	}
	return checkResponse(ctx, rb, req, verify)
}

// checkResponse parses a TimeStampResp and checks its token against req; with verify,
// its signature too (VerifyToken without a chain).
func checkResponse(ctx context.Context, der []byte, req *Request, verify bool) ([]byte, error) {
	r, err := ParseResponse(der)
	if err != nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	var tok *Token
	if verify {
		v, err := VerifyToken(ctx, r.Token, VerifyOptions{HashedMessage: req.HashedMessage, Nonce: req.Nonce, Policy: req.Policy})
		if err != nil {
			return nil, err
		}
		tok = v.Token
	} else {
		if tok, err = ParseToken(r.Token); err != nil {
			return nil, err
		}
		if err := checkInfo(tok.Info, req.HashedMessage, req.Nonce, req.Policy); err != nil {
			return nil, err
		}
	}
	if !tok.Info.HashAlgorithm.Equal(req.HashAlgorithm) {
		return nil, fmt.Errorf("%w: token hash algorithm %s, requested %s", ErrImprintMismatch, tok.Info.HashAlgorithm, req.HashAlgorithm)
	}
	return tok.Raw, nil
}

// Local is an in-process TSA for the same program (the sandbox, tests): it implements
// cms.TimeStamper by calling Respond directly, with the same checks as Client.
type Local struct {
	Config TSAConfig
	Policy asn1.ObjectIdentifier // requested policy; nil: the TSA's default
	Hash   asn1.ObjectIdentifier // overrides the hash algorithm TimeStamp is given
}

// TimeStamp implements cms.TimeStamper.
func (l *Local) TimeStamp(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return l.timeStamp(ctx, hashAlg, data, true)
}

// TimeStampMatched is Client.TimeStampMatched for the in-process TSA.
func (l *Local) TimeStampMatched(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	return l.timeStamp(ctx, hashAlg, data, false)
}

func (l *Local) timeStamp(ctx context.Context, hashAlg asn1.ObjectIdentifier, data []byte, verify bool) ([]byte, error) {
	if l.Hash != nil {
		hashAlg = l.Hash
	}
	if hashAlg == nil {
		hashAlg = eds.OIDDigestStreebog512
	}
	req, err := NewRequest(l.Config.Rand, hashAlg, data, l.Policy)
	if err != nil {
		return nil, err
	}
	body, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	resp, err := Respond(body, l.Config)
	if err != nil {
		return nil, err
	}
	return checkResponse(ctx, resp, req, verify)
}

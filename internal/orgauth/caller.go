// Package orgauth authenticates organizations' information systems on Senim's API by
// their EDS certificate.
//
// Two transports carry the certificate. With mutual TLS (Senim terminates TLS), the
// client certificate is the one the TLS handshake verified. Where TLS ends before
// Senim (a government bus, a load balancer), every request carries a signed request
// token in the header
//
//	Authorization: Senim-Signature <compact JWS>
//
// whose protected header holds the certificate chain (x5c) and whose payload binds
// the request: {"htm": method, "htu": path with query, "iat": unix seconds, "jti":
// unique id, "bdh": base64url SHA-256 of the body}. It is DPoP (RFC 9449) adapted to
// EDS certificates: the signature is checked with the certificate's key (GOST 2015,
// RSA, ECDSA or Ed25519 through package eds), the chain against the configured trust
// anchors, the time within a window, and the jti against replay.
//
// Either way the handler finds the authenticated Caller in the request context: the
// organization's BIN comes from the certificate (OU=BIN…), never from the request body.
package orgauth

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
)

// Caller is an authenticated organization's information system.
type Caller struct {
	BIN         string            // from the certificate's OU=BIN…
	Certificate *x509.Certificate // the leaf the request was authenticated with
	Chain       []*x509.Certificate
	Info        pki.CertInfo
	// Thumbprint is the base64url SHA-256 of the leaf certificate's DER: the RFC 8705
	// "x5t#S256" that sender-constrained tokens are bound to.
	Thumbprint string
	Transport  string // "mtls" or "signature"
}

// Thumbprint returns the RFC 8705 x5t#S256 of a certificate.
func Thumbprint(cert *x509.Certificate) string {
	h := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

type ctxKey struct{}

// WithCaller returns a context carrying c. The middleware uses it; tests of handlers
// use it to act as an organization without certificates.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the authenticated caller, or nil.
func FromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(ctxKey{}).(*Caller)
	return c
}

// Require returns the caller of r, or the problem auth.unauthenticated.
func Require(r *http.Request) (*Caller, error) {
	if c := FromContext(r.Context()); c != nil {
		return c, nil
	}
	return nil, problem.Unauthenticated.WithDetail("an organization's EDS certificate is required (mutual TLS or a Senim-Signature header)").
		WithHeader("WWW-Authenticate", Challenge)
}

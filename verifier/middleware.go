package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

type ctxKey struct{}

// FromContext returns the claims the middleware verified, or nil.
func FromContext(ctx context.Context) *Claims {
	c, _ := ctx.Value(ctxKey{}).(*Claims)
	return c
}

// TokenFromRequest reads the security token from "Authorization: Bearer <token>" or the
// header "Senim-Security-Token".
func TokenFromRequest(r *http.Request) string {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return strings.TrimSpace(r.Header.Get("Senim-Security-Token"))
}

// Middleware verifies the request's security token against the data request extract
// describes (subject and data sets; the client certificate is taken from the TLS
// connection unless extract sets one) and calls next with the claims in the context
// (FromContext). Failures are answered with application/problem+json carrying the
// error's code.
func (v *Verifier) Middleware(extract func(r *http.Request) (Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := extract(r)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "verifier.request.invalid", err.Error())
			return
		}
		if req.ClientCert == nil && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			req.ClientCert = r.TLS.PeerCertificates[0]
		}
		c, err := v.Verify(r.Context(), TokenFromRequest(r), req)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = ErrUnavailable
			}
			writeProblem(w, e.status, e.code, e.msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
	})
}

func writeProblem(w http.ResponseWriter, status int, code, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "urn:senim:problem:" + code, "title": title, "status": status, "code": code})
}

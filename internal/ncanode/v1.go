package ncanode

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edscmd"
	"github.com/senimkz/senim/internal/problem"
)

// The main API's /v1/eds requests. Unknown members are refused (problem.DecodeJSON).

// InfoRequest is the body of POST /v1/eds/info.
type InfoRequest struct {
	// Certificate is Base64 of DER or PEM, or PEM text; a PEM bundle's first
	// certificate is reported and the others serve as untrusted intermediates.
	Certificate string   `json:"certificate"`
	Revocation  []string `json:"revocation,omitempty"` // CRL, OCSP
	At          string   `json:"at,omitempty"`         // RFC 3339; default now
}

// InfoResponse answers POST /v1/eds/info: the report of `senim eds info`.
type InfoResponse struct {
	edscmd.CertificateReport
	// Valid: the chain was checked and is valid, and no requested revocation check
	// said revoked or could not be made.
	Valid bool `json:"valid"`
}

// VerifyRequest is the body of POST /v1/eds/verify.
type VerifyRequest struct {
	CMS        string   `json:"cms"`            // Base64 of DER/BER, or PEM
	Data       string   `json:"data,omitempty"` // Base64 of the content of a detached CMS
	Revocation []string `json:"revocation,omitempty"`
	At         string   `json:"at,omitempty"` // RFC 3339: the validation time of signers without a time-stamp
}

// SignRequest is the body of POST /v1/eds/sign (sandbox only).
type SignRequest struct {
	Data     string `json:"data"` // Base64
	Detached bool   `json:"detached,omitempty"`
}

// SignResponse answers POST /v1/eds/sign.
type SignResponse struct {
	CMS string `json:"cms"` // Base64 of the DER CMS
}

// RegisterV1 mounts the main API's EDS endpoints with handle:
//
//	POST /v1/eds/info    {certificate, revocation?, at?}  → InfoResponse (edscmd's report)
//	POST /v1/eds/verify  {cms, data?, revocation?, at?}   → edscmd.VerifyReport
//	POST /v1/eds/sign    {data, detached?}                → {cms}; only when Config.SandboxSigner is set
//
// They never take a private key. Errors are RFC 9457 problem+json with the same
// stable codes as the NCANode-compatible endpoints.
func (a *API) RegisterV1(handle func(pattern string, h http.Handler)) {
	handle("POST /v1/eds/info", a.v1(a.v1Info))
	handle("POST /v1/eds/verify", a.v1(a.v1Verify))
	if a.cfg.SandboxSigner != nil {
		handle("POST /v1/eds/sign", a.v1(a.v1Sign))
	}
}

func (a *API) v1(f func(w http.ResponseWriter, r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				problem.Write(w, r, problem.Internal.WithCause(errors.New("ncanode: panic")))
			}
		}()
		out, err := f(w, r)
		if err != nil {
			problem.Write(w, r, toProblem(err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		problem.WriteJSON(w, http.StatusOK, out)
	})
}

// toProblem renders this package's errors as problems; a *problem.Problem (from
// problem.DecodeJSON or a SandboxSigner) passes as it is.
func toProblem(err error) error {
	var p *problem.Problem
	if errors.As(err, &p) {
		return err
	}
	ae := classify(err)
	if ae.status >= 500 {
		return problem.Internal.WithCause(err)
	}
	out := problem.New(ae.status, ae.code, ae.title).WithCause(err)
	if ae.message != ae.title {
		out = out.WithDetail(ae.message)
	}
	return out
}

func (a *API) v1Time(s string) (time.Time, error) {
	if s == "" {
		return a.cfg.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, problem.Field("at", "must be an RFC 3339 time")
	}
	return t, nil
}

func (a *API) v1Info(w http.ResponseWriter, r *http.Request) (any, error) {
	var req InfoRequest
	if err := problem.DecodeJSON(w, r, a.cfg.MaxBody, &req); err != nil {
		return nil, err
	}
	if req.Certificate == "" {
		return nil, problem.Field("certificate", "required")
	}
	methods, err := revocationMethods("revocation", req.Revocation)
	if err != nil {
		return nil, err
	}
	at, err := a.v1Time(req.At)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertField("certificate", req.Certificate)
	if err != nil {
		return nil, err
	}
	if len(certs) > a.cfg.MaxItems {
		return nil, problem.Field("certificate", "too many certificates")
	}
	return a.infoReport(r.Context(), certs[0], certs[1:], methods, at), nil
}

func (a *API) infoReport(ctx context.Context, leaf *x509.Certificate, extra []*x509.Certificate, methods []pki.RevocationMethod, at time.Time) InfoResponse {
	rep := InfoResponse{CertificateReport: edscmd.CertificateReport{Certificate: pki.Info(leaf)}}
	if a.cfg.Validator == nil {
		rep.Chain = edscmd.Unchecked(leaf, at)
		return rep
	}
	rep.Chain = edscmd.Chain(a.cfg.Validator.Validate(ctx, leaf, at, pki.Options{Revocation: methods, Intermediates: extra}))
	rep.Valid = rep.Chain.Valid && !rep.Chain.RevocationFailed()
	return rep
}

func (a *API) v1Verify(w http.ResponseWriter, r *http.Request) (any, error) {
	var req VerifyRequest
	if err := problem.DecodeJSON(w, r, a.cfg.MaxBody, &req); err != nil {
		return nil, err
	}
	methods, err := revocationMethods("revocation", req.Revocation)
	if err != nil {
		return nil, err
	}
	at, err := a.v1Time(req.At)
	if err != nil {
		return nil, err
	}
	raw, err := decodeCMS("cms", req.CMS)
	if err != nil {
		return nil, err
	}
	var data []byte
	if req.Data != "" {
		if data, err = decodeB64("data", req.Data); err != nil {
			return nil, err
		}
	}
	res, err := a.verifyCMS(r.Context(), raw, data, methods, at)
	if err != nil {
		return nil, err
	}
	rep := edscmd.VerifyReport{Valid: res.Valid, Detached: res.Detached, Signers: edscmd.Signers(res)}
	for _, s := range res.Signers {
		// Without trust anchors nothing is trusted.
		rep.Valid = rep.Valid && s.ChainChecked
	}
	return rep, nil
}

func (a *API) v1Sign(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SignRequest
	if err := problem.DecodeJSON(w, r, a.cfg.MaxBody, &req); err != nil {
		return nil, err
	}
	if req.Data == "" {
		return nil, problem.Field("data", "required")
	}
	data, err := decodeB64("data", req.Data)
	if err != nil {
		return nil, err
	}
	spec, err := a.cfg.SandboxSigner(r.Context(), r)
	if err != nil {
		return nil, err
	}
	out, err := cms.Sign(r.Context(), data, []cms.SignerSpec{spec}, cms.SignOptions{Detached: req.Detached, Now: a.cfg.Now})
	if err != nil {
		return nil, err
	}
	return SignResponse{CMS: base64.StdEncoding.EncodeToString(out)}, nil
}

package confirm

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
)

// Register mounts the relying party's API with handle. Organisation routes expect the
// orgauth middleware to have put the Caller in the request context; a request is only
// ever visible to the organisation that created it.
//
//	GET  /v1/confirm/policy                    the policy in force (its file, with its version)
//	POST /v1/confirmations                     ask a citizen to confirm; answers the decision (201)
//	GET  /v1/confirmations/{id}                the request's status
//	GET  /v1/confirmations/{id}/evidence       a push answer's evidence package, or the signed CMS
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		handle(pattern, server.ErrorHandler(f))
	}
	h("GET /v1/confirm/policy", s.servePolicy)
	h("POST /v1/confirmations", s.serveCreate)
	h("GET /v1/confirmations/{id}", s.status)
	h("GET /v1/confirmations/{id}/evidence", s.evidence)
}

// maxBody bounds a request: two texts of 20000 bytes and the transaction.
const maxBody = 128 << 10

func (s *Service) servePolicy(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	problem.WriteJSON(w, http.StatusOK, s.cfg.Policy.File())
	return nil
}

func (s *Service) serveCreate(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	body, err := problem.ReadJSON(w, r, maxBody)
	if err != nil {
		return err
	}
	var req Request
	if err := problem.UnmarshalJSON(body, &req); err != nil {
		return err
	}
	var out *Confirmation
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		// Scoped to the relying party and the route, bound to the exact body.
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		idem := Idempotency{Key: store.IdempotencyKey{Scope: actor.Org(c.BIN).String() + " " + r.Method + " " + r.URL.Path, Key: k, RequestHash: sum[:]},
			Encode: func(c *Confirmation) ([]byte, error) {
				b, err := json.Marshal(c)
				return append(b, '\n'), err // as problem.WriteJSON writes it
			}}
		var replay *store.StoredResponse
		if out, replay, err = s.CreateIdempotent(r.Context(), c.BIN, req, idem); err != nil {
			return err
		}
		if replay != nil {
			location := ""
			var prev struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(replay.Body, &prev) == nil && prev.ID != "" {
				location = "/v1/confirmations/" + prev.ID
			}
			return problem.WriteReplay(w, replay.Status, replay.ContentType, replay.Body, location)
		}
	} else if out, err = s.Create(r.Context(), c.BIN, req); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/confirmations/"+out.ID)
	problem.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	out, err := s.ForOrg(r.Context(), c.BIN, r.PathValue("id"))
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, out)
	return nil
}

// SignedAgreement is what the relying party downloads of an EDS confirmation: the CMS
// as signed (base64 DER) and the text it signs.
type SignedAgreement struct {
	Request  string    `json:"request"`
	Lang     string    `json:"lang"`
	Text     string    `json:"text"`
	CMS      string    `json:"cms"`
	SignedAt time.Time `json:"signed_at"` // the time-stamp's genTime
	TSA      string    `json:"tsa"`
}

// Agreement returns the signed agreement of an EDS-confirmed request.
func (s *Service) Agreement(ctx context.Context, c *Confirmation) (*SignedAgreement, error) {
	sg, err := s.SignatureOf(ctx, c)
	if err != nil {
		return nil, err
	}
	return &SignedAgreement{Request: c.ID, Lang: c.Lang, Text: c.Text[c.Lang], CMS: base64.StdEncoding.EncodeToString(sg.CMS), SignedAt: sg.SignedAt, TSA: sg.TSA}, nil
}

func (s *Service) evidence(w http.ResponseWriter, r *http.Request) error {
	caller, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	c, err := s.ForOrg(r.Context(), caller.BIN, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if c.State == StateConfirmed && c.Method == "eds" {
		a, err := s.Agreement(r.Context(), c)
		if err != nil {
			return err
		}
		problem.WriteJSON(w, http.StatusOK, a)
		return nil
	}
	b, err := s.Evidence(r.Context(), c)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(b, '\n'))
	return err
}

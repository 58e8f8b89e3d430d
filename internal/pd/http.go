package pd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Register mounts the API routes with handle (e.g. mux.Handle). Organisation routes
// expect the orgauth middleware to have put the Caller in the request context.
//
//	GET  /.well-known/jwks.json                         Senim's security-token keys
//	GET  /v1/registry/objects[?owner_bin=]              public lookup of trusted objects (TR-1)
//	GET  /v1/registry/objects/{id}
//	GET  /v1/pd/grounds                                 the public directory of legal grounds
//	POST /v1/pd/consents                                initiator records a consent with evidence
//	POST /v1/pd/proactive                               flow 1 {"verification_token": ...}
//	POST /v1/pd/protocol                                flow 2 {"verification_token": ...}
//	POST /v1/pd/sms-requests                            flow 3 (start, or repeat with request_id)
//	GET  /v1/pd/sms-requests/{id}                       flow 3 repeated request
//	POST /v1/pd/sms-requests/{id}/code                  flow 3 operator enters the code
//	POST /v1/pd/reports                                 data owner reports an action (PD-3.4)
//	GET  /v1/pd/tokens/{jti}/status                     data owner's online check
//	GET|PUT /v1/admin/pd/data-owners[/{bin}]            directories (the regulator only)
//	GET|PUT /v1/admin/pd/service-codes[/{code}]
//	GET|PUT /v1/admin/pd/grounds[/{code}]
//	GET  /v1/admin/pd/protocol-permissions, PUT .../{bin}
//	PUT  /v1/admin/registry/objects/{id}, GET .../{id}/history
//	GET|PUT /v1/admin/registry/tr2
//	POST /v1/admin/pd/keys/rotate
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	h := func(p string, f func(w http.ResponseWriter, r *http.Request) error) {
		handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil {
				problem.Write(w, r, mapStoreErr(err))
			}
		}))
	}
	handle("GET /.well-known/jwks.json", http.HandlerFunc(s.handleJWKS))
	h("GET /v1/registry/objects", func(w http.ResponseWriter, r *http.Request) error {
		objs, err := s.TrustedObjects(r.Context(), r.URL.Query().Get("owner_bin"))
		return reply(w, http.StatusOK, map[string]any{"objects": objs}, err)
	})
	h("GET /v1/registry/objects/{id}", func(w http.ResponseWriter, r *http.Request) error {
		o, err := s.TrustedObject(r.Context(), r.PathValue("id"))
		return reply(w, http.StatusOK, o, err)
	})
	h("GET /v1/pd/grounds", func(w http.ResponseWriter, r *http.Request) error {
		g, err := s.Grounds(r.Context())
		return reply(w, http.StatusOK, map[string]any{"grounds": g}, err)
	})

	// Initiators.
	h("POST /v1/pd/consents", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		body, idem, err := readIdem(w, r, c)
		if err != nil {
			return err
		}
		var req ConsentRequest
		if err := decode(body, &req); err != nil {
			return err
		}
		if err := s.validateRecord(r, c, &req); err != nil {
			return err
		}
		out, err := s.recordConsent(r.Context(), c.BIN, req, idem)
		return replyIdem(w, http.StatusCreated, out, idem, err)
	})
	vt := func(f func(r *http.Request, c *orgauth.Caller, raw string) (*TokenResponse, error)) func(w http.ResponseWriter, r *http.Request) error {
		return func(w http.ResponseWriter, r *http.Request) error {
			c, err := orgauth.Require(r)
			if err != nil {
				return err
			}
			var req struct {
				VerificationToken string `json:"verification_token"`
			}
			if err := problem.DecodeJSON(w, r, 128<<10, &req); err != nil {
				return err
			}
			out, err := f(r, c, req.VerificationToken)
			return reply(w, http.StatusCreated, out, err)
		}
	}
	h("POST /v1/pd/proactive", vt(func(r *http.Request, c *orgauth.Caller, raw string) (*TokenResponse, error) {
		return s.Proactive(r.Context(), c, raw)
	}))
	h("POST /v1/pd/protocol", vt(func(r *http.Request, c *orgauth.Caller, raw string) (*TokenResponse, error) {
		return s.Protocol(r.Context(), c, raw)
	}))
	h("POST /v1/pd/sms-requests", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		var req SMSRequest
		if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
			return err
		}
		out, err := s.RequestSMS(r.Context(), c, req)
		return replySMS(w, out, err)
	})
	h("GET /v1/pd/sms-requests/{id}", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		out, err := s.RequestSMS(r.Context(), c, SMSRequest{RequestID: r.PathValue("id")})
		return replySMS(w, out, err)
	})
	h("POST /v1/pd/sms-requests/{id}/code", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		var req struct {
			Code string `json:"code"`
		}
		if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
			return err
		}
		out, err := s.EnterSMSCode(r.Context(), c, r.PathValue("id"), req.Code)
		return replySMS(w, out, err)
	})

	// Data owners.
	h("POST /v1/pd/reports", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		body, idem, err := readIdem(w, r, c)
		if err != nil {
			return err
		}
		var rep Report
		if err := decode(body, &rep); err != nil {
			return err
		}
		id, err := s.reportAction(r.Context(), c, rep, idem)
		return replyIdem(w, http.StatusCreated, map[string]any{"id": id}, idem, err)
	})
	h("GET /v1/pd/tokens/{jti}/status", func(w http.ResponseWriter, r *http.Request) error {
		c, err := orgauth.Require(r)
		if err != nil {
			return err
		}
		st, err := s.CheckToken(r.Context(), c, r.PathValue("jti"))
		return reply(w, http.StatusOK, st, err)
	})

	// The authorized body.
	admin := func(f func(w http.ResponseWriter, r *http.Request, actor string) error) func(w http.ResponseWriter, r *http.Request) error {
		return func(w http.ResponseWriter, r *http.Request) error {
			c, err := orgauth.Require(r)
			if err != nil {
				return err
			}
			if !s.regulators[c.BIN] {
				return ErrNotRegulator
			}
			return f(w, r, "org:"+c.BIN)
		}
	}
	h("GET /v1/admin/pd/data-owners", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		v, err := s.DataOwners(r.Context())
		return reply(w, http.StatusOK, map[string]any{"data_owners": v}, err)
	}))
	h("PUT /v1/admin/pd/data-owners/{bin}", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var o DataOwner
		if err := problem.DecodeJSON(w, r, 0, &o); err != nil {
			return err
		}
		o.BIN = r.PathValue("bin")
		v, err := s.PutDataOwner(r.Context(), actor, o)
		return reply(w, http.StatusOK, v, err)
	}))
	h("GET /v1/admin/pd/service-codes", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		v, err := s.ServiceCodes(r.Context())
		return reply(w, http.StatusOK, map[string]any{"service_codes": v}, err)
	}))
	h("PUT /v1/admin/pd/service-codes/{code}", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var c ServiceCode
		if err := problem.DecodeJSON(w, r, 0, &c); err != nil {
			return err
		}
		c.Code = r.PathValue("code")
		v, err := s.PutServiceCode(r.Context(), actor, c)
		return reply(w, http.StatusOK, v, err)
	}))
	h("GET /v1/admin/pd/grounds", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		v, err := s.Grounds(r.Context())
		return reply(w, http.StatusOK, map[string]any{"grounds": v}, err)
	}))
	h("PUT /v1/admin/pd/grounds/{code}", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var g Ground
		if err := problem.DecodeJSON(w, r, 0, &g); err != nil {
			return err
		}
		g.Code = r.PathValue("code")
		v, err := s.PutGround(r.Context(), actor, g)
		return reply(w, http.StatusOK, v, err)
	}))
	h("GET /v1/admin/pd/protocol-permissions", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		v, err := s.ProtocolPermissions(r.Context())
		return reply(w, http.StatusOK, map[string]any{"permissions": v}, err)
	}))
	h("PUT /v1/admin/pd/protocol-permissions/{bin}", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var req struct {
			Grounds []string `json:"grounds"`
		}
		if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
			return err
		}
		err := s.SetProtocolPermissions(r.Context(), actor, r.PathValue("bin"), req.Grounds)
		return reply(w, http.StatusOK, map[string]any{"bin": r.PathValue("bin"), "grounds": sortedUnique(req.Grounds)}, err)
	}))
	h("PUT /v1/admin/registry/objects/{id}", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var o TrustedObject
		if err := problem.DecodeJSON(w, r, 0, &o); err != nil {
			return err
		}
		o.ID = r.PathValue("id")
		v, err := s.PutTrustedObject(r.Context(), actor, o)
		return reply(w, http.StatusOK, v, err)
	}))
	h("GET /v1/admin/registry/objects/{id}/history", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		v, err := s.TrustedObjectHistory(r.Context(), r.PathValue("id"))
		return reply(w, http.StatusOK, map[string]any{"history": v}, err)
	}))
	h("GET /v1/admin/registry/tr2", admin(func(w http.ResponseWriter, r *http.Request, _ string) error {
		on, err := s.TR2Enforced(r.Context())
		return reply(w, http.StatusOK, map[string]bool{"enforced": on}, err)
	}))
	h("PUT /v1/admin/registry/tr2", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		var req struct {
			Enforced *bool `json:"enforced"`
		}
		if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
			return err
		}
		if req.Enforced == nil {
			return problem.Field("enforced", "required")
		}
		err := s.SetTR2(r.Context(), actor, *req.Enforced)
		return reply(w, http.StatusOK, map[string]bool{"enforced": *req.Enforced}, err)
	}))
	h("POST /v1/admin/pd/keys/rotate", admin(func(w http.ResponseWriter, r *http.Request, actor string) error {
		err := s.RotateKey(r.Context(), actor)
		return reply(w, http.StatusOK, map[string]string{"status": "rotated"}, err)
	}))
}

// validateRecord: an initiator records consents for itself only.
func (s *Service) validateRecord(r *http.Request, c *orgauth.Caller, req *ConsentRequest) error {
	if req.Initiator != "" && req.Initiator != c.BIN {
		return ErrForbidden.WithDetail("an initiator records consents given to itself only")
	}
	return nil
}

func reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	problem.WriteJSON(w, status, v)
	return nil
}

func replySMS(w http.ResponseWriter, out *SMSResponse, err error) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if out.Status == SMSAwaiting {
		status = http.StatusAccepted
	}
	problem.WriteJSON(w, status, out)
	return nil
}

// idemKey is a request's Idempotency-Key with what the transaction learned.
type idemKey struct {
	key    store.IdempotencyKey
	replay *store.StoredResponse
}

func readIdem(w http.ResponseWriter, r *http.Request, c *orgauth.Caller) ([]byte, *idemKey, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, problem.DefaultMaxBody))
	if err != nil {
		return nil, nil, problem.TooLarge
	}
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return body, nil, nil
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	return body, &idemKey{key: store.IdempotencyKey{Scope: "org:" + c.BIN + " " + r.Method + " " + r.URL.Path, Key: k, RequestHash: sum[:]}}, nil
}

func decode(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return problem.MalformedJSON.WithDetail("the body is not valid JSON for this endpoint")
	}
	return nil
}

// claim is the first step of a transaction that honours an idempotency key: true when
// the stored response of the same earlier request is to be replayed instead.
func (k *idemKey) claim(ctx context.Context, tx *store.Tx) (bool, error) {
	if k == nil {
		return false, nil
	}
	resp, err := tx.ClaimIdempotencyKey(ctx, k.key)
	if err != nil {
		return false, err
	}
	k.replay = resp
	return resp != nil, nil
}

func (k *idemKey) save(ctx context.Context, tx *store.Tx, status int, v any) error {
	if k == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.SaveIdempotentResponse(ctx, k.key, store.StoredResponse{Status: status, ContentType: "application/json", Body: b})
}

func replyIdem(w http.ResponseWriter, status int, v any, k *idemKey, err error) error {
	if err != nil {
		return err
	}
	if k != nil && k.replay != nil {
		w.Header().Set("Content-Type", k.replay.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(k.replay.Status)
		w.Write(k.replay.Body)
		return nil
	}
	problem.WriteJSON(w, status, v)
	return nil
}

var (
	errIdemConflict   = problem.New(http.StatusUnprocessableEntity, "idempotency.key_conflict", "The Idempotency-Key was used with a different request")
	errIdemInProgress = problem.New(http.StatusConflict, "idempotency.in_progress", "A request with this Idempotency-Key is in progress; retry later")
	errIdemInvalid    = problem.New(http.StatusBadRequest, "idempotency.key_invalid", "The Idempotency-Key is empty or too long")
)

func mapStoreErr(err error) error {
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		return errIdemConflict
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return errIdemInProgress
	case errors.Is(err, store.ErrInvalidIdempotencyKey):
		return errIdemInvalid
	}
	return err
}

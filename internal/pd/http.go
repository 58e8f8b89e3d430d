package pd

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"github.com/senimkz/senim/internal/actor"
	"net/http"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
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
//	GET  /v1/pd/consents[?subject=&owner=&status=&decision=&limit=&after=]
//	                                                    the consents the caller holds, paged
//	GET  /v1/pd/consents/{id}                           one consent the caller holds
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
	a := &api{s: s}
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		handle(pattern, server.ErrorHandler(f))
	}
	handle("GET /.well-known/jwks.json", http.HandlerFunc(s.handleJWKS))
	h("GET /v1/registry/objects", a.listTrustedObjects)
	h("GET /v1/registry/objects/{id}", a.getTrustedObject)
	h("GET /v1/pd/grounds", a.listGrounds)

	// Initiators.
	h("POST /v1/pd/consents", a.recordConsent)
	h("GET /v1/pd/consents", a.listHeldConsents)
	h("GET /v1/pd/consents/{id}", a.getHeldConsent)
	h("POST /v1/pd/proactive", a.proactive)
	h("POST /v1/pd/protocol", a.protocol)
	h("POST /v1/pd/sms-requests", a.requestSMS)
	h("GET /v1/pd/sms-requests/{id}", a.repeatSMS)
	h("POST /v1/pd/sms-requests/{id}/code", a.enterSMSCode)

	// Data owners.
	h("POST /v1/pd/reports", a.reportAction)
	h("GET /v1/pd/tokens/{jti}/status", a.tokenStatus)

	// The authorized body.
	h("GET /v1/admin/pd/data-owners", a.admin(a.listDataOwners))
	h("PUT /v1/admin/pd/data-owners/{bin}", a.admin(a.putDataOwner))
	h("GET /v1/admin/pd/service-codes", a.admin(a.listServiceCodes))
	h("PUT /v1/admin/pd/service-codes/{code}", a.admin(a.putServiceCode))
	h("GET /v1/admin/pd/grounds", a.admin(a.adminListGrounds))
	h("PUT /v1/admin/pd/grounds/{code}", a.admin(a.putGround))
	h("GET /v1/admin/pd/protocol-permissions", a.admin(a.listProtocolPermissions))
	h("PUT /v1/admin/pd/protocol-permissions/{bin}", a.admin(a.putProtocolPermissions))
	h("PUT /v1/admin/registry/objects/{id}", a.admin(a.putTrustedObject))
	h("GET /v1/admin/registry/objects/{id}/history", a.admin(a.trustedObjectHistory))
	h("GET /v1/admin/registry/tr2", a.admin(a.getTR2))
	h("PUT /v1/admin/registry/tr2", a.admin(a.putTR2))
	h("POST /v1/admin/pd/keys/rotate", a.admin(a.rotateKey))
}

// api holds the HTTP handlers of a Service, one method per route. Each decodes the
// request (JSON bodies with problem.DecodeJSON, or ReadJSON and UnmarshalJSON where the
// raw body is hashed for an Idempotency-Key), authorizes, calls the Service and
// renders; an error it returns is rendered by problem.Write through
// server.ErrorHandler, the error handler shared by every API route.
type api struct {
	s *Service
}

// Maximum body of the verification-token routes (a token is a few kilobytes).
const maxTokenBody = 128 << 10

func (a *api) listTrustedObjects(w http.ResponseWriter, r *http.Request) error {
	objs, err := a.s.TrustedObjects(r.Context(), r.URL.Query().Get("owner_bin"))
	return reply(w, http.StatusOK, map[string]any{"objects": objs}, err)
}

func (a *api) getTrustedObject(w http.ResponseWriter, r *http.Request) error {
	o, err := a.s.TrustedObject(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, o, err)
}

func (a *api) listGrounds(w http.ResponseWriter, r *http.Request) error {
	g, err := a.s.Grounds(r.Context())
	return reply(w, http.StatusOK, map[string]any{"grounds": g}, err)
}

// recordConsent: POST /v1/pd/consents, an initiator records a consent with evidence.
func (a *api) recordConsent(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	body, err := problem.ReadJSON(w, r, 0)
	if err != nil {
		return err
	}
	var req ConsentRequest
	if err := problem.UnmarshalJSON(body, &req); err != nil {
		return err
	}
	if err := a.s.validateRecord(r, c, &req); err != nil {
		return err
	}
	idem := idempotencyKey(r, c, body)
	out, err := a.s.recordConsent(r.Context(), c.BIN, req, idem)
	return replyIdem(w, http.StatusCreated, out, idem, err)
}

// verificationToken decodes the body of flows 1 and 2: {"verification_token": ...}.
func verificationToken(w http.ResponseWriter, r *http.Request) (*orgauth.Caller, string, error) {
	c, err := orgauth.Require(r)
	if err != nil {
		return nil, "", err
	}
	var req struct {
		VerificationToken string `json:"verification_token"`
	}
	if err := problem.DecodeJSON(w, r, maxTokenBody, &req); err != nil {
		return nil, "", err
	}
	return c, req.VerificationToken, nil
}

// proactive: POST /v1/pd/proactive, flow 1.
func (a *api) proactive(w http.ResponseWriter, r *http.Request) error {
	c, raw, err := verificationToken(w, r)
	if err != nil {
		return err
	}
	out, err := a.s.Proactive(r.Context(), c, raw)
	return reply(w, http.StatusCreated, out, err)
}

// protocol: POST /v1/pd/protocol, flow 2.
func (a *api) protocol(w http.ResponseWriter, r *http.Request) error {
	c, raw, err := verificationToken(w, r)
	if err != nil {
		return err
	}
	out, err := a.s.Protocol(r.Context(), c, raw)
	return reply(w, http.StatusCreated, out, err)
}

// requestSMS: POST /v1/pd/sms-requests, flow 3 (start, or repeat with request_id).
func (a *api) requestSMS(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	var req SMSRequest
	if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
		return err
	}
	out, err := a.s.RequestSMS(r.Context(), c, req)
	return replySMS(w, out, err)
}

// repeatSMS: GET /v1/pd/sms-requests/{id}, flow 3's repeated request.
func (a *api) repeatSMS(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	out, err := a.s.RequestSMS(r.Context(), c, SMSRequest{RequestID: r.PathValue("id")})
	return replySMS(w, out, err)
}

// enterSMSCode: POST /v1/pd/sms-requests/{id}/code, the operator enters the code.
func (a *api) enterSMSCode(w http.ResponseWriter, r *http.Request) error {
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
	out, err := a.s.EnterSMSCode(r.Context(), c, r.PathValue("id"), req.Code)
	return replySMS(w, out, err)
}

// reportAction: POST /v1/pd/reports, a data owner reports an action (PD-3.4).
func (a *api) reportAction(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	body, err := problem.ReadJSON(w, r, 0)
	if err != nil {
		return err
	}
	var rep Report
	if err := problem.UnmarshalJSON(body, &rep); err != nil {
		return err
	}
	idem := idempotencyKey(r, c, body)
	id, err := a.s.reportAction(r.Context(), c, rep, idem)
	return replyIdem(w, http.StatusCreated, map[string]any{"id": id}, idem, err)
}

// tokenStatus: GET /v1/pd/tokens/{jti}/status, the data owner's online check.
func (a *api) tokenStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	st, err := a.s.CheckToken(r.Context(), c, r.PathValue("jti"))
	return reply(w, http.StatusOK, st, err)
}

// admin lets only the authorized body (a regulator BIN) through to f, with the actor
// it records in the directories' history.
func (a *api) admin(f func(w http.ResponseWriter, r *http.Request, actor string) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		who, err := a.s.AdminActor(r)
		if err != nil {
			return err
		}
		return f(w, r, who)
	}
}

// AdminActor authorizes r, which came through the orgauth middleware, as the authorized
// body's (a regulator BIN) and returns the actor its directory changes are recorded
// by; otherwise the problem to answer with. Other packages' /v1/admin routes (the
// organisation directory of package identity) use it, so every admin route refuses
// alike.
func (s *Service) AdminActor(r *http.Request) (string, error) {
	c, err := orgauth.Require(r)
	if err != nil {
		return "", err
	}
	if !s.regulators[c.BIN] {
		return "", ErrNotRegulator
	}
	return actor.Org(c.BIN).String(), nil
}

func (a *api) listDataOwners(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := a.s.DataOwners(r.Context())
	return reply(w, http.StatusOK, map[string]any{"data_owners": v}, err)
}

func (a *api) putDataOwner(w http.ResponseWriter, r *http.Request, actor string) error {
	var o DataOwner
	if err := problem.DecodeJSON(w, r, 0, &o); err != nil {
		return err
	}
	o.BIN = r.PathValue("bin")
	v, err := a.s.PutDataOwner(r.Context(), actor, o)
	return reply(w, http.StatusOK, v, err)
}

func (a *api) listServiceCodes(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := a.s.ServiceCodes(r.Context())
	return reply(w, http.StatusOK, map[string]any{"service_codes": v}, err)
}

func (a *api) putServiceCode(w http.ResponseWriter, r *http.Request, actor string) error {
	var c ServiceCode
	if err := problem.DecodeJSON(w, r, 0, &c); err != nil {
		return err
	}
	c.Code = r.PathValue("code")
	v, err := a.s.PutServiceCode(r.Context(), actor, c)
	return reply(w, http.StatusOK, v, err)
}

func (a *api) adminListGrounds(w http.ResponseWriter, r *http.Request, _ string) error {
	return a.listGrounds(w, r)
}

func (a *api) putGround(w http.ResponseWriter, r *http.Request, actor string) error {
	var g Ground
	if err := problem.DecodeJSON(w, r, 0, &g); err != nil {
		return err
	}
	g.Code = r.PathValue("code")
	v, err := a.s.PutGround(r.Context(), actor, g)
	return reply(w, http.StatusOK, v, err)
}

func (a *api) listProtocolPermissions(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := a.s.ProtocolPermissions(r.Context())
	return reply(w, http.StatusOK, map[string]any{"permissions": v}, err)
}

// putProtocolPermissions replaces a BIN's grounds for flow 2. The grounds member is
// required: a body without it ({}) would otherwise clear them; [] clears them on
// purpose.
func (a *api) putProtocolPermissions(w http.ResponseWriter, r *http.Request, actor string) error {
	var req struct {
		Grounds *[]string `json:"grounds"`
	}
	if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
		return err
	}
	if req.Grounds == nil {
		return problem.Field("grounds", "required (send [] to clear the BIN's grounds)")
	}
	bin := r.PathValue("bin")
	err := a.s.SetProtocolPermissions(r.Context(), actor, bin, *req.Grounds)
	return reply(w, http.StatusOK, map[string]any{"bin": bin, "grounds": sortedUnique(*req.Grounds)}, err)
}

func (a *api) putTrustedObject(w http.ResponseWriter, r *http.Request, actor string) error {
	var o TrustedObject
	if err := problem.DecodeJSON(w, r, 0, &o); err != nil {
		return err
	}
	o.ID = r.PathValue("id")
	v, err := a.s.PutTrustedObject(r.Context(), actor, o)
	return reply(w, http.StatusOK, v, err)
}

func (a *api) trustedObjectHistory(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := a.s.TrustedObjectHistory(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, map[string]any{"history": v}, err)
}

func (a *api) getTR2(w http.ResponseWriter, r *http.Request, _ string) error {
	on, err := a.s.TR2Enforced(r.Context())
	return reply(w, http.StatusOK, map[string]bool{"enforced": on}, err)
}

func (a *api) putTR2(w http.ResponseWriter, r *http.Request, actor string) error {
	var req struct {
		Enforced *bool `json:"enforced"`
	}
	if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
		return err
	}
	if req.Enforced == nil {
		return problem.Field("enforced", "required")
	}
	err := a.s.SetTR2(r.Context(), actor, *req.Enforced)
	return reply(w, http.StatusOK, map[string]bool{"enforced": *req.Enforced}, err)
}

// rotateKey: ?compromised=true for a key that leaked — the old key also leaves the
// published set at once (RotateCompromisedKey).
func (a *api) rotateKey(w http.ResponseWriter, r *http.Request, actor string) error {
	switch r.URL.Query().Get("compromised") {
	case "", "false":
		err := a.s.RotateKey(r.Context(), actor)
		return reply(w, http.StatusOK, map[string]string{"status": "rotated"}, err)
	case "true":
		kids, err := a.s.RotateCompromisedKey(r.Context(), actor)
		return reply(w, http.StatusOK, map[string]any{"status": "rotated", "withdrawn": kids}, err)
	}
	return problem.InvalidField.WithDetail("the query parameter compromised is true or false")
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

// idempotencyKey returns the request's Idempotency-Key, scoped to the caller and the
// route and bound to a digest of the body, or nil when the request has none.
func idempotencyKey(r *http.Request, c *orgauth.Caller, body []byte) *idemKey {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return nil
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	return &idemKey{key: store.IdempotencyKey{Scope: actor.Org(c.BIN).String() + " " + r.Method + " " + r.URL.Path, Key: k, RequestHash: sum[:]}}
}

// claim is the first step of a transaction that honours an idempotency key: true when
// the stored response of the same earlier request is to be replayed instead.
func (k *idemKey) claim(ctx context.Context, tx *store.Tx) (bool, error) {
	if k == nil {
		return false, nil
	}
	resp, err := tx.ClaimIdempotencyKey(ctx, k.key)
	if err != nil {
		return false, idemProblem(err)
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
		return problem.WriteReplay(w, k.replay.Status, k.replay.ContentType, k.replay.Body, "")
	}
	problem.WriteJSON(w, status, v)
	return nil
}

var (
	errIdemConflict   = problem.New(http.StatusUnprocessableEntity, "idempotency.key_conflict", "The Idempotency-Key was used with a different request")
	errIdemInProgress = problem.New(http.StatusConflict, "idempotency.in_progress", "A request with this Idempotency-Key is in progress; retry later")
	errIdemInvalid    = problem.New(http.StatusBadRequest, "idempotency.key_invalid", "The Idempotency-Key is empty or too long")
)

// idemProblem gives the store's idempotency errors their API problems.
func idemProblem(err error) error {
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

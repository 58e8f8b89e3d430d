package notify

import (
	"encoding/json"
	"errors"
	"github.com/senimkz/senim/internal/actor"
	"net/http"
	"strconv"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
)

// maxSubmission bounds a POST /v1/notices body: three languages of a 20000-byte body
// and a title, JSON-escaped, fit.
const maxSubmission = 256 << 10

// Register mounts the sending API with handle (e.g. mux.Handle behind the orgauth
// middleware, like the PD API). isRegulator tells the authorized body's BINs, who keep
// the sender-permission directory and see the dead letters.
//
//	POST /v1/notices                         a sender sends a notice (Idempotency-Key required)
//	POST /v1/notices:batch                   a bulk send: up to MaxBatch notices, a key and a result each
//	GET  /v1/notices/{id}                    its status: the sender's own notices only
//	GET  /v1/notices/{id}/receipt            the read receipt, for the sender too (DC-2)
//	GET  /v1/admin/notify/senders            the sender-permission directory
//	PUT  /v1/admin/notify/senders/{bin}      {"categories": [...]} ([] withdraws)
//	GET  /v1/admin/notify/dead-letters       deliveries that failed for good
//	POST /v1/admin/notify/dead-letters/{id}/retry
func (s *Service) Register(handle func(pattern string, h http.Handler), isRegulator func(bin string) bool) {
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		handle(pattern, server.ErrorHandler(f))
	}
	admin := func(f func(w http.ResponseWriter, r *http.Request, actor string) error) func(http.ResponseWriter, *http.Request) error {
		return func(w http.ResponseWriter, r *http.Request) error {
			c, err := orgauth.Require(r)
			if err != nil {
				return err
			}
			if isRegulator == nil || !isRegulator(c.BIN) {
				return pd.ErrNotRegulator
			}
			return f(w, r, actor.Org(c.BIN).String())
		}
	}
	h("POST /v1/notices", s.handleSubmit)
	h("POST /v1/notices:batch", s.handleSubmitBatch)
	h("GET /v1/notices/{id}", s.handleStatus)
	h("GET /v1/notices/{id}/receipt", s.handleSenderReceipt)
	h("GET /v1/admin/notify/senders", admin(s.handleSenders))
	h("PUT /v1/admin/notify/senders/{bin}", admin(s.handlePutSender))
	h("GET /v1/admin/notify/dead-letters", admin(s.handleDeadLetters))
	h("POST /v1/admin/notify/dead-letters/{id}/retry", admin(s.handleRetry))
}

func (s *Service) handleSubmit(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	if s.cfg.Citizens == nil {
		return errors.New("notify: Submit needs Config.Citizens")
	}
	snd, err := s.permittedSender(r.Context(), c.BIN) // first: before the key and the body
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return ErrIdempotencyRequired
	}
	body, err := problem.ReadJSON(w, r, maxSubmission)
	if err != nil {
		return err
	}
	var sub Submission
	if err := problem.UnmarshalJSON(body, &sub); err != nil {
		return err
	}
	idem := &IdemKey{Key: key, Body: body}
	out, err := s.submit(r.Context(), snd, sub, idem)
	if err != nil {
		return err
	}
	if idem.Replay != nil {
		// The first answer's Location is the notice's status URL, which its body holds.
		var prev struct {
			StatusURL string `json:"status_url"`
		}
		json.Unmarshal(idem.Replay, &prev)
		return problem.WriteReplay(w, http.StatusCreated, "application/json", idem.Replay, prev.StatusURL)
	}
	w.Header().Set("Location", out.StatusURL)
	problem.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	st, err := s.NoticeStatus(r.Context(), c.BIN, r.PathValue("id"))
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, st)
	return nil
}

func (s *Service) handleSenderReceipt(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	rc, err := s.SenderReceipt(r.Context(), c.BIN, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="receipt-`+rc.Notice+`.json"`)
	problem.WriteJSON(w, http.StatusOK, rc)
	return nil
}

func (s *Service) handleSenders(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := s.Senders(r.Context())
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"senders": v, "policy": s.policy.Version})
	return nil
}

// handlePutSender replaces a BIN's categories. The member is required: {} would
// otherwise withdraw the permission by accident; [] withdraws it on purpose.
func (s *Service) handlePutSender(w http.ResponseWriter, r *http.Request, actor string) error {
	var req struct {
		Categories *[]string `json:"categories"`
	}
	if err := problem.DecodeJSON(w, r, 0, &req); err != nil {
		return err
	}
	if req.Categories == nil {
		return problem.Field("categories", "required (send [] to withdraw the permission)")
	}
	bin := r.PathValue("bin")
	if err := s.SetSender(r.Context(), actor, bin, *req.Categories); err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"bin": bin, "categories": *req.Categories})
	return nil
}

func (s *Service) handleDeadLetters(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := s.DeadLetters(r.Context())
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"dead_letters": v})
	return nil
}

func (s *Service) handleRetry(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return ErrDeliveryNotFound
	}
	if err := s.Retry(r.Context(), actor, id); err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "state": DeliveryPending})
	return nil
}

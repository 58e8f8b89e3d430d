package webhook

import (
	"net/http"
	"strconv"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
)

// Register mounts the subscription API with handle; the orgauth middleware must have
// put the Caller in the request context. An organisation sees and changes only its
// own subscriptions.
//
//	GET    /v1/webhooks                      the caller's subscriptions and the event types
//	POST   /v1/webhooks                      {"url": "https://...", "events": [...]}
//	DELETE /v1/webhooks/{id}
//	GET    /v1/webhooks/{id}/deliveries      the newest deliveries and their state
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	handle("GET /v1/webhooks", server.ErrorHandler(s.list))
	handle("POST /v1/webhooks", server.ErrorHandler(s.create))
	handle("DELETE /v1/webhooks/{id}", server.ErrorHandler(s.remove))
	handle("GET /v1/webhooks/{id}/deliveries", server.ErrorHandler(s.deliveries))
}

// SubscribeRequest is the body of POST /v1/webhooks.
type SubscribeRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"` // left out: every type; [] is refused (webhook.events_empty)
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	subs, err := s.Subscriptions(r.Context(), c.BIN)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"subscriptions": subs, "event_types": s.Events()})
	return nil
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	var req SubscribeRequest
	if err := problem.DecodeJSON(w, r, 16<<10, &req); err != nil {
		return err
	}
	if req.URL == "" {
		return problem.Field("url", "required")
	}
	sub, err := s.Subscribe(r.Context(), c.BIN, req.URL, req.Events)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusCreated, sub)
	return nil
}

func (s *Service) remove(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	if err := s.Unsubscribe(r.Context(), c.BIN, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deliveries(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return problem.Field("limit", "an integer from 1 to 100")
		}
		limit = n
	}
	ds, err := s.Deliveries(r.Context(), c.BIN, r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	return nil
}

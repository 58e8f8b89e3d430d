package identity

import (
	"net/http"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
)

// Register mounts the organisation directory's admin API with handle (e.g. mux.Handle
// behind the orgauth middleware, like the other /v1/admin routes). admin authorizes a
// request as the authorized body's and returns the actor its changes are recorded by,
// or the problem that refuses it (pd.Service.AdminActor: a regulator BIN only).
//
//	GET /v1/admin/organizations          every organisation, by BIN
//	GET /v1/admin/organizations/{bin}    one, with its information systems
//	PUT /v1/admin/organizations/{bin}    register it or replace its names, role and systems
//	GET /v1/admin/organizations/{bin}/history   every change made to it, oldest first
func (s *Service) Register(handle func(pattern string, h http.Handler), admin func(r *http.Request) (actor string, err error)) {
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request, actor string) error) {
		handle(pattern, server.ErrorHandler(func(w http.ResponseWriter, r *http.Request) error {
			actor, err := admin(r)
			if err != nil {
				return err
			}
			return f(w, r, actor)
		}))
	}
	h("GET /v1/admin/organizations", s.handleOrganizations)
	h("GET /v1/admin/organizations/{bin}", s.handleOrganization)
	h("PUT /v1/admin/organizations/{bin}", s.handlePutOrganization)
	h("GET /v1/admin/organizations/{bin}/history", s.handleOrganizationHistory)
}

func (s *Service) handleOrganizations(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := s.Organizations(r.Context())
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"organizations": v})
	return nil
}

func (s *Service) handleOrganization(w http.ResponseWriter, r *http.Request, _ string) error {
	v, err := s.OrganizationByBIN(r.Context(), r.PathValue("bin"))
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, v)
	return nil
}

// handlePutOrganization takes the organisation as JSON; its bin member may be left out,
// and when present must be the path's.
func (s *Service) handlePutOrganization(w http.ResponseWriter, r *http.Request, actor string) error {
	var o Organization
	if err := problem.DecodeJSON(w, r, 0, &o); err != nil {
		return err
	}
	bin := r.PathValue("bin")
	if o.BIN != "" && o.BIN != bin {
		return ErrInvalidOrg.WithDetail("the bin in the body is not the one in the path").With("field", "bin")
	}
	o.BIN = bin
	v, err := s.PutOrganization(r.Context(), actor, o)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, v)
	return nil
}

// handleOrganizationHistory answers {"history": [...]}: each change through
// PutOrganization, oldest first — what the organisation became, who changed it and when.
// A BIN the directory never changed (an unknown one, or one only seeded) has none.
func (s *Service) handleOrganizationHistory(w http.ResponseWriter, r *http.Request, _ string) error {
	bin := r.PathValue("bin")
	if !kzid.ValidBIN(bin) {
		return ErrInvalidOrg.WithDetail("not a valid BIN").With("field", "bin")
	}
	v, err := s.OrganizationHistory(r.Context(), bin)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"history": v})
	return nil
}

package docs

import (
	"github.com/senimkz/senim/internal/actor"
	"net/http"
	"time"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/server"
)

// Register mounts the API for organisations' information systems (DD-7). Every route
// expects the orgauth middleware to have put the Caller in the request context: the
// organisation is the one its EDS certificate names, never one the body names.
//
//	POST /v1/documents/redeem                      {"code": ...} | {"token": ...} | {"url": ...}
//	GET  /v1/documents/views                       the caller's views, newest first
//	GET  /v1/documents/views/{id}/information      the signed record with its log evidence
func (s *Service) Register(handle func(pattern string, h http.Handler)) {
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		handle(pattern, server.ErrorHandler(f))
	}
	h("POST /v1/documents/redeem", s.apiRedeem)
	h("GET /v1/documents/views", s.apiViews)
	h("GET /v1/documents/views/{id}/information", s.apiInformation)
}

// RedeemRequest is the body of POST /v1/documents/redeem: exactly one member.
type RedeemRequest struct {
	Code  string `json:"code,omitempty"`
	Token string `json:"token,omitempty"`
	URL   string `json:"url,omitempty"` // what the QR code encodes
}

// APIDocument is a document as the API returns it.
type APIDocument struct {
	Type     string            `json:"type"` // kind/vN
	Kind     string            `json:"kind"`
	Version  int               `json:"version"`
	Title    map[string]string `json:"title"` // kk, ru, en
	FormedAt time.Time         `json:"formed_at"`
	Fields   map[string]string `json:"fields"`
}

// RedeemResponse is the answer of POST /v1/documents/redeem.
type RedeemResponse struct {
	View     string      `json:"view"`
	Share    string      `json:"share"`
	Until    time.Time   `json:"share_expires_at"`
	Document APIDocument `json:"document"`
	// Record is the signed "digital information" record (DC-8); Salt opens its
	// doc_sha256 over Document.Fields.
	Record string `json:"record"`
	Salt   string `json:"doc_salt"`
	// Event is the outbox event whose audit-log evidence GET .../information returns
	// once the log has integrated it.
	Event int64 `json:"event"`
}

// APIView is a recorded view in GET /v1/documents/views.
type APIView struct {
	ID       string    `json:"id"`
	Share    string    `json:"share"`
	Type     string    `json:"type"`
	ViewedAt time.Time `json:"viewed_at"`
	Record   string    `json:"record"`
}

func (s *Service) systemVerifier(r *http.Request) (Verifier, error) {
	c, err := orgauth.Require(r)
	if err != nil {
		return Verifier{}, err
	}
	v := Verifier{Subject: actor.Org(c.BIN).String(), Kind: VerifierSystem, BIN: c.BIN}
	if s.cfg.OrgName != nil {
		v.Name = s.cfg.OrgName(r.Context(), c.BIN)
	}
	return v, nil
}

func (s *Service) apiRedeem(w http.ResponseWriter, r *http.Request) error {
	v, err := s.systemVerifier(r)
	if err != nil {
		return err
	}
	var req RedeemRequest
	if err := problem.DecodeJSON(w, r, 4<<10, &req); err != nil {
		return err
	}
	var sec Secret
	switch {
	case req.Code != "" && req.Token == "" && req.URL == "":
		sec = Secret{Code: NormalizeCode(req.Code)}
	case req.Token != "" && req.Code == "" && req.URL == "":
		sec = Secret{Token: req.Token}
	case req.URL != "" && req.Code == "" && req.Token == "":
		if sec = ParseSecret(req.URL); sec.Token == "" {
			sec = Secret{Token: "-"} // a URL without a token is a malformed secret
		}
	default:
		return ErrBadSecret.WithDetail("give exactly one of code, token and url")
	}
	view, err := s.Redeem(r.Context(), v, sec)
	if err != nil {
		return err
	}
	d := view.Document
	w.Header().Set("Cache-Control", "no-store")
	problem.WriteJSON(w, http.StatusOK, RedeemResponse{View: view.ID, Share: view.Share.ID, Until: view.Share.ExpiresAt,
		Document: APIDocument{Type: d.Type.ID(), Kind: d.Type.Kind, Version: d.Type.Version,
			Title: map[string]string{"kk": d.Type.Title.KK, "ru": d.Type.Title.RU, "en": d.Type.Title.EN}, FormedAt: d.FormedAt, Fields: d.Fields},
		Record: view.Record, Salt: view.Salt, Event: view.EventID})
	return nil
}

func (s *Service) apiViews(w http.ResponseWriter, r *http.Request) error {
	v, err := s.systemVerifier(r)
	if err != nil {
		return err
	}
	list, err := s.ViewsAsVerifier(r.Context(), v.Subject)
	if err != nil {
		return err
	}
	out := make([]APIView, 0, len(list))
	for _, x := range list {
		out = append(out, APIView{ID: x.ID, Share: x.Share, Type: typeID(x.Kind, x.Version), ViewedAt: x.ViewedAt, Record: x.Record})
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{"views": out})
	return nil
}

func (s *Service) apiInformation(w http.ResponseWriter, r *http.Request) error {
	v, err := s.systemVerifier(r)
	if err != nil {
		return err
	}
	b, err := s.Information(r.Context(), v.Subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(append(b, '\n'))
	return err
}

func typeID(kind string, version int) string { return (&Type{Kind: kind, Version: version}).ID() }

package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// ConfirmationRequest asks a citizen to confirm a transaction (POST /v1/confirmations).
type ConfirmationRequest struct {
	SubjectIIN  string            `json:"subject_iin"`
	Transaction Transaction       `json:"transaction"`
	Text        map[string]string `json:"text"` // exactly what is shown: "kk" and "ru"
	Deadline    time.Time         `json:"deadline"`
	Method      string            `json:"method,omitempty"` // "", "push" or "eds"
}

// Transaction is a transaction as the EDS-or-push policy reads it.
type Transaction struct {
	Kind         string   `json:"kind"`
	TermMonths   int      `json:"term_months"`
	Amount       string   `json:"amount,omitempty"`
	Currency     string   `json:"currency,omitempty"`
	Obligations  []string `json:"obligations"`
	Consequences []string `json:"consequences"`
	OneTime      bool     `json:"one_time"`
}

// Confirmation is a confirmation request's status.
type Confirmation struct {
	ID            string            `json:"id"`
	Method        string            `json:"method"` // eds | push
	State         string            `json:"state"`  // pending | confirmed | declined | expired
	PolicyVersion string            `json:"policy_version"`
	TextSHA256    map[string]string `json:"text_sha256"`
	Decision      json.RawMessage   `json:"decision"` // the policy's reasons
	Deadline      time.Time         `json:"deadline"`
	Lang          string            `json:"lang"`
	EventID       int64             `json:"event_id"`
	// ArchiveDocument is the archive document of an EDS-signed agreement once the
	// archive has it: export it at /v1/archive/documents/{id}/asice.
	ArchiveDocument string `json:"archive_document,omitempty"`
}

// CreateConfirmation asks a citizen to confirm; the answer says whether an EDS or a
// push is needed. Asking for a push where an EDS is required fails with the code
// confirm.push.eds_required.
func (c *Client) CreateConfirmation(ctx context.Context, r ConfirmationRequest) (*Confirmation, error) {
	var out Confirmation
	_, err := c.do(ctx, http.MethodPost, "/v1/confirmations", r, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ConfirmationStatus returns the status of one of the caller's requests.
func (c *Client) ConfirmationStatus(ctx context.Context, id string) (*Confirmation, error) {
	var out Confirmation
	if _, err := c.do(ctx, http.MethodGet, "/v1/confirmations/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConfirmationEvidence returns a push answer's evidence package (check it with
// `senim confirm verify`) or an EDS answer's signed agreement, as JSON.
func (c *Client) ConfirmationEvidence(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	if _, err := c.do(ctx, http.MethodGet, "/v1/confirmations/"+url.PathEscape(id)+"/evidence", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

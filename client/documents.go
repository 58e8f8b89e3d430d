package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Document is a citizen's digital document as a bank's system receives it (rule
// DD-7): formed from its reference source at FormedAt, never stored by Senim.
type Document struct {
	Type     string            `json:"type"` // kind/vN, e.g. identity_card/v1
	Kind     string            `json:"kind"`
	Version  int               `json:"version"`
	Title    map[string]string `json:"title"` // kk, ru, en
	FormedAt time.Time         `json:"formed_at"`
	Fields   map[string]string `json:"fields"`
}

// DocumentView is the answer to redeeming a share: the document and the signed
// "digital information" record of this view (rule DC-8).
type DocumentView struct {
	View     string    `json:"view"`
	Share    string    `json:"share"`
	Until    time.Time `json:"share_expires_at"`
	Document Document  `json:"document"`
	// Record is the compact JWS Senim signed; DocSalt opens its doc_sha256 over
	// Document.Fields, so the bank can later prove what it was shown.
	Record  string `json:"record"`
	DocSalt string `json:"doc_salt"`
	Event   int64  `json:"event"`
}

// RedeemDocumentCode shows the document behind a short code the citizen told the
// clerk (spaces, dashes and case do not matter). The share is then bound to this
// organisation: nobody else can use it.
func (c *Client) RedeemDocumentCode(ctx context.Context, code string) (*DocumentView, error) {
	return c.redeem(ctx, map[string]string{"code": code})
}

// RedeemDocumentQR shows the document behind a scanned QR code: the URL it encodes
// (…/documents/verify#t=TOKEN) or the bare token.
func (c *Client) RedeemDocumentQR(ctx context.Context, urlOrToken string) (*DocumentView, error) {
	if u, err := url.Parse(urlOrToken); err == nil && u.Fragment != "" {
		return c.redeem(ctx, map[string]string{"url": urlOrToken})
	}
	return c.redeem(ctx, map[string]string{"token": urlOrToken})
}

func (c *Client) redeem(ctx context.Context, in map[string]string) (*DocumentView, error) {
	var v DocumentView
	if _, err := c.do(ctx, "POST", "/v1/documents/redeem", in, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// DocumentInformation downloads the "digital information" bundle of a view: the signed
// record with the audit log's evidence of its event, which `senim docs verify` checks
// offline. Until the log has integrated the view (about a second) it fails with the
// code docs.view.not_logged; retry.
func (c *Client) DocumentInformation(ctx context.Context, view string) ([]byte, error) {
	var raw json.RawMessage
	_, err := c.do(ctx, "GET", "/v1/documents/views/"+url.PathEscape(view)+"/information", nil, &raw)
	return raw, err
}

// DocumentViewSummary is one of the organisation's views.
type DocumentViewSummary struct {
	ID       string    `json:"id"`
	Share    string    `json:"share"`
	Type     string    `json:"type"`
	ViewedAt time.Time `json:"viewed_at"`
	Record   string    `json:"record"`
}

// DocumentViews lists the organisation's views of citizens' documents, newest first.
func (c *Client) DocumentViews(ctx context.Context) ([]DocumentViewSummary, error) {
	var out struct {
		Views []DocumentViewSummary `json:"views"`
	}
	_, err := c.do(ctx, "GET", "/v1/documents/views", nil, &out)
	return out.Views, err
}

// Codes of the documents API a bank's system acts on.
var (
	ErrDocumentNotLogged = &Error{Code: "docs.view.not_logged"} // retry in a moment
	ErrShareNotFound     = &Error{Code: "docs.share.not_found"} // a wrong code or token
	ErrShareExpired      = &Error{Code: "docs.share.expired"}
	ErrShareCancelled    = &Error{Code: "docs.share.cancelled"}
	ErrShareUsed         = &Error{Code: "docs.share.used"}       // another verifier used it
	ErrVerifierLocked    = &Error{Code: "docs.verifier.locked"}  // too many wrong codes
	ErrGuessingLimited   = &Error{Code: "docs.guessing.limited"} // retry next minute
)

package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// NoticeText is a notice's title and body in one language.
type NoticeText struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Notice is what a state body with a sender permission sends to a citizen through
// POST /v1/notices. Content needs "kk" and "ru"; "en" is optional.
type Notice struct {
	SubjectIIN         string                `json:"subject_iin"`
	Category           string                `json:"category"`
	LegallySignificant bool                  `json:"legally_significant"`
	ReadBy             *time.Time            `json:"read_by,omitempty"`
	Content            map[string]NoticeText `json:"content"`
}

// NoticeStatus is a sent notice's status: delivered, read or deemed_delivered, with
// each channel's delivery.
type NoticeStatus struct {
	ID                 string     `json:"id"`
	State              string     `json:"state"`
	Category           string     `json:"category"`
	LegallySignificant bool       `json:"legally_significant"`
	Policy             string     `json:"policy"`
	CreatedAt          time.Time  `json:"created_at"`
	ReadAt             *time.Time `json:"read_at,omitempty"`
	DeemedDeliveredAt  *time.Time `json:"deemed_delivered_at,omitempty"`
	Deliveries         []struct {
		Channel  string `json:"channel"`
		Purpose  string `json:"purpose"`
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
	} `json:"deliveries"`
	ReceiptURL string `json:"receipt_url,omitempty"`
}

// SendNotice sends a notice; the idempotency key makes a retry safe (the same key
// with another notice is refused with notify.idempotency.conflict).
func (c *Client) SendNotice(ctx context.Context, n Notice, idempotencyKey string) (*NoticeStatus, error) {
	var out NoticeStatus
	if _, err := c.do(ctx, "POST", "/v1/notices", n, &out, "Idempotency-Key", idempotencyKey); err != nil {
		return nil, err
	}
	return &out, nil
}

// NoticeStatus returns the status of a notice this organisation sent.
func (c *Client) NoticeStatus(ctx context.Context, id string) (*NoticeStatus, error) {
	var out NoticeStatus
	if _, err := c.do(ctx, "GET", "/v1/notices/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NoticeReceipt returns the read receipt bundle of a legally significant notice this
// organisation sent ({"receipt": JWS, "iin_salt": …}), for `senim notify verify`.
func (c *Client) NoticeReceipt(ctx context.Context, id string) ([]byte, error) {
	var out json.RawMessage
	if _, err := c.do(ctx, "GET", "/v1/notices/"+url.PathEscape(id)+"/receipt", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

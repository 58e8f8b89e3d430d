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
	DeliveredAt        *time.Time `json:"delivered_at,omitempty"`
	ReadBy             *time.Time `json:"read_by,omitempty"` // the read-by deadline it was sent with
	ReadAt             *time.Time `json:"read_at,omitempty"`
	DeemedDeliveredAt  *time.Time `json:"deemed_delivered_at,omitempty"`
	Deliveries         []struct {
		Channel  string     `json:"channel"`
		Purpose  string     `json:"purpose"`
		State    string     `json:"state"`
		Attempts int        `json:"attempts"`
		DoneAt   *time.Time `json:"done_at,omitempty"`
	} `json:"deliveries"`
	ReceiptURL string `json:"receipt_url,omitempty"`
	// StatusURL is where the status is read (GET), in the answer to a send.
	StatusURL string `json:"status_url,omitempty"`
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

// NoticeBatchItem is one notice of a bulk send with its own idempotency key: what
// SendNotice's notice and key are, in the same key space.
type NoticeBatchItem struct {
	IdempotencyKey string `json:"idempotency_key"`
	Notice         Notice `json:"notice"`
}

// NoticeBatchResult is one item's outcome: Status 201 with Notice (Replayed when its
// key had been answered before), or the Problem that refused this item alone.
type NoticeBatchResult struct {
	Index          int           `json:"index"`
	IdempotencyKey string        `json:"idempotency_key"`
	Status         int           `json:"status"`
	Replayed       bool          `json:"replayed,omitempty"`
	Notice         *NoticeStatus `json:"notice,omitempty"`
	Problem        *Error        `json:"problem,omitempty"`
}

// NoticeBatch is the answer to a bulk send: a result per item, in the items' order.
type NoticeBatch struct {
	Results  []NoticeBatchResult `json:"results"`
	Accepted int                 `json:"accepted"`
	Replayed int                 `json:"replayed"`
	Refused  int                 `json:"refused"`
}

// SendNotices sends up to 1,000 notices in one request (POST /v1/notices:batch). The
// contract is per item: a refused item does not hold back the others (see each
// result); the error is for the request as a whole (notify.batch.too_large,
// notify.sender.not_permitted, …). The server reads a bulk send's body up to 16 MiB
// (request.too_large beyond it); a signed request's body may be larger (41 MiB, the
// archive's bound), so the bulk route's 16 MiB is the limit that holds.
func (c *Client) SendNotices(ctx context.Context, items []NoticeBatchItem) (*NoticeBatch, error) {
	var out NoticeBatch
	if _, err := c.do(ctx, "POST", "/v1/notices:batch", map[string]any{"notices": items}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

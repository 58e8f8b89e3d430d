// Package mgov holds Senim's adapters to the "mobile government" systems it does not
// own: the mobile citizens database (БМГ), which maps an IIN to the mobile number the
// citizen registered on the eGov portal, and the SMS gateway that sends messages from
// the short number 1414 and passes citizens' replies back.
//
// Each system is a small interface with a production HTTP/JSON client here and a
// sandbox implementation in package sandbox. No public wire specification of these
// systems exists, so the clients speak a documented JSON contract of Senim's own
// (docs/adapters.md); an integration with the real systems maps onto it.
package mgov

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ShortNumber is the sender of "mobile government" SMS.
const ShortNumber = "1414"

// Errors callers act on.
var (
	// ErrNotRegistered: the mobile citizens database has no number for this IIN; the
	// citizen must register on the eGov portal first (PD-6.3.4).
	ErrNotRegistered = errors.New("mgov: the citizen has no mobile number in the mobile citizens database; register on the eGov portal first")
	// ErrUnavailable: the external system did not answer usably; retry later.
	ErrUnavailable = errors.New("mgov: external system unavailable")
)

// MobileDB is the mobile citizens database.
type MobileDB interface {
	// Phone returns the number registered for iin in E.164 form, or ErrNotRegistered.
	Phone(ctx context.Context, iin string) (string, error)
}

// SMSGateway sends SMS through "mobile government".
type SMSGateway interface {
	// Send queues text for phone and returns the gateway's message id.
	Send(ctx context.Context, phone, text string) (id string, err error)
}

// Reply is a citizen's answer to an SMS, as the gateway passes it back.
type Reply struct {
	Phone      string    `json:"phone"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
}

// ReplyHandler consumes citizens' SMS replies (flow 3 approves a request with one).
type ReplyHandler interface {
	HandleReply(ctx context.Context, r Reply) error
}

// ClientConfig configures an HTTP adapter.
type ClientConfig struct {
	BaseURL string        // e.g. https://bmg.example.gov.kz/api
	Token   string        // bearer token, if the system wants one
	Timeout time.Duration // per request; 5 s when zero
	Client  *http.Client  // http.DefaultClient's transport when nil
}

type client struct {
	base  *url.URL
	token string
	http  *http.Client
}

func newClient(cfg ClientConfig) (*client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mgov: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	c := *hc
	c.Timeout = cfg.Timeout
	return &client{base: u, token: cfg.Token, http: &c}, nil
}

// do sends a JSON request and decodes a JSON answer into out. It returns the status.
func (c *client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, fmt.Errorf("%w: reading answer: %v", ErrUnavailable, err)
	}
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%w: malformed answer: %v", ErrUnavailable, err)
		}
	}
	return res.StatusCode, nil
}

// HTTPMobileDB is the production client of the mobile citizens database:
// GET {base}/v1/subscribers/{iin} -> 200 {"iin": ..., "phone": "+7..."} or 404.
type HTTPMobileDB struct{ c *client }

// NewHTTPMobileDB returns a client for the database at cfg.BaseURL.
func NewHTTPMobileDB(cfg ClientConfig) (*HTTPMobileDB, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &HTTPMobileDB{c: c}, nil
}

// Phone implements MobileDB.
func (m *HTTPMobileDB) Phone(ctx context.Context, iin string) (string, error) {
	var out struct {
		Phone string `json:"phone"`
	}
	status, err := m.c.do(ctx, http.MethodGet, "/v1/subscribers/"+url.PathEscape(iin), nil, &out)
	switch {
	case err != nil:
		return "", err
	case status == http.StatusNotFound:
		return "", ErrNotRegistered
	case status != http.StatusOK:
		return "", fmt.Errorf("%w: status %d", ErrUnavailable, status)
	case !ValidPhone(out.Phone):
		return "", fmt.Errorf("%w: answer without a valid phone number", ErrUnavailable)
	}
	return out.Phone, nil
}

// HTTPSMSGateway is the production client of the SMS gateway:
// POST {base}/v1/messages {"sender": "1414", "phone": ..., "text": ...} -> 2xx {"id": ...}.
type HTTPSMSGateway struct{ c *client }

// NewHTTPSMSGateway returns a client for the gateway at cfg.BaseURL.
func NewHTTPSMSGateway(cfg ClientConfig) (*HTTPSMSGateway, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &HTTPSMSGateway{c: c}, nil
}

// Send implements SMSGateway.
func (g *HTTPSMSGateway) Send(ctx context.Context, phone, text string) (string, error) {
	if !ValidPhone(phone) {
		return "", fmt.Errorf("mgov: %q is not an E.164 number", phone)
	}
	in := map[string]string{"sender": ShortNumber, "phone": phone, "text": text}
	var out struct {
		ID string `json:"id"`
	}
	status, err := g.c.do(ctx, http.MethodPost, "/v1/messages", in, &out)
	switch {
	case err != nil:
		return "", err
	case status/100 != 2:
		return "", fmt.Errorf("%w: status %d", ErrUnavailable, status)
	case out.ID == "":
		return "", fmt.Errorf("%w: answer without a message id", ErrUnavailable)
	}
	return out.ID, nil
}

// ValidPhone reports whether p is an E.164 number: '+' and 8 to 15 digits.
func ValidPhone(p string) bool {
	if len(p) < 9 || len(p) > 16 || p[0] != '+' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// Package client is the Go client of Senim's personal-data access API for initiators
// (banks, insurers, operators) and data owners: the three access flows (proactive
// service, protocol mode, SMS code with polling), recording consents, reporting actions
// on data, making verification tokens from an NCA PKCS#12 key file, and redeeming a
// citizen's digital document by its short code or QR code (RedeemDocumentCode), and
// the archive of electronic documents (Archive, ArchivedDocuments, ExportArchived,
// ImportContainer).
//
// Requests are authenticated with the organization's EDS certificate: either the
// HTTP client carries it for mutual TLS, or, with Config.Key set, every request is
// signed (the "Authorization: Senim-Signature" header, for deployments where TLS ends
// before Senim). Errors from Senim are *Error values carrying the problem's stable code
// and rule, the field or cause it names and its Retry-After; compare with errors.Is
// against the exported codes or check Code.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/orgauth"
)

// Config configures a Client.
type Config struct {
	// BaseURL is Senim's address, e.g. "https://senim.example.kz".
	BaseURL string
	// HTTPClient sends the requests (with a client certificate for mutual TLS).
	// Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Key, when set, signs every request (Senim-Signature).
	Key *Key
	// Now gives the time for signatures and verification tokens. Default time.Now.
	Now func() time.Time
}

// Client talks to one Senim server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: BaseURL must be an http(s) URL")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, base: u}, nil
}

// Error is a problem Senim answered with (RFC 9457). Code is the stable part to act on;
// Title and Detail are for people. The members after Rule are present only on the
// problems that carry them (the API documentation's error catalogue says which).
type Error struct {
	Status int    `json:"status"`
	Type   string `json:"type,omitempty"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Rule   string `json:"rule,omitempty"`
	// Field names the request member a request.* problem (and some domain ones, such
	// as pd.report.outside_token) is about.
	Field string `json:"field,omitempty"`
	// Cause is the stable code of the underlying refusal an archive problem carries
	// (eds.cms.malformed, eds.signature.invalid, ...).
	Cause string `json:"cause,omitempty"`
	// AttemptsLeft is how many more SMS codes may be tried (pd.sms.code_invalid); nil
	// when the problem does not say.
	AttemptsLeft *int `json:"attempts_left,omitempty"`
	// JTI names the security token already issued (pd.sms.issued).
	JTI string `json:"jti,omitempty"`
	// RetryAfter is the answer's Retry-After header (rate limits, lockouts, a busy
	// service), zero when it had none.
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("senim: %d %s: %s", e.Status, e.Code, e.Title)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Field != "" {
		s += " field=" + e.Field
	}
	if e.Cause != "" {
		s += " cause=" + e.Cause
	}
	if e.Rule != "" {
		s += " [" + e.Rule + "]"
	}
	return s
}

// problemFrom makes the *Error of an answer with an error status: its problem+json
// body when it is one, else the status and the body's text under the code http.error.
func problemFrom(res *http.Response, body []byte) *Error {
	e := &Error{}
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		e = &Error{Code: "http.error", Title: strings.TrimSpace(string(body))}
	}
	e.Status = res.StatusCode
	e.RetryAfter = retryAfter(res.Header.Get("Retry-After"), time.Now())
	return e
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Is matches errors by code, so errors.Is(err, client.ErrConsentRevoked) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Some codes an initiator acts on (the full list is in Senim's API documentation).
var (
	ErrConsentRevoked       = &Error{Code: "pd.consent.revoked"}
	ErrConsentNotFound      = &Error{Code: "pd.consent.not_found"}
	ErrReplayed             = &Error{Code: "pd.verification_token.replayed"}
	ErrTooOld               = &Error{Code: "pd.verification_token.too_old"}
	ErrNotTrusted           = &Error{Code: "pd.trusted_object.not_trusted"}
	ErrProtocolNotPermitted = &Error{Code: "pd.protocol.not_permitted"}
	ErrSMSNotRegistered     = &Error{Code: "pd.sms.not_registered"}
	ErrSMSCodeInvalid       = &Error{Code: "pd.sms.code_invalid"}
	ErrSMSDenied            = &Error{Code: "pd.sms.denied"}
	ErrSMSExpired           = &Error{Code: "pd.sms.expired"}
	ErrSMSLocked            = &Error{Code: "pd.sms.attempts_exhausted"}
)

func (c *Client) do(ctx context.Context, method, path string, in, out any, hdr ...string) (int, error) {
	var body []byte
	ctype := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
		ctype = "application/json"
	}
	return c.call(ctx, method, path, ctype, body, out, hdr...)
}

// call sends body of type ctype and decodes the JSON answer into out (when not nil).
func (c *Client) call(ctx context.Context, method, path, ctype string, body []byte, out any, hdr ...string) (int, error) {
	st, b, err := c.send(ctx, method, path, ctype, body, maxJSON, hdr...)
	if err != nil {
		return st, err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return st, fmt.Errorf("client: decoding %s %s: %w", method, path, err)
		}
	}
	return st, nil
}

// maxJSON bounds a JSON answer; maxFile a file's (an archived document's container).
const (
	maxJSON = 4 << 20
	maxFile = 64 << 20
)

// send makes one request with body of type ctype ("" without a body), signed when a
// Key is set, and returns the answer's status and at most limit bytes of it; an error
// status is an *Error.
func (c *Client) send(ctx context.Context, method, path, ctype string, body []byte, limit int64, hdr ...string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] != "" {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	if c.cfg.Key != nil {
		if err := orgauth.SignRequest(req, body, c.cfg.Key.signer, c.cfg.Key.chain, c.cfg.Now()); err != nil {
			return 0, nil, fmt.Errorf("client: signing the request: %w", err)
		}
	}
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return res.StatusCode, nil, err
	}
	if int64(len(b)) > limit {
		return res.StatusCode, nil, fmt.Errorf("client: the answer to %s %s is over %d bytes", method, path, limit)
	}
	if res.StatusCode >= 400 {
		return res.StatusCode, nil, problemFrom(res, b)
	}
	return res.StatusCode, b, nil
}

// Token is a security token Senim issued.
type Token struct {
	Status        string    `json:"status"`
	SecurityToken string    `json:"security_token"`
	TokenType     string    `json:"token_type"`
	JTI           string    `json:"jti"`
	Mode          string    `json:"mode"`
	ExpiresAt     time.Time `json:"expires_at"`
	TrustedSystem bool      `json:"trusted_system"`
	EventID       int64     `json:"event_id"`
}

// Proactive runs flow 1 with a verification token (see Key.VerificationToken).
func (c *Client) Proactive(ctx context.Context, verificationToken string) (*Token, error) {
	var t Token
	_, err := c.do(ctx, "POST", "/v1/pd/proactive", map[string]string{"verification_token": verificationToken}, &t)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Protocol runs flow 2 (protocol mode on a legal ground).
func (c *Client) Protocol(ctx context.Context, verificationToken string) (*Token, error) {
	var t Token
	_, err := c.do(ctx, "POST", "/v1/pd/protocol", map[string]string{"verification_token": verificationToken}, &t)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// SMSRequest starts flow 3.
type SMSRequest struct {
	Subject  string   `json:"subject"`
	Owner    string   `json:"owner"`
	DataSets []string `json:"data_sets"`
	Purpose  string   `json:"purpose,omitempty"`
}

// SMSStatus is the state of a flow-3 request: awaiting_subject_response, or issued
// with Token set.
type SMSStatus struct {
	Status    string    `json:"status"`
	RequestID string    `json:"request_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Token     *Token    `json:"-"`
}

func (c *Client) sms(ctx context.Context, method, path string, in any) (*SMSStatus, error) {
	var raw json.RawMessage
	if _, err := c.do(ctx, method, path, in, &raw); err != nil {
		return nil, err
	}
	var st SMSStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	if st.Status == "issued" {
		st.Token = new(Token)
		if err := json.Unmarshal(raw, st.Token); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// RequestSMS starts flow 3; a request already in processing answers with its id.
func (c *Client) RequestSMS(ctx context.Context, r SMSRequest) (*SMSStatus, error) {
	return c.sms(ctx, "POST", "/v1/pd/sms-requests", r)
}

// PollSMS repeats a flow-3 request by its id (PD-6.3.6).
func (c *Client) PollSMS(ctx context.Context, requestID string) (*SMSStatus, error) {
	return c.sms(ctx, "GET", "/v1/pd/sms-requests/"+url.PathEscape(requestID), nil)
}

// EnterSMSCode sends the code the subject told the operator (PD-6.3.7).
func (c *Client) EnterSMSCode(ctx context.Context, requestID, code string) (*SMSStatus, error) {
	return c.sms(ctx, "POST", "/v1/pd/sms-requests/"+url.PathEscape(requestID)+"/code", map[string]string{"code": code})
}

// WaitSMS polls a flow-3 request every interval (default 2 s) until the subject
// answers, the request fails, or ctx ends.
func (c *Client) WaitSMS(ctx context.Context, requestID string, interval time.Duration) (*Token, error) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	for {
		st, err := c.PollSMS(ctx, requestID)
		if err != nil {
			return nil, err
		}
		if st.Token != nil {
			return st.Token, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// ConsentRecord is a consent the initiator obtained itself, with evidence (PD-6.1.1).
type ConsentRecord struct {
	Subject        string    `json:"subject"`
	Owner          string    `json:"owner"`
	DataSets       []string  `json:"data_sets"`
	Purpose        string    `json:"purpose"`
	ValidUntil     time.Time `json:"valid_until"`
	Method         string    `json:"method"` // biometric | eds | paper
	Reference      string    `json:"reference,omitempty"`
	Signature      []byte    `json:"signature,omitempty"` // CMS over the consent text (eds)
	DocumentSHA256 string    `json:"document_sha256,omitempty"`
}

// Consent is a recorded consent.
type Consent struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject,omitempty"` // IIN; set in ListConsents and GetConsent
	Initiator  string    `json:"initiator"`
	Owner      string    `json:"owner"`
	DataSets   []string  `json:"data_sets"`
	Purpose    string    `json:"purpose"`
	Decision   string    `json:"decision,omitempty"` // given | refused
	Method     string    `json:"method"`
	ValidUntil time.Time `json:"valid_until"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	Status     string    `json:"status"` // active | revoked | expired
}

// ConsentQuery filters ListConsents; every field is optional.
type ConsentQuery struct {
	Subject  string // IIN
	Owner    string // data owner's BIN
	Status   string // active | revoked | expired
	Decision string // given | refused
	Limit    int    // 1..200 (default 50)
	After    string // ConsentPage.Next of the previous page
}

// ConsentPage is one page of ListConsents, newest first.
type ConsentPage struct {
	Consents []Consent `json:"consents"`
	Next     string    `json:"next,omitempty"` // empty on the last page
}

// ListConsents lists the consents and refusals subjects gave your organisation.
func (c *Client) ListConsents(ctx context.Context, q ConsentQuery) (*ConsentPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"subject": q.Subject, "owner": q.Owner, "status": q.Status, "decision": q.Decision, "after": q.After} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v1/pd/consents"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out ConsentPage
	if _, err := c.do(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscription is a webhook endpoint of your organisation.
type Subscription struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
}

// Subscribe has Senim POST the events (all when empty) to endpoint, an https URL.
// Each body is a JWS: check it with verifier.VerifyWebhook and Senim's JWKS, and drop
// an event id you have seen (delivery is at least once).
func (c *Client) Subscribe(ctx context.Context, endpoint string, events []string) (*Subscription, error) {
	var out Subscription
	if _, err := c.do(ctx, "POST", "/v1/webhooks", map[string]any{"url": endpoint, "events": events}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unsubscribe deletes a webhook subscription.
func (c *Client) Unsubscribe(ctx context.Context, id string) error {
	_, err := c.do(ctx, "DELETE", "/v1/webhooks/"+url.PathEscape(id), nil, nil)
	return err
}

// RecordConsent records a consent; idempotencyKey (may be "") makes retries safe.
func (c *Client) RecordConsent(ctx context.Context, r ConsentRecord, idempotencyKey string) (*Consent, error) {
	var out Consent
	var hdr []string
	if idempotencyKey != "" {
		hdr = []string{"Idempotency-Key", idempotencyKey}
	}
	if _, err := c.do(ctx, "POST", "/v1/pd/consents", r, &out, hdr...); err != nil {
		return nil, err
	}
	return &out, nil
}

// Report is an action a data owner took on a subject's data (PD-3.4, PD-2.8-1).
type Report struct {
	TokenJTI  string    `json:"token_jti,omitempty"`
	Subject   string    `json:"subject"`
	Action    string    `json:"action"` // access | view | change | addition | transfer | blocking | deletion
	Automated bool      `json:"automated"`
	DataSets  []string  `json:"data_sets"`
	At        time.Time `json:"at,omitzero"`
}

// Report sends a data owner's report; idempotencyKey (may be "") makes retries safe.
func (c *Client) Report(ctx context.Context, r Report, idempotencyKey string) error {
	var hdr []string
	if idempotencyKey != "" {
		hdr = []string{"Idempotency-Key", idempotencyKey}
	}
	_, err := c.do(ctx, "POST", "/v1/pd/reports", r, nil, hdr...)
	return err
}

// TokenStatus is the data owner's online check of a token it received.
func (c *Client) TokenStatus(ctx context.Context, jti string) (active bool, reason string, err error) {
	var st struct {
		Active bool   `json:"active"`
		Reason string `json:"reason"`
	}
	if _, err := c.do(ctx, "GET", "/v1/pd/tokens/"+url.PathEscape(jti)+"/status", nil, &st); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusNotFound {
			return false, "unknown", nil
		}
		return false, "", err
	}
	return st.Active, st.Reason, nil
}

// JWKS fetches Senim's published security-token keys.
func (c *Client) JWKS(ctx context.Context) ([]byte, error) {
	var raw json.RawMessage
	_, err := c.do(ctx, "GET", "/.well-known/jwks.json", nil, &raw)
	return raw, err
}

// DataRequest sends a GET data request to a data owner (e.g. the sandbox population
// register) with the security token in the Senim-Security-Token header, signed with
// the client's key so the owner can check the token's certificate binding, and decodes
// the JSON answer into out.
func (c *Client) DataRequest(ctx context.Context, ownerURL, securityToken string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ownerURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Senim-Security-Token", securityToken)
	if c.cfg.Key != nil {
		if err := orgauth.SignRequest(req, nil, c.cfg.Key.signer, c.cfg.Key.chain, c.cfg.Now()); err != nil {
			return err
		}
	}
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		return problemFrom(res, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

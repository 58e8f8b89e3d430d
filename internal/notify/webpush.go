package notify

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Web Push: the message encryption of RFC 8291 (aes128gcm content coding, RFC 8188)
// with crypto/ecdh and crypto/hkdf, and VAPID (RFC 8292) with an ES256 JWT. Written
// here rather than taken from a library because the whole of it is these few functions
// over the standard library, and each is checked against the RFC's example.

const (
	pushRecordSize = 4096
	pushHeaderLen  = 16 + 4 + 1 + 65
	// MaxPushPayload is the largest plaintext that fits one 4096-byte record (RFC 8291
	// §4: push services must accept at least 4096 bytes of body).
	MaxPushPayload = pushRecordSize - pushHeaderLen - 16 - 1
)

// ErrPushDecrypt: a push message does not decrypt (wrong keys, tampered, malformed).
var ErrPushDecrypt = errors.New("webpush: message does not decrypt")

// pushKeys derives the content-encryption key and nonce of RFC 8291 §3.3–3.4 from the
// ECDH secret, the auth secret, both public keys and the salt.
func pushKeys(ecdhSecret, auth, uaPublic, asPublic, salt []byte) (cek, nonce []byte, err error) {
	info := append(append([]byte("WebPush: info\x00"), uaPublic...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, ecdhSecret, auth, string(info), 32)
	if err != nil {
		return nil, nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, err
	}
	if cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, err
	}
	nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	return cek, nonce, err
}

// EncryptPush encrypts plaintext for a subscription's key (uaPublic, 65 bytes) and auth
// secret (16 bytes) as one aes128gcm record. asKey and salt are fresh for every message;
// they are parameters only so the RFC 8291 example can be reproduced.
func EncryptPush(plaintext, uaPublic, auth []byte, asKey *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	if len(plaintext) > MaxPushPayload {
		return nil, fmt.Errorf("webpush: payload of %d bytes is over %d", len(plaintext), MaxPushPayload)
	}
	if len(auth) != 16 || len(salt) != 16 {
		return nil, errors.New("webpush: auth and salt are 16 bytes")
	}
	ua, err := ecdh.P256().NewPublicKey(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("webpush: subscription key: %w", err)
	}
	secret, err := asKey.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPublic := asKey.PublicKey().Bytes()
	cek, nonce, err := pushKeys(secret, auth, uaPublic, asPublic, salt)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, pushHeaderLen+len(plaintext)+17)
	out = append(out, salt...)
	out = binary.BigEndian.AppendUint32(out, pushRecordSize)
	out = append(out, byte(len(asPublic)))
	out = append(out, asPublic...)
	// The last (and only) record: plaintext, the delimiter 0x02, no padding.
	return gcm.Seal(out, nonce, append(bytes.Clone(plaintext), 2), nil), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// DecryptPush is what a browser does with a push message: it decrypts a one-record
// aes128gcm body with the subscription's private key and auth secret. Senim uses it in
// the sandbox's push endpoint and in tests; the body is untrusted input.
func DecryptPush(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 || len(auth) != 16 {
		return nil, ErrPushDecrypt
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if rs < 18 || idlen != 65 || len(body) < 21+idlen+17 {
		return nil, ErrPushDecrypt
	}
	asPublic := body[21 : 21+idlen]
	ct := body[21+idlen:]
	if uint64(len(ct)) > uint64(rs) {
		return nil, ErrPushDecrypt // more than one record: not what Senim sends
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, ErrPushDecrypt
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		return nil, ErrPushDecrypt
	}
	cek, nonce, err := pushKeys(secret, auth, ua.PublicKey().Bytes(), asPublic, salt)
	if err != nil {
		return nil, ErrPushDecrypt
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, ErrPushDecrypt
	}
	pt, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, ErrPushDecrypt
	}
	// Strip padding: zeros after the delimiter, which must be 0x02 (last record).
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 || pt[i] != 2 {
		return nil, ErrPushDecrypt
	}
	return pt[:i], nil
}

// VAPID signs the voluntary application-server identification of RFC 8292.
type VAPID struct {
	Key     *ecdsa.PrivateKey // P-256
	Subject string            // "mailto:…" or an https URL: whom the push service may contact
}

// PublicKey is the uncompressed point the cabinet gives the browser as
// applicationServerKey, base64url.
func (v *VAPID) PublicKey() string {
	b, _ := v.Key.PublicKey.Bytes()
	return base64.RawURLEncoding.EncodeToString(b)
}

// Authorization returns the Authorization header value for a push to endpoint: a JWT
// for the endpoint's origin valid for 12 hours, and the public key.
func (v *VAPID) Authorization(endpoint string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", errors.New("webpush: endpoint is not a URL")
	}
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"aud": u.Scheme + "://" + u.Host, "exp": now.Add(12 * time.Hour).Unix(), "sub": v.Subject})
	in := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`)) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, v.Key, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + in + "." + enc.EncodeToString(sig[:]) + ", k=" + v.PublicKey(), nil
}

// GuardedClient is an HTTP client for URLs citizens gave (push endpoints): it connects
// only to public addresses, checked on the address actually dialled (so a name that
// resolves to an internal address, or re-resolves to one, is refused), loopback too
// when allowLoopback (the sandbox).
func GuardedClient(timeout time.Duration, allowLoopback bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || !(PublicIP(ip) || allowLoopback && ip.IsLoopback()) {
			return fmt.Errorf("%w: %s is not a public address", ErrPermanent, host)
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = d.DialContext
	return &http.Client{Timeout: timeout, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// PushChannel sends Web Push messages (RFC 8030) to the citizen's subscriptions.
type PushChannel struct {
	VAPID  *VAPID
	Client *http.Client     // GuardedClient(15s, false) when nil
	Now    func() time.Time // time.Now when nil
	// Gone is told of a subscription the push service says no longer exists (404,
	// 410), so it is removed.
	Gone func(ctx context.Context, endpoint string)
}

// Name implements Channel.
func (PushChannel) Name() string { return ChannelPush }

// pushPayload is what the service worker receives: the title, the lines under it, the
// link, and the language they are in (the notification's lang).
type pushPayload struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Lang  string `json:"lang,omitempty"`
}

// PushBody is what a push notification says under its title: the lines of m.Text
// between the title and the link — that the notice is legally significant, where it is
// — never the title again (the notification shows the title itself, and a body that
// repeated it said everything twice) nor the link (the notification opens it).
func PushBody(m Outgoing) string {
	t := strings.TrimSpace(strings.TrimSuffix(m.Text, m.URL))
	return strings.TrimSpace(strings.TrimPrefix(t, m.Title))
}

// Send implements Channel: one push per subscription. The delivery succeeds when at
// least one push service accepted it; a subscription that is gone is dropped.
func (c PushChannel) Send(ctx context.Context, m Outgoing) error {
	if len(m.Push) == 0 {
		return ErrNoAddress
	}
	payload, _ := json.Marshal(pushPayload{ID: m.ID, Title: m.Title, Body: PushBody(m), URL: m.URL, Lang: m.Lang})
	var errs []error
	sent, gone := 0, 0
	for _, sub := range m.Push {
		err := c.push(ctx, sub, payload, m.ID)
		switch {
		case err == nil:
			sent++
		case errors.Is(err, errGone):
			gone++
			if c.Gone != nil {
				c.Gone(ctx, sub.Endpoint)
			}
		default:
			errs = append(errs, err)
		}
	}
	if sent > 0 {
		return nil
	}
	if len(errs) == 0 && gone > 0 {
		return ErrNoAddress
	}
	return errors.Join(errs...)
}

var errGone = errors.New("webpush: subscription gone")

type pushError struct{ status int }

func (e pushError) Error() string { return "webpush: push service answered " + strconv.Itoa(e.status) }
func (e pushError) Code() string  { return "push_" + strconv.Itoa(e.status) }

func (c PushChannel) push(ctx context.Context, sub PushSubscription, payload []byte, id string) error {
	dec := base64.RawURLEncoding
	uaPub, err1 := dec.DecodeString(sub.Keys.P256DH)
	auth, err2 := dec.DecodeString(sub.Keys.Auth)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: subscription keys", ErrPermanent)
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	body, err := EncryptPush(payload, uaPub, auth, as, salt)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	authz, err := c.VAPID.Authorization(sub.Endpoint, now())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", "86400")
	req.Header.Set("Urgency", "normal")
	// Topic (RFC 8030 §5.4): a repeated attempt replaces an undelivered earlier one.
	topic := sha256.Sum256([]byte(id))
	req.Header.Set("Topic", base64.RawURLEncoding.EncodeToString(topic[:24]))
	cl := c.Client
	if cl == nil {
		cl = GuardedClient(15*time.Second, false)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("webpush: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return errGone
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return pushError{resp.StatusCode}
	}
	return fmt.Errorf("%w: %w", ErrPermanent, pushError{resp.StatusCode})
}

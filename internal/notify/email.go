package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// EmailChannel sends e-mail over SMTP with go-smtp's client: STARTTLS (the default) or
// implicit TLS, then PLAIN authentication when a username is given. Plain-text SMTP is
// allowed only to a loopback address (the sandbox's own server).
type EmailChannel struct {
	Addr      string      // host:port of the submission server
	TLS       string      // "starttls" (default), "implicit", or "none" (loopback only)
	TLSConfig *tls.Config // ServerName defaults to Addr's host
	Username  string
	Password  string
	From      string // the envelope and header sender, e.g. noreply@senim.kz
	Timeout   time.Duration
	Now       func() time.Time
}

// Name implements Channel.
func (EmailChannel) Name() string { return ChannelEmail }

type smtpError struct{ code int }

func (e smtpError) Error() string { return "smtp: server answered " + strconv.Itoa(e.code) }
func (e smtpError) Code() string  { return "smtp_" + strconv.Itoa(e.code) }

// Send implements Channel: one message to the citizen's address, with the delivery id
// as its Message-ID so a repeated attempt can be recognised. A 5xx answer is
// permanent, anything else is retried.
func (c EmailChannel) Send(ctx context.Context, m Outgoing) error {
	if m.Email == "" {
		return ErrNoAddress
	}
	if strings.ContainsAny(m.Email, "\r\n<>") || strings.ContainsAny(c.From, "\r\n<>") {
		return fmt.Errorf("%w: address", ErrPermanent)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%w: smtp address", ErrPermanent)
	}
	cfg := c.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	if c.TLS == "none" {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%w: plain-text SMTP is allowed to loopback only", ErrPermanent)
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	var cl *smtp.Client
	switch c.TLS {
	case "", "starttls":
		cl, err = smtp.NewClientStartTLS(conn, cfg)
	case "implicit":
		cl = smtp.NewClient(tls.Client(conn, cfg))
	case "none":
		cl = smtp.NewClient(conn)
	default:
		conn.Close()
		return fmt.Errorf("%w: unknown TLS mode %q", ErrPermanent, c.TLS)
	}
	if err != nil {
		conn.Close()
		return smtpErr(err)
	}
	defer cl.Close()
	if c.Username != "" {
		if err := cl.Auth(sasl.NewPlainClient("", c.Username, c.Password)); err != nil {
			return smtpErr(err)
		}
	}
	if err := cl.Mail(c.From, nil); err != nil {
		return smtpErr(err)
	}
	if err := cl.Rcpt(m.Email, nil); err != nil {
		return smtpErr(err)
	}
	w, err := cl.Data()
	if err != nil {
		return smtpErr(err)
	}
	if _, err := w.Write(c.message(m)); err != nil {
		return smtpErr(err)
	}
	if err := w.Close(); err != nil {
		return smtpErr(err)
	}
	return smtpErr(cl.Quit())
}

func smtpErr(err error) error {
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Code >= 500 {
			return fmt.Errorf("%w: %w", ErrPermanent, smtpError{se.Code})
		}
		return smtpError{se.Code}
	}
	return fmt.Errorf("smtp: %w", err)
}

// message is the RFC 5322 message: UTF-8 text, base64 body, encoded subject.
func (c EmailChannel) message(m Outgoing) []byte {
	host := c.From[strings.LastIndexByte(c.From, '@')+1:]
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", "Senim <"+c.From+">")
	h("To", "<"+m.Email+">")
	h("Subject", mime.BEncoding.Encode("utf-8", m.Title))
	h("Date", now().Format(time.RFC1123Z))
	h("Message-ID", "<"+m.ID+"@"+host+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "base64")
	h("Content-Language", m.Lang)
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Text + "\n"))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

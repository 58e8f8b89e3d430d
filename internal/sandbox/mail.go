package sandbox

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is a message the sandbox mail server received.
type Mail struct {
	ID         string    `json:"id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	MessageID  string    `json:"message_id"`
	TLS        bool      `json:"tls"` // received after STARTTLS
	ReceivedAt time.Time `json:"received_at"`
}

// Mailbox is the sandbox's stand-in for citizens' mail servers: a real SMTP server
// (go-smtp) on loopback that speaks STARTTLS with a certificate of its own, takes
// PLAIN authentication, and keeps what it receives in memory (the most recent
// MaxMessages) for /sandbox/mail. Tests of the e-mail channel send to it too.
type Mailbox struct {
	Now         func() time.Time
	MaxMessages int
	Username    string // PLAIN credentials it accepts ("" accepts no AUTH)
	Password    string
	// RequireTLS refuses MAIL before STARTTLS.
	RequireTLS bool

	mu    sync.Mutex
	seq   int
	msgs  []Mail
	srv   *smtp.Server
	ln    net.Listener
	roots *x509.CertPool
}

// NewMailbox returns an empty mailbox; Start opens its listener.
func NewMailbox(now func() time.Time) *Mailbox {
	if now == nil {
		now = time.Now
	}
	return &Mailbox{Now: now, MaxMessages: 10000, RequireTLS: true}
}

// Start listens on 127.0.0.1 (a free port) with a fresh self-signed certificate and
// returns the address.
func (m *Mailbox) Start() (string, error) {
	cert, roots, err := selfSigned()
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s := smtp.NewServer(m)
	s.Domain = "mail.sandbox.senim"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.MaxMessageBytes = 1 << 20
	s.MaxRecipients = 10
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.ErrorLog = discardLogger{}
	m.mu.Lock()
	m.srv, m.ln, m.roots = s, ln, roots
	m.mu.Unlock()
	go s.Serve(ln)
	return ln.Addr().String(), nil
}

// Roots is the certificate pool that trusts the mailbox's certificate.
func (m *Mailbox) Roots() *x509.CertPool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.roots
}

// Close stops the server.
func (m *Mailbox) Close() error {
	m.mu.Lock()
	s := m.srv
	m.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// Messages lists the messages received for to ("" for all), newest first.
func (m *Mailbox) Messages(to string) []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Mail{}
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if to == "" || strings.EqualFold(m.msgs[i].To, to) {
			out = append(out, m.msgs[i])
		}
	}
	return out
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// NewSession implements smtp.Backend.
func (m *Mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{box: m, conn: c}, nil
}

type mailSession struct {
	box  *Mailbox
	conn *smtp.Conn
	from string
	to   []string
}

func (s *mailSession) tls() bool { _, ok := s.conn.TLSConnectionState(); return ok }

func (s *mailSession) AuthMechanisms() []string {
	if s.box.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.box.Username || pass != s.box.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Invalid credentials"}
		}
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.box.RequireTLS && !s.tls() {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, err := mail.ParseAddress(to); err != nil {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message"}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	body, err := io.ReadAll(io.LimitReader(msg.Body, 1<<20))
	if err != nil {
		return err
	}
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "base64") {
		dec, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(body, []byte("\r\n"), nil))))
		if err != nil {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Bad base64 body"}
		}
		body = dec
	}
	b := s.box
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, to := range s.to {
		b.seq++
		b.msgs = append(b.msgs, Mail{ID: fmt.Sprintf("mail-%d", b.seq), From: s.from, To: to, Subject: subject, Text: string(body),
			MessageID: msg.Header.Get("Message-ID"), TLS: s.tls(), ReceivedAt: b.Now().UTC()})
	}
	if over := len(b.msgs) - b.MaxMessages; over > 0 {
		b.msgs = append(b.msgs[:0:0], b.msgs[over:]...)
	}
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// selfSigned makes the mailbox's P-256 certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "mail.sandbox.senim"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: c}, pool, nil
}

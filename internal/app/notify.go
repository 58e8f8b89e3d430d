package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/sandbox"
)

// notifyChannels builds the notification channels beside the inbox: SMS through the
// "mobile government" adapters; e-mail over SMTP (in the sandbox, to the sandbox's own
// SMTP server on loopback over STARTTLS; in production, when --smtp-addr is set); Web
// Push with a VAPID key kept sealed in the database, the same on every node.
func (a *App) notifyChannels(ctx context.Context, mobile mgov.MobileDB, sms mgov.SMSGateway) ([]notify.Channel, error) {
	cfg := a.Config
	chans := []notify.Channel{notify.SMSChannel{Mobile: mobile, Gateway: sms}}
	switch {
	case cfg.Sandbox:
		a.Mailbox = sandbox.NewMailbox(cfg.Now)
		addr, err := a.Mailbox.Start()
		if err != nil {
			return nil, fmt.Errorf("sandbox mail server: %w", err)
		}
		chans = append(chans, notify.EmailChannel{Addr: addr, TLSConfig: &tls.Config{RootCAs: a.Mailbox.Roots()},
			From: "noreply@sandbox.senim.kz", Now: cfg.Now})
	case cfg.SMTPAddr != "":
		var pass string
		if cfg.SMTPPasswordFile != "" {
			b, err := os.ReadFile(cfg.SMTPPasswordFile)
			if err != nil {
				return nil, fmt.Errorf("--smtp-password-file: %w", err)
			}
			pass = strings.TrimSpace(string(b))
		}
		from := cfg.MailFrom
		if from == "" {
			return nil, errors.New("--smtp-addr needs --mail-from")
		}
		if cfg.SMTPTLS == "none" {
			return nil, errors.New("--smtp-tls must be starttls or implicit")
		}
		chans = append(chans, notify.EmailChannel{Addr: cfg.SMTPAddr, TLS: cfg.SMTPTLS, Username: cfg.SMTPUser, Password: pass, From: from, Now: cfg.Now})
	}
	vapid, err := a.vapidKey(ctx)
	if err != nil {
		return nil, err
	}
	subject := cfg.VAPIDSubject
	if subject == "" {
		subject = "mailto:noreply@senim.kz"
	}
	push := notify.PushChannel{VAPID: &notify.VAPID{Key: vapid, Subject: subject}, Client: notify.GuardedClient(15*time.Second, cfg.Sandbox),
		Gone: func(ctx context.Context, endpoint string) { a.Notify.DropPushEndpoint(ctx, endpoint) }}
	a.VAPIDPublicKey = push.VAPID.PublicKey()
	if cfg.Sandbox {
		a.PushLog = sandbox.NewPushLog(cfg.Now)
		chans = append(chans, recordedPush{push, a.PushLog})
	} else {
		chans = append(chans, push)
	}
	return chans, nil
}

// vapidKey returns the VAPID key, made by the first node that needs one.
func (a *App) vapidKey(ctx context.Context) (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	blobs := &keyring.Store{DB: a.DB, KEK: a.kek, Now: a.Config.Now}
	got, err := blobs.PutOrGet(ctx, "notify.vapid", "v1", der)
	if err != nil {
		return nil, fmt.Errorf("VAPID key: %w", err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(got)
	if err != nil {
		return nil, fmt.Errorf("VAPID key: %w", err)
	}
	ek, ok := pk.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("VAPID key: not a P-256 key")
	}
	return ek, nil
}

// recordedPush is the sandbox's push channel: it sends for real and keeps what it sent
// for /sandbox/push.
type recordedPush struct {
	notify.PushChannel
	log *sandbox.PushLog
}

func (c recordedPush) Send(ctx context.Context, m notify.Outgoing) error {
	err := c.PushChannel.Send(ctx, m)
	result := "accepted"
	if err != nil {
		result = "error"
		if errors.Is(err, notify.ErrNoAddress) {
			result = "gone"
		}
	}
	for _, s := range m.Push {
		c.log.Record(s.Endpoint, m.Title, notify.PushBody(m), m.URL, result)
	}
	return err
}

// sandboxPages are the sandbox outboxes' pages the cabinet renders.
type sandboxPages struct {
	SMS  func(http.ResponseWriter, *http.Request, string, []sandbox.Message) error
	Mail func(http.ResponseWriter, *http.Request, string, []sandbox.Mail) error
	Push func(http.ResponseWriter, *http.Request, []sandbox.Push) error
	// Population is the demo population's page.
	Population func(http.ResponseWriter, *http.Request, sandbox.Population) error
}

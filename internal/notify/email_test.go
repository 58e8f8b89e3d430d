package notify

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/senimkz/senim/internal/sandbox"
)

// The e-mail channel speaks real SMTP (go-smtp's client) to a real SMTP server
// (go-smtp, in the sandbox's Mailbox): STARTTLS against the server's certificate, AUTH
// PLAIN, a UTF-8 subject and body, the delivery id as Message-ID.
func TestEmailChannelSTARTTLS(t *testing.T) {
	box := sandbox.NewMailbox(nil)
	box.Username, box.Password = "senim", "s3cret"
	addr, err := box.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	ch := EmailChannel{Addr: addr, TLSConfig: &tls.Config{RootCAs: box.Roots(), ServerName: "localhost"}, Username: "senim", Password: "s3cret",
		From: "noreply@senim.test"}
	m := Outgoing{ID: "d7.n_abc", Title: "Senim: жаңа хабарлама", Text: "Senim: жаңа хабарлама\nhttps://senim.test/inbox/n_abc",
		URL: "https://senim.test/inbox/n_abc", Lang: "kk", Email: "alice@example.kz"}
	if err := ch.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := box.Messages("alice@example.kz")
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	g := got[0]
	if !g.TLS || g.Subject != m.Title || !strings.Contains(g.Text, m.URL) || g.MessageID != "<d7.n_abc@senim.test>" || g.From != "noreply@senim.test" {
		t.Errorf("received %+v", g)
	}

	// Refusals: a server certificate nobody trusts, wrong credentials (a 5xx:
	// permanent), plain text to a non-loopback server, no address.
	untrusted := ch
	untrusted.TLSConfig = &tls.Config{ServerName: "localhost"}
	if err := untrusted.Send(t.Context(), m); err == nil {
		t.Error("sent to a server with an untrusted certificate")
	}
	wrong := ch
	wrong.Password = "guess"
	if err := wrong.Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
		t.Errorf("wrong password: %v", err)
	}
	plain := EmailChannel{Addr: "192.0.2.1:25", TLS: "none", From: "noreply@senim.test"}
	if err := plain.Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
		t.Errorf("plain text off loopback: %v", err)
	}
	// Without STARTTLS the server refuses the mail (530): a loopback plain client is
	// refused by a server that requires TLS.
	noTLS := EmailChannel{Addr: addr, TLS: "none", From: "noreply@senim.test"}
	if err := noTLS.Send(t.Context(), m); !errors.Is(err, ErrPermanent) {
		t.Errorf("mail before STARTTLS: %v", err)
	}
	noAddr := m
	noAddr.Email = ""
	if err := ch.Send(t.Context(), noAddr); !errors.Is(err, ErrNoAddress) {
		t.Errorf("no address: %v", err)
	}
	header := m
	header.Email = "alice@example.kz>\r\nBcc: eve@example.kz"
	if err := ch.Send(t.Context(), header); !errors.Is(err, ErrPermanent) {
		t.Errorf("header injection: %v", err)
	}
	if n := len(box.Messages("")); n != 1 {
		t.Errorf("%d messages after the refusals", n)
	}
}

package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/problem"
)

// Seed creates the demo population in the identity store; citizens and organizations
// that exist already are left as they are, so restarts are idempotent.
func Seed(ctx context.Context, ids *identity.Service, p Population) (created int, err error) {
	for _, c := range p.Citizens {
		_, ok, err := ids.EnsureCitizen(ctx, identity.Citizen{IIN: c.IIN, Name: c.Name, Lang: c.Lang}, c.Password)
		if err != nil {
			return created, fmt.Errorf("sandbox: seeding citizen %d: %w", created, err)
		}
		if ok {
			created++
		}
	}
	for _, o := range p.Organizations {
		org := identity.Organization{BIN: o.BIN, Name: o.Name, Names: o.Names, Role: o.Role}
		for _, s := range o.Systems {
			org.Systems = append(org.Systems, identity.InformationSystem{Code: s.Code, Name: s.Name})
		}
		_, ok, err := ids.EnsureOrganization(ctx, org)
		if err != nil {
			return created, fmt.Errorf("sandbox: seeding organization %s: %w", o.BIN, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// Handler serves the sandbox endpoints of design.md's "External interfaces".
type Handler struct {
	Population Population
	SMS        *SMS
	// SMSPage renders /sandbox/sms for a browser; JSON is served when it is nil or the
	// client does not ask for HTML.
	SMSPage func(w http.ResponseWriter, r *http.Request, phone string, msgs []Message) error
	// PopulationPage renders /sandbox/population for a browser, the same way.
	PopulationPage func(w http.ResponseWriter, r *http.Request, p Population) error
	// Mail and Push are the outgoing e-mail (received by the sandbox's own SMTP
	// server) and Web Push messages, with their pages; nil when not running.
	Mail     *Mailbox
	MailPage func(w http.ResponseWriter, r *http.Request, to string, msgs []Mail) error
	Push     *PushLog
	PushPage func(w http.ResponseWriter, r *http.Request, msgs []Push) error
}

// Register adds the sandbox routes to mux-like registrars.
func (h *Handler) Register(handle func(pattern string, fn func(http.ResponseWriter, *http.Request) error)) {
	handle("GET /sandbox/population", h.population)
	handle("GET /sandbox/sms", h.messages)
	handle("POST /sandbox/sms/reply", h.reply)
	if h.Mail != nil {
		handle("GET /sandbox/mail", h.mail)
	}
	if h.Push != nil {
		handle("GET /sandbox/push", h.push)
	}
}

// mail lists the e-mail the sandbox's SMTP server received (?to= filters by address).
func (h *Handler) mail(w http.ResponseWriter, r *http.Request) error {
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	if len(to) > 254 {
		return problem.Field("to", "an e-mail address")
	}
	msgs := h.Mail.Messages(to)
	if h.MailPage != nil && wantsHTML(r) {
		return h.MailPage(w, r, to, msgs)
	}
	problem.WriteJSON(w, http.StatusOK, msgs)
	return nil
}

// push lists the Web Push messages Senim sent.
func (h *Handler) push(w http.ResponseWriter, r *http.Request) error {
	msgs := h.Push.Messages()
	if h.PushPage != nil && wantsHTML(r) {
		return h.PushPage(w, r, msgs)
	}
	problem.WriteJSON(w, http.StatusOK, msgs)
	return nil
}

func (h *Handler) population(w http.ResponseWriter, r *http.Request) error {
	if h.PopulationPage != nil && wantsHTML(r) {
		return h.PopulationPage(w, r, h.Population)
	}
	problem.WriteJSON(w, http.StatusOK, h.Population)
	return nil
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request) error {
	phone := normalizePhone(r.URL.Query().Get("phone"))
	if phone != "" && !mgov.ValidPhone(phone) {
		return problem.Field("phone", "must be an E.164 number such as +77990001000")
	}
	msgs := h.SMS.Messages(phone)
	if h.SMSPage != nil && wantsHTML(r) {
		return h.SMSPage(w, r, phone, msgs)
	}
	problem.WriteJSON(w, http.StatusOK, msgs)
	return nil
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Phone string `json:"phone"`
		Text  string `json:"text"`
	}
	if err := problem.DecodeJSON(w, r, 4096, &in); err != nil {
		return err
	}
	in.Phone = normalizePhone(in.Phone)
	if !mgov.ValidPhone(in.Phone) {
		return problem.Field("phone", "must be an E.164 number such as +77990001000")
	}
	if strings.TrimSpace(in.Text) == "" || len(in.Text) > 640 {
		return problem.Field("text", "must hold 1 to 640 characters")
	}
	if err := h.SMS.Reply(r.Context(), in.Phone, in.Text); err != nil && err != ErrNoHandler {
		return err
	}
	problem.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "delivered"})
	return nil
}

// normalizePhone accepts "+7 799 000 10 00" and a '+' that a query string turned into
// a space.
func normalizePhone(p string) string {
	p = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, strings.TrimSpace(p))
	if p != "" && p[0] != '+' {
		p = "+" + p
	}
	return p
}

func wantsHTML(r *http.Request) bool {
	if r.URL.Query().Get("format") == "json" {
		return false
	}
	a := r.Header.Get("Accept")
	return strings.Contains(a, "text/html")
}

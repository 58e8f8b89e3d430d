package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/edslogin"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	webarchive "github.com/senimkz/senim/internal/web/archive"
	"github.com/senimkz/senim/internal/web/auth"
	webconfirm "github.com/senimkz/senim/internal/web/confirm"
	"github.com/senimkz/senim/internal/web/console"
	"github.com/senimkz/senim/internal/web/documents"
	"github.com/senimkz/senim/internal/web/history"
	"github.com/senimkz/senim/internal/web/inbox"
	"github.com/senimkz/senim/internal/web/sandboxui"
	"github.com/senimkz/senim/internal/web/webtest"
)

// challengeOnly is EDS login that can only show a challenge: a refused EDS login form
// shows a fresh one, nothing else may run.
type challengeOnly struct{ auth.EDS }

func (challengeOnly) NewChallenge(context.Context) (*edslogin.Challenge, error) {
	return &edslogin.Challenge{Token: "t", Text: "challenge", ExpiresAt: time.Now().Add(time.Minute)}, nil
}

func (challengeOnly) ChallengeText(context.Context, string) (string, error) {
	return "", edslogin.ErrChallengeGone
}

type noOrganizations struct{}

func (noOrganizations) Organizations(context.Context) ([]identity.Organization, error) {
	panic("a handler ran behind a refusing guard")
}

// noSenders is the sender-permission directory behind refusing guards: a handler that
// reached it would panic. (An embedded console.Senders would be a field named Senders,
// which hides the interface's method of that name.)
type noSenders struct{}

func (noSenders) Senders(context.Context) (map[string][]string, error) {
	panic("a handler ran behind a refusing guard")
}
func (noSenders) SetSender(context.Context, string, string, []string) error {
	panic("a handler ran behind a refusing guard")
}
func (noSenders) SenderHistories(context.Context) (map[string][]notify.SenderChange, error) {
	panic("a handler ran behind a refusing guard")
}
func (noSenders) Categories() []string                { panic("a handler ran behind a refusing guard") }
func (noSenders) CategoryTitle(string, string) string { panic("a handler ran behind a refusing guard") }

// TestCabinetGuards mounts every area of the cabinet the way the server does and walks
// every route the shell registered: whichever area adds a route, it cannot escape the
// check that it refuses a request without a session, with the wrong role, or without
// its form's anti-forgery token. The domains are nil interfaces: a handler that ran
// would panic.
func TestCabinetGuards(t *testing.T) {
	h := webtest.New(t, webtest.Sandbox)
	reached := func() error { t.Error("a handler ran behind a refusing guard"); return errors.New("reached") }
	c := cabinet{
		Logins:        struct{ auth.Logins }{},
		EDS:           challengeOnly{},
		Organizations: noOrganizations{},
		PD:            struct{ personalData }{},
		Log:           struct{ history.Log }{},
		Notices:       struct{ inbox.Notices }{},
		Confirmations: struct{ webconfirm.Confirmations }{},
		Orgs:          struct{ webconfirm.Organizations }{},
		Documents:     documents.Config{Docs: struct{ documents.Documents }{}},
		Archive:       struct{ webarchive.Archive }{},
		OrgDirectory:  struct{ console.OrgDirectory }{},
		Senders:       noSenders{},
		Sandbox: &sandboxui.Config{
			CitizenKey:  func(string, string) ([]byte, error) { return nil, reached() },
			EmployeeKey: func(string) ([]byte, error) { return nil, reached() },
			EmployerOf:  func(string) string { return "" },
		},
	}
	if _, err := c.mount(h.Shell); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Shell.Routes()); n < 25 {
		t.Errorf("only %d routes mounted; is an area missing?", n)
	}
	webtest.CheckGuards(t, h)
}

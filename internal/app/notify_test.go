package app

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/evtype"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Invariant 2 of the design, end to end: the police run flow 2 on a "notify now"
// ground and, within a second of the token's issuance, the citizen's inbox shows the
// notice naming the police by name, the data owner, the data in plain words and the
// ground with its legal reference. An access on a deferred ground shows nothing
// before its deferral ends.
func TestFlow2NoticeInInbox(t *testing.T) {
	for _, engine := range storetest.EnginesAvailable() {
		t.Run(string(engine), func(t *testing.T) {
			url := ""
			if engine == store.Postgres {
				url = storetest.URL(t, engine)
			}
			a, srv := newSandbox(t, url)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go a.Notify.Run(ctx) // as Serve starts it

			alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
			var police sandbox.Organization
			var register, registerName string
			for _, o := range a.Pop.Organizations {
				switch o.Role {
				case "law_enforcement":
					police = o
				case "state_body":
					register = o.BIN
				}
			}
			owners, err := a.PD.DataOwners(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range owners {
				if o.BIN == register {
					registerName = o.Name
				}
			}
			p12, err := a.Keys.P12("org", police.BIN, ca.P256)
			if err != nil {
				t.Fatal(err)
			}
			key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			ba, bb := newBrowser(t, srv.URL), newBrowser(t, srv.URL)
			ba.login(alice)
			bb.login(bob)

			// Bob first, on the deferred ground: the consumer reads in order, so once
			// Alice's notice is there, Bob's event has been seen.
			vt, _ := key.ProtocolToken(bob.IIN, pd.SandboxGroundSecret, register, []string{"address"}, "covert case", testNow)
			if _, err := cl.Protocol(ctx, vt); err != nil {
				t.Fatalf("flow 2 on the deferred ground: %v", err)
			}
			vt, _ = key.ProtocolToken(alice.IIN, pd.SandboxGround, register, []string{"identity"}, "criminal case 42", testNow)
			tok, err := cl.Protocol(ctx, vt)
			if err != nil {
				t.Fatalf("flow 2: %v", err)
			}
			issued := time.Now()
			var page string
			for {
				_, page = ba.get("/inbox?lang=en")
				if strings.Contains(page, "Your data was accessed") {
					break
				}
				if time.Since(issued) > time.Second {
					t.Fatalf("no notice in the inbox a second after issuance:\n%s", page)
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("notice readable %v after issuance", time.Since(issued).Round(time.Millisecond))
			m := regexp.MustCompile(`href="/inbox/(n_[A-Za-z0-9_-]+)"`).FindStringSubmatch(page)
			if m == nil || !strings.Contains(page, `id="nav-inbox-count" data-live="/inbox/events" aria-hidden="true">1<`) {
				t.Fatalf("inbox without the notice link or the unread count:\n%s", page)
			}
			_, notice := ba.get("/inbox/" + m[1] + "?lang=en")
			notice = html.UnescapeString(notice)
			for _, want := range []string{police.Name + " (BIN " + police.BIN + ")", registerName, "Identity card",
				"Criminal Procedure Code art. 199 (investigative actions) — Criminal Procedure Code of the Republic of Kazakhstan, art. 199",
				"criminal case 42", "1 November 2026, 14:00 (Astana time, UTC+5)"} {
				if !strings.Contains(notice, want) {
					t.Errorf("the notice lacks %q:\n%s", want, notice)
				}
			}
			if !strings.Contains(notice, `id="nav-inbox-count" data-live="/inbox/events" aria-hidden="true">0<`) || !strings.Contains(notice, `aria-live="polite">Unread notices: 0<`) {
				t.Error("reading the notice left it unread")
			}
			if _, page := bb.get("/inbox?lang=en"); strings.Contains(page, "/inbox/n_") || strings.Contains(page, "covert case") {
				t.Errorf("a deferred access shows before its deferral ends:\n%s", page)
			}

			// rule PD-3.4: the register reports what it did with the data (as the sandbox
			// register does when the police fetch it); the report is a notice too.
			automated := true
			if _, err := a.PD.ReportAction(ctx, &orgauth.Caller{BIN: register}, pd.Report{TokenJTI: tok.JTI, Subject: alice.IIN, Action: "view",
				Automated: &automated, DataSets: []string{"identity"}}); err != nil {
				t.Fatal(err)
			}
			reported := time.Now()
			for {
				_, page = ba.get("/inbox?lang=en")
				if strings.Contains(page, "A data owner reported an action on your data") {
					break
				}
				if time.Since(reported) > time.Second {
					t.Fatalf("no notice of the report a second after it:\n%s", page)
				}
				time.Sleep(10 * time.Millisecond)
			}
			m = regexp.MustCompile(`href="/inbox/(n_[A-Za-z0-9_-]+)"`).FindStringSubmatch(page) // newest first
			_, notice = ba.get("/inbox/" + m[1] + "?lang=en")
			for _, want := range []string{"Data owner: " + registerName, "Action: viewing (automatically)", "Identity card", police.Name} {
				if !strings.Contains(html.UnescapeString(notice), want) {
					t.Errorf("the report's notice lacks %q:\n%s", want, notice)
				}
			}
		})
	}
}

// The notices of flow 1 and of a consent, and of a deferred access exactly when pd
// releases it, from the real pd events (the consumer driven by Sync, the clock by the
// test).
func TestNoticesFromRealEvents(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := Config{Sandbox: true, Now: clock, SandboxCADir: sharedCADir, DataDir: t.TempDir(),
		Argon2: identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}, RateLimit: 1000, RateBurst: 1000}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	alice, bob := a.Pop.Citizens[0], a.Pop.Citizens[1]
	orgs := map[string]sandbox.Organization{}
	for _, o := range a.Pop.Organizations {
		if _, ok := orgs[o.Role]; !ok {
			orgs[o.Role] = o
		}
	}
	register := orgs["state_body"].BIN
	clientOf := func(role string) (*client.Client, *client.Key) {
		p12, err := a.Keys.P12("org", orgs[role].BIN, ca.P256)
		if err != nil {
			t.Fatal(err)
		}
		key, err := client.LoadPKCS12(p12, sandbox.KeyPassword)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(client.Config{BaseURL: srv.URL, Key: key, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return cl, key
	}
	bank, bankKey := clientOf("bank")
	police, policeKey := clientOf("law_enforcement")
	cons, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: alice.IIN, Owner: register, DataSets: []string{"identity"},
		Purpose: "loan application", ValidUntil: testNow.Add(24 * time.Hour), Method: "biometric", Reference: "bio-1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	vt, _ := bankKey.ProactiveToken(alice.IIN, pd.SandboxServiceCode, register, []string{"identity"}, "biometric", cons.ID, testNow)
	if _, err := bank.Proactive(ctx, vt); err != nil {
		t.Fatalf("flow 1: %v", err)
	}
	vt, _ = policeKey.ProtocolToken(bob.IIN, pd.SandboxGroundSecret, register, []string{"address"}, "covert case", testNow)
	if _, err := police.Protocol(ctx, vt); err != nil {
		t.Fatalf("flow 2: %v", err)
	}
	if _, err := a.Notify.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	inbox := func(iin string) []notify.Notice {
		t.Helper()
		c, err := a.Identity.CitizenByIIN(ctx, iin)
		if err != nil {
			t.Fatal(err)
		}
		list, err := a.Notify.Inbox(ctx, c.Ref())
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	la := inbox(alice.IIN)
	if len(la) != 2 || la[0].Kind != notify.KindAccess || la[1].Kind != notify.KindConsentGiven {
		t.Fatalf("alice's inbox: %+v", la)
	}
	access, consent := la[0].Content("en"), la[1].Content("en")
	for _, want := range []string{orgs["bank"].Name, "Proactive service: Know your customer for a loan", "Identity card"} {
		if !strings.Contains(strings.Join(access.Body, "\n"), want) {
			t.Errorf("flow 1 notice lacks %q: %q", want, access.Body)
		}
	}
	// The consent is named by its parties and data and linked to, never shown by id.
	for _, n := range la {
		if c := n.Content("en"); strings.Contains(strings.Join(c.Body, "\n"), cons.ID) || n.Link() != "/consents#consent-"+cons.ID {
			t.Errorf("%s notice shows the consent's id or links to %q: %q", n.Kind, n.Link(), c.Body)
		}
	}
	if consent.Title != "Consent given" || !strings.Contains(strings.Join(consent.Body, "\n"), orgs["bank"].Name) {
		t.Errorf("consent notice %+v", consent)
	}
	// The deferred access: nothing until pd releases it, then exactly one notice.
	if n, _ := a.PD.ReleaseDeferredNotices(ctx); n != 0 {
		t.Fatalf("%d notices released before the deferral ended", n)
	}
	a.Notify.Sync(ctx)
	if lb := inbox(bob.IIN); len(lb) != 0 {
		t.Fatalf("a deferred access shows before its deferral ends: %+v", lb)
	}
	mu.Lock()
	now = now.Add(31 * 24 * time.Hour)
	mu.Unlock()
	if n, err := a.PD.ReleaseDeferredNotices(ctx); n != 1 || err != nil {
		t.Fatalf("released %d, %v", n, err)
	}
	a.Notify.Sync(ctx)
	a.PD.ReleaseDeferredNotices(ctx)
	a.Notify.Sync(ctx)
	lb := inbox(bob.IIN)
	if len(lb) != 1 || !lb[0].Facts.Deferred {
		t.Fatalf("bob's inbox after the deferral: %+v", lb)
	}
	c := lb[0].Content("en")
	for _, want := range []string{orgs["law_enforcement"].Name, "Covert operational investigation — Law on operational investigative activity, art. 12",
		"Registered address", "1 November 2026, 14:00 (Astana time, UTC+5)", "deferred by law"} {
		if !strings.Contains(strings.Join(c.Body, "\n"), want) {
			t.Errorf("released notice lacks %q: %q", want, c.Body)
		}
	}
	assertEventTypesRegistered(t, a)

}

// assertEventTypesRegistered: every event type in the outbox after a run of real flows
// is in the registry (internal/evtype), so the history, the log and the notices can
// rely on it (issue 19 item 5).
func assertEventTypesRegistered(t *testing.T, a *App) {
	t.Helper()
	rows, err := a.DB.QueryContext(t.Context(), `SELECT DISTINCT type FROM outbox_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		n++
		if _, ok := evtype.Lookup(typ); !ok {
			t.Errorf("event type %q is emitted but not registered in internal/evtype", typ)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d event types in the outbox: the check saw nothing", n)
	}
}

// The log binds a token to its leaf by the event type pd registers (design.md's
// "no access without a logged token"): the two names must be one.
func TestTokenEventTypeIsPDs(t *testing.T) {
	if auditlog.TokenEventType != pd.EvTokenIssued {
		t.Fatalf("auditlog binds tokens to %q events, pd emits %q", auditlog.TokenEventType, pd.EvTokenIssued)
	}
}

// notify tells the citizen of a confirmation request by its event type, which
// internal/confirm registers (confirm imports notify, not the other way round).
func TestConfirmEventIsNotifys(t *testing.T) {
	if notify.ConfirmRequestType != confirm.EvRequestCreated {
		t.Fatalf("notify waits for %q, confirm emits %q", notify.ConfirmRequestType, confirm.EvRequestCreated)
	}
}

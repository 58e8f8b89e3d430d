// Package app wires Senim's packages into the server that `senim serve` runs: it opens
// the store, checks (and by default migrates) the schema, picks production adapters or
// the sandbox simulators, and mounts every route on one server.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/senimkz/senim/api"
	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/confirm"
	"github.com/senimkz/senim/internal/confirm/policy"
	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/i18n"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/jobs"
	"github.com/senimkz/senim/internal/keyring"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/ncanode"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/pd/popreg"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/sandbox/ncalayer"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/webhook"
	"github.com/senimkz/senim/verifier"
)

// Config is what `senim serve` is told by its flags (and SENIM_<FLAG> variables).
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string // "" = SQLite file senim.db in DataDir
	Sandbox       bool
	NoMigrate     bool
	SecureCookies bool
	// Production adapters of the mobile citizens database and the SMS gateway.
	BMGURL, SMSURL string
	AdapterToken   string
	// DocsSourceURL is the reference data source of digital documents (docs.HTTPSource);
	// the sandbox uses its population register when empty.
	DocsSourceURL string
	// TLSCert and TLSKey (PEM files) make Senim terminate TLS itself; clients may then
	// present an EDS certificate (RSA or ECDSA: Go's TLS has no GOST) for mutual TLS.
	TLSCert, TLSKey string
	// NCANodeAddr, when set, serves the NCANode-compatible API on its own listener:
	// clients send it private keys, so it belongs on an internal network only.
	NCANodeAddr string
	// TSAURL is the RFC 3161 time-stamping authority for CMS signing (the sandbox uses
	// its own CA's TSA when empty).
	TSAURL string
	// ArchiveOCSP makes archive ingest ask each signer's and TSA's OCSP responder (the
	// address in the certificate) beside the CRLs and embed every answer that decided
	// (CAdES-LT). Off: CRLs only. The sandbox turns it on: its CA answers OCSP.
	ArchiveOCSP bool
	// ConfirmPolicy is the EDS-or-push policy file; the embedded default when empty.
	ConfirmPolicy string
	// PublicURL is where Senim is reached ("iss" of security tokens); http://ADDR
	// when empty.
	PublicURL string
	// RegulatorBINs are the BINs of the authorized body, who keep the directories (the
	// sandbox adds its demo regulator).
	RegulatorBINs []string
	// LogOrigin names the tamper-evident log in its checkpoints ("senim.kz/log").
	LogOrigin string
	// KEKFile holds the key-encryption key (32 random bytes, base64) that seals the
	// log's signing key in the database; every node of a deployment has the same.
	// Required outside the sandbox; the sandbox uses keyring.SandboxKEK when empty.
	KEKFile string
	// SandboxCADir is where the sandbox CA keeps its keys; <data-dir>/sandbox-ca when
	// empty. Tests share one to avoid generating a GOST hierarchy per test.
	SandboxCADir string
	// SandboxNCALayer is the WebSocket URL of the sandbox's NCALayer simulator when it
	// does not listen where NCALayer does (wss://127.0.0.1:13579).
	SandboxNCALayer string
	// SandboxNCALayerAddr, when set, starts the sandbox's NCALayer simulator there
	// (serve --sandbox gives 127.0.0.1:13579; it is skipped when the port is taken).
	SandboxNCALayerAddr string
	// Trust: CA certificates (roots and intermediates) and CRLs, DER or PEM files.
	CAFiles, CRLFiles []string
	// CAAnchorFiles are CA certificates trusted directly as anchors, root or
	// intermediate (--ca-anchor).
	CAAnchorFiles []string
	// E-mail notifications over SMTP (off when SMTPAddr is empty; the sandbox runs its
	// own server): STARTTLS (default) or implicit TLS, PLAIN authentication when a user
	// is given, the password read from a file. VAPIDSubject is the contact of Web Push's
	// VAPID ("mailto:…" or an https URL).
	SMTPAddr, SMTPTLS, SMTPUser, SMTPPasswordFile, MailFrom string
	VAPIDSubject                                            string
	// Per-client rate limit of public endpoints.
	RateLimit float64
	RateBurst float64

	Now    func() time.Time // time.Now when nil
	Argon2 identity.Argon2Params

	// The archive's jobs (with a TSA): seal up to ArchiveSealMax documents every
	// ArchiveSealInterval, look for due renewals every ArchiveRenewInterval, renew an
	// archive time-stamp when its TSA certificate expires within ArchiveRenewBefore.
	// Zero: the defaults (1 h, 100000, 24 h; one year).
	ArchiveSealInterval, ArchiveRenewInterval, ArchiveRenewBefore time.Duration
	ArchiveSealMax                                                int
	// ArchiveHash is the hash of new hash trees (the seal's and hash-tree renewal's),
	// ArchiveWeakFrom the hash policy (archive.Policy.WeakFrom, from a file in
	// archive.ParseHashPolicy's format). Nil: the built-in ones.
	ArchiveHash     asn1.ObjectIdentifier
	ArchiveWeakFrom map[string]time.Time
	// ArchiveBlobDir keeps the archive's bytes as files under this absolute directory
	// (archive.Blobs: bytes stored earlier are still read from the database); empty:
	// in the database.
	ArchiveBlobDir string

	// WebhookRoots verify the TLS certificates of organisations' webhook endpoints
	// (the system's roots when nil; tests and a local sandbox receiver add theirs).
	WebhookRoots *x509.CertPool
}

// App is a wired Senim instance.
type App struct {
	Config   Config
	DB       *store.DB
	Server   *server.Server
	Identity *identity.Service
	SMS      *sandbox.SMS // sandbox only
	Pop      sandbox.Population
	CA       *ca.CA        // sandbox only
	Keys     *sandbox.Keys // sandbox only
	Log      *auditlog.Log
	NCANode  *server.Server // the NCANode-compatible listener's server, nil when off
	PD       *pd.Service
	Notify   *notify.Service
	Confirm  *confirm.Service
	Docs     *docs.Service
	Archive  *archive.Service // nil without a TSA
	Webhooks *webhook.Service
	// Jobs runs the periodic jobs (the archive's seal and renewal, the notification
	// point's escalation) on one node at a time; Serve starts it.
	Jobs *jobs.Engine
	// Mailbox and PushLog are the sandbox's outgoing e-mail and Web Push (sandbox only);
	// VAPIDPublicKey is the applicationServerKey the cabinet subscribes browsers with.
	Mailbox        *sandbox.Mailbox
	PushLog        *sandbox.PushLog
	VAPIDPublicKey string
	Trust          *pki.Validator
	OrgAuth        *orgauth.Authenticator
	log            *slog.Logger
	kek            *keyring.KEK
	// NCALayerTLS is the sandbox NCALayer simulator's certificate, nil when it runs not.
	NCALayerTLS  *tls.Certificate
	stopNCALayer context.CancelFunc
	// pages are the cabinet's HTML routes and the sandbox CA's PKI endpoints: the
	// routes the OpenAPI document does not describe (TestOpenAPIMatchesRoutes).
	pages []string
}

// ErrKEKRequired: `senim serve` without --sandbox needs a key-encryption key.
var ErrKEKRequired = fmt.Errorf("%w: give --kek-file FILE (or SENIM_KEK_FILE): the log's signing key is kept in the database, sealed under that key; "+
	"make one with `openssl rand -base64 32 > kek && chmod 600 kek` and give the same file to every node", keyring.ErrNoKEK)

// pd.Service signs read receipts and confirmation evidence and gives the public key of
// any key it ever signed with, so that their bundles carry it and stay verifiable after
// the key has left the JWK set (docs/notify.md, "Receipts outlive their key").
var _ notify.KeyPublisher = (*pd.Service)(nil)

// LoadKEK returns the key-encryption key cfg names: its KEKFile, else in the
// sandbox the public sandbox KEK; else ErrKEKRequired.
func LoadKEK(cfg Config) (*keyring.KEK, error) {
	switch {
	case cfg.KEKFile != "":
		return keyring.ReadKEKFile(cfg.KEKFile)
	case cfg.Sandbox:
		return keyring.SandboxKEK(), nil
	}
	return nil, ErrKEKRequired
}

// DatabaseURL returns the database URL cfg names: its DatabaseURL, or the SQLite file
// in its data directory (which it creates).
func (cfg Config) databaseURL() (string, error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, nil
	}
	if cfg.DataDir == "" {
		return "", errors.New("app: --data-dir or --database-url is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("app: data directory: %w", err)
	}
	return "sqlite:" + filepath.Join(cfg.DataDir, "senim.db"), nil
}

// stateDir returns the data directory (created) for files that live beside the
// database, such as the sandbox CA.
func (a *App) stateDir() (string, error) {
	dir := a.Config.DataDir
	if dir == "" {
		dir = "./senim-data"
	}
	return dir, os.MkdirAll(dir, 0o700)
}

// OpenDB opens the configured database.
func OpenDB(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	url, err := cfg.databaseURL()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, url, store.Options{Logger: log, Now: cfg.Now})
}

// New builds the application: database, schema, adapters, services and routes.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080" // serve's default; names Senim's own URLs
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 20
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 40
	}
	if cfg.Sandbox {
		log = log.With(slog.Bool("sandbox", true))
	}
	kek, err := LoadKEK(cfg)
	if err != nil {
		return nil, err
	}
	db, err := OpenDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db, log: log, kek: kek}
	if err := a.build(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	cfg := a.Config
	if err := a.DB.EnsureSchema(ctx, !cfg.NoMigrate); err != nil {
		return err
	}
	var (
		mobile mgov.MobileDB
		sms    mgov.SMSGateway
	)
	if cfg.Sandbox {
		a.Pop = sandbox.Demo()
		a.SMS = sandbox.NewSMS(cfg.Now)
		mobile, sms = sandbox.NewMobileDB(a.Pop), a.SMS
		dir, err := a.stateDir()
		if err != nil {
			return err
		}
		caDir := cfg.SandboxCADir
		if caDir == "" {
			caDir = filepath.Join(dir, "sandbox-ca")
		}
		// The CA's authorities and the demo keys are shared through the database, so
		// several sandbox nodes on one database trust each other's demo keys.
		blobs := &keyring.Store{DB: a.DB, KEK: a.kek, Now: cfg.Now}
		if a.CA, err = a.openSandboxCA(ctx, blobs, caDir, ca.Config{Now: cfg.Now, BaseURL: "http://" + cfg.Addr}); err != nil {
			return fmt.Errorf("sandbox CA: %w", err)
		}
		a.Keys = &sandbox.Keys{CA: a.CA, Dir: filepath.Join(dir, "sandbox-keys"), Pop: a.Pop, Shared: sharedKeys{blobs}}
		if cfg.SandboxNCALayerAddr != "" {
			a.startNCALayer(ctx, cfg.SandboxNCALayerAddr)
			cfg.SandboxNCALayer = a.Config.SandboxNCALayer
		}
	} else {
		var err error
		if mobile, sms, err = productionAdapters(cfg); err != nil {
			return err
		}
		if cfg.BMGURL == "" || cfg.SMSURL == "" {
			a.log.WarnContext(ctx, "no --bmg-url/--sms-url: cabinet login by SMS code is unavailable")
		}
	}
	ids, err := identity.New(identity.Config{
		DB: a.DB, Mobile: mobile, SMS: sms, Now: cfg.Now, Logger: a.log, Argon2: cfg.Argon2,
		LoginText: func(lang, code string) string { return i18n.T(lang, "sms.login", code) },
	})
	if err != nil {
		return err
	}
	a.Identity = ids
	if cfg.Sandbox {
		n, err := sandbox.Seed(ctx, ids, a.Pop)
		if err != nil {
			return err
		}
		a.log.InfoContext(ctx, "sandbox population ready", slog.Int("created", n),
			slog.Int("citizens", len(a.Pop.Citizens)), slog.Int("organizations", len(a.Pop.Organizations)))
	}

	tc, err := a.trustConfig()
	if err != nil {
		return err
	}
	if a.Trust, err = pki.New(tc); err != nil {
		return err
	}
	// The largest body of the API is an archived document's (the archive uses its default
	// size limit); every route bounds its own below it.
	if a.OrgAuth, err = orgauth.New(orgauth.Config{Validator: a.Trust, Now: cfg.Now, Revocation: revocationFor(tc),
		MaxBody: archive.MaxRequestBody(archive.DefaultMaxDocument)}); err != nil {
		return err
	}

	if err := a.openLog(ctx); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), dbCollector{a.DB})
	s := server.New(server.Config{Logger: a.log, Registry: reg})
	a.Server = s
	public := server.NewLimiter(cfg.RateLimit, cfg.RateBurst)

	s.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) error {
		problem.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
	s.HandleFunc("GET /readyz", a.readyz)
	s.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.pages = append(a.pages, "GET /metrics") // Prometheus text format, described by its own HELP lines
	if err := api.Register(s.Handle); err != nil {
		return err
	}
	s.Handle("GET /v1/kzid/{number}", server.RateLimit(public, nil, server.ErrorHandler(a.kzid)))
	s.Handle("GET /v1/whoami", a.OrgAuth.Middleware(server.ErrorHandler(a.whoami)))

	a.Log.Register(s.HandleFunc)
	if err := a.mountPD(ctx, s, ids, mobile, sms); err != nil {
		return err
	}
	issuer := cfg.PublicURL
	if issuer == "" {
		issuer = "http://" + cfg.Addr
	}
	chans, err := a.notifyChannels(ctx, mobile, sms)
	if err != nil {
		return err
	}
	if a.Notify, err = notify.New(notify.Config{DB: a.DB, Directory: a.PD, Organizations: ids, Signer: a.PD, Issuer: issuer,
		Now: cfg.Now, Logger: a.log, Citizens: ids, AllowLoopbackPush: cfg.Sandbox, Channels: chans, Log: a.Log}); err != nil {
		return err
	}
	a.Notify.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) }, a.PD.IsRegulator)
	// The organisation directory, kept by the authorized body like the other directories.
	ids.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) }, a.PD.AdminActor)
	if err := a.seedSenders(ctx); err != nil {
		return err
	}
	// The archive before confirmations: EDS-signed agreements go into it.
	if err := a.mountArchive(s, ids); err != nil {
		return err
	}
	if err := a.mountConfirm(s, ids, issuer, revocationFor(tc)); err != nil {
		return err
	}
	if err := a.mountDocs(s, ids, issuer); err != nil {
		return err
	}
	// Signed webhooks to initiators: consents given, refused, revoked; grounds and
	// permissions changed; to senders, every status change of their notices; and to
	// relying parties, every change of their confirmation requests.
	// Loopback endpoints only in the sandbox.
	if a.Webhooks, err = webhook.New(webhook.Config{DB: a.DB, Signer: a.PD, Issuer: issuer,
		Events: slices.Concat(pd.WebhookEvents, notify.WebhookEvents, confirm.WebhookEvents),
		Routes: []webhook.Route{a.PD.WebhookRoute, a.Notify.WebhookRoute, a.Confirm.WebhookRoute}, AllowLoopback: cfg.Sandbox,
		Client: webhook.NewClient(cfg.WebhookRoots, cfg.Sandbox, 10*time.Second), Now: cfg.Now, Logger: a.log}); err != nil {
		return err
	}
	a.Webhooks.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) })
	if err := a.mountEDS(s, public); err != nil {
		return err
	}
	smsPage, err := a.mountCabinet(s, public, ids, revocationFor(tc))
	if err != nil {
		return err
	}
	if cfg.Sandbox {
		sh := &sandbox.Handler{Population: a.Pop, SMS: a.SMS, SMSPage: smsPage.SMS, Mail: a.Mailbox, MailPage: smsPage.Mail,
			Push: a.PushLog, PushPage: smsPage.Push, PopulationPage: smsPage.Population}
		sh.Register(s.HandleFunc)
		a.Keys.Register(s.HandleFunc)
		a.CA.Register(func(p string, h http.Handler) { a.pages = append(a.pages, p); s.Handle(p, h) })
	}
	return a.buildJobs()
}

func productionAdapters(cfg Config) (mgov.MobileDB, mgov.SMSGateway, error) {
	var mobile mgov.MobileDB = unconfigured{}
	var sms mgov.SMSGateway = unconfigured{}
	if cfg.BMGURL != "" {
		m, err := mgov.NewHTTPMobileDB(mgov.ClientConfig{BaseURL: cfg.BMGURL, Token: cfg.AdapterToken})
		if err != nil {
			return nil, nil, err
		}
		mobile = m
	}
	if cfg.SMSURL != "" {
		g, err := mgov.NewHTTPSMSGateway(mgov.ClientConfig{BaseURL: cfg.SMSURL, Token: cfg.AdapterToken})
		if err != nil {
			return nil, nil, err
		}
		sms = g
	}
	return mobile, sms, nil
}

// unconfigured stands for an external system with no address configured.
type unconfigured struct{}

func (unconfigured) Phone(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: no address configured", mgov.ErrUnavailable)
}

func (unconfigured) Send(context.Context, string, string) (string, error) {
	return "", fmt.Errorf("%w: no address configured", mgov.ErrUnavailable)
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		return problem.Unavailable.WithDetail("database unreachable").WithCause(err)
	}
	if err := a.DB.CheckSchema(ctx); err != nil {
		return problem.Unavailable.WithDetail("database schema is not the one this binary knows").WithCause(err)
	}
	if err := a.Log.Ready(ctx); err != nil {
		return logNotReady(err)
	}
	cur, _, _ := a.DB.SchemaVersion(ctx)
	problem.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema_version": cur, "engine": a.DB.Engine()})
	return nil
}

// logNotReady is the 503 of /readyz when the log cannot be served: reason is a
// stable code, the detail names the cause without personal data.
func logNotReady(err error) *problem.Problem {
	reason, detail := logReadiness(err)
	return problem.Unavailable.WithDetail(detail).With("reason", reason).WithCause(err)
}

func logReadiness(err error) (reason, detail string) {
	reason, detail = "log.unavailable", "the log's newest checkpoint could not be checked"
	switch {
	case errors.Is(err, keyring.ErrWrongKEK), errors.Is(err, keyring.ErrTampered), errors.Is(err, keyring.ErrNoKEK):
		reason, detail = "log.key.unreadable", "this node cannot open the log's keys in the database (wrong KEK or damaged key row)"
	case errors.Is(err, auditlog.ErrNoLogKey):
		reason, detail = "log.key.missing", "the log has no signing key in the database"
	case errors.Is(err, auditlog.ErrCheckpointInvalid):
		reason, detail = "log.checkpoint.invalid", "the newest checkpoint does not verify with the log's keys"
	case errors.Is(err, auditlog.ErrInconsistent):
		reason, detail = "log.inconsistent", "the newest checkpoint is not the head of the stored tree"
	}
	return reason, detail
}

// revocationFor asks for CRL checks when CRLs are configured.
func revocationFor(tc pki.Config) []pki.RevocationMethod {
	if len(tc.CRLs) > 0 {
		return []pki.RevocationMethod{pki.RevocationCRL}
	}
	return nil
}

// whoami tells an organization's information system how Senim sees it: the BIN and
// roles its certificate carries and how it authenticated.
func (a *App) whoami(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, map[string]any{
		"bin": c.BIN, "transport": c.Transport, "thumbprint": c.Thumbprint,
		"roles": c.Info.Roles, "subject": c.Info.Subject, "not_after": c.Info.NotAfter,
	})
	return nil
}

// ErrInvalidNumber is the 422 of GET /v1/kzid/{number}.
var ErrInvalidNumber = problem.New(http.StatusUnprocessableEntity, "kzid.invalid", "Not a valid IIN or BIN")

func (a *App) kzid(w http.ResponseWriter, r *http.Request) error {
	n := kzid.Parse(r.PathValue("number"), a.Config.Now)
	if !n.Valid {
		p := ErrInvalidNumber.WithDetail(kzid.Message(n.Error)).
			With("number", n.Number).With("valid", false).With("error", n.Error).With("warnings", n.Warnings)
		if n.Kind != "" {
			p = p.With("kind", n.Kind)
		}
		return p
	}
	problem.WriteJSON(w, http.StatusOK, n)
	return nil
}

// Serve runs the server and its background work (the outbox consumers, the job engine,
// the log sequencer…) on addr until ctx is done, and returns once all of it has stopped.
// ready, when not nil, is called with the bound address once the listener is open.
func (a *App) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if a.Config.TLSCert != "" || a.Config.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(a.Config.TLSCert, a.Config.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		// Client certificates are requested, not verified here: orgauth validates them
		// against Senim's own trust anchors, which know the Kazakh profile and CRLs.
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequestClientCert,
			MinVersion:   tls.VersionTLS12,
		})
	}
	if ready != nil {
		ready(ln.Addr())
	}
	// The background work runs on its own context, stopped when the server stops for
	// any reason, and Serve returns only once it has: Close must not close the database
	// (or the caller remove the data directory) under a worker still writing.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	run := func(what string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(wctx); err != nil && wctx.Err() == nil {
				a.log.ErrorContext(wctx, what+" stopped", slog.String("error", err.Error()))
			}
		})
	}
	if a.NCANode != nil {
		nln, err := net.Listen("tcp", a.Config.NCANodeAddr)
		if err != nil {
			ln.Close()
			stop()
			return fmt.Errorf("--ncanode-addr: %w", err)
		}
		a.log.InfoContext(ctx, "NCANode-compatible API listening (internal network only)", slog.String("addr", nln.Addr().String()))
		run("NCANode listener", func(ctx context.Context) error { return a.NCANode.Serve(ctx, nln) })
	}
	wg.Go(func() { a.refreshTrust(wctx) })
	run("personal-data background work", a.PD.Run)
	run("notification consumer", a.Notify.Run)
	run("notification dispatcher", func(ctx context.Context) error { return a.Notify.RunDispatcher(ctx, time.Second) })
	run("job engine", a.Jobs.Run)
	run("webhook delivery", a.Webhooks.Run)
	if a.Confirm != nil {
		run("confirmation background work", a.Confirm.Run)
	}
	run("log sequencer", a.Log.Run)
	err = a.Server.Serve(ctx, ln)
	stop()
	wg.Wait()
	return err
}

// mountPD mounts personal-data access control behind organization authentication and,
// in the sandbox, the population register acting as a data owner.
func (a *App) mountPD(ctx context.Context, s *server.Server, ids *identity.Service, mobile mgov.MobileDB, sms mgov.SMSGateway) error {
	cfg := a.Config
	issuer := cfg.PublicURL
	if issuer == "" {
		issuer = "http://" + cfg.Addr
	}
	regulators := append([]string(nil), cfg.RegulatorBINs...)
	var register string
	var reps pd.Representatives
	if cfg.Sandbox {
		for _, o := range a.Pop.Organizations {
			switch o.Role {
			case "regulator":
				regulators = append(regulators, o.BIN)
			case "state_body":
				register = o.BIN
			}
		}
		reps = pd.StaticRepresentatives(sandbox.Representatives(a.Pop))
	}
	tc, err := a.trustConfig()
	if err != nil {
		return err
	}
	svc, err := pd.New(ctx, pd.Config{DB: a.DB, Citizens: ids, Validator: a.Trust, Revocation: revocationFor(tc), Issuer: issuer,
		RegulatorBINs: regulators, Mobile: mobile, SMS: sms, Organizations: ids, Representatives: reps, Now: cfg.Now, Logger: a.log})
	if err != nil {
		return err
	}
	a.PD = svc
	svc.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) })
	if !cfg.Sandbox {
		return nil
	}
	if err := sandbox.SeedDirectories(ctx, svc, cfg.Now()); err != nil {
		return err
	}
	a.SMS.OnReply(svc)
	// The sandbox register refuses any token whose issuance the tamper-evident log cannot
	// prove: "no access without a logged token". It waits briefly for the sequencer.
	ver, err := verifier.New(verifier.Config{Keys: svc.KeySource(), Issuer: issuer, Audience: register, Now: cfg.Now,
		Log: &verifier.LogRequirement{URL: "http://" + cfg.Addr, VerifierKey: a.Log.Key(), Wait: 5 * time.Second}})
	if err != nil {
		return err
	}
	registerCaller := &orgauth.Caller{BIN: register}
	reg := popreg.New(ver, a.Pop, func(ctx context.Context, jti, iin string, sets []string) error {
		automated := true
		_, err := svc.ReportAction(ctx, registerCaller, pd.Report{TokenJTI: jti, Subject: iin, Action: "view", Automated: &automated, DataSets: sets})
		return err
	})
	s.Handle(popreg.Path, a.OrgAuth.Middleware(reg.Handler()))
	return nil
}

// mountEDS mounts the /v1/eds API and the NCANode-compatible API: on its own
// listener when --ncanode-addr is set, and in the sandbox on the main one too.
func (a *App) mountEDS(s *server.Server, public *server.Limiter) error {
	cfg := ncanode.Config{Validator: a.Trust, Now: a.Config.Now, Logger: a.log}
	// /cms/extend to LT embeds the CRLs the trust decides with.
	cfg.CRLs = (&crlCache{load: a.trustConfig, every: 5 * time.Minute}).get
	switch {
	case a.Config.TSAURL != "":
		u := a.Config.TSAURL
		cfg.TSA = func(p asn1.ObjectIdentifier) cms.TimeStamper { return &tsp.Client{URL: u, Policy: p} }
	case a.CA != nil:
		tc, err := a.CA.TSA(ca.GOST2015)
		if err != nil {
			return err
		}
		cfg.TSA = func(p asn1.ObjectIdentifier) cms.TimeStamper { return &tsp.Local{Config: tc, Policy: p} }
	}
	if a.Keys != nil {
		// In the sandbox an organization may have Senim sign with its sandbox key.
		cfg.SandboxSigner = func(ctx context.Context, r *http.Request) (cms.SignerSpec, error) {
			c, err := orgauth.Require(r)
			if err != nil {
				return cms.SignerSpec{}, err
			}
			b, err := a.Keys.P12("org", c.BIN, ca.GOST2015)
			if err != nil {
				return cms.SignerSpec{}, err
			}
			f, err := pkcs12.Decode(b, sandbox.KeyPassword)
			if err != nil {
				return cms.SignerSpec{}, err
			}
			e := f.Entries[0]
			return cms.SignerSpec{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}, nil
		}
	}
	api, err := ncanode.New(cfg)
	if err != nil {
		return err
	}
	// /v1/eds verifies for anyone, and a GOST CMS costs milliseconds of CPU: limit per client.
	api.RegisterV1(func(pattern string, h http.Handler) {
		s.Handle(pattern, server.RateLimit(public, nil, a.OrgAuth.Middleware(h)))
	})
	if a.Config.Sandbox {
		api.Register(s.Handle)
	}
	if a.Config.NCANodeAddr != "" {
		a.NCANode = server.New(server.Config{Logger: a.log.With(slog.String("listener", "ncanode"))})
		api.Register(a.NCANode.Handle)
	}
	return nil
}

// openLog opens the tamper-evident log with its signing keys from the database
// (importing the single-node key file <data-dir>/log.key the first time) and
// checks its newest checkpoint: a node that fails the check starts but is not
// ready, and its sequencer extends nothing.
func (a *App) openLog(ctx context.Context) error {
	origin := a.Config.logOrigin()
	dir, err := a.stateDir()
	if err != nil {
		return err
	}
	keys := &auditlog.KeyStore{KEK: a.kek, ImportFile: filepath.Join(dir, "log.key")}
	a.Log, err = auditlog.New(ctx, auditlog.Config{DB: a.DB, Keys: keys, Origin: origin, Now: a.Config.Now, Logger: a.log})
	if err != nil {
		return fmt.Errorf("log key: %w", err)
	}
	if err := a.Log.Ready(ctx); err != nil {
		reason, detail := logReadiness(err)
		a.log.ErrorContext(ctx, "the log is not ready: this node will not report ready nor extend the log",
			slog.String("reason", reason), slog.String("detail", detail), slog.String("error", err.Error()))
	}
	return nil
}

func (cfg Config) logOrigin() string {
	switch {
	case cfg.LogOrigin != "":
		return cfg.LogOrigin
	case cfg.Sandbox:
		return "senim.kz/log/sandbox"
	}
	return "senim.kz/log"
}

// LogKeys returns the key store of the log cfg describes, on db, for `senim log
// key` (list, rotate, retire).
func LogKeys(cfg Config, db *store.DB) (*auditlog.KeyStore, error) {
	kek, err := LoadKEK(cfg)
	if err != nil {
		return nil, err
	}
	return &auditlog.KeyStore{DB: db, KEK: kek, Origin: cfg.logOrigin(), Now: cfg.Now}, nil
}

// refreshTrust reloads the CRLs every few minutes: the sandbox CA publishes a new
// CRL every 12 hours and after each revocation.
func (a *App) refreshTrust(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tc, err := a.trustConfig()
			if err != nil {
				a.log.WarnContext(ctx, "reloading CRLs failed", slog.String("error", err.Error()))
				continue
			}
			a.Trust.SetCRLs(tc.CRLs)
		}
	}
}

// Close releases the database.
func (a *App) Close() error {
	if a.Mailbox != nil {
		a.Mailbox.Close()
	}
	if a.stopNCALayer != nil {
		a.stopNCALayer()
	}
	return a.DB.Close()
}

// startNCALayer starts the sandbox's NCALayer simulator on addr with a TLS
// certificate from the sandbox CA; a taken port (a real NCALayer) only logs.
func (a *App) startNCALayer(ctx context.Context, addr string) {
	cert, err := a.CA.IssueTLSServer([]string{"127.0.0.1", "localhost"}, 30*24*time.Hour)
	if err != nil {
		a.log.WarnContext(ctx, "sandbox NCALayer: no TLS certificate", "error", err)
		return
	}
	sctx, stop := context.WithCancel(context.Background())
	u, err := (&ncalayer.Simulator{Keys: a.Keys}).Listen(sctx, addr, cert)
	if err != nil {
		stop()
		a.log.WarnContext(ctx, "sandbox NCALayer simulator not started", "addr", addr, "error", err)
		return
	}
	a.stopNCALayer = stop
	a.Config.SandboxNCALayer = u
	a.NCALayerTLS = cert
	a.log.InfoContext(ctx, "sandbox NCALayer simulator (SANDBOX)", "url", u)
}

// PrintSandboxWelcome tells a newcomer where the sandbox is and how to log in.
func (a *App) PrintSandboxWelcome(w io.Writer, addr net.Addr) {
	base := "http://" + addr.String()
	fmt.Fprintf(w, "\nSenim SANDBOX is running at %s/ (demo data only; no SMS leaves this machine)\n\n", base)
	fmt.Fprintf(w, "Demo logins (IIN / password / phone / language); the SMS code appears at %s/sandbox/sms:\n", base)
	for i, c := range a.Pop.Citizens {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "  %s  %-12s %-14s %s  %s\n", c.IIN, c.Password, c.Phone, c.Lang, c.Name)
	}
	// The authorized body's employee, who keeps the directories in the console.
	staff := sandbox.Staff(a.Pop)
	for _, c := range a.Pop.Citizens {
		if bin := staff[c.IIN]; bin != "" {
			fmt.Fprintf(w, "The regulator's employee (the console at %s/console):\n", base)
			fmt.Fprintf(w, "  %s  %-12s %-14s %s  %s\n", c.IIN, c.Password, c.Phone, c.Lang, c.Name)
			fmt.Fprintf(w, "  log in as above, download the employee key on the home page (key password %s),\n", sandbox.KeyPassword)
			fmt.Fprintf(w, "  then at %s/login/eds sign the text shown: senim eds sign --key employee.p12 --password %s --pem challenge.txt\n", base, sandbox.KeyPassword)
		}
	}
	fmt.Fprintf(w, "All %d citizens and %d organizations: %s/sandbox/population\n\n", len(a.Pop.Citizens), len(a.Pop.Organizations), base)
}

// dbCollector exports the database pools' statistics.
type dbCollector struct{ db *store.DB }

var (
	descOpen  = prometheus.NewDesc("senim_db_connections_open", "Open database connections.", []string{"pool"}, nil)
	descInUse = prometheus.NewDesc("senim_db_connections_in_use", "Database connections in use.", []string{"pool"}, nil)
	descIdle  = prometheus.NewDesc("senim_db_connections_idle", "Idle database connections.", []string{"pool"}, nil)
	descWait  = prometheus.NewDesc("senim_db_wait_total", "Times a query waited for a free connection.", []string{"pool"}, nil)
	descWaitD = prometheus.NewDesc("senim_db_wait_seconds_total", "Time spent waiting for a free connection.", []string{"pool"}, nil)
)

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descInUse, descIdle, descWait, descWaitD} {
		ch <- d
	}
}

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.db.Stats() {
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(s.OpenConnections), s.Pool)
		ch <- prometheus.MustNewConstMetric(descInUse, prometheus.GaugeValue, float64(s.InUse), s.Pool)
		ch <- prometheus.MustNewConstMetric(descIdle, prometheus.GaugeValue, float64(s.Idle), s.Pool)
		ch <- prometheus.MustNewConstMetric(descWait, prometheus.CounterValue, float64(s.WaitCount), s.Pool)
		ch <- prometheus.MustNewConstMetric(descWaitD, prometheus.CounterValue, s.WaitDuration.Seconds(), s.Pool)
	}
}

// mountConfirm mounts confirmation requests (EDS or push) behind organization
// authentication, deciding by the policy file --confirm-policy names or the default.
func (a *App) mountConfirm(s *server.Server, ids *identity.Service, issuer string, revocation []pki.RevocationMethod) error {
	pol := policy.Default()
	if a.Config.ConfirmPolicy != "" {
		var err error
		if pol, err = policy.LoadFile(a.Config.ConfirmPolicy); err != nil {
			return fmt.Errorf("--confirm-policy: %w", err)
		}
	}
	a.log.Info("confirmation policy", slog.String("version", pol.Version()))
	svc, err := confirm.New(confirm.Config{DB: a.DB, Policy: pol, Citizens: ids, Signer: a.PD, Log: a.Log, Validator: a.Trust,
		Revocation: revocation, Issuer: issuer, Now: a.Config.Now, Archive: a.Archive, Logger: a.log})
	if err != nil {
		return err
	}
	a.Confirm = svc
	svc.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) })
	return nil
}

// seedSenders gives the sandbox's state bodies a sender permission for every category
// of the notification policy, so a notice can be sent through POST /v1/notices at once.
func (a *App) seedSenders(ctx context.Context) error {
	if !a.Config.Sandbox {
		return nil
	}
	have, err := a.Notify.Senders(ctx)
	if err != nil {
		return err
	}
	pol, err := notify.LoadPolicy(notify.PolicyVersion)
	if err != nil {
		return err
	}
	var cats []string
	for c := range pol.Categories {
		cats = append(cats, c)
	}
	for _, o := range a.Pop.Organizations {
		if o.Role != "state_body" || have[o.BIN] != nil {
			continue
		}
		if err := a.Notify.SetSender(ctx, "sandbox", o.BIN, cats); err != nil {
			return err
		}
	}
	return nil
}

// mountDocs builds the digital documents (issue 13) and mounts their API for
// organisations; in the sandbox the population register is their source, also served
// over the source contract at POST /sandbox/refdata/v1/documents.
func (a *App) mountDocs(s *server.Server, ids *identity.Service, issuer string) error {
	cfg := a.Config
	var src docs.Source = unconfiguredSource{}
	switch {
	case cfg.DocsSourceURL != "":
		h, err := docs.NewHTTPSource(docs.HTTPSourceConfig{BaseURL: cfg.DocsSourceURL, Token: cfg.AdapterToken})
		if err != nil {
			return err
		}
		src = h
	case cfg.Sandbox:
		reg := sandbox.NewDocuments(a.Pop)
		reg.Now = cfg.Now
		src = reg
		// The register answers authenticated information systems only, like popreg.
		s.Handle("POST /sandbox/refdata/v1/documents", a.OrgAuth.Middleware(requireOrg(docs.SourceHandler(reg))))
	}
	orgName := func(ctx context.Context, bin string) string {
		if o, err := ids.OrganizationByBIN(ctx, bin); err == nil {
			return o.Name
		}
		return ""
	}
	var err error
	a.Docs, err = docs.New(docs.Config{DB: a.DB, Source: src, Signer: a.PD, Log: a.Log, Issuer: issuer,
		VerifyURL: strings.TrimRight(issuer, "/") + "/documents/verify", OrgName: orgName, Now: cfg.Now, Logger: a.log})
	if err != nil {
		return err
	}
	a.Docs.Register(func(p string, h http.Handler) { s.Handle(p, a.OrgAuth.Middleware(h)) })
	return nil
}

// unconfiguredSource answers every document request with ErrSourceUnavailable: no
// reference source was configured outside the sandbox.
type unconfiguredSource struct{}

func (unconfiguredSource) Fetch(context.Context, string, string) (*docs.Record, error) {
	return nil, fmt.Errorf("%w: no reference source configured (--docs-source-url)", docs.ErrSourceUnavailable)
}

// requireOrg refuses a request that the orgauth middleware did not authenticate.
func requireOrg(h http.Handler) http.Handler {
	return server.ErrorHandler(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := orgauth.Require(r); err != nil {
			return err
		}
		h.ServeHTTP(w, r)
		return nil
	})
}

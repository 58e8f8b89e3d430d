package pd

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/store"
)

// Citizens is what the service needs of package identity: the opaque reference of a
// subject (created for an IIN Senim has not seen) and the citizen's language for SMS.
// The ...Tx variants work inside the caller's transaction, so that a request that is
// refused creates no citizen (CitizenRefTx finds, SubjectRefTx finds or creates).
// *identity.Service implements it.
type Citizens interface {
	SubjectRef(ctx context.Context, iin string) (string, error)
	SubjectRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error)
	CitizenRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error)
	CitizenByIIN(ctx context.Context, iin string) (*identity.Citizen, error)
	CitizenByID(ctx context.Context, id int64) (*identity.Citizen, error)
}

// Organizations finds an organization's registered name by its BIN.
type Organizations interface {
	OrganizationByBIN(ctx context.Context, bin string) (*identity.Organization, error)
}

// Representatives answers whether a person is the legal representative (parent,
// guardian) of a minor. No public registry of guardianship is wired yet: the sandbox
// answers from its demo population, production must plug in the civil registry.
type Representatives interface {
	IsRepresentative(ctx context.Context, representativeIIN, minorIIN string) (bool, error)
}

// Config configures a Service. DB, Citizens, Validator and Issuer are required.
type Config struct {
	DB       *store.DB
	Citizens Citizens
	// Validator validates the x5c chains of verification tokens and of consent
	// signatures. In the sandbox it trusts the sandbox CA and the NCA test PKI; in
	// production only the configured roots.
	Validator *pki.Validator
	// Revocation lists the revocation checks of those chains (none by default).
	Revocation []pki.RevocationMethod
	// Issuer is the "iss" of security tokens, e.g. "https://senim.example.kz".
	Issuer string
	// RegulatorBINs are the BINs of the authorized body: only they may change the
	// directories through the admin API.
	RegulatorBINs []string
	// Mobile and SMS are flow 3's mobile government systems (optional: without them
	// flow 3 answers pd.sms.unavailable).
	Mobile mgov.MobileDB
	SMS    mgov.SMSGateway
	// SMSText renders the flow-3 SMS in the citizen's language, naming the initiator
	// by name (empty when unknown) and BIN. Default: Kazakh, Russian or English.
	SMSText func(lang, name, bin, code string) string
	// Organizations names initiators in SMS texts (optional: without it the SMS
	// names the BIN only). *identity.Service implements it.
	Organizations Organizations
	// Representatives decides who may act for a minor (nil: nobody).
	Representatives Representatives

	Now    func() time.Time
	Logger *slog.Logger

	// MaxTokenAge: how old a verification token may be (PD-6.1.8). Default 5 min.
	MaxTokenAge time.Duration
	// MaxFutureSkew: how far in the future its iat may be. Default 1 min.
	MaxFutureSkew time.Duration
	// SMSTokenLifetime: security tokens of flow 3. Default 1 h.
	SMSTokenLifetime time.Duration
	// SMSCodeLifetime and SMSCodeAttempts bound a flow-3 code. Default 5 min, 3.
	SMSCodeLifetime time.Duration
	SMSCodeAttempts int
	// SMSCodeLength and SMSAlphanumeric shape the code. Default 6 digits.
	SMSCodeLength   int
	SMSAlphanumeric bool
	// KeyRotation: a new signing key after this age. Default 30 days.
	KeyRotation time.Duration
	// KeyPublishAhead: how long a scheduled new key is published before it signs, so
	// that every node publishes it first (nodes re-read keys every minute). Default
	// 3 min.
	KeyPublishAhead time.Duration
	// MaxTokenLifetime caps any security token (and so how long a retired key stays
	// published). Default 365 days.
	MaxTokenLifetime time.Duration
	// DirectoryTTL: how long a node serves its in-memory copy of the directories
	// before re-reading them (changes made on this node apply at once). Default 5 s.
	DirectoryTTL time.Duration
	// ChainCacheTTL: how long a validated certificate chain is remembered. Default 1 min.
	ChainCacheTTL time.Duration
}

// ProtocolLifetime is the lifetime of a protocol-mode security token (PD-6.2.3).
const ProtocolLifetime = 15 * time.Minute

// Service is personal-data access control.
type Service struct {
	cfg        Config
	db         *store.DB
	log        *slog.Logger
	now        func() time.Time
	regulators map[string]bool
	secret     []byte // HMAC key of flow 3 (codes, phone numbers), shared by all nodes

	dirMu sync.Mutex
	dir   *snapshot

	keys    *keyRing
	headers headerCache
	chains  *chainCache
	refs    *refCache
	issue   *store.Group[*issuance]
}

// New validates cfg, fills defaults, creates the signing key and the flow-3 secret on
// first use and returns a Service.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Citizens == nil || cfg.Validator == nil || cfg.Issuer == "" {
		return nil, errors.New("pd: Config needs DB, Citizens, Validator and Issuer")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MaxTokenAge, 5*time.Minute)
	def(&cfg.MaxFutureSkew, time.Minute)
	def(&cfg.SMSTokenLifetime, time.Hour)
	def(&cfg.SMSCodeLifetime, 5*time.Minute)
	def(&cfg.KeyRotation, 30*24*time.Hour)
	def(&cfg.KeyPublishAhead, 3*time.Minute)
	def(&cfg.MaxTokenLifetime, 365*24*time.Hour)
	def(&cfg.DirectoryTTL, 5*time.Second)
	def(&cfg.ChainCacheTTL, time.Minute)
	if cfg.SMSCodeAttempts <= 0 {
		cfg.SMSCodeAttempts = 3
	}
	if cfg.SMSCodeLength <= 0 {
		cfg.SMSCodeLength = 6
	}
	if cfg.SMSCodeLength < 4 || cfg.SMSCodeLength > 12 {
		return nil, errors.New("pd: SMSCodeLength must be 4 to 12")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SMSText == nil {
		cfg.SMSText = defaultSMSText
	}
	s := &Service{
		cfg: cfg, db: cfg.DB, log: cfg.Logger.With(slog.String("component", "pd")), now: cfg.Now,
		regulators: map[string]bool{},
		chains:     newChainCache(cfg.ChainCacheTTL),
		refs:       newRefCache(100_000),
	}
	for _, b := range cfg.RegulatorBINs {
		s.regulators[b] = true
	}
	secret, err := s.loadSecret(ctx)
	if err != nil {
		return nil, err
	}
	s.secret = secret
	s.keys = &keyRing{s: s}
	if err := s.keys.load(ctx, true); err != nil {
		return nil, err
	}
	s.issue = newIssueGroup(s)
	return s, nil
}

// loadSecret returns the flow-3 HMAC secret, creating it on first use. It lives in the
// database so that every node of a PostgreSQL deployment shares it.
func (s *Service) loadSecret(ctx context.Context) ([]byte, error) {
	var v string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM pd_settings WHERE name = 'hmac_secret'`).Scan(&v)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b := make([]byte, 32)
		rand.Read(b)
		v = hex.EncodeToString(b)
		_, err = tx.ExecContext(ctx, `INSERT INTO pd_settings (name, value, updated_by, updated_at) VALUES ('hmac_secret', ?, 'system', ?) ON CONFLICT (name) DO NOTHING`, v, store.Micros(s.now()))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM pd_settings WHERE name = 'hmac_secret'`).Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("pd: flow-3 secret: %w", err)
	}
	return hex.DecodeString(v)
}

// Run does the background work until ctx ends: deferred notices whose deferral is
// over go out, signing keys rotate, used verification-token ids and expired flow-3
// requests are pruned. It returns nil when ctx is done.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.ReleaseDeferredNotices(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "deferred notices", slog.Any("err", err))
		}
		if err := s.keys.rotateIfDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "key rotation", slog.Any("err", err))
		}
		if err := s.prune(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "prune", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Service) prune(ctx context.Context) error {
	now := store.Micros(s.now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pd_seen_tokens WHERE expires_at < ?`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE pd_sms_requests SET status = 'expired', updated_at = ? WHERE status = 'awaiting_subject_response' AND expires_at < ?`, now, now)
		return err
	})
}

// IsRegulator reports whether bin is one of the authorized body's BINs, who keep the
// directories.
func (s *Service) IsRegulator(bin string) bool { return s.regulators[bin] }

// Package passkey lets a citizen log in to the cabinet with a passkey (WebAuthn,
// Level 3): a key pair kept by the phone's or computer's authenticator and unlocked
// by its biometrics or PIN — the "biometrics" of rule DD-5 without Senim ever
// holding a biometric template. It is another login method behind identity's
// sessions: a passkey login opens a session with identity.MethodPasskey.
//
// A citizen first logs in another way (password and SMS, or EDS) and adds a passkey
// in the cabinet; from then on the login page offers "Log in with a passkey" without
// an IIN to type (a discoverable credential: the authenticator returns the citizen's
// random user handle, never the IIN). The WebAuthn ceremonies — challenges, origin
// and RP ID checks, signature and counter checks — are github.com/go-webauthn/webauthn;
// this package keeps the ceremonies single-use and short-lived, stores credentials,
// and records every addition and removal as an outbox event.
package passkey

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/evtype"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/secret"
	"github.com/senimkz/senim/internal/store"
)

// The outbox event types passkey emits (see internal/evtype).
var (
	EvAdded   = evtype.Register("passkey.credential.added", 1, evtype.Citizen)
	EvRemoved = evtype.Register("passkey.credential.removed", 1, evtype.Citizen)
)

// Limits.
const (
	// MaxPerCitizen bounds the passkeys one citizen keeps.
	MaxPerCitizen = 10
	// MaxName bounds a passkey's name, in characters.
	MaxName = 60
	// MaxResponse bounds the authenticator's JSON response the browser posts.
	MaxResponse = 64 << 10
	// DefaultLifetime is how long a ceremony may take.
	DefaultLifetime = 5 * time.Minute
)

// Sessions opens cabinet sessions and names citizens (identity.Service).
type Sessions interface {
	CitizenByID(ctx context.Context, id int64) (*identity.Citizen, error)
	OpenSession(ctx context.Context, citizenID int64, method identity.Method) (string, *identity.Session, error)
}

// Config configures the service.
type Config struct {
	DB       *store.DB
	Sessions Sessions
	// Origin is the cabinet's origin as the browser sees it ("https://senim.kz",
	// "http://localhost:8080" in the sandbox). Its host is the relying party id: a
	// domain name, never an IP address (browsers refuse WebAuthn there).
	Origin string
	// Lifetime of a ceremony; DefaultLifetime when zero.
	Lifetime time.Duration
	Now      func() time.Time
}

// Service runs passkey registration and login.
type Service struct {
	cfg Config
	wa  *webauthn.WebAuthn
}

// New checks cfg and returns a service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Sessions == nil {
		return nil, errors.New("passkey: DB and Sessions are required")
	}
	u, err := url.Parse(cfg.Origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("passkey: origin %q is not a scheme://host[:port]", cfg.Origin)
	}
	if strings.Trim(u.Hostname(), "0123456789.:[]") == "" {
		return nil, fmt.Errorf("passkey: origin %q: a passkey needs a domain name, not an IP address", cfg.Origin)
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: cfg.Lifetime, TimeoutUVD: cfg.Lifetime}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Senim",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		Timeouts:      webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Service{cfg: cfg, wa: wa}, nil
}

// Passkey is a registered passkey as the cabinet lists it.
type Passkey struct {
	ID        string // the credential id, base64url
	Name      string
	CreatedAt time.Time
	LastUsed  time.Time // zero before its first login
}

// user is a citizen as WebAuthn sees it.
type user struct {
	id     int64
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.handle }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// Ceremony is a begun registration or login: the options the browser passes to
// navigator.credentials (JSON), and the token that names the ceremony when the
// browser posts the authenticator's answer.
type Ceremony struct {
	Options json.RawMessage
	Token   string
	Expires time.Time
}

// BeginRegistration starts adding a passkey for the logged-in citizen.
func (s *Service) BeginRegistration(ctx context.Context, citizenID int64) (*Ceremony, error) {
	u, err := s.user(ctx, citizenID, true)
	if err != nil {
		return nil, err
	}
	if len(u.creds) >= MaxPerCitizen {
		return nil, ErrTooMany
	}
	exclude := make([]protocol.CredentialDescriptor, len(u.creds))
	for i, c := range u.creds {
		exclude[i] = c.Descriptor()
	}
	opts, sd, err := s.wa.BeginRegistration(u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return s.begin(ctx, "register", citizenID, opts, sd)
}

// FinishRegistration verifies the authenticator's answer to the ceremony named by
// token and stores the new passkey under name. Only the citizen who began the
// ceremony can finish it.
func (s *Service) FinishRegistration(ctx context.Context, citizenID int64, token, name string, response []byte) (*Passkey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxName || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
		return nil, ErrName
	}
	sd, err := s.take(ctx, token, "register", citizenID)
	if err != nil {
		return nil, err
	}
	u, err := s.user(ctx, citizenID, false)
	if err != nil {
		return nil, err
	}
	if len(u.handle) == 0 || len(response) > MaxResponse {
		return nil, ErrResponse
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	cred, err := s.wa.CreateCredential(u, *sd, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerification, err)
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	p := &Passkey{ID: base64.RawURLEncoding.EncodeToString(cred.ID), Name: name, CreatedAt: now.Truncate(time.Microsecond)}
	ref := actor.Citizen(citizenID).String()
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkey_credentials WHERE citizen_id = ? AND removed_at = 0`, citizenID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPerCitizen {
			return ErrTooMany
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkey_credentials WHERE id = ?`, p.ID).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return ErrDuplicate
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO passkey_credentials (id, citizen_id, name, credential, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, citizenID, name, string(b), store.Micros(now)); err != nil {
			return err
		}
		// The event names the credential, not its name: a name is the citizen's words.
		_, err := tx.Emit(ctx, store.Event{Type: EvAdded, Actor: ref, Subject: ref, Payload: mustJSON(map[string]string{"credential": p.ID})})
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// BeginLogin starts a login with any passkey of any citizen (the authenticator
// offers the ones it holds for this site).
func (s *Service) BeginLogin(ctx context.Context) (*Ceremony, error) {
	opts, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return s.begin(ctx, "login", 0, opts, sd)
}

// FinishLogin verifies the authenticator's answer to the login ceremony named by
// token and opens a session for the passkey's citizen: the session token for the
// cookie, and the session.
func (s *Service) FinishLogin(ctx context.Context, token string, response []byte) (string, *identity.Session, error) {
	sd, err := s.take(ctx, token, "login", 0)
	if err != nil {
		return "", nil, err
	}
	if len(response) > MaxResponse {
		return "", nil, ErrResponse
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	var found *user
	unknown := false
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		var citizenID int64
		err := s.cfg.DB.QueryRowContext(ctx, `SELECT citizen_id FROM passkey_users WHERE handle = ?`, userHandle).Scan(&citizenID)
		if err != nil {
			unknown = true
			return nil, ErrUnknown
		}
		u, err := s.user(ctx, citizenID, false)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(u.creds, func(c webauthn.Credential) bool { return bytes.Equal(c.ID, rawID) }) {
			unknown = true // never registered, or removed
			return nil, ErrUnknown
		}
		found = u
		return u, nil
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(handler, *sd, parsed)
	if err != nil {
		if unknown {
			return "", nil, ErrUnknown
		}
		return "", nil, fmt.Errorf("%w: %v", ErrVerification, err)
	}
	if found == nil {
		return "", nil, ErrUnknown
	}
	if cred.Authenticator.CloneWarning {
		// The counter went backwards: two authenticators hold one key. Refuse, and
		// leave the stored counter as it was, so the genuine one is not locked out.
		return "", nil, ErrCloned
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return "", nil, err
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	res, err := s.cfg.DB.ExecContext(ctx, `UPDATE passkey_credentials SET credential = ?, last_used_at = ? WHERE id = ? AND citizen_id = ? AND removed_at = 0`,
		string(b), store.Micros(s.cfg.Now()), id, found.id)
	if err != nil {
		return "", nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", nil, ErrUnknown
	}
	return s.cfg.Sessions.OpenSession(ctx, found.id, identity.MethodPasskey)
}

// List returns the citizen's passkeys, newest first.
func (s *Service) List(ctx context.Context, citizenID int64) ([]Passkey, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM passkey_credentials
		WHERE citizen_id = ? AND removed_at = 0 ORDER BY created_at DESC, id`, citizenID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var created, used int64
		if err := rows.Scan(&p.ID, &p.Name, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt = store.FromMicros(created)
		if used != 0 {
			p.LastUsed = store.FromMicros(used)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Remove removes one of the citizen's passkeys; another citizen's, or one already
// removed, is ErrNotFound.
func (s *Service) Remove(ctx context.Context, citizenID int64, id string) error {
	ref := actor.Citizen(citizenID).String()
	return s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE passkey_credentials SET removed_at = ? WHERE id = ? AND citizen_id = ? AND removed_at = 0`,
			store.Micros(s.cfg.Now()), id, citizenID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		_, err = tx.Emit(ctx, store.Event{Type: EvRemoved, Actor: ref, Subject: ref, Payload: mustJSON(map[string]string{"credential": id})})
		return err
	})
}

// user loads a citizen with their live credentials; create makes the citizen's
// random user handle when they have none yet.
func (s *Service) user(ctx context.Context, citizenID int64, create bool) (*user, error) {
	c, err := s.cfg.Sessions.CitizenByID(ctx, citizenID)
	if err != nil {
		return nil, err
	}
	u := &user{id: citizenID, name: c.Name}
	err = s.cfg.DB.QueryRowContext(ctx, `SELECT handle FROM passkey_users WHERE citizen_id = ?`, citizenID).Scan(&u.handle)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		h := secret.Bytes(32)
		if _, err := s.cfg.DB.ExecContext(ctx, `INSERT INTO passkey_users (citizen_id, handle) VALUES (?, ?) ON CONFLICT (citizen_id) DO NOTHING`, citizenID, h); err != nil {
			return nil, err
		}
		if err := s.cfg.DB.QueryRowContext(ctx, `SELECT handle FROM passkey_users WHERE citizen_id = ?`, citizenID).Scan(&u.handle); err != nil {
			return nil, err
		}
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT credential FROM passkey_credentials WHERE citizen_id = ? AND removed_at = 0`, citizenID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var cred webauthn.Credential
		if err := json.Unmarshal([]byte(b), &cred); err != nil {
			return nil, fmt.Errorf("passkey: stored credential: %w", err)
		}
		u.creds = append(u.creds, cred)
	}
	return u, rows.Err()
}

func (s *Service) begin(ctx context.Context, kind string, citizenID int64, opts any, sd *webauthn.SessionData) (*Ceremony, error) {
	ob, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	sb, err := json.Marshal(sd)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	c := &Ceremony{Options: ob, Token: secret.Token(), Expires: now.Add(s.cfg.Lifetime)}
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		// Expired ceremonies go as new ones begin: the table holds only live ones.
		if _, err := tx.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at < ?`, store.Micros(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO passkey_ceremonies (id, kind, citizen_id, session, expires_at) VALUES (?, ?, ?, ?, ?)`,
			secret.Hash(c.Token), kind, citizenID, string(sb), store.Micros(c.Expires))
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// take ends the ceremony named by token (single use: it is deleted whatever follows)
// and returns its WebAuthn session data, if it is of kind, live, and citizenID's.
func (s *Service) take(ctx context.Context, token, kind string, citizenID int64) (*webauthn.SessionData, error) {
	if token == "" || len(token) > 64 {
		return nil, ErrCeremony
	}
	var gotKind, sess string
	var gotCitizen, exp int64
	err := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		id := secret.Hash(token)
		if err := tx.QueryRowContext(ctx, `SELECT kind, citizen_id, session, expires_at FROM passkey_ceremonies WHERE id = ?`, id).
			Scan(&gotKind, &gotCitizen, &sess, &exp); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrCeremony
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrCeremony // finished concurrently
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gotKind != kind || gotCitizen != citizenID || s.cfg.Now().After(store.FromMicros(exp)) {
		return nil, ErrCeremony
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(sess), &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

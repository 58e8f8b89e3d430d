// Package identity keeps Senim's citizens and organizations and opens cabinet sessions.
//
// A session is opened only through an authentication method. Standalone deployments
// have password + SMS code: the password (argon2id) is checked first, then a one-time
// code goes by SMS to the number the mobile citizens database holds for the IIN — not
// to a number the citizen types, so a stolen password alone opens nothing. EDS login
// and the national identity provider are further methods that end in the same
// OpenSession call; each session records its method, because some acts (confirming a
// consent that flow 1 relies on, PD-6.1.1) need more than an SMS code.
//
// Repeated failures lock an account for a while (LockoutAfter, LockoutFor). Browser
// tokens (login challenges, sessions) are random 256-bit values stored only as SHA-256
// hashes. Every login, failure and logout is an outbox event that names the citizen by
// internal id, never by IIN.
package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"github.com/senimkz/senim/internal/secret"
	"log/slog"
	"math/big"
	"time"

	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Method is how a session was authenticated.
type Method string

const (
	MethodPasswordSMS Method = "password+sms"
	MethodEDS         Method = "eds"
	MethodIdP         Method = "idp"
	MethodPasskey     Method = "passkey" // a WebAuthn passkey (internal/passkey)
)

// Languages of the cabinet.
var Languages = []string{"kk", "ru", "en"}

// ValidLang reports whether l is a cabinet language.
func ValidLang(l string) bool { return l == "kk" || l == "ru" || l == "en" }

// Errors, as problems with stable codes.
var (
	ErrBadCredentials = problem.New(401, "identity.login.bad_credentials", "The IIN or password is wrong")
	ErrLocked         = problem.New(429, "identity.login.locked", "Too many failed attempts; the account is locked for a while")
	ErrNoPhone        = problem.New(409, "identity.login.no_phone", "No mobile number is registered for this IIN in the mobile citizens database: register on the eGov portal first")
	ErrSMSUnavailable = problem.New(503, "identity.login.sms_unavailable", "The SMS could not be sent; try again later")
	ErrBadCode        = problem.New(401, "identity.login.bad_code", "The SMS code is wrong")
	ErrChallengeGone  = problem.New(401, "identity.login.challenge_expired", "The SMS code has expired or was used up; log in again")
	ErrNoSession      = problem.New(401, "identity.session.none", "Not logged in, or the session has expired")
	ErrNotFound       = problem.New(404, "identity.not_found", "No such citizen or organization")
	ErrInvalidCitizen = problem.New(400, "identity.citizen.invalid", "The citizen's data is invalid")
	ErrInvalidOrg     = problem.New(400, "identity.organization.invalid", "The organization's data is invalid")
)

// Config configures a Service.
type Config struct {
	DB     *store.DB
	Mobile mgov.MobileDB
	SMS    mgov.SMSGateway
	// LoginText returns the SMS that carries a login code, in the citizen's language.
	LoginText func(lang, code string) string
	Now       func() time.Time
	Logger    *slog.Logger
	Argon2    Argon2Params // DefaultArgon2 when zero

	CodeLifetime    time.Duration // 5 min
	CodeAttempts    int           // 5 per code
	LockoutAfter    int           // 5 consecutive failures
	LockoutFor      time.Duration // 15 min
	SessionLifetime time.Duration // 8 h absolute
	SessionIdle     time.Duration // 30 min without a request
}

// Service is the identity service.
type Service struct {
	cfg   Config
	dummy string // a hash checked for unknown IINs, so timing does not tell who exists
}

// New validates cfg, fills defaults and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Mobile == nil || cfg.SMS == nil {
		return nil, errors.New("identity: DB, Mobile and SMS are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.LoginText == nil {
		cfg.LoginText = func(_, code string) string { return "Senim: " + code }
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.CodeLifetime, 5*time.Minute)
	def(&cfg.LockoutFor, 15*time.Minute)
	def(&cfg.SessionLifetime, 8*time.Hour)
	def(&cfg.SessionIdle, 30*time.Minute)
	if cfg.CodeAttempts <= 0 {
		cfg.CodeAttempts = 5
	}
	if cfg.LockoutAfter <= 0 {
		cfg.LockoutAfter = 5
	}
	dummy, err := HashPassword("no such citizen", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, dummy: dummy}, nil
}

// Citizen is a data subject.
type Citizen struct {
	ID   int64  `json:"-"`
	IIN  string `json:"iin"`
	Name string `json:"name"`
	Lang string `json:"lang"`
}

// Ref is the opaque reference that names the citizen in events: never the IIN.
func (c *Citizen) Ref() string { return actor.Citizen(c.ID).String() }

// Organization is an initiator, operator, data owner or the regulator.
type Organization struct {
	ID   int64  `json:"-"`
	BIN  string `json:"bin"`
	Name string `json:"name"`
	// Names are the name in the cabinet's languages; Name is used where one is missing.
	Names   Names               `json:"names,omitzero"`
	Role    string              `json:"role"`
	Systems []InformationSystem `json:"information_systems,omitempty"`
}

// Names are a name in the cabinet's languages.
type Names struct {
	KK string `json:"kk,omitempty"`
	RU string `json:"ru,omitempty"`
	EN string `json:"en,omitempty"`
}

// NameIn is the organization's name in lang, or its registered name.
func (o Organization) NameIn(lang string) string {
	switch {
	case lang == "kk" && o.Names.KK != "":
		return o.Names.KK
	case lang == "ru" && o.Names.RU != "":
		return o.Names.RU
	case lang == "en" && o.Names.EN != "":
		return o.Names.EN
	}
	return o.Name
}

// InformationSystem is an organization's system that talks to Senim.
type InformationSystem struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// EnsureCitizen creates c with password unless a citizen with its IIN exists; it
// returns the stored citizen and whether it was created. It is how the sandbox seeds its
// population idempotently.
func (s *Service) EnsureCitizen(ctx context.Context, c Citizen, password string) (*Citizen, bool, error) {
	if !kzid.ValidIIN(c.IIN) {
		return nil, false, ErrInvalidCitizen.WithDetail("iin: not a valid IIN")
	}
	if c.Name == "" || len(c.Name) > 200 || !ValidLang(c.Lang) {
		return nil, false, ErrInvalidCitizen.WithDetail("name and lang (kk, ru, en) are required")
	}
	if got, err := s.CitizenByIIN(ctx, c.IIN); err == nil {
		return got, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	hash := ""
	if password != "" {
		var err error
		if hash, err = HashPassword(password, s.cfg.Argon2); err != nil {
			return nil, false, err
		}
	}
	created := false
	err := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		// ON CONFLICT, not a count first: sandbox nodes starting together on one
		// PostgreSQL database seed the same citizens at the same time.
		id, err := tx.InsertID(ctx, `INSERT INTO citizens (iin, name, lang, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (iin) DO NOTHING RETURNING id`,
			c.IIN, c.Name, c.Lang, hash, store.Micros(s.cfg.Now()))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // created concurrently
		}
		if err != nil {
			return err
		}
		c.ID = id
		created = true
		_, err = tx.Emit(ctx, store.Event{Type: EvCitizenCreated, Actor: actor.System.String(), Subject: c.Ref()})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if !created {
		got, err := s.CitizenByIIN(ctx, c.IIN)
		return got, false, err
	}
	return &c, true, nil
}

// SubjectRef returns the opaque reference ("citizen:<id>") of the citizen with iin,
// creating a record without login credentials when Senim has not seen the IIN before:
// an initiator may ask for a person's data before that person ever opens the cabinet,
// and events about them must still name them by reference, never by IIN.
//
// It commits the record in a transaction of its own: a caller whose action may still
// be refused must use SubjectRefTx inside the action's transaction instead, so that a
// refused request leaves no citizen behind.
func (s *Service) SubjectRef(ctx context.Context, iin string) (string, error) {
	if !kzid.ValidIIN(iin) {
		return "", ErrInvalidCitizen.WithDetail("iin: not a valid IIN")
	}
	if c, err := s.CitizenByIIN(ctx, iin); err == nil {
		return c.Ref(), nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	var ref string
	err := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		ref, err = s.SubjectRefTx(ctx, tx, iin)
		return err
	})
	if err != nil {
		return "", err
	}
	return ref, nil
}

// SubjectRefTx is SubjectRef inside the caller's transaction tx: the record and its
// identity.citizen.created event are written only if tx commits. A request that is
// refused after this call rolls them back with the rest of its writes (bad input
// changes nothing).
func (s *Service) SubjectRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error) {
	if !kzid.ValidIIN(iin) {
		return "", ErrInvalidCitizen.WithDetail("iin: not a valid IIN")
	}
	if ref, err := s.CitizenRefTx(ctx, tx, iin); !errors.Is(err, ErrNotFound) {
		return ref, err
	}
	// ON CONFLICT, not a count first: on PostgreSQL two first requests about the
	// same person run concurrently, and the second must find the first's row, not
	// fail on the unique index.
	id, err := tx.InsertID(ctx, `INSERT INTO citizens (iin, name, lang, created_at) VALUES (?, '', 'kk', ?) ON CONFLICT (iin) DO NOTHING RETURNING id`, iin, store.Micros(s.cfg.Now()))
	if errors.Is(err, sql.ErrNoRows) {
		// Made by a concurrent transaction, which emitted the event; under READ
		// COMMITTED the next statement sees its row.
		return s.CitizenRefTx(ctx, tx, iin)
	}
	if err != nil {
		return "", err
	}
	ref := (&Citizen{ID: id}).Ref()
	if _, err := tx.Emit(ctx, store.Event{Type: EvCitizenCreated, Actor: actor.System.String(), Subject: ref}); err != nil {
		return "", err
	}
	return ref, nil
}

// CitizenRefTx returns the reference of the citizen with iin as tx sees it, or
// ErrNotFound; it never creates one.
func (s *Service) CitizenRefTx(ctx context.Context, tx *store.Tx, iin string) (string, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM citizens WHERE iin = ?`, iin).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return (&Citizen{ID: id}).Ref(), nil
}

// CitizenByIIN returns the citizen with that IIN, or ErrNotFound.
func (s *Service) CitizenByIIN(ctx context.Context, iin string) (*Citizen, error) {
	return s.citizen(ctx, `SELECT id, iin, name, lang FROM citizens WHERE iin = ?`, iin)
}

// CitizenByID returns the citizen with that internal id, or ErrNotFound.
func (s *Service) CitizenByID(ctx context.Context, id int64) (*Citizen, error) {
	return s.citizen(ctx, `SELECT id, iin, name, lang FROM citizens WHERE id = ?`, id)
}

func (s *Service) citizen(ctx context.Context, q string, arg any) (*Citizen, error) {
	var c Citizen
	err := s.cfg.DB.QueryRowContext(ctx, q, arg).Scan(&c.ID, &c.IIN, &c.Name, &c.Lang)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// SetLanguage records the citizen's preferred cabinet language.
func (s *Service) SetLanguage(ctx context.Context, citizenID int64, lang string) error {
	if !ValidLang(lang) {
		return problem.Field("lang", "must be kk, ru or en")
	}
	_, err := s.cfg.DB.ExecContext(ctx, `UPDATE citizens SET lang = ? WHERE id = ?`, lang, citizenID)
	return err
}

// EnsureOrganization creates o and its information systems unless an organization with
// its BIN exists.
func (s *Service) EnsureOrganization(ctx context.Context, o Organization) (*Organization, bool, error) {
	if !kzid.ValidBIN(o.BIN) {
		return nil, false, ErrInvalidOrg.WithDetail("bin: not a valid BIN")
	}
	if o.Name == "" || o.Role == "" {
		return nil, false, ErrInvalidOrg.WithDetail("name and role are required")
	}
	created := false
	err := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.cfg.Now())
		names := string(mustJSON(o.Names))
		id, err := tx.InsertID(ctx, `INSERT INTO organizations (bin, name, role, created_at, names) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bin) DO NOTHING RETURNING id`,
			o.BIN, o.Name, o.Role, now, names)
		if errors.Is(err, sql.ErrNoRows) {
			// It exists (created earlier or concurrently, with its systems); names it
			// lacked are filled in.
			if o.Names != (Names{}) {
				_, err := tx.ExecContext(ctx, `UPDATE organizations SET names = ? WHERE bin = ? AND names = '{}'`, names, o.BIN)
				return err
			}
			return nil
		}
		if err != nil {
			return err
		}
		for _, is := range o.Systems {
			if _, err := tx.ExecContext(ctx, `INSERT INTO information_systems (org_id, code, name, created_at) VALUES (?, ?, ?, ?)`,
				id, is.Code, is.Name, now); err != nil {
				return err
			}
		}
		created = true
		_, err = tx.Emit(ctx, store.Event{Type: EvOrganizationCreated, Actor: actor.System.String(), Payload: mustJSON(map[string]string{"bin": o.BIN, "role": o.Role})})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	got, err := s.OrganizationByBIN(ctx, o.BIN)
	return got, created, err
}

// OrganizationByBIN returns the organization with its information systems.
func (s *Service) OrganizationByBIN(ctx context.Context, bin string) (*Organization, error) {
	var o Organization
	var names string
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT id, bin, name, role, names FROM organizations WHERE bin = ?`, bin).Scan(&o.ID, &o.BIN, &o.Name, &o.Role, &names)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(names), &o.Names); err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT code, name FROM information_systems WHERE org_id = ? ORDER BY id`, o.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var is InformationSystem
		if err := rows.Scan(&is.Code, &is.Name); err != nil {
			return nil, err
		}
		o.Systems = append(o.Systems, is)
	}
	return &o, rows.Err()
}

// Organizations lists every organization, ordered by BIN.
func (s *Service) Organizations(ctx context.Context) ([]Organization, error) {
	rows, err := s.cfg.DB.QueryContext(ctx, `SELECT bin FROM organizations ORDER BY bin`)
	if err != nil {
		return nil, err
	}
	var bins []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, err
		}
		bins = append(bins, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Organization, 0, len(bins))
	for _, b := range bins {
		o, err := s.OrganizationByBIN(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, nil
}

// Challenge is the state between the password step and the SMS-code step of a login.
type Challenge struct {
	Token       string // goes into the browser's pre-login cookie; never stored
	MaskedPhone string // e.g. +7 799 *** ** 01, to tell the citizen where the code went
	ExpiresAt   time.Time
}

// StartLogin checks iin and password and sends a one-time code by SMS to the number
// the mobile citizens database holds for the IIN.
func (s *Service) StartLogin(ctx context.Context, iin, password string) (*Challenge, error) {
	now := s.cfg.Now()
	var (
		id          int64
		lang, hash  string
		failed      int
		lockedUntil int64
	)
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT id, lang, password_hash, failed_logins, locked_until FROM citizens WHERE iin = ?`, iin).
		Scan(&id, &lang, &hash, &failed, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) || hash == "" {
		// Same work as for a real citizen, so timing does not tell who exists. No event:
		// there is no subject to tell, and anonymous guesses must not cost writes.
		CheckPassword(s.dummy, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ref := (&Citizen{ID: id}).Ref()
	if lockedUntil > store.Micros(now) {
		return nil, ErrLocked
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.fail(ctx, id, ref, "bad_password", ErrBadCredentials)
	}
	phone, err := s.cfg.Mobile.Phone(ctx, iin)
	if errors.Is(err, mgov.ErrNotRegistered) {
		return nil, ErrNoPhone
	}
	if err != nil {
		return nil, ErrSMSUnavailable.WithCause(err)
	}
	token, code := secret.Token(), randomCode()
	exp := now.Add(s.cfg.CodeLifetime)
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		// One live challenge per citizen: a new login replaces the old code.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE citizen_id = ? OR expires_at < ?`, id, store.Micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_challenges (id, citizen_id, code_mac, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
			secret.Hash(token), id, codeMAC(token, code), store.Micros(exp), store.Micros(now)); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvLoginCodeSent, Actor: ref, Subject: ref})
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.SMS.Send(ctx, phone, s.cfg.LoginText(lang, code)); err != nil {
		s.cfg.DB.ExecContext(ctx, `DELETE FROM login_challenges WHERE id = ?`, secret.Hash(token))
		return nil, ErrSMSUnavailable.WithCause(err)
	}
	return &Challenge{Token: token, MaskedPhone: MaskPhone(phone), ExpiresAt: exp}, nil
}

// FinishLogin checks the SMS code of a challenge and opens a session.
func (s *Service) FinishLogin(ctx context.Context, challengeToken, code string) (string, *Session, error) {
	now := s.cfg.Now()
	cid := secret.Hash(challengeToken)
	var (
		citizenID int64
		mac       []byte
		attempts  int
		exp       int64
	)
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT citizen_id, code_mac, attempts, expires_at FROM login_challenges WHERE id = ?`, cid).
		Scan(&citizenID, &mac, &attempts, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (exp <= store.Micros(now) || attempts >= s.cfg.CodeAttempts)) {
		return "", nil, ErrChallengeGone
	}
	if err != nil {
		return "", nil, err
	}
	ref := (&Citizen{ID: citizenID}).Ref()
	if !hmac.Equal(mac, codeMAC(challengeToken, code)) {
		// Count the attempt on the challenge and on the account.
		if _, err := s.cfg.DB.ExecContext(ctx, `UPDATE login_challenges SET attempts = attempts + 1 WHERE id = ?`, cid); err != nil {
			return "", nil, err
		}
		return "", nil, s.fail(ctx, citizenID, ref, "bad_code", ErrBadCode)
	}
	var gone bool
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE id = ?`, cid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			gone = true // used concurrently
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE citizens SET failed_logins = 0, locked_until = 0 WHERE id = ?`, citizenID)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if gone {
		return "", nil, ErrChallengeGone
	}
	return s.OpenSession(ctx, citizenID, MethodPasswordSMS)
}

// fail counts a failed login for the citizen, locks the account after too many, and
// returns err.
func (s *Service) fail(ctx context.Context, citizenID int64, ref, reason string, err error) error {
	now := s.cfg.Now()
	terr := s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		var failed int
		if err := tx.QueryRowContext(ctx, `SELECT failed_logins FROM citizens WHERE id = ?`, citizenID).Scan(&failed); err != nil {
			return err
		}
		failed++
		locked := int64(0)
		if failed >= s.cfg.LockoutAfter {
			locked = store.Micros(now.Add(s.cfg.LockoutFor))
			failed = 0
			reason += ",locked"
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE citizen_id = ?`, citizenID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE citizens SET failed_logins = ?, locked_until = ? WHERE id = ?`, failed, locked, citizenID); err != nil {
			return err
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvLoginFailed, Actor: ref, Subject: ref, Payload: mustJSON(map[string]string{"reason": reason})})
		return err
	})
	if terr != nil {
		return terr
	}
	return err
}

// Session is an authenticated cabinet session.
type Session struct {
	CitizenID int64
	Citizen   *Citizen
	Method    Method
	// OrgBIN is the organization whose employee certificate opened the session (EDS
	// login with an employee key), "" for a citizen acting for themselves.
	OrgBIN    string
	CSRF      string // the anti-forgery token forms of this session carry
	ExpiresAt time.Time
}

// OpenSession opens a session for a citizen whom method has authenticated and returns
// the token for the browser's cookie. Every authentication method ends here.
func (s *Service) OpenSession(ctx context.Context, citizenID int64, method Method) (string, *Session, error) {
	return s.OpenOrgSession(ctx, citizenID, method, "")
}

// OpenOrgSession opens a session for a citizen acting as an employee of the
// organization orgBIN, as their EDS certificate proved.
func (s *Service) OpenOrgSession(ctx context.Context, citizenID int64, method Method, orgBIN string) (string, *Session, error) {
	c, err := s.CitizenByID(ctx, citizenID)
	if err != nil {
		return "", nil, err
	}
	now := s.cfg.Now()
	token := secret.Token()
	sess := &Session{CitizenID: citizenID, Citizen: c, Method: method, OrgBIN: orgBIN, CSRF: secret.Token(), ExpiresAt: now.Add(s.cfg.SessionLifetime)}
	err = s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, citizen_id, method, org_bin, csrf, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			secret.Hash(token), citizenID, string(method), orgBIN, sess.CSRF, store.Micros(now), store.Micros(sess.ExpiresAt), store.Micros(now)); err != nil {
			return err
		}
		payload := map[string]string{"method": string(method)}
		if orgBIN != "" {
			payload["org_bin"] = orgBIN
		}
		_, err := tx.Emit(ctx, store.Event{Type: EvSessionOpened, Actor: c.Ref(), Subject: c.Ref(), Payload: mustJSON(payload)})
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Session returns the live session for a cookie token, or ErrNoSession. It extends the
// idle timeout.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	now := store.Micros(s.cfg.Now())
	id := secret.Hash(token)
	var (
		sess     Session
		c        Citizen
		method   string
		exp      int64
		lastSeen int64
	)
	// One statement for the session and its citizen: every cabinet request makes it.
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT s.method, s.org_bin, s.csrf, s.expires_at, s.last_seen, c.id, c.iin, c.name, c.lang
		FROM sessions s JOIN citizens c ON c.id = s.citizen_id WHERE s.id = ?`, id).
		Scan(&method, &sess.OrgBIN, &sess.CSRF, &exp, &lastSeen, &c.ID, &c.IIN, &c.Name, &c.Lang)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if exp <= now || lastSeen+s.cfg.SessionIdle.Microseconds() <= now {
		s.cfg.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return nil, ErrNoSession
	}
	// Touch at most once a minute: a write per page view would serialise readers.
	if now-lastSeen > time.Minute.Microseconds() {
		if _, err := s.cfg.DB.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, now, id); err != nil {
			return nil, err
		}
	}
	sess.CitizenID, sess.Citizen = c.ID, &c
	sess.Method = Method(method)
	sess.ExpiresAt = store.FromMicros(exp)
	return &sess, nil
}

// CloseSession ends the session of token (logout). Closing an unknown session is not
// an error.
func (s *Service) CloseSession(ctx context.Context, token string) error {
	return s.cfg.DB.Tx(ctx, func(tx *store.Tx) error {
		var citizenID int64
		err := tx.QueryRowContext(ctx, `SELECT citizen_id FROM sessions WHERE id = ?`, secret.Hash(token)).Scan(&citizenID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, secret.Hash(token)); err != nil {
			return err
		}
		ref := (&Citizen{ID: citizenID}).Ref()
		_, err = tx.Emit(ctx, store.Event{Type: EvSessionClosed, Actor: ref, Subject: ref})
		return err
	})
}

// MaskPhone hides all but the country code, operator code and last two digits.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return "***"
	}
	return fmt.Sprintf("%s %s *** ** %s", p[:2], p[2:5], p[len(p)-2:])
}

// randomCode returns a uniformly random six-digit code.
func randomCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

func codeMAC(token, code string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(code))
	return m.Sum(nil)
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

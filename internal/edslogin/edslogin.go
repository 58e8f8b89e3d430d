// Package edslogin lets a citizen log in to the cabinet by signing a server challenge
// with their EDS key — the way eGov logins work with NCALayer.
//
// The server makes a one-time challenge (random, 5 minutes) and remembers it for the
// browser that asked. The citizen signs exactly that text into a CMS SignedData,
// attached or detached: in production with NCALayer in the browser (its CMS output is
// what this package reads), in the sandbox with the key downloaded from the cabinet
// and `senim eds sign --key key.p12 --password Sandbox1 --pem challenge.txt`. The
// server checks the CMS signature and digest, the certificate chain against the
// configured trust anchors, revocation, that the key may authenticate, that the signed
// content is the challenge it issued to this browser (once), and that the certificate
// names an individual by a valid IIN. It then opens a session whose method is "eds".
package edslogin

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/secret"
	"strings"
	"time"

	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Problems with stable codes.
var (
	ErrChallengeGone = problem.New(401, "identity.eds.challenge_expired", "The login challenge has expired or was used; start again")
	ErrMalformed     = problem.New(400, "identity.eds.malformed", "The signature is not a CMS in base64 or PEM")
	ErrInvalid       = problem.New(401, "identity.eds.invalid", "The signature, its certificate chain or its revocation check failed")
	ErrWrongContent  = problem.New(401, "identity.eds.wrong_challenge", "What was signed is not the challenge issued to this browser")
	ErrNotAuthKey    = problem.New(401, "identity.eds.not_auth_key", "This key may not be used to authenticate")
	ErrNoIIN         = problem.New(401, "identity.eds.iin_invalid", "The certificate does not name a person by a valid IIN")
)

// Config configures the service.
type Config struct {
	DB         *store.DB
	Identity   *identity.Service
	Validator  *pki.Validator
	Revocation []pki.RevocationMethod
	Now        func() time.Time
	Lifetime   time.Duration // of a challenge; 5 min
	Origin     string        // names the site in the challenge text, e.g. the host
}

// Service issues and checks EDS login challenges.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Identity == nil || cfg.Validator == nil {
		return nil, errors.New("edslogin: DB, Identity and Validator are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 5 * time.Minute
	}
	if cfg.Origin == "" {
		cfg.Origin = "senim"
	}
	return &Service{cfg: cfg}, nil
}

// Challenge is a login challenge.
type Challenge struct {
	Token     string // for the browser's cookie
	Text      string // what the citizen signs, byte for byte
	ExpiresAt time.Time
}

// NewChallenge makes a one-time challenge.
func (s *Service) NewChallenge(ctx context.Context) (*Challenge, error) {
	now := s.cfg.Now()
	token := secret.Token()
	c := &Challenge{
		Token:     token,
		Text:      fmt.Sprintf("Senim login %s %s %s", s.cfg.Origin, now.UTC().Format(time.RFC3339), hex.EncodeToString(secret.Bytes(16))),
		ExpiresAt: now.Add(s.cfg.Lifetime),
	}
	_, err := s.cfg.DB.ExecContext(ctx, `INSERT INTO eds_challenges (id, challenge, expires_at, created_at) VALUES (?, ?, ?, ?)`,
		secret.Hash(token), c.Text, store.Micros(c.ExpiresAt), store.Micros(now))
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ChallengeText returns the text of a live challenge, for showing it again.
func (s *Service) ChallengeText(ctx context.Context, token string) (string, error) {
	var text string
	var exp int64
	err := s.cfg.DB.QueryRowContext(ctx, `SELECT challenge, expires_at FROM eds_challenges WHERE id = ?`, secret.Hash(token)).Scan(&text, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && exp <= store.Micros(s.cfg.Now())) {
		return "", ErrChallengeGone
	}
	return text, err
}

// Finish checks a signed challenge and opens a session for the citizen the certificate
// names. signed is a CMS (DER, base64 or PEM), attached or detached.
func (s *Service) Finish(ctx context.Context, token string, signed []byte) (string, *identity.Session, error) {
	text, err := s.ChallengeText(ctx, token)
	if err != nil {
		return "", nil, err
	}
	der, err := DecodeCMS(signed)
	if err != nil {
		return "", nil, err
	}
	// Detached signatures are checked against the challenge; attached ones must carry it.
	var detached []byte
	if sd, err := cms.Parse(der); err != nil {
		return "", nil, ErrMalformed.WithCause(err)
	} else if !sd.HasContent {
		detached = []byte(text)
	}
	res, err := cms.Verify(ctx, der, detached, cms.VerifyOptions{Validator: s.cfg.Validator, Revocation: s.cfg.Revocation, Now: s.cfg.Now})
	if err != nil {
		return "", nil, ErrMalformed.WithCause(err)
	}
	if len(res.Signers) != 1 {
		return "", nil, ErrInvalid.WithDetail("exactly one signer is expected")
	}
	signer := res.Signers[0]
	if !res.Valid || !signer.Valid {
		return "", nil, ErrInvalid.WithDetail(strings.Join(signer.Codes(), ", "))
	}
	if !bytes.Equal(res.Content, []byte(text)) {
		return "", nil, ErrWrongContent
	}
	info := signer.CertInfo
	if info == nil || !info.CanAuth {
		return "", nil, ErrNotAuthKey
	}
	iin := info.Subject.IIN
	if !kzid.ValidIIN(iin) {
		return "", nil, ErrNoIIN
	}
	// Spend the challenge only now, so a failed attempt can be retried within its life.
	r, err := s.cfg.DB.ExecContext(ctx, `DELETE FROM eds_challenges WHERE id = ?`, secret.Hash(token))
	if err != nil {
		return "", nil, err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return "", nil, ErrChallengeGone
	}
	c, err := s.cfg.Identity.CitizenByIIN(ctx, iin)
	if errors.Is(err, identity.ErrNotFound) {
		// The national PKI vouches for this person: make them a cabinet record.
		name := strings.TrimSpace(info.Subject.CommonName)
		if name == "" {
			name = iin
		}
		c, _, err = s.cfg.Identity.EnsureCitizen(ctx, identity.Citizen{IIN: iin, Name: name, Lang: "kk"}, "")
	}
	if err != nil {
		return "", nil, err
	}
	// An employee's certificate also names their organization (OU=BIN…): the session
	// records it, and only that organization's rights come with it.
	orgBIN := ""
	if kzid.ValidBIN(info.Subject.BIN) {
		orgBIN = info.Subject.BIN
	}
	return s.cfg.Identity.OpenOrgSession(ctx, c.ID, identity.MethodEDS, orgBIN)
}

// Prune deletes expired challenges.
func (s *Service) Prune(ctx context.Context) error {
	_, err := s.cfg.DB.ExecContext(ctx, `DELETE FROM eds_challenges WHERE expires_at < ?`, store.Micros(s.cfg.Now()))
	return err
}

// DecodeCMS reads a CMS pasted into a form: PEM, DER, or base64 in any of its
// alphabets, with line breaks.
func DecodeCMS(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, ErrMalformed.WithDetail("empty")
	}
	if p, _ := pem.Decode(b); p != nil {
		return p.Bytes, nil
	}
	if b[0] == 0x30 {
		return b, nil
	}
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if der, err := enc.DecodeString(s); err == nil {
			return der, nil
		}
	}
	return nil, ErrMalformed
}

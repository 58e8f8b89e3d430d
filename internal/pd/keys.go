package pd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/actor"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/jwskey"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/verifier"
)

// Security tokens are ES256 JWS signed with Senim's own key. Keys live in the database
// (pd_signing_keys, PKCS#8), so every node of a PostgreSQL deployment signs with the
// same key and publishes the same set. A key's created_at is the moment it comes into
// force: the active key is the newest one in force and not retired.
//
// Scheduled rotation publishes before it signs: when the active key is older than
// Config.KeyRotation, Run (on any node) adds a new key in force only
// Config.KeyPublishAhead later. Until then every node publishes it at
// /.well-known/jwks.json beside the active one — nodes re-read the keys every minute,
// so by the time any node signs with it, every node's set has it, and a data owner who
// meets its kid and refetches the set finds it whichever node answers. When the new
// key comes into force the old one is retired (by whichever node loads first) and
// stays published until Config.MaxTokenLifetime after that, so every token it signed
// can still be verified. RotateKey — the emergency, for a key that must stop signing
// at once — retires the active key and brings the new one into force immediately.
//
// The private key in the database is as sensitive as the database itself. An HSM
// behind a signer interface is the production answer (not done yet).

type signingKey struct {
	kid     string
	priv    *ecdsa.PrivateKey
	created time.Time
	retired time.Time
	header  string // base64url of the protected header
}

type keyRing struct {
	s      *Service
	mu     sync.RWMutex
	active *signingKey
	all    []*signingKey
	jwks   []byte
	loaded time.Time
}

// JWK is a public JSON Web Key of Senim (RFC 7517).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func jwkOf(pub *ecdsa.PublicKey) JWK {
	b, _ := pub.Bytes() // uncompressed point 0x04 || X || Y
	enc := base64.RawURLEncoding
	return JWK{Kty: "EC", Crv: "P-256", X: enc.EncodeToString(b[1:33]), Y: enc.EncodeToString(b[33:65]), Use: "sig", Alg: "ES256",
		Kid: jwskey.Thumbprint(pub)}
}

func (k *keyRing) load(ctx context.Context, create bool) error {
	now := k.s.now()
	rows, err := k.s.db.QueryContext(ctx, `SELECT kid, private, created_at, retired_at FROM pd_signing_keys WHERE retired_at = 0 OR publish_until > ? ORDER BY created_at DESC, kid`, store.Micros(now))
	if err != nil {
		return err
	}
	var all []*signingKey
	var active *signingKey
	var superseded []string // keys older than the active one, not yet retired
	for rows.Next() {
		var sk signingKey
		var der []byte
		var c, r int64
		if err := rows.Scan(&sk.kid, &der, &c, &r); err != nil {
			rows.Close()
			return err
		}
		p, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			rows.Close()
			return fmt.Errorf("pd: signing key %s: %w", sk.kid, err)
		}
		ec, ok := p.(*ecdsa.PrivateKey)
		if !ok || ec.Curve != elliptic.P256() {
			rows.Close()
			return fmt.Errorf("pd: signing key %s is not P-256", sk.kid)
		}
		sk.priv, sk.created = ec, store.FromMicros(c)
		if r != 0 {
			sk.retired = store.FromMicros(r)
		}
		sk.header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"` + sk.kid + `","typ":"` + verifier.TokenType + `"}`))
		all = append(all, &sk)
		switch {
		case r != 0 || sk.created.After(now): // retired, or published ahead of coming into force
		case active == nil:
			active = &sk
		default:
			superseded = append(superseded, sk.kid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if active != nil {
		// A key published ahead came into force: the ones before it retire from that
		// moment (every node computes the same times; the first to load writes them).
		for _, kid := range superseded {
			if _, err := k.s.db.ExecContext(ctx, `UPDATE pd_signing_keys SET retired_at = ?, publish_until = ? WHERE kid = ? AND retired_at = 0`,
				store.Micros(active.created), store.Micros(active.created.Add(k.s.cfg.MaxTokenLifetime+time.Hour)), kid); err != nil {
				return err
			}
		}
	}
	if active == nil {
		if !create {
			return errors.New("pd: no active signing key")
		}
		if err := k.rotate(ctx, actor.System.String(), 0); err != nil {
			return err
		}
		return k.load(ctx, false)
	}
	set := struct {
		Keys []JWK `json:"keys"`
	}{Keys: []JWK{}}
	for _, sk := range all {
		set.Keys = append(set.Keys, jwkOf(&sk.priv.PublicKey))
	}
	jwks, _ := json.Marshal(set)
	k.mu.Lock()
	k.active, k.all, k.jwks, k.loaded = active, all, jwks, now
	k.mu.Unlock()
	return nil
}

// rotate makes a new key in force ahead from now, in one transaction with its event.
// With ahead 0 it retires the keys in force at once (the emergency, and the first key
// of a new database); otherwise they retire when the new key comes into force (load).
func (k *keyRing) rotate(ctx context.Context, actor string, ahead time.Duration) error {
	_, err := k.rotateWithdrawing(ctx, actor, ahead, false)
	return err
}

// rotateWithdrawing is rotate; with withdraw (a key that leaked, ahead 0) the keys it
// retires also leave the published set at once, in the same transaction, each with its
// pd.key.withdrawn event. It returns the kids withdrawn.
func (k *keyRing) rotateWithdrawing(ctx context.Context, actor string, ahead time.Duration, withdraw bool) ([]string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	jwk := jwkOf(&priv.PublicKey)
	now := k.s.now()
	var withdrawn []string
	err = k.s.db.Tx(ctx, func(tx *store.Tx) error {
		withdrawn = withdrawn[:0]
		if ahead == 0 {
			until := now.Add(k.s.cfg.MaxTokenLifetime + time.Hour)
			if withdraw {
				var err error
				if withdrawn, err = keysInForce(ctx, tx, now); err != nil {
					return err
				}
				until = now
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pd_signing_keys SET retired_at = ?, publish_until = ? WHERE retired_at = 0`,
				store.Micros(now), store.Micros(until)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pd_signing_keys (kid, alg, private, created_at) VALUES (?, 'ES256', ?, ?)`, jwk.Kid, der, store.Micros(now.Add(ahead))); err != nil {
			return err
		}
		evs := []store.Event{{Type: EvKeyRotated, Actor: actor, Payload: []byte(marshal(jwk))}}
		for _, kid := range withdrawn {
			evs = append(evs, store.Event{Type: EvKeyWithdrawn, Actor: actor, Payload: []byte(marshal(map[string]string{"kid": kid}))})
		}
		return tx.EmitAll(ctx, evs)
	})
	return withdrawn, err
}

// keysInForce are the kids of the keys that sign now (not retired, in force).
func keysInForce(ctx context.Context, tx *store.Tx, now time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT kid FROM pd_signing_keys WHERE retired_at = 0 AND created_at <= ? ORDER BY kid`, store.Micros(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var kids []string
	for rows.Next() {
		var kid string
		if err := rows.Scan(&kid); err != nil {
			return nil, err
		}
		kids = append(kids, kid)
	}
	return kids, rows.Err()
}

// RotateKey retires the current signing key and starts signing with a new one at once:
// the emergency. For a few seconds after it, until every node has re-read the keys, a
// data owner may meet the new kid before the node it asks publishes it (scheduled
// rotation publishes ahead and has no such window).
func (s *Service) RotateKey(ctx context.Context, actor string) error {
	if err := s.keys.rotate(ctx, actor, 0); err != nil {
		return err
	}
	return s.keys.load(ctx, false)
}

// RotateCompromisedKey is RotateKey for a key that leaked: the keys that signed until
// now also leave the published set at once (RotateCompromisedTokenKey).
func (s *Service) RotateCompromisedKey(ctx context.Context, actor string) ([]string, error) {
	return s.RotateCompromisedTokenKey(ctx, actor)
}

func (k *keyRing) rotateIfDue(ctx context.Context) error {
	if err := k.load(ctx, false); err != nil {
		return err
	}
	k.mu.RLock()
	// Due when the active key is old enough and no successor is published yet (the
	// newest key is the active one).
	due := k.active != nil && len(k.all) > 0 && k.all[0] == k.active && k.s.now().Sub(k.active.created) >= k.s.cfg.KeyRotation
	k.mu.RUnlock()
	if due {
		if err := k.rotate(ctx, actor.System.String(), k.s.cfg.KeyPublishAhead); err != nil {
			return err
		}
	}
	return k.load(ctx, false)
}

func (k *keyRing) current(ctx context.Context) *signingKey {
	k.mu.RLock()
	a, stale := k.active, k.s.now().Sub(k.loaded) > time.Minute
	k.mu.RUnlock()
	if stale {
		if err := k.load(ctx, false); err != nil {
			k.s.log.ErrorContext(ctx, "reloading signing keys", "err", err)
		} else {
			k.mu.RLock()
			a = k.active
			k.mu.RUnlock()
		}
	}
	return a
}

// sign makes a security token of claims with the active key.
func (k *keyRing) sign(ctx context.Context, c *verifier.Claims) (string, error) {
	sk := k.current(ctx)
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return sk.signJWS(sk.header, payload)
}

// signJWS makes a compact ES256 JWS of payload under the base64url header.
func (sk *signingKey) signJWS(header string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(header)+1+enc.EncodedLen(len(payload))+1+86)
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sum := sha256.Sum256(buf)
	r, s, err := ecdsa.Sign(rand.Reader, sk.priv, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig[:])
	return string(buf), nil
}

// SignJWS signs payload as a compact ES256 JWS with Senim's active security-token key,
// under a header {"alg":"ES256","kid":...,"typ":typ}. typ must differ from the security
// token's (verifier.TokenType), so that nothing else Senim signs — a read receipt of
// internal/notify — can pass for a security token. Anyone checks it with the JWKS.
func (s *Service) SignJWS(ctx context.Context, typ string, payload []byte) (string, error) {
	if typ == "" || typ == verifier.TokenType || strings.ContainsAny(typ, "\"\\\x00\n") {
		return "", fmt.Errorf("pd: SignJWS: typ %q is not allowed", typ)
	}
	sk := s.keys.current(ctx)
	if sk == nil {
		return "", errors.New("pd: no active signing key")
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"` + sk.kid + `","typ":"` + typ + `"}`))
	return sk.signJWS(header, payload)
}

// JWKS returns the published key set (application/jwk-set+json).
func (s *Service) JWKS(ctx context.Context) []byte {
	s.keys.current(ctx)
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	return s.keys.jwks
}

func (s *Service) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.JWKS(r.Context()))
}

// KeySource returns Senim's public keys in-process, for a verifier running in the same
// process (the sandbox population register); it follows rotations.
func (s *Service) KeySource() verifier.KeySource { return localKeys{s} }

type localKeys struct{ s *Service }

func (k localKeys) Key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	k.s.keys.current(ctx)
	k.s.keys.mu.RLock()
	defer k.s.keys.mu.RUnlock()
	for _, sk := range k.s.keys.all {
		if sk.kid == kid {
			return &sk.priv.PublicKey, nil
		}
	}
	return nil, verifier.ErrUnknownKey
}

// PublicJWK returns the public JWK (RFC 7517) of the signing key kid, whether it is
// active, published ahead, retired or retired so long ago that the JWK set no longer
// lists it: keys are never deleted from pd_signing_keys. Evidence meant to be kept for
// years (read receipts, confirmation evidence) carries it, so that it stays verifiable
// after its key has left /.well-known/jwks.json; its kid is the key's RFC 7638
// thumbprint, so the JWK cannot be swapped for another. It is not a statement that the
// key is still trusted: a verifier that meets a key no longer in the set must prove
// Senim's issuance from the audit log (docs/notify.md). verifier.ErrUnknownKey when
// Senim never had the key.
func (s *Service) PublicJWK(ctx context.Context, kid string) ([]byte, error) {
	var der []byte
	err := s.db.QueryRowContext(ctx, `SELECT private FROM pd_signing_keys WHERE kid = ?`, kid).Scan(&der)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, verifier.ErrUnknownKey
	}
	if err != nil {
		return nil, err
	}
	p, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("pd: signing key %s: %w", kid, err)
	}
	ec, ok := p.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("pd: signing key %s is not P-256", kid)
	}
	return json.Marshal(jwkOf(&ec.PublicKey))
}

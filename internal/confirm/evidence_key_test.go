package confirm

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/store/storetest"
)

// tpKey is a signing key whose kid is its RFC 7638 thumbprint, as pd's.
type tpKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newTPKey(t *testing.T) *tpKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &tpKey{priv: priv}
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + k.xy()[0] + `","y":"` + k.xy()[1] + `"}`))
	k.kid = base64.RawURLEncoding.EncodeToString(sum[:])
	return k
}

func (k *tpKey) xy() [2]string {
	b, _ := k.priv.PublicKey.Bytes()
	return [2]string{base64.RawURLEncoding.EncodeToString(b[1:33]), base64.RawURLEncoding.EncodeToString(b[33:])}
}

func (k *tpKey) jwk() []byte {
	j, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "kid": k.kid, "alg": "ES256", "use": "sig", "x": k.xy()[0], "y": k.xy()[1]})
	return j
}

func (k *tpKey) SignJWS(_ context.Context, typ string, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"ES256","kid":"`+k.kid+`","typ":"`+typ+`"}`)) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + enc.EncodeToString(sig[:]), nil
}

// ring is pd's key ring reduced to what evidence needs: the active key signs, every
// key ever used has a public JWK; the JWK set a verifier fetches is the test's.
type ring struct {
	active *tpKey
	all    []*tpKey
}

func (r *ring) SignJWS(ctx context.Context, typ string, payload []byte) (string, error) {
	return r.active.SignJWS(ctx, typ, payload)
}

func (r *ring) PublicJWK(_ context.Context, kid string) ([]byte, error) {
	for _, k := range r.all {
		if k.kid == kid {
			return k.jwk(), nil
		}
	}
	return nil, errors.New("no such key")
}

func (r *ring) rotate(t *testing.T) *tpKey {
	old := r.active
	r.active = newTPKey(t)
	r.all = append(r.all, r.active)
	return old
}

func jwksOf(keys ...*tpKey) []byte {
	var s []string
	for _, k := range keys {
		s = append(s, string(k.jwk()))
	}
	return []byte(`{"keys":[` + strings.Join(s, ",") + `]}`)
}

// rule DC-5: push-confirmation evidence stays verifiable for as long as it is kept,
// not only while its key is in /.well-known/jwks.json (a year after the key's
// retirement). After the key was rotated out and left the set, the genuine package
// verifies under the key it carries, which the always-required log proof binds to
// this very JWS; against the JWK set alone it was INVALID (the defect). A byte of the
// JWS changed, no key, another key, another answer's proof, another log's key, and
// evidence minted with the key after it leaked (an emergency rotation) are refused.
func TestEvidenceOutlivesItsKey(t *testing.T) {
	db := storetest.Open(t)
	skey, vkey, _ := note.GenerateKey(rand.Reader, "senim.test/log")
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	lg, err := auditlog.New(t.Context(), auditlog.Config{DB: db, Signer: signer, Verifier: verifier, Origin: "senim.test/log"})
	if err != nil {
		t.Fatal(err)
	}
	first := newTPKey(t)
	keys := &ring{active: first, all: []*tpKey{first}}
	v, _ := pki.New(pki.Config{})
	now := t0
	cs := citizens{}
	s, err := New(Config{DB: db, Citizens: cs, Signer: keys, Log: lg, Validator: v, Issuer: "https://senim.test", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	answer := func() []byte {
		t.Helper()
		c, err := s.Create(ctx, bank, consent(iinAlice, now.Add(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		a := Answerer{Subject: cs[iinAlice], IIN: iinAlice, Method: "password+sms", Session: "0123456789abcdef0123"}
		got, err := s.Respond(ctx, a, c.ID, Answer{Decision: Confirm, Lang: "ru", TextSHA256: Hash("Согласна.")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lg.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		b, err := s.Evidence(ctx, got)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	genuine, other := answer(), answer()
	leaked := keys.rotate(t) // an emergency: the key leaked
	now = now.Add(10 * 365 * 24 * time.Hour)
	jwks := jwksOf(keys.active) // the retired key has long left the set

	var pkg Evidence
	json.Unmarshal(genuine, &pkg)
	if _, err := notify.VerifyJWS(pkg.JWS, EvidenceType, jwks); !errors.Is(err, notify.ErrKeyNotInSet) {
		t.Fatalf("against the JWK set alone: %v", err)
	}
	got, err := VerifyEvidence(genuine, jwks, verifier)
	if err != nil || !got.FromBundleKey || got.Text != "Согласна." {
		t.Fatalf("the genuine evidence ten years on: %+v, %v", got, err)
	}
	if got, err := VerifyEvidence(genuine, jwksOf(leaked, keys.active), verifier); err != nil || got.FromBundleKey {
		t.Errorf("while its key is published: %+v, %v", got, err)
	}

	var otherPkg Evidence
	json.Unmarshal(other, &otherPkg)
	claims := got.Claims
	claims.ID, claims.Decision = "e_"+strings.Repeat("F", 22), Decline
	cb, _ := json.Marshal(claims)
	minted, _ := leaked.SignJWS(ctx, EvidenceType, cb)
	attacker := newTPKey(t)
	byAttacker, _ := attacker.SignJWS(ctx, EvidenceType, cb)
	_, otherVKey, _ := note.GenerateKey(rand.Reader, "senim.test/log")
	otherLog, _ := note.NewVerifier(otherVKey)
	for _, tc := range []struct {
		name   string
		change func(*Evidence)
		logKey note.Verifier
	}{
		{"one byte of the JWS", func(e *Evidence) {
			i := strings.Index(e.JWS, ".") + 7
			e.JWS = e.JWS[:i] + map[bool]string{true: "A", false: "B"}[e.JWS[i] != 'A'] + e.JWS[i+1:]
		}, verifier},
		{"no key", func(e *Evidence) { e.Key = nil }, verifier},
		{"another key", func(e *Evidence) { e.Key = attacker.jwk() }, verifier},
		{"another answer's proof", func(e *Evidence) { e.Log = otherPkg.Log }, verifier},
		{"a proof under another log's key", func(*Evidence) {}, otherLog},
		{"signed by a key neither published nor logged", func(e *Evidence) { e.JWS, e.Key = byAttacker, attacker.jwk() }, verifier},
		{"minted with the leaked key", func(e *Evidence) { e.JWS = minted }, verifier},
	} {
		bad := pkg
		tc.change(&bad)
		b, _ := json.Marshal(bad)
		if _, err := VerifyEvidence(b, jwks, tc.logKey); !errors.Is(err, ErrEvidenceInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
		// Minted while the leaked key is still published: the log still refuses it.
		if _, err := VerifyEvidence(b, jwksOf(leaked, keys.active), tc.logKey); !errors.Is(err, ErrEvidenceInvalid) && tc.name != "no key" && tc.name != "another key" {
			t.Errorf("%s, the key still published: %v", tc.name, err)
		}
	}
}

package pd

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"

	"github.com/senimkz/senim/internal/eds/jws"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

// rule PD-6.1.10 rule PD-6.2.4 rule PD-6.3.8: the data owner verifies Senim's tokens
// offline with the published keys, across a key rotation.
func TestSecurityTokenWithVerifier(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	bank := orgOf(t, binBank, ca.P256)
	f.consent(binBank)
	old, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RotateKey(t.Context(), actorAdmin); err != nil {
		t.Fatal(err)
	}
	fresh, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	v, err := verifier.New(verifier.Config{Keys: verifier.StaticKeys(keys), Issuer: "https://senim.test", Audience: binRegister, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	req := verifier.Request{Subject: iinAdult, DataSets: []string{"identity"}, ClientCert: bank.chain[0]}
	for _, tok := range []string{old.SecurityToken, fresh.SecurityToken} {
		if _, err := v.Verify(t.Context(), tok, req); err != nil {
			t.Fatal(err)
		}
	}
	// Another organization's certificate cannot use the token.
	other := orgOf(t, binOther, ca.P256)
	if _, err := v.Verify(t.Context(), fresh.SecurityToken, verifier.Request{Subject: iinAdult, DataSets: []string{"identity"}, ClientCert: other.chain[0]}); err == nil {
		t.Error("token usable from another certificate")
	}
	// A retired key is published until MaxTokenLifetime after its retirement.
	f.now = f.now.Add(366 * 24 * time.Hour)
	if err := f.svc.keys.load(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if keys, _ := verifier.ParseJWKS(f.svc.JWKS(t.Context())); len(keys) != 1 {
		t.Errorf("%d keys published after the retired one's tokens expired", len(keys))
	}
}

// The fast path's alg table says what package jws's does.
func TestJWSAlgs(t *testing.T) {
	for name, a := range jwsAlgs {
		if got, ok := jws.AlgFor(a.oid); !ok || (got != name && !(name == "GOST34310-2004")) {
			t.Errorf("%s: jws says %q", name, got)
		}
	}
}

// A token whose header was seen before takes the fast path: a forged signature and a
// swapped payload are still refused.
func TestFastPathRefusesForgery(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	for _, alg := range []ca.Algorithm{ca.P256, ca.GOST2015} {
		police := orgOf(t, binPolice, alg)
		if _, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil)); err != nil {
			t.Fatal(err)
		}
		a := strings.Split(f.protoVT(police, nil), ".")
		b := strings.Split(f.protoVT(police, func(c *VerificationClaims) { c.Subject = iinOther }), ".")
		_, err := f.svc.Protocol(t.Context(), police.caller, a[0]+"."+b[1]+"."+a[2])
		wantCode(t, err, "pd.verification_token.signature_invalid", "PD-6.2.2")
		if f.svc.headers.get(a[0]) == nil {
			t.Error("header not cached")
		}
		if _, err := f.svc.Protocol(t.Context(), police.caller, strings.Join(b, ".")); err != nil {
			t.Fatal(err)
		}
	}
}

// rule PD-2.b: biometric data is personal data like any other: a data owner's
// biometric data set is reached only with a token whose scope names it.
func TestBiometricDataSet(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	if _, err := f.svc.PutDataOwner(t.Context(), actorAdmin, DataOwner{BIN: binRegister, Name: "Population register",
		DataSets: []DataSet{{Code: "identity", Title: "Identity card"}, {Code: "biometric_photo", Title: "Facial image (biometric)"}}}); err != nil {
		t.Fatal(err)
	}
	police := orgOf(t, binPolice, ca.P256)
	tr, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
	v, _ := verifier.New(verifier.Config{Keys: verifier.StaticKeys(keys), Issuer: "https://senim.test", Audience: binRegister, Now: f.clock})
	_, err = v.Verify(t.Context(), tr.SecurityToken, verifier.Request{Subject: iinAdult, DataSets: []string{"biometric_photo"}, ClientCert: police.chain[0]})
	if !errors.Is(err, verifier.ErrScope) {
		t.Fatalf("biometric data without scope: %v", err)
	}
	tr, err = f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, func(c *VerificationClaims) { c.Scope = []string{"biometric_photo"} }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tr.SecurityToken, verifier.Request{Subject: iinAdult, DataSets: []string{"biometric_photo"}, ClientCert: police.chain[0]}); err != nil {
		t.Fatal(err)
	}
}

// SignJWS lends the security-token key to other documents Senim signs (read receipts),
// under their own typ: such a document verifies with the JWKS but never passes for a
// security token, and the security token's typ is refused.
func TestSignJWSOtherTyp(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	payload := []byte(`{"sub":"` + iinAdult + `","aud":"` + binRegister + `","scope":["identity"]}`)
	if _, err := f.svc.SignJWS(t.Context(), verifier.TokenType, payload); err == nil {
		t.Fatal("SignJWS signed with the security token's typ")
	}
	if _, err := f.svc.SignJWS(t.Context(), `a"b`, payload); err == nil {
		t.Fatal("SignJWS accepted a typ that breaks the header")
	}
	tok, err := f.svc.SignJWS(t.Context(), "senim-test+jwt", payload)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	ok := false
	for _, k := range keys {
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if len(sig) == 64 && ecdsa.Verify(k, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			ok = true
		}
	}
	if !ok {
		t.Error("the JWS does not verify with the published keys")
	}
	v, err := verifier.New(verifier.Config{Keys: verifier.StaticKeys(keys), Issuer: "https://senim.test", Audience: binRegister, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tok, verifier.Request{Subject: iinAdult, DataSets: []string{"identity"}}); err == nil {
		t.Error("a JWS of another typ passed for a security token")
	}
}

// rule PD-6.2.4: a key that leaked stops being trusted at once. A plain emergency
// rotation keeps the old key published for its tokens' lifetime (they still verify);
// with the key compromised (RotateCompromisedKey) it leaves the set at once and the
// data owner's verifier refuses the tokens it signed, while the new key's verify. A key
// retired earlier can be withdrawn by its kid; a key in force, or one Senim never had,
// cannot.
func TestCompromisedKeyLeavesTheSet(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	bank := orgOf(t, binBank, ca.P256)
	f.consent(binBank)
	issue := func() string {
		t.Helper()
		r, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
		if err != nil {
			t.Fatal(err)
		}
		return r.SecurityToken
	}
	verify := func(tok string) error {
		keys, err := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		v, err := verifier.New(verifier.Config{Keys: verifier.StaticKeys(keys), Issuer: "https://senim.test", Audience: binRegister, Now: f.clock})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), tok, verifier.Request{Subject: iinAdult, DataSets: []string{"identity"}, ClientCert: bank.chain[0]})
		return err
	}
	first := issue()
	if err := f.svc.RotateKey(t.Context(), actorAdmin); err != nil {
		t.Fatal(err)
	}
	if err := verify(first); err != nil {
		t.Fatalf("a plain rotation: the old key's token %v", err)
	}
	second := issue()
	withdrawn, err := f.svc.RotateCompromisedKey(t.Context(), actorAdmin)
	if err != nil || len(withdrawn) != 1 {
		t.Fatalf("withdrawn %v, %v", withdrawn, err)
	}
	if err := verify(second); err == nil {
		t.Error("a token of the compromised key still verifies")
	}
	if err := verify(first); err != nil {
		t.Errorf("the key retired before, not compromised: %v", err)
	}
	third := issue()
	if err := verify(third); err != nil {
		t.Errorf("the new key's token: %v", err)
	}
	// The key retired by the first rotation, withdrawn by its kid.
	kid := func(tok string) string {
		var h struct{ Kid string }
		b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		json.Unmarshal(b, &h)
		return h.Kid
	}
	if err := f.svc.WithdrawTokenKey(t.Context(), actorAdmin, kid(first)); err != nil {
		t.Fatal(err)
	}
	if err := verify(first); err == nil {
		t.Error("a withdrawn key's token still verifies")
	}
	if err := f.svc.WithdrawTokenKey(t.Context(), actorAdmin, kid(third)); !errors.Is(err, ErrKeyInUse) {
		t.Errorf("withdrawing the key in force: %v", err)
	}
	if err := f.svc.WithdrawTokenKey(t.Context(), actorAdmin, "no-such-kid"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("withdrawing an unknown key: %v", err)
	}
	if err := verify(issue()); err != nil {
		t.Errorf("after the refused withdrawals: %v", err)
	}
	var n int
	f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox_events WHERE type = ?`, EvKeyWithdrawn).Scan(&n)
	if n != 2 {
		t.Errorf("%d withdrawal events, want 2", n)
	}
}

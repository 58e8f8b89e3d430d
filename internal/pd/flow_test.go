package pd

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

func (f *fixture) consent(initiator string, sets ...string) *Consent {
	f.t.Helper()
	if len(sets) == 0 {
		sets = []string{"identity", "address"}
	}
	c, err := f.svc.RecordConsent(context.Background(), initiator, ConsentRequest{SubjectIIN: iinAdult, Owner: binRegister, DataSets: sets,
		Purpose: "loan application", ValidUntil: f.now.Add(90 * 24 * time.Hour), Method: "biometric", Reference: "bio-check-1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func decodeST(t testing.TB, tok string) verifier.Claims {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c verifier.Claims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// rule PD-6.1.1 rule PD-6.1.2 rule PD-6.1.9: a proactive request with every check
// passing gets a security token for the service period, bound to subject, owner,
// data sets and the initiator's certificate.
func TestProactiveIssues(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bank := orgOf(t, binBank, ca.GOST2015)
		cons := f.consent(binBank)
		before := countEvents(t, db, "pd.token.issued")
		tr, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
		if err != nil {
			t.Fatal(err)
		}
		c := decodeST(t, tr.SecurityToken)
		if c.Audience != binRegister || c.Subject != iinAdult || c.Initiator != binBank || c.Mode != "proactive" || c.ConsentID != cons.ID ||
			c.Code != "LOAN-KYC" || c.Confirmation == nil || c.Confirmation.X5TS256 != bank.caller.Thumbprint || c.Event != tr.EventID {
			t.Errorf("claims = %+v", c)
		}
		if got, want := time.Unix(c.Expiry, 0).Sub(f.now), 30*24*time.Hour; got != want {
			t.Errorf("lifetime %v, want the service period %v", got, want)
		}
		if countEvents(t, db, "pd.token.issued") != before+1 {
			t.Error("no pd.token.issued event")
		}
		// Invariant 5: the event names the subject by reference, never by IIN.
		var subj, payload string
		db.QueryRowContext(t.Context(), `SELECT subject, payload FROM outbox_events WHERE id = ?`, tr.EventID).Scan(&subj, &payload)
		if !strings.HasPrefix(subj, "citizen:") || strings.Contains(payload, iinAdult) {
			t.Errorf("event subject %q payload %s", subj, payload)
		}
	})
}

// Every check of flow 1 refused with its own code and rule, and nothing changed.
func TestProactiveChecks(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	bank := orgOf(t, binBank, ca.GOST2015)
	bankP256 := orgOf(t, binBank, ca.P256)
	other := orgOf(t, binOther, ca.P256)
	f.consent(binBank)
	foreign := orgOf(t, binPolice, ca.P256)
	cases := []struct {
		name       string
		caller     *org
		token      func() string
		code, rule string
	}{
		// rule PD-6.1.3
		{"missing", bank, func() string { return "" }, "pd.verification_token.missing", "PD-6.1.3"},
		{"garbage", bank, func() string { return "not.a.token" }, "pd.verification_token.malformed", "PD-6.1.3"},
		{"not base64", bank, func() string { return "%%%" }, "pd.verification_token.malformed", "PD-6.1.3"},
		{"wrong typ", bank, func() string {
			b, _ := json.Marshal(map[string]any{"iss": binBank})
			tok, _ := jwsSign(bank, "JWT", b)
			return tok
		}, "pd.verification_token.malformed", "PD-6.1.3"},
		// rule PD-6.1.4
		{"forged signature", bank, func() string {
			tok := f.vt(bank, nil)
			i := strings.LastIndexByte(tok, '.')
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
			sig[5] ^= 1
			return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
		}, "pd.verification_token.signature_invalid", "PD-6.1.4"},
		{"payload swapped", bank, func() string {
			a := strings.Split(f.vt(bank, nil), ".")
			b := strings.Split(f.vt(bank, func(c *VerificationClaims) { c.Subject = iinOther }), ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, "pd.verification_token.signature_invalid", "PD-6.1.4"},
		{"untrusted certificate", bank, func() string { return selfSigned(t, f, binBank) }, "pd.verification_token.certificate_invalid", "PD-6.1.4"},
		{"alg none", bank, func() string {
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"senim-vt+jwt","x5c":[]}`)) + ".e30."
		}, "pd.verification_token.alg_unsupported", "PD-6.1.4"},
		// rule PD-6.1.2
		{"protocol token", bank, func() string { return f.protoVT(bank, nil) }, "pd.verification_token.mode_mismatch", "PD-6.1.2"},
		{"no subject", bank, func() string { return f.vt(bank, func(c *VerificationClaims) { c.Subject = "123" }) }, "pd.verification_token.claims_invalid", "PD-6.1.2"},
		// rule PD-6.1.1
		{"consent not obtained", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.Consent = &ConsentClaim{Obtained: false} })
		}, "pd.consent.not_found", "PD-6.1.1"},
		{"consent by phone call", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.Consent.Method = "call" })
		}, "pd.consent.method_not_allowed", "PD-6.1.1"},
		// rule PD-6.X: never an OTP in flow 1.
		{"consent by SMS OTP", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.Consent.Method = "sms" })
		}, "pd.consent.otp_not_allowed", "PD-6.X"},
		// rule PD-6.1.5
		{"unknown service code", bank, func() string { return f.vt(bank, func(c *VerificationClaims) { c.ServiceCode = "NOPE" }) }, "pd.service_code.unknown", "PD-6.1.5"},
		{"service code of another BIN", other, func() string { return f.vt(other, nil) }, "pd.service_code.bin_mismatch", "PD-6.1.5"},
		{"data set outside the service", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.Scope = []string{"family"} })
		}, "pd.service_code.scope_mismatch", "PD-6.1.5"},
		// rule PD-6.1.6
		{"iss is another BIN", bank, func() string { return f.vt(bank, func(c *VerificationClaims) { c.Issuer = binOther }) }, "pd.verification_token.bin_mismatch", "PD-6.1.6"},
		{"signed by another organization", bank, func() string {
			return f.vt(foreign, func(c *VerificationClaims) { c.Issuer = binBank })
		}, "pd.verification_token.bin_mismatch", "PD-6.1.6"},
		// rule PD-6.1.7
		{"access method not allowed", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.AccessMethods = []string{"api", "bulk_export"} })
		}, "pd.access_method.not_allowed", "PD-6.1.7"},
		{"no access method", bank, func() string { return f.vt(bank, func(c *VerificationClaims) { c.AccessMethods = nil }) }, "pd.access_method.not_allowed", "PD-6.1.7"},
		// rule PD-6.1.8
		{"too old", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.IssuedAt = f.now.Add(-6 * time.Minute).Unix() })
		}, "pd.verification_token.too_old", "PD-6.1.8"},
		{"in the future", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.IssuedAt = f.now.Add(2 * time.Minute).Unix() })
		}, "pd.verification_token.in_future", "PD-6.1.8"},
		// rule PD-6.1.1: no consent recorded for this subject.
		{"no consent of this subject", bankP256, func() string {
			return f.vt(bankP256, func(c *VerificationClaims) { c.Subject = iinOther })
		}, "pd.consent.not_found", "PD-6.1.1"},
		{"consent does not cover the data set", bank, func() string {
			return f.vt(bank, func(c *VerificationClaims) { c.Consent.EvidenceRef = f.consent(binBank, "address").ID })
		}, "pd.consent.scope_not_covered", "PD-3.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token()
			before := countEvents(t, f.db, "pd.token.issued")
			_, err := f.svc.Proactive(t.Context(), tc.caller.caller, tok)
			wantCode(t, err, tc.code, tc.rule)
			if countEvents(t, f.db, "pd.token.issued") != before {
				t.Error("a refused request issued a token")
			}
		})
	}
}

// A verification token is accepted once (its jti).
func TestProactiveReplay(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	bank := orgOf(t, binBank, ca.P256)
	f.consent(binBank)
	tok := f.vt(bank, nil)
	if _, err := f.svc.Proactive(t.Context(), bank.caller, tok); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Proactive(t.Context(), bank.caller, tok)
	wantCode(t, err, "pd.verification_token.replayed", "PD-6.1.8")
}

// rule PD-3.3: revocation takes effect on the next token at once; a refusal refuses.
func TestConsentRevocationImmediate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bank := orgOf(t, binBank, ca.P256)
		c := f.consent(binBank)
		if _, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RevokeConsent(t.Context(), iinAdult, "", c.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
		wantCode(t, err, "pd.consent.revoked", "PD-3.3")
		_, err = f.svc.RevokeConsent(t.Context(), iinAdult, "", c.ID)
		wantCode(t, err, "pd.consent.already_revoked", "PD-3.3")
		// rule PD-3.2: a refusal, newer than any consent, refuses.
		f.consent(binBank)
		if _, err := f.svc.RefuseConsent(t.Context(), ConsentRequest{SubjectIIN: iinAdult, Initiator: binBank, Owner: binRegister,
			DataSets: []string{"identity"}, Purpose: "none", ValidUntil: f.now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Proactive(t.Context(), bank.caller, f.vt(bank, nil))
		wantCode(t, err, "pd.consent.refused", "PD-3.2")
	})
}

// rule PD-6.2.3: protocol mode gives a 15-minute token; rule PD-6.2.4 the subject sees
// the ground in the history.
func TestProtocolIssues(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		police := orgOf(t, binPolice, ca.P256)
		tr, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, nil))
		if err != nil {
			t.Fatal(err)
		}
		c := decodeST(t, tr.SecurityToken)
		if time.Unix(c.Expiry, 0).Sub(f.now) != 15*time.Minute || c.Mode != "protocol" || c.Code != "CPC-199" || c.ConsentID != "" {
			t.Errorf("claims %+v", c)
		}
		h, err := f.svc.AccessHistory(t.Context(), iinAdult)
		if err != nil || len(h) != 1 || h[0].GroundTitles == nil || h[0].GroundTitles.EN != "CPC art. 199" {
			t.Fatalf("history %+v %v", h, err)
		}
	})
}

// Every check of flow 2.
func TestProtocolChecks(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	police := orgOf(t, binPolice, ca.P256)
	bank := orgOf(t, binBank, ca.P256)
	cases := []struct {
		name       string
		caller     *org
		token      func() string
		code, rule string
	}{
		// rule PD-6.2.2
		{"missing", police, func() string { return " " }, "pd.verification_token.missing", "PD-6.2.2"},
		{"garbage", police, func() string { return "a.b.c" }, "pd.verification_token.malformed", "PD-6.2.2"},
		{"forged", police, func() string {
			a := strings.Split(f.protoVT(police, nil), ".")
			b := strings.Split(f.protoVT(police, func(c *VerificationClaims) { c.Scope = []string{"family"} }), ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, "pd.verification_token.signature_invalid", "PD-6.2.2"},
		{"bank without protocol permission", bank, func() string { return f.protoVT(bank, nil) }, "pd.protocol.not_permitted", "PD-6.2.2"},
		{"iss of another BIN", police, func() string { return f.protoVT(police, func(c *VerificationClaims) { c.Issuer = binBank }) }, "pd.verification_token.bin_mismatch", "PD-6.2.2"},
		{"too old", police, func() string {
			return f.protoVT(police, func(c *VerificationClaims) { c.IssuedAt = f.now.Add(-time.Hour).Unix() })
		}, "pd.verification_token.too_old", "PD-6.2.2"},
		{"in future", police, func() string {
			return f.protoVT(police, func(c *VerificationClaims) { c.IssuedAt = f.now.Add(time.Hour).Unix() })
		}, "pd.verification_token.in_future", "PD-6.2.2"},
		// rule PD-6.2.1
		{"marked consent obtained", police, func() string {
			return f.protoVT(police, func(c *VerificationClaims) { c.Consent = &ConsentClaim{Obtained: true, Method: "eds"} })
		}, "pd.verification_token.consent_marker", "PD-6.2.1"},
		{"no marker", police, func() string { return f.protoVT(police, func(c *VerificationClaims) { c.Consent = nil }) }, "pd.verification_token.consent_marker", "PD-6.2.1"},
		{"no ground", police, func() string { return f.protoVT(police, func(c *VerificationClaims) { c.GroundCode = "" }) }, "pd.ground.missing", "PD-6.2.1"},
		{"unknown ground", police, func() string { return f.protoVT(police, func(c *VerificationClaims) { c.GroundCode = "X" }) }, "pd.ground.unknown", "PD-6.2.1"},
		{"proactive token", police, func() string { return f.vt(police, nil) }, "pd.verification_token.mode_mismatch", "PD-6.2.1"},
		// rule PD-6.X: never an OTP in flow 2.
		{"OTP method", police, func() string {
			return f.protoVT(police, func(c *VerificationClaims) { c.Consent = &ConsentClaim{Method: "otp"} })
		}, "pd.consent.otp_not_allowed", "PD-6.X"},
		{"unknown data set", police, func() string { return f.protoVT(police, func(c *VerificationClaims) { c.Scope = []string{"medical"} }) }, "pd.data_set.unknown", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := countEvents(t, f.db, "pd.token.issued")
			_, err := f.svc.Protocol(t.Context(), tc.caller.caller, tc.token())
			wantCode(t, err, tc.code, tc.rule)
			if countEvents(t, f.db, "pd.token.issued") != before {
				t.Error("a refused request issued a token")
			}
		})
	}
}

// A deferred notice: the access is sealed (hidden from the history, sealed_until in
// the event) until the secrecy period ends, then the notice goes out.
func TestProtocolDeferredNotice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		police := orgOf(t, binPolice, ca.P256)
		tr, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, func(c *VerificationClaims) { c.GroundCode = "ORD-12" }))
		if err != nil {
			t.Fatal(err)
		}
		var payload string
		db.QueryRowContext(t.Context(), `SELECT payload FROM outbox_events WHERE id = ?`, tr.EventID).Scan(&payload)
		var ev map[string]any
		json.Unmarshal([]byte(payload), &ev)
		if ev["sealed_until"] != f.now.Add(30*24*time.Hour).Format(time.RFC3339) {
			t.Errorf("sealed_until = %v", ev["sealed_until"])
		}
		if h, _ := f.svc.AccessHistory(t.Context(), iinAdult); len(h) != 0 {
			t.Errorf("sealed access visible: %+v", h)
		}
		if n, err := f.svc.ReleaseDeferredNotices(t.Context()); n != 0 || err != nil {
			t.Fatalf("released %d early (%v)", n, err)
		}
		f.now = f.now.Add(30*24*time.Hour + time.Second)
		if n, err := f.svc.ReleaseDeferredNotices(t.Context()); n != 1 || err != nil {
			t.Fatalf("released %d (%v)", n, err)
		}
		if n, _ := f.svc.ReleaseDeferredNotices(t.Context()); n != 0 {
			t.Error("released twice")
		}
		if countEvents(t, db, "pd.access.notice") != 1 {
			t.Error("no notice event")
		}
		if h, _ := f.svc.AccessHistory(t.Context(), iinAdult); len(h) != 1 {
			t.Errorf("history after the deferral: %+v", h)
		}
	})
}

// CMS (NCALayer) verification tokens are accepted too.
func TestProtocolCMSToken(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	police := orgOf(t, binPolice, ca.GOST2015)
	c := VerificationClaims{Issuer: binPolice, Subject: iinAdult, IssuedAt: f.now.Unix(), ID: newJTI(), Mode: "protocol", GroundCode: "CPC-199",
		Consent: &ConsentClaim{Obtained: false}, Owner: binRegister, Scope: []string{"identity"}}
	b, _ := json.Marshal(c)
	der, err := cms.Sign(t.Context(), b, []cms.SignerSpec{{Signer: police.key, Cert: police.chain[0], Chain: police.chain[1:]}}, cms.SignOptions{Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Protocol(t.Context(), police.caller, base64.StdEncoding.EncodeToString(der)); err != nil {
		t.Fatal(err)
	}
	// Signed by the police, presented by the bank.
	bank := orgOf(t, binBank, ca.P256)
	f.svc.SetProtocolPermissions(t.Context(), actorAdmin, binBank, []string{"CPC-199"})
	_, err = f.svc.Protocol(t.Context(), bank.caller, base64.StdEncoding.EncodeToString(der))
	wantCode(t, err, "pd.verification_token.bin_mismatch", "PD-6.2.2")
}

var _ = x509.Certificate{}

// Group commit: concurrent issuances share transactions; a replay inside a batch is
// refused alone and the others issue.
func TestConcurrentIssuance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		police := orgOf(t, binPolice, ca.P256)
		var toks []string
		for i := 0; i < 40; i++ {
			toks = append(toks, f.protoVT(police, nil))
		}
		for i := 0; i < 10; i++ {
			toks = append(toks, toks[0])
		}
		errs := make(chan error, len(toks))
		resps := make(chan *TokenResponse, len(toks))
		for _, tok := range toks {
			go func() {
				r, err := f.svc.Protocol(t.Context(), police.caller, tok)
				if err == nil {
					resps <- r
				}
				errs <- err
			}()
		}
		ok, replayed := 0, 0
		for range toks {
			switch err := <-errs; {
			case err == nil:
				ok++
				// The batch's events were written in one call: each token names the
				// event that carries its own jti, and its row names the same event.
				r := <-resps
				var payload string
				var rowEvent int64
				if err := db.QueryRowContext(t.Context(), "SELECT payload FROM outbox_events WHERE id = ?", r.EventID).Scan(&payload); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRowContext(t.Context(), "SELECT event_id FROM pd_tokens WHERE jti = ?", r.JTI).Scan(&rowEvent); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(payload, `"jti":"`+r.JTI+`"`) || rowEvent != r.EventID {
					t.Errorf("token %s: event %d (row: %d) carries %s", r.JTI, r.EventID, rowEvent, payload)
				}
			case errors.Is(err, ErrVTReplayed):
				replayed++
			default:
				t.Error(err)
			}
		}
		if ok != 40 || replayed != 10 || countEvents(t, db, "pd.token.issued") != 40 {
			t.Errorf("ok %d replayed %d events %d", ok, replayed, countEvents(t, db, "pd.token.issued"))
		}
	})
}

// Run sends due deferred notices and rotates a key that is due, then stops with ctx.
func TestRun(t *testing.T) {
	f := newFixture(t, storetest.Open(t), func(c *Config) { c.KeyRotation = time.Hour })
	police := orgOf(t, binPolice, ca.P256)
	if _, err := f.svc.Protocol(t.Context(), police.caller, f.protoVT(police, func(c *VerificationClaims) { c.GroundCode = "ORD-12" })); err != nil {
		t.Fatal(err)
	}
	before := f.svc.keys.current(t.Context()).kid
	f.now = f.now.Add(31 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- f.svc.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for countEvents(t, f.db, "pd.access.notice") == 0 || countEvents(t, f.db, "pd.key.rotated") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not release the notice and rotate the key")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The new key is published ahead and signs only from KeyPublishAhead on.
	if f.svc.keys.current(t.Context()).kid != before {
		t.Error("the new key signs before it was published ahead")
	}
	f.now = f.now.Add(f.svc.cfg.KeyPublishAhead)
	if err := f.svc.keys.load(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if f.svc.keys.current(t.Context()).kid == before {
		t.Error("the signing key did not change")
	}
}

// TestKeyPublishedBeforeUse: a scheduled rotation publishes the new key on every node
// before any node signs with it, so a data owner that meets the new kid and refetches
// the set from any node finds it; the old key retires when the new one comes into
// force and stays published for its tokens (rules PD-6.1.10, PD-6.2.4: the data owner
// verifies Senim's tokens with the published keys).
func TestKeyPublishedBeforeUse(t *testing.T) {
	// rule PD-6.1.10
	db := storetest.Open(t)
	a := newFixture(t, db, func(c *Config) { c.KeyRotation = time.Hour })
	b := newFixture(t, db, func(c *Config) { c.KeyRotation = time.Hour }) // a second node on one database
	old := a.svc.keys.current(t.Context()).kid
	if got := b.svc.keys.current(t.Context()).kid; got != old {
		t.Fatalf("two nodes sign with %s and %s", old, got)
	}
	for _, f := range []*fixture{a, b} {
		f.now = f.now.Add(2 * time.Hour)
	}
	if err := a.svc.keys.rotateIfDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.svc.keys.rotateIfDue(t.Context()); err != nil { // not again while one is pending
		t.Fatal(err)
	}
	if n := countEvents(t, db, "pd.key.rotated"); n != 2 {
		t.Fatalf("%d rotation events, want the first key's and one rotation", n)
	}
	// Node b re-reads its keys (as every minute): both publish two keys, both still sign
	// with the old one.
	if err := b.svc.keys.load(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*fixture{"a": a, "b": b} {
		keys, err := verifier.ParseJWKS(f.svc.JWKS(t.Context()))
		if err != nil || len(keys) != 2 {
			t.Fatalf("node %s publishes %d keys (%v)", name, len(keys), err)
		}
		if kid := f.svc.keys.current(t.Context()).kid; kid != old {
			t.Fatalf("node %s signs with %s before the new key is in force", name, kid)
		}
	}
	// In force: both sign with the new key; the old is retired yet still published.
	for _, f := range []*fixture{a, b} {
		f.now = f.now.Add(a.svc.cfg.KeyPublishAhead)
		if err := f.svc.keys.load(t.Context(), false); err != nil {
			t.Fatal(err)
		}
	}
	na, nb := a.svc.keys.current(t.Context()).kid, b.svc.keys.current(t.Context()).kid
	if na == old || na != nb {
		t.Fatalf("after coming into force: a signs with %s, b with %s (old %s)", na, nb, old)
	}
	var retired int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pd_signing_keys WHERE kid = ? AND retired_at <> 0`, old).Scan(&retired); err != nil || retired != 1 {
		t.Fatalf("old key retired: %d (%v)", retired, err)
	}
	if keys, _ := verifier.ParseJWKS(b.svc.JWKS(t.Context())); len(keys) != 2 {
		t.Fatalf("the retired key is no longer published: %d keys", len(keys))
	}
}

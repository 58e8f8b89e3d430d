package docs_test

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/docs"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store/storetest"
)

// Guessing is bounded (issue 13 item 7, rule DD-2): after VerifierFailures wrong codes
// within Window a verifier is locked out for Lockout — even the right code is refused
// then — and past GlobalFailuresPerMinute wrong codes of everyone, every redemption
// waits for the next minute.
func TestGuessing(t *testing.T) {
	f := newFixture(t, storetest.Open(t), func(c *docs.Config) { c.Limits.GlobalFailuresPerMinute = 8 })
	ctx := t.Context()
	f.now = time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	op := f.open(t, f.owner, docs.KindIdentityCard)
	wrong := docs.Secret{Code: strings.Repeat("Z", docs.DefaultCodeLength)}
	for i := 0; i < docs.DefaultVerifierFailures; i++ {
		if _, err := f.svc.Redeem(ctx, f.alice, wrong); code(err) != "docs.share.not_found" {
			t.Fatalf("guess %d: %s", i, code(err))
		}
	}
	_, err := f.svc.Redeem(ctx, f.alice, docs.Secret{Code: op.Code})
	if code(err) != "docs.verifier.locked" || problem.From(err).Status != http.StatusTooManyRequests || problem.From(err).Header.Get("Retry-After") != "3600" {
		t.Fatalf("locked verifier with the right code: %s %v", code(err), problem.From(err).Header)
	}
	// Another verifier is not locked out, until the global bound is reached.
	for i := 0; i < 3; i++ {
		f.svc.Redeem(ctx, f.clerk, wrong)
	}
	if _, err := f.svc.Redeem(ctx, f.bank, wrong); code(err) != "docs.guessing.limited" {
		t.Fatalf("past the global bound: %s", code(err))
	}
	f.now = f.now.Add(time.Minute)
	if _, err := f.svc.Redeem(ctx, f.bank, docs.Secret{Code: op.Code}); err != nil {
		t.Fatalf("the next minute: %v", err)
	}
	f.now = f.now.Add(docs.DefaultLockout)
	if _, err := f.svc.Redeem(ctx, f.alice, wrong); code(err) != "docs.share.not_found" {
		t.Fatalf("after the lockout: %s", code(err))
	}
}

// ExpectedLiveShares is the number of shares assumed open at any moment for the odds
// in docs/security.md: 10,000 (a share lives 5 minutes, so 2.9 million shares a day).
const ExpectedLiveShares = 10_000

// guessingOdds is the chance that an online guesser hits any live share within a day:
// every wrong code the global limit lets through in a day is a uniform guess in the
// code space, each hitting one of the live codes with probability live/space.
func guessingOdds(alphabet, length, globalPerMinute, live int) (space float64, guesses float64, p float64) {
	space = math.Pow(float64(alphabet), float64(length))
	guesses = float64(globalPerMinute) * 60 * 24
	p = -math.Expm1(guesses * math.Log1p(-float64(live)/space))
	return
}

// TestGuessingOdds computes, from the constants the code uses, the figures
// docs/security.md states, and fails if the document says otherwise.
func TestGuessingOdds(t *testing.T) {
	space, guesses, p := guessingOdds(len(docs.DefaultCodeAlphabet), docs.DefaultCodeLength, docs.DefaultGlobalFailuresPerMinute, ExpectedLiveShares)
	perVerifier := float64(docs.DefaultVerifierFailures) * float64(24*time.Hour) / float64(docs.DefaultLockout)
	pv := perVerifier * ExpectedLiveShares / space
	tokenP := guesses * ExpectedLiveShares / math.Pow(2, 128)
	lines := []string{
		fmt.Sprintf("code space: %d^%d = %.3g", len(docs.DefaultCodeAlphabet), docs.DefaultCodeLength, space),
		fmt.Sprintf("wrong codes a day, all verifiers together (per node): %.0f", guesses),
		fmt.Sprintf("chance that online guessing hits any of %d live shares within a day: %.2g", ExpectedLiveShares, p),
		fmt.Sprintf("chance for one verifier account within a day: %.2g", pv),
		fmt.Sprintf("chance for the same guesses against QR tokens (128 bits): %.2g", tokenP),
	}
	b, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		t.Log(l)
		if !strings.Contains(string(b), l) {
			t.Errorf("docs/security.md does not say %q", l)
		}
	}
	if p > 1e-5 {
		t.Errorf("the defaults let a guesser hit a live share within a day with probability %.2g; make the code longer", p)
	}
}

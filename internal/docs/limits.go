package docs

import (
	"sync"
	"time"

	"github.com/senimkz/senim/internal/problem"
)

// Limits bound online guessing of short codes and tokens (item 7 of issue 13). A
// failed redemption — no share with that secret, or one that is expired, cancelled
// or another verifier's — counts against the verifier and against everyone.
type Limits struct {
	// VerifierFailures failed redemptions within Window lock the verifier out for
	// Lockout.
	VerifierFailures int
	Window           time.Duration
	Lockout          time.Duration
	// GlobalFailuresPerMinute bounds the failed redemptions of all verifiers together
	// (per node): past it, every redemption waits for the next minute.
	GlobalFailuresPerMinute int
}

// Default limits; docs/security.md computes the odds of a guesser from them
// (TestGuessingOdds).
const (
	DefaultVerifierFailures        = 5
	DefaultWindow                  = 15 * time.Minute
	DefaultLockout                 = time.Hour
	DefaultGlobalFailuresPerMinute = 120
)

func (l Limits) withDefaults() Limits {
	if l.VerifierFailures <= 0 {
		l.VerifierFailures = DefaultVerifierFailures
	}
	if l.Window <= 0 {
		l.Window = DefaultWindow
	}
	if l.Lockout <= 0 {
		l.Lockout = DefaultLockout
	}
	if l.GlobalFailuresPerMinute <= 0 {
		l.GlobalFailuresPerMinute = DefaultGlobalFailuresPerMinute
	}
	return l
}

// guard keeps the failure counts in memory: per node (docs/security.md says what that
// means with several nodes).
type guard struct {
	mu     sync.Mutex
	l      Limits
	now    func() time.Time
	per    map[string]*tally
	minute int64
	global int
}

type tally struct {
	start  time.Time
	fails  int
	locked time.Time
}

func newGuard(l Limits, now func() time.Time) *guard {
	return &guard{l: l, now: now, per: map[string]*tally{}}
}

// allow reports whether subject may try a redemption now: nil, ErrVerifierLocked (with
// Retry-After) or ErrGuessingBusy.
func (g *guard) allow(subject string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if t := g.per[subject]; t != nil && now.Before(t.locked) {
		return retryAfter(ErrVerifierLocked, t.locked.Sub(now))
	}
	if m := now.Unix() / 60; m == g.minute && g.global >= g.l.GlobalFailuresPerMinute {
		return retryAfter(ErrGuessingBusy, time.Duration(60-now.Unix()%60)*time.Second)
	}
	return nil
}

// fail counts a failed redemption of subject.
func (g *guard) fail(subject string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if m := now.Unix() / 60; m != g.minute {
		g.minute, g.global = m, 0
	}
	g.global++
	t := g.per[subject]
	if t == nil || now.Sub(t.start) >= g.l.Window {
		t = &tally{start: now}
		g.per[subject] = t
	}
	t.fails++
	if t.fails >= g.l.VerifierFailures {
		t.locked = now.Add(g.l.Lockout)
		t.start, t.fails = now.Add(g.l.Lockout), 0
	}
	if len(g.per) > 100_000 { // forget verifiers whose window and lockout are over
		for k, v := range g.per {
			if now.Sub(v.start) >= g.l.Window && !now.Before(v.locked) {
				delete(g.per, k)
			}
		}
	}
}

func retryAfter(p *problem.Problem, d time.Duration) error {
	secs := int(d.Seconds() + 0.999)
	return problem.RetryAfter(p, max(secs, 1))
}

package server

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/senimkz/senim/internal/problem"
)

// Limiter is a per-client token bucket: each key may make Burst requests at once and
// Rate more every second. Idle keys are forgotten, so memory stays bounded by the
// number of clients active within the last few minutes.
type Limiter struct {
	Rate  float64 // tokens added per second
	Burst float64 // bucket size
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter allowing rate requests per second with bursts of burst.
func NewLimiter(rate, burst float64) *Limiter {
	return &Limiter{Rate: rate, Burst: burst, Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes a token for key. When none is left it returns false and how long until
// one will be.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.Burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.Burst, b.tokens+el*l.Rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return false, wait
}

// sweep forgets buckets that have refilled completely: they behave like new ones.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.Burst / l.Rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}

// ClientKey identifies the client of a request for rate limiting: its address without
// the port. Deployments behind a proxy put the limiter where the real address is known.
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// RateLimit wraps next with l, keyed by key (ClientKey when nil). Refused requests get
// 429 http.rate_limited with Retry-After.
func RateLimit(l *Limiter, key func(*http.Request) string, next http.Handler) http.Handler {
	if key == nil {
		key = ClientKey
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.Allow(key(r))
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			problem.Write(w, r, problem.RetryAfter(problem.RateLimited, secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

package notify

import (
	"context"
	"flag"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/store/storetest"
)

// BenchmarkSubmit accepts notices through the sending path (Submit: permission,
// content, addressee, idempotency key, notice, queued channels and status event in one
// transaction) on the default SQLite store, the citizen with e-mail switched on so
// each notice also queues a delivery. Run in parallel: the store serializes writers.
func BenchmarkSubmit(b *testing.B) {
	db := storetest.Open(b)
	f := &fixture{db: db, key: newSigner(b)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: f.key, Issuer: "https://senim.test",
		Citizens: citizens, Channels: []Channel{&fakeChannel{name: ChannelEmail}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	svc.SetSender(ctx, "bench", binTax, []string{"tax"})
	svc.SetPref(ctx, alice, ChannelEmail, true, "alice@example.kz")
	content := message(alice, true).Content
	b.ReportAllocs()
	b.SetParallelism(*parallel) // like many API clients at once
	b.ResetTimer()
	var seq int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := atomicAdd(&seq)
			k := "k" + strconv.FormatInt(n, 10)
			if _, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, Content: content},
				&IdemKey{Key: k, Body: []byte(k)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
}

// BenchmarkAcknowledge confirms reading of legally significant notices with a signed
// read receipt (DC-2): the acknowledgement screen's POST, one notice each.
func BenchmarkAcknowledge(b *testing.B) {
	db := storetest.Open(b)
	f := &fixture{db: db, key: newSigner(b)}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: f.key, Issuer: "https://senim.test", Citizens: citizens})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	svc.SetSender(ctx, "bench", binTax, []string{"tax"})
	content := message(alice, true).Content
	refs := make([]string, b.N)
	for i := range refs {
		k := "k" + strconv.Itoa(i)
		a, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Significant: true, Content: content}, &IdemKey{Key: k, Body: []byte(k)})
		if err != nil {
			b.Fatal(err)
		}
		refs[i] = a.ID
	}
	rd := reader(alice, iinAlice)
	b.ReportAllocs()
	b.SetParallelism(*parallel) // like many API clients at once
	b.ResetTimer()
	var seq int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := atomicAdd(&seq) - 1
			if _, err := svc.Acknowledge(ctx, rd, refs[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

func atomicAdd(p *int64) int64 { return atomic.AddInt64(p, 1) }

// lagChannel records when each delivery reached it.
type lagChannel struct {
	mu   sync.Mutex
	at   map[string]time.Time
	done chan struct{}
	want int
}

func (c *lagChannel) Name() string { return ChannelEmail }

func (c *lagChannel) Send(_ context.Context, m Outgoing) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at[m.Notice] = time.Now()
	if len(c.at) == c.want {
		close(c.done)
	}
	return nil
}

// BenchmarkDispatchLag submits notices at a steady rate (-rate, default 500/s: about
// half of what BenchmarkSubmit accepts on this machine) with the dispatcher running,
// and reports the time from acceptance to the channel's send: p50 and p99.
func BenchmarkDispatchLag(b *testing.B) {
	db := storetest.Open(b)
	ch := &lagChannel{at: map[string]time.Time{}, done: make(chan struct{}), want: b.N}
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{}, Signer: newSigner(b), Issuer: "https://senim.test",
		Citizens: citizens, Channels: []Channel{ch}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	svc.SetSender(ctx, "bench", binTax, []string{"tax"})
	svc.SetPref(ctx, alice, ChannelEmail, true, "alice@example.kz")
	go svc.RunDispatcher(ctx, 100*time.Millisecond)
	content := message(alice, false).Content
	accepted := make(map[string]time.Time, b.N)
	tick := time.NewTicker(time.Second / time.Duration(*lagRate))
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		k := "k" + strconv.Itoa(i)
		a, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Content: content}, &IdemKey{Key: k, Body: []byte(k)})
		if err != nil {
			b.Fatal(err)
		}
		accepted[a.ID] = time.Now()
	}
	select {
	case <-ch.done:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d delivered", len(ch.at), b.N)
	}
	b.StopTimer()
	ch.mu.Lock()
	lags := make([]time.Duration, 0, b.N)
	for id, t := range accepted {
		lags = append(lags, ch.at[id].Sub(t))
	}
	ch.mu.Unlock()
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
}

var lagRate = flag.Int("rate", 500, "notices per second submitted by BenchmarkDispatchLag")

var parallel = flag.Int("clients", 8, "goroutines per GOMAXPROCS in BenchmarkSubmit and BenchmarkAcknowledge")

package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/store"
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
	cpu0 := processCPU()
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
	reportCPU(b, cpu0)
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
	cpu0 := processCPU()
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
	reportCPU(b, cpu0)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

func atomicAdd(p *int64) int64 { return atomic.AddInt64(p, 1) }

// reportCPU reports the process's CPU time (user + system, every goroutine: the
// service, the store and, over HTTP, the clients) per operation since cpu0, in
// microseconds: on a shared machine it moves far less than the rate, and
// cores × 10⁶ / cpu-µs/op is the rate the cores would give with nothing else on them.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := processCPU() - cpu0; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkSubmitHTTP is BenchmarkSubmit end to end over HTTP, as a state body's
// client sees it: POST /v1/notices with an Idempotency-Key to a net/http server on
// loopback, from keep-alive clients (-clients per core). Organisation authentication
// is an established mutual-TLS connection, as in internal/pd/loadgen: the caller is put
// in the request context without per-request work. cpu-µs/op counts the clients too.
func BenchmarkSubmitHTTP(b *testing.B) {
	ctx := b.Context()
	_, base, hc := senderServer(b)
	sub := submission(iinAlice)
	delete(sub, "read_by") // the fixture's deadline is fixed; this service runs on the real clock
	body, _ := json.Marshal(sub)
	url := base + "/v1/notices"
	b.ReportAllocs()
	b.SetParallelism(*parallel)
	b.ResetTimer()
	cpu0 := processCPU()
	var seq int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "k"+strconv.FormatInt(atomicAdd(&seq), 10))
			res, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
}

// senderServer serves the sending API of a fresh service on loopback to the tax
// committee, a sender authenticated as by an established mutual-TLS connection (no
// per-request work), and returns its database, its URL and a keep-alive client for
// -clients per core.
func senderServer(b *testing.B) (*store.DB, string, *http.Client) {
	b.Helper()
	db := storetest.Open(b)
	svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{binTax: "State Revenue Committee"}, Signer: newSigner(b),
		Issuer: "https://senim.test", Citizens: citizens, Channels: []Channel{&fakeChannel{name: ChannelEmail}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if err := svc.SetSender(ctx, "bench", binTax, []string{"tax"}); err != nil {
		b.Fatal(err)
	}
	svc.SetPref(ctx, alice, ChannelEmail, true, "alice@example.kz")
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) }, nil)
	caller := &orgauth.Caller{BIN: binTax, Transport: "mtls"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(orgauth.WithCaller(r.Context(), caller)))
	}))
	b.Cleanup(srv.Close)
	clients := *parallel * runtime.GOMAXPROCS(0)
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	b.Cleanup(tr.CloseIdleConnections)
	return db, srv.URL, &http.Client{Transport: tr}
}

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
	// One submission per tick: a single send, or a bulk send of -lag-batch notices,
	// so that the rate can reach what one sender's bulk sends do (-rate 5000
	// -lag-batch 50 is 100 requests of 50 a second).
	per := max(1, *lagBatch)
	tick := time.NewTicker(time.Second * time.Duration(per) / time.Duration(*lagRate))
	defer tick.Stop()
	var notice json.RawMessage
	if per > 1 {
		sub := submission(iinAlice)
		delete(sub, "read_by")
		sub["legally_significant"] = false
		notice, _ = json.Marshal(sub)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += per {
		<-tick.C
		if per == 1 {
			k := "k" + strconv.Itoa(i)
			a, err := svc.Submit(ctx, binTax, Submission{SubjectIIN: iinAlice, Category: "tax", Content: content}, &IdemKey{Key: k, Body: []byte(k)})
			if err != nil {
				b.Fatal(err)
			}
			accepted[a.ID] = time.Now()
			continue
		}
		items := make([]BatchItem, min(per, b.N-i))
		for j := range items {
			items[j] = BatchItem{IdempotencyKey: "k" + strconv.Itoa(i+j), Notice: notice}
		}
		ans, err := svc.SubmitBatch(ctx, binTax, items)
		if err != nil {
			b.Fatal(err)
		}
		at := time.Now()
		for _, r := range ans.Results {
			var n struct{ ID string }
			if r.Status != http.StatusCreated || json.Unmarshal(r.Notice, &n) != nil {
				b.Fatalf("item %d: %d %+v", r.Index, r.Status, r.Problem)
			}
			accepted[n.ID] = at
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
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

var (
	lagRate  = flag.Int("rate", 500, "notices per second submitted by BenchmarkDispatchLag")
	lagBatch = flag.Int("lag-batch", 1, "notices per bulk send in BenchmarkDispatchLag (1: single sends)")
)

var parallel = flag.Int("clients", 8, "goroutines per GOMAXPROCS in BenchmarkSubmit and BenchmarkAcknowledge")

// BenchmarkConsume turns flow-2 security-token issuances (pd.token.issued outbox
// events, to 1,000 citizens) into inbox notices, as the notification point's outbox
// consumer does under the load generator: batches of /batch events (about what one
// of pd's group commits holds at full speed), each accepted and delivered. It reports
// the CPU time per notice: what invariant 2 adds to each issued token.
func BenchmarkConsume(b *testing.B) {
	for _, batch := range []int{8, 64, 256} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			db := storetest.Open(b)
			svc, err := New(Config{DB: db, Directory: fakeDir{}, Organizations: fakeOrgs{binBank: "Halyk Bank"}, Signer: newSigner(b),
				Issuer: "https://senim.test", BatchMax: batch})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			if _, err := svc.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i += batch {
				err := db.Tx(ctx, func(tx *store.Tx) error {
					for j := i; j < min(i+batch, b.N); j++ {
						p, _ := json.Marshal(map[string]any{"jti": "j" + strconv.Itoa(j), "flow": "protocol", "initiator": binBank, "owner": binRegister,
							"scope": []string{"identity"}, "code": "crim-proc", "expires_at": "2026-03-02T07:45:00Z"})
						if _, err := tx.Emit(ctx, store.Event{Type: "pd.token.issued", Actor: "org:" + binBank, Subject: "citizen:" + strconv.Itoa(1+j%1000), Payload: p}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			n, err := svc.Sync(ctx)
			if err != nil || n != b.N {
				b.Fatalf("%d events of %d consumed: %v", n, b.N, err)
			}
			b.StopTimer()
			reportCPU(b, cpu0)
			if k, _, _ := svc.Unread(ctx, "citizen:1"); k != (b.N+999)/1000 {
				b.Fatalf("citizen:1 has %d unread notices, want %d", k, (b.N+999)/1000)
			}
		})
	}
}

// BenchmarkSubmitBatchHTTP is BenchmarkSubmitHTTP with bulk sends: POST
// /v1/notices:batch with size notices per request (each its own key), from -clients
// per core. One op is one notice: notices/s and cpu-µs/op compare with the single send.
func BenchmarkSubmitBatchHTTP(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			ctx := b.Context()
			db, base, hc := senderServer(b)
			clients := *parallel * runtime.GOMAXPROCS(0)
			sub := submission(iinAlice)
			delete(sub, "read_by")
			notice, _ := json.Marshal(sub)
			requests := (b.N + size - 1) / size
			var seq, next int64
			body := func(n int) []byte { // the request's items, keys drawn from seq
				items := make([]BatchItem, n)
				for i := range items {
					items[i] = BatchItem{IdempotencyKey: "k" + strconv.FormatInt(atomicAdd(&seq), 10), Notice: notice}
				}
				j, _ := json.Marshal(map[string]any{"notices": items})
				return j
			}
			url := base + "/v1/notices:batch"
			var wg sync.WaitGroup
			var failed atomic.Bool
			b.ResetTimer()
			cpu0 := processCPU()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						r := atomicAdd(&next)
						if r > int64(requests) || failed.Load() {
							return
						}
						n := size
						if r == int64(requests) {
							n = b.N - (requests-1)*size
						}
						req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body(n)))
						req.Header.Set("Content-Type", "application/json")
						res, err := hc.Do(req)
						if err != nil {
							b.Error(err)
							failed.Store(true)
							return
						}
						var ans BatchAnswer
						err = json.NewDecoder(res.Body).Decode(&ans)
						res.Body.Close()
						if err != nil || res.StatusCode != http.StatusOK || ans.Accepted != n {
							b.Errorf("status %d, %d of %d accepted: %v", res.StatusCode, ans.Accepted, n, err)
							failed.Store(true)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			reportCPU(b, cpu0)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
			var k int
			db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_notices`).Scan(&k)
			if k != b.N {
				b.Fatalf("%d notices stored, want %d", k, b.N)
			}
		})
	}
}

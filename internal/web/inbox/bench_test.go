//go:build unix

package inbox

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

var readers = flag.Int("readers", 64, "citizens acknowledging at once in BenchmarkAcknowledgeHTTP")

// BenchmarkAcknowledgeHTTP is notify's BenchmarkAcknowledge as the cabinet serves it
// (issue 9: read confirmations with receipts, DC-2): each op is the acknowledgement
// screen's form POST, over HTTP on loopback from keep-alive clients, through the shell's
// guards (session cookie, anti-forgery token, same-origin), the read with its ES256
// receipt, events and log entry, and the HTML page of the opened notice in the reader's
// language. -readers citizens acknowledge at once, each their own notices. Sessions are
// the harness's (a map): the session lookup the real store makes per request is not in
// the figure. cpu-µs/op is the process's CPU (server and clients) per read.
func BenchmarkAcknowledgeHTTP(b *testing.B) {
	h, svc, _ := mount(b)
	ctx := b.Context()
	n := *readers
	logins := make([]*webtest.Login, n)
	for i := range logins {
		logins[i] = h.Citizen(mkIIN(fmt.Sprintf("9001013%04d", i)), fmt.Sprintf("Reader %d", i))
	}
	// Reader i%n reads notice i; the notices are sent before the timer, many at once.
	refs := make([]string, b.N)
	var wg sync.WaitGroup
	var next, failed atomic.Int64
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
				nt, err := svc.Send(ctx, notify.Message{Subject: logins[i%n].Session.Citizen.Ref(), Sender: "Ministry of Justice", Significant: true,
					Content: map[string]notify.Text{
						"kk": {Title: "Сот шақыруы", Body: "Сізді сотқа шақырамыз."},
						"ru": {Title: "Повестка", Body: "Вас вызывают в суд."},
						"en": {Title: "Summons", Body: "You are summoned to court on 10 March."},
					}})
				if err != nil {
					failed.Add(1)
					return
				}
				refs[i] = nt.Ref
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatal("sending the notices failed")
	}
	srv := httptest.NewServer(h.Shell.Handler())
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * n}}
	b.Cleanup(client.CloseIdleConnections)

	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0))) // ≈ n clients in all
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1) - 1)
			l := logins[i%n]
			form := url.Values{"csrf": {l.CSRF}}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/inbox/"+refs[i]+"/acknowledge", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "text/html")
			req.Header.Set("Origin", srv.URL)
			req.AddCookie(&http.Cookie{Name: web.CookieSession, Value: l.Token})
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "You are summoned to court on 10 March.") {
				b.Errorf("acknowledge %d: %.300s", resp.StatusCode, body)
				return
			}
		}
	})
	b.StopTimer()
	if cpu := processCPU() - cpu0; b.N > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

// processCPU is the CPU time (user + system) this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build unix

package inbox

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/notify"
	"github.com/senimkz/senim/internal/server"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/internal/web"
	"github.com/senimkz/senim/internal/web/webtest"
)

var (
	sessions     = flag.String("sessions", "store", "BenchmarkAcknowledgeHTTP's sessions: store (identity.Service on the notices' database, as senim serve) or map (the harness's)")
	readers      = flag.Int("readers", 64, "citizens reading in BenchmarkAcknowledgeHTTP, each the same share of the notices")
	clients      = flag.Int("clients", 0, "keep-alive clients reading at once in BenchmarkAcknowledgeHTTP (0: one per reader)")
	gcPercent    = flag.Int("gcpercent", server.DefaultGCPercent, "the garbage collector's target during BenchmarkAcknowledgeHTTP's reads (senim serve's default; Go's is 100)")
	timedProfile = flag.String("timedprofile", "", "write a CPU profile of BenchmarkAcknowledgeHTTP's timed reads alone (not the notices sent before) to this file")
)

// BenchmarkAcknowledgeHTTP is notify's BenchmarkAcknowledge as the cabinet serves it
// (issue 9: read confirmations with receipts, DC-2): each op is the acknowledgement
// screen's form POST, over HTTP on loopback from keep-alive clients, through the shell's
// guards (session cookie, anti-forgery token, same-origin), the read with its ES256
// receipt, events and log entry, and the HTML page of the opened notice in the reader's
// language. -readers citizens read their own notices, -clients at once, signed in
// with sessions kept as senim serve keeps them (-sessions). cpu-µs/op is the process's
// CPU (server and clients) per read. The reads run with senim serve's
// garbage-collector target (-gcpercent, server.DefaultGCPercent).
func BenchmarkAcknowledgeHTTP(b *testing.B) {
	ctx := b.Context()
	h, svc, logins := mountReaders(b)
	n := len(logins)
	// Reader i%n reads notice i; the notices are sent before the timer, many at once.
	refs := make([]string, b.N)
	var wg sync.WaitGroup
	var next, failed atomic.Int64
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
				nt, err := svc.Send(ctx, summons(logins[i%n].Session.Citizen.Ref()))
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
	if *timedProfile != "" {
		f, err := os.Create(*timedProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	acknowledgeClients(b, srv.URL, logins, refs)
}

// mountReaders mounts the inbox for -readers citizens, each signed in: with sessions in
// the database the notices are in, as senim serve keeps them (identity.Service: each
// request looks its session and citizen up), or with -sessions=map in the harness's map.
func mountReaders(b *testing.B) (*webtest.Harness, *notify.Service, []*webtest.Login) {
	ctx := b.Context()
	logins := make([]*webtest.Login, *readers)
	switch *sessions {
	case "map":
		h, svc, _ := mount(b)
		for i := range logins {
			logins[i] = h.Citizen(readerIIN(b, i), fmt.Sprintf("Reader %d", i))
		}
		return h, svc, logins
	case "store":
		db := storetest.Open(b)
		ids, err := identity.New(identity.Config{DB: db, Mobile: noMobile{}, SMS: noMobile{}})
		if err != nil {
			b.Fatal(err)
		}
		h, svc, _ := mountOn(b, db, func(c *web.Config) { c.Sessions = ids })
		for i := range logins {
			c, _, err := ids.EnsureCitizen(ctx, identity.Citizen{IIN: readerIIN(b, i), Name: fmt.Sprintf("Reader %d", i), Lang: "en"}, "")
			if err != nil {
				b.Fatal(err)
			}
			tok, sess, err := ids.OpenSession(ctx, c.ID, identity.MethodPasswordSMS)
			if err != nil {
				b.Fatal(err)
			}
			logins[i] = &webtest.Login{Token: tok, CSRF: sess.CSRF, Session: sess}
		}
		return h, svc, logins
	}
	b.Fatalf("-sessions %q: store or map", *sessions)
	return nil, nil, nil
}

// noMobile is identity's phone register and SMS gateway for a benchmark that signs no
// one in by SMS.
type noMobile struct{}

func (noMobile) Phone(context.Context, string) (string, error) { return "", mgov.ErrNotRegistered }
func (noMobile) Send(context.Context, string, string) (string, error) {
	return "", errors.New("no SMS in this benchmark")
}

// BenchmarkAcknowledgeHTTPClients is BenchmarkAcknowledgeHTTP's clients alone: the same
// requests, answered by a handler that reads the form and writes a page of the same
// size and headers as the cabinet's. Its cpu-µs/op is the clients' and HTTP's share of
// BenchmarkAcknowledgeHTTP's, to take from it for the server's own CPU per read.
func BenchmarkAcknowledgeHTTPClients(b *testing.B) {
	h, svc, _ := mount(b)
	n := *readers
	logins := make([]*webtest.Login, n)
	for i := range logins {
		logins[i] = h.Citizen(readerIIN(b, i), fmt.Sprintf("Reader %d", i))
	}
	// One real read gives the page and its headers.
	nt, err := svc.Send(b.Context(), summons(logins[0].Session.Citizen.Ref()))
	if err != nil {
		b.Fatal(err)
	}
	live := httptest.NewServer(h.Shell.Handler())
	resp, err := http.DefaultClient.Do(acknowledgeRequest(b.Context(), live.URL, logins[0], nt.Ref))
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	live.Close()
	header := resp.Header.Clone()
	header.Del("Date")
	header.Del("Content-Length")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("csrf") == "" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		maps.Copy(w.Header(), header)
		w.Write(page)
	}))
	b.Cleanup(srv.Close)
	refs := make([]string, b.N)
	for i := range refs {
		refs[i] = nt.Ref
	}
	acknowledgeClients(b, srv.URL, logins, refs)
}

// readerIIN is a valid IIN of its own for reader i < 10,000.
func readerIIN(b *testing.B, i int) string {
	for d := range 10 {
		s := fmt.Sprintf("900101%04d%d", i, d)
		if c, ok := kzid.CheckDigit(s); ok {
			return s + string(rune('0'+c))
		}
	}
	b.Fatalf("no IIN for reader %d", i)
	return ""
}

// summons is the legally significant notice the benchmarks read.
func summons(subject string) notify.Message {
	return notify.Message{Subject: subject, Sender: "Ministry of Justice", Significant: true,
		Content: map[string]notify.Text{
			"kk": {Title: "Сот шақыруы", Body: "Сізді сотқа шақырамыз."},
			"ru": {Title: "Повестка", Body: "Вас вызывают в суд."},
			"en": {Title: "Summons", Body: "You are summoned to court on 10 March."},
		}}
}

func acknowledgeRequest(ctx context.Context, base string, l *webtest.Login, ref string) *http.Request {
	form := url.Values{"csrf": {l.CSRF}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/inbox/"+ref+"/acknowledge", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Origin", base)
	req.AddCookie(&http.Cookie{Name: web.CookieSession, Value: l.Token})
	return req
}

// acknowledgeClients times b.N acknowledgements of refs[i] by logins[i%len(logins)],
// -clients keep-alive clients at once (default one per login), and reports the
// process's CPU per read.
func acknowledgeClients(b *testing.B, base string, logins []*webtest.Login, refs []string) {
	ctx := b.Context()
	n := len(logins)
	c := *clients
	if c <= 0 {
		c = n
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * c}}
	b.Cleanup(client.CloseIdleConnections)
	defer debug.SetGCPercent(debug.SetGCPercent(*gcPercent))
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, c/runtime.GOMAXPROCS(0))) // ≈ c clients in all
	b.ResetTimer()
	cpu0 := processCPU()
	want := []byte("You are summoned to court on 10 March.")
	b.RunParallel(func(pb *testing.PB) {
		var body bytes.Buffer // a client's own, reused: the clients' garbage is not the server's
		for pb.Next() {
			i := int(seq.Add(1) - 1)
			resp, err := client.Do(acknowledgeRequest(ctx, base, logins[i%n], refs[i]))
			if err != nil {
				b.Error(err)
				return
			}
			body.Reset()
			_, err = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body.Bytes(), want) {
				b.Errorf("acknowledge %d, %v: %.300s", resp.StatusCode, err, body.Bytes())
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

// Package loadgen measures flow 2 (protocol mode) end to end over HTTP: it starts
// Senim's PD service in-process on a SQLite file (the default store; or in a fresh
// schema of a PostgreSQL database, Config.DatabaseURL), behind a real
// net/http server on loopback, and drives it with concurrent keep-alive clients that
// present pre-made verification tokens (ECDSA P-256 or GOST 2015-512 initiator keys
// from a fresh sandbox CA), then reports tokens/s, latency percentiles and errors,
// and, measured in the same run, the machine's raw rate of the signatures each token
// needs (verify the initiator's signature + sign Senim's ES256), with the ratio.
// The tokens are signed before the clock starts, and the CPU that signing took is
// reported on its own (SignCPUPerToken), so the generator's signing is never
// counted as server work.
//
// Organisation authentication is simulated as an established mutual-TLS connection:
// the caller is put in the request context without per-request work, as a TLS
// session does after its handshake. The per-request chain validation the orgauth
// middleware does is therefore not in these figures.
//
//	go test ./internal/pd/loadgen -run TestLoadgen -v -args -loadgen.alg p256 -loadgen.duration 10s
package loadgen

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/edsfast"
	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/sandbox"
	"github.com/senimkz/senim/internal/store"
)

// Config configures a run.
type Config struct {
	Alg         ca.Algorithm  // the initiator's key: ca.P256 (default) or ca.GOST2015
	Duration    time.Duration // default 10 s
	Concurrency int           // clients; default 64
	Dir         string        // working directory (database, CA); default a temporary one
	Subjects    int           // distinct subjects; default 1000
	Log         io.Writer     // progress; may be nil
	// OnLoad, if set, is called with true just before the load phase starts and with
	// false just after it ends (e.g. to profile only the load, not the token making).
	OnLoad func(start bool)
	// DatabaseURL, if set, is a PostgreSQL database (postgres://...) to run on
	// instead of a SQLite file in Dir: the run makes a schema of its own there and
	// drops it afterwards.
	DatabaseURL string
	// GroupLanes is the store's Options.GroupLanes (PostgreSQL: group-commit batches
	// in flight at once); 0 is the store's default.
	GroupLanes int
	// Target is what a remote run (RunRemote) drives: "" flow 2, TargetConfirm
	// confirmation requests.
	Target string
	// Notify measures invariant 2 at full speed (issue 9): the notification point
	// (internal/notify) runs as the outbox consumer it is in `senim serve`, and the run
	// alternates phases of Duration without it and with it (notifyRounds of each,
	// the same server, database and clients), reporting both rates, their ratio, and
	// how long each issued token took to become a readable inbox notice.
	Notify bool
	Rounds int // with Notify: phases of each arm (default 2)
}

// Result is what a run measured.
type Result struct {
	Alg         string        `json:"alg"`
	Engine      string        `json:"engine"` // the store's: sqlite or postgres
	Requests    int64         `json:"requests"`
	Errors      int64         `json:"errors"`
	Duration    time.Duration `json:"duration"`
	Rate        float64       `json:"tokens_per_second"`
	P50         time.Duration `json:"p50"`
	P99         time.Duration `json:"p99"`
	P999        time.Duration `json:"p999"` // the tail: 1 request in 1,000 is slower
	Max         time.Duration `json:"max"`
	RawRate     float64       `json:"raw_verify_sign_per_second"`
	Ratio       float64       `json:"ratio_to_raw"`
	Concurrency int           `json:"concurrency"`
	CPUs        int           `json:"cpus"`
	// CPUPerToken is the CPU time (user + system, server and load generator together)
	// the process used during the load, per token issued: on a shared machine it
	// varies less than the rate, and CPUs/CPUPerToken is the rate with the CPUs to
	// itself. Zero where the system does not report it.
	CPUPerToken time.Duration `json:"cpu_per_token"`
	// SignCPUPerToken is the load generator's own cost of making one verification
	// token (claims, JSON, the initiator's JWS signature with its Streebog digest for
	// GOST), measured while the tokens are made before the clock starts: it is not in
	// the rate nor in CPUPerToken.
	SignCPUPerToken time.Duration `json:"sign_cpu_per_token"`
	Target          string        `json:"target,omitempty"` // "" flow 2; TargetConfirm
	// Invariant2 is the measurement of Config.Notify; then the fields above describe
	// the phases with notifications, together.
	Invariant2 *Invariant2 `json:"invariant2,omitempty"`
}

func (r Result) String() string {
	if r.Target == TargetConfirm {
		return fmt.Sprintf("POST /v1/confirmations over HTTP on %s, %s bank keys, %d clients, %d CPUs: %d requests in %s = %.0f/s, p50 %s, p99 %s, p99.9 %s, max %s, %d errors; CPU %s per request (generator's signing, not included: %s per request)",
			r.Engine, r.Alg, r.Concurrency, r.CPUs, r.Requests, r.Duration.Round(time.Millisecond), r.Rate, r.P50, r.P99, r.P999, r.Max, r.Errors, r.CPUPerToken.Round(time.Microsecond), r.SignCPUPerToken.Round(time.Microsecond))
	}
	if r.Invariant2 != nil {
		return r.Invariant2.String() + "\n" + r.flow2()
	}
	return r.flow2()
}

func (r Result) flow2() string {
	return fmt.Sprintf("flow 2 over HTTP on %s, %s initiator keys, %d clients, %d CPUs: %d tokens in %s = %.0f tokens/s, p50 %s, p99 %s, p99.9 %s, max %s, %d errors; raw verify+sign %.0f/s, ratio %.2f; CPU %s per token (generator's signing, not included: %s per token)",
		r.Engine, r.Alg, r.Concurrency, r.CPUs, r.Requests, r.Duration.Round(time.Millisecond), r.Rate, r.P50, r.P99, r.P999, r.Max, r.Errors, r.RawRate, r.Ratio, r.CPUPerToken.Round(time.Microsecond), r.SignCPUPerToken.Round(time.Microsecond))
}

// Run does one measurement.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Alg == "" {
		cfg.Alg = ca.P256
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Subjects <= 0 {
		cfg.Subjects = 1000
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = notifyRounds
	}
	logf := func(f string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, f+"\n", a...)
		}
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "senim-loadgen-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	// As `senim serve` does: the fast GOST verifier unless SENIM_GOST_VERIFIER=reference,
	// our Streebog unless SENIM_STREEBOG=reference.
	if err := edsfast.Use(os.Getenv(edsfast.EnvVar)); err != nil {
		return nil, err
	}
	if err := edsfast.UseStreebog(os.Getenv(edsfast.StreebogEnvVar)); err != nil {
		return nil, err
	}
	now := time.Now
	c, err := ca.Open(filepath.Join(cfg.Dir, "ca"), ca.Config{Algorithms: []ca.Algorithm{cfg.Alg}})
	if err != nil {
		return nil, err
	}
	v, err := pki.New(pki.Config{Roots: c.Roots(), Intermediates: c.Intermediates()})
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbURL := filepath.Join(cfg.Dir, "senim.db")
	if cfg.DatabaseURL != "" {
		u, drop, err := freshSchema(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		dbURL = u
	}
	db, err := store.Open(ctx, dbURL, store.Options{Logger: quiet, GroupLanes: cfg.GroupLanes})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	pop := sandbox.Demo()
	ids, err := identity.New(identity.Config{DB: db, Mobile: sandbox.NewMobileDB(pop), SMS: sandbox.NewSMS(now), Logger: quiet})
	if err != nil {
		return nil, err
	}
	svc, err := pd.New(ctx, pd.Config{DB: db, Citizens: ids, Validator: v, Issuer: "http://loadgen", Logger: quiet})
	if err != nil {
		return nil, err
	}
	if err := sandbox.SeedDirectories(ctx, svc, now()); err != nil {
		return nil, err
	}
	var police string
	register := sandbox.RegisterBIN()
	for _, o := range pop.Organizations {
		if o.Role == "law_enforcement" {
			police = o.BIN
		}
	}
	is, err := c.IssueInformationSystem(police, "Police", "cases", cfg.Alg)
	if err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{is.Certificate}, is.Chain...)
	caller := &orgauth.Caller{BIN: police, Certificate: is.Certificate, Chain: chain, Info: pki.Info(is.Certificate),
		Thumbprint: orgauth.Thumbprint(is.Certificate), Transport: "mtls"}

	// Subjects: known to Senim before the run (the reference is made once per IIN).
	var iins []string
	for i := 0; len(iins) < cfg.Subjects; i++ {
		if iin, ok := completeIIN(i); ok {
			iins = append(iins, iin)
		}
	}
	for _, iin := range iins {
		if _, err := ids.SubjectRef(ctx, iin); err != nil {
			return nil, err
		}
	}

	// Server.
	mux := http.NewServeMux()
	svc.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(orgauth.WithCaller(r.Context(), caller)))
	}), ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, ErrorLog: nil}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/v1/pd/protocol"

	// Verification tokens, made before the clock starts (they live 5 minutes).
	est := estimateRate(cfg.Alg)
	loaded := cfg.Duration
	if cfg.Notify {
		loaded *= 2 * time.Duration(cfg.Rounds) // both arms of every round
	}
	n := int(est * loaded.Seconds() * 1.5)
	logf("making %d %s verification tokens", n, cfg.Alg)
	signCPU0 := processCPU()
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var genErr error
	var genMu sync.Mutex
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				claims := pd.VerificationClaims{Issuer: police, Subject: iins[i%len(iins)], IssuedAt: time.Now().Unix(), ID: fmt.Sprintf("lg-%d-%d", time.Now().UnixNano(), i),
					Mode: "protocol", GroundCode: pd.SandboxGround, Consent: &pd.ConsentClaim{}, Owner: register, Scope: []string{"identity"}}
				p, _ := json.Marshal(claims)
				tok, err := jws.Sign(is.Key, chain[:1], pd.VerificationTokenType, p)
				if err != nil {
					genMu.Lock()
					genErr = err
					genMu.Unlock()
					return
				}
				bodies[i], _ = json.Marshal(map[string]string{"verification_token": tok})
			}
		}()
	}
	wg.Wait()
	if genErr != nil {
		return nil, genErr
	}
	signCPU := processCPU() - signCPU0

	// Load.
	tr := &http.Transport{MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var cursor atomic.Int64
	var firstErr atomic.Value
	// phase drives the server with every client for d and measures it.
	phase := func(d time.Duration) phaseResult {
		lat := make([][]time.Duration, cfg.Concurrency)
		var errs, done atomic.Int64
		cpu0 := processCPU()
		start := time.Now()
		deadline := start.Add(d)
		for w := 0; w < cfg.Concurrency; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for time.Now().Before(deadline) {
					i := int(cursor.Add(1) - 1)
					if i >= n {
						return
					}
					t0 := time.Now()
					res, err := hc.Post(url, "application/json", bytes.NewReader(bodies[i]))
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusCreated {
							err = fmt.Errorf("status %s", res.Status)
						}
					}
					lat[w] = append(lat[w], time.Since(t0))
					done.Add(1)
					if err != nil {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
			}(w)
		}
		wg.Wait()
		p := phaseResult{elapsed: time.Since(start), cpu: processCPU() - cpu0, requests: done.Load(), errors: errs.Load()}
		for _, l := range lat {
			p.lat = append(p.lat, l...)
		}
		return p
	}
	var ph phaseResult
	var inv *Invariant2
	if cfg.Notify {
		logf("invariant 2: %d rounds of %s without and %s with notifications, %d clients", cfg.Rounds, cfg.Duration, cfg.Duration, cfg.Concurrency)
		if cfg.OnLoad != nil {
			cfg.OnLoad(true)
		}
		ph, inv, err = runInvariant2(ctx, db, ids, svc, iins, cfg, phase)
		if cfg.OnLoad != nil {
			cfg.OnLoad(false)
		}
		if err != nil {
			return nil, err
		}
	} else {
		logf("running %d clients for %s", cfg.Concurrency, cfg.Duration)
		if cfg.OnLoad != nil {
			cfg.OnLoad(true)
		}
		ph = phase(cfg.Duration)
		if cfg.OnLoad != nil {
			cfg.OnLoad(false)
		}
	}
	if int(cursor.Load()) >= n {
		logf("warning: ran out of pre-made tokens before the deadline")
	}
	all := ph.lat
	slices.Sort(all)
	r := &Result{Alg: string(cfg.Alg), Engine: string(db.Engine()), Requests: ph.requests, Errors: ph.errors, Duration: ph.elapsed, Concurrency: cfg.Concurrency, CPUs: runtime.GOMAXPROCS(0), Invariant2: inv}
	r.Rate = float64(r.Requests-r.Errors) / ph.elapsed.Seconds()
	if ok := r.Requests - r.Errors; ok > 0 && ph.cpu > 0 {
		r.CPUPerToken = ph.cpu / time.Duration(ok)
	}
	if n > 0 {
		r.SignCPUPerToken = signCPU / time.Duration(n)
	}
	if len(all) > 0 {
		r.P50, r.P99, r.P999, r.Max = percentile(all, 500), percentile(all, 990), percentile(all, 999), all[len(all)-1]
	}
	if e := firstErr.Load(); e != nil {
		logf("first error: %v", e)
	}
	var sample struct {
		VT string `json:"verification_token"`
	}
	json.Unmarshal(bodies[0], &sample)
	r.RawRate = rawRate(is.Key, []byte(sample.VT[:strings.LastIndexByte(sample.VT, '.')]))
	r.Ratio = r.Rate / r.RawRate
	return r, nil
}

// percentile returns the perMille-th per-mille of sorted (nearest rank, so never
// an interpolated value nobody saw); sorted must not be empty.
func percentile(sorted []time.Duration, perMille int) time.Duration {
	return sorted[min(len(sorted)*perMille/1000, len(sorted)-1)]
}

func completeIIN(i int) (string, bool) {
	return kzComplete(fmt.Sprintf("9001010%04d", i))
}

// estimateRate guesses how many tokens per second the run might reach, to make enough.
func estimateRate(alg ca.Algorithm) float64 {
	if alg == ca.GOST2015 {
		return 1500
	}
	return 9000
}

// rawRate measures, on all CPUs for one second, how many (initiator signature verify +
// Senim ES256 sign) pairs the machine does over messages of the real sizes (msg is a
// verification token's signing input; Senim signs about 700 bytes): the signature
// work of one token, hashing included.
func rawRate(initiator *eds.PrivateKey, msg []byte) float64 {
	sig, _ := initiator.Sign(nil, msg)
	stMsg := bytes.Repeat([]byte("a"), 700)
	pub := initiator.Public()
	senim, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(time.Second)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := eds.VerifySignature(pub, initiator.Algorithm().OID, msg, sig); err != nil {
					panic(err)
				}
				sum := sha256.Sum256(stMsg)
				if _, _, err := ecdsa.Sign(rand.Reader, senim, sum[:]); err != nil {
					panic(err)
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(count.Load())
}

// Command is `senim loadgen [-alg p256|gost2015] [-duration 10s] [-concurrency 64] [-notify [-rounds 2]] [-database-url postgres://... | -url URL[,URL...]]`.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pd-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	alg := fs.String("alg", "p256", "initiator key: p256 or gost2015")
	d := fs.Duration("duration", 10*time.Second, "how long to load")
	conc := fs.Int("concurrency", 64, "concurrent keep-alive clients")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	dbURL := fs.String("database-url", "", "run on this PostgreSQL database (in a schema of its own) instead of a SQLite file")
	urls := fs.String("url", "", "drive running sandbox servers instead (comma-separated base URLs, round-robin; see RunRemote)")
	target := fs.String("target", "", "with -url: what to drive, flow 2 (empty) or confirm (POST /v1/confirmations)")
	notifyOn := fs.Bool("notify", false, "measure invariant 2: phases without and with the notification point, same run")
	rounds := fs.Int("rounds", notifyRounds, "with -notify: phases of each arm, alternating")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *notifyOn && *urls != "" {
		fmt.Fprintln(stderr, "pd-load: -notify runs in-process, not with -url")
		return 2
	}
	if *target != "" && (*target != TargetConfirm || *urls == "") {
		fmt.Fprintln(stderr, "pd-load: -target confirm needs -url (a running sandbox)")
		return 2
	}
	cfg := Config{Alg: ca.Algorithm(*alg), Duration: *d, Concurrency: *conc, Log: stderr, DatabaseURL: *dbURL, Target: *target, Notify: *notifyOn, Rounds: *rounds}
	var r *Result
	var err error
	if *urls != "" {
		r, err = RunRemote(ctx, cfg, strings.Split(*urls, ","))
	} else {
		r, err = Run(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "pd-load:", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(r)
	} else {
		fmt.Fprintln(stdout, r)
	}
	if r.Errors > 0 || r.Invariant2 != nil && r.Invariant2.Missing > 0 {
		return 1
	}
	return 0
}

var _ = errors.New

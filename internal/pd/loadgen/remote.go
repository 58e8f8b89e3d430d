package loadgen

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/jws"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/edsfast"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/pd"
)

// MaxRemoteDuration bounds a remote run: its requests are signed before the clock
// starts, and a signed request is accepted for 2 minutes after it was signed.
const MaxRemoteDuration = 90 * time.Second

// ErrNotSandbox: a remote run needs servers started with --sandbox, which publish the
// demo organisations' keys and have the directories a flow-2 request needs.
var ErrNotSandbox = errors.New("loadgen: the server is not a sandbox (start it with `senim serve --sandbox`)")

// RunRemote measures flow 2 against running servers instead of an in-process service:
// one `senim serve --sandbox`, or several nodes on one database behind urls, which
// get the requests round-robin. It downloads the demo police's sandbox key of
// cfg.Alg from the first server, and authenticates every request as an initiator
// behind a TLS-ending proxy does, with a request signature (Senim-Signature; the
// certificate alone, as in the verification token, the server knowing the
// sandbox CA's intermediates): so,
// unlike Run, the figures include the server's per-request organisation
// authentication (chain validation and one more signature check). The verification
// tokens and request signatures are made before the clock starts. Result.CPUPerToken
// is this process's CPU only; the servers' is in their own processes. cfg.Dir,
// cfg.DatabaseURL and cfg.Subjects are not used: the subjects are the sandbox's
// citizens.
func RunRemote(ctx context.Context, cfg Config, urls []string) (*Result, error) {
	if len(urls) == 0 {
		return nil, errors.New("loadgen: no server URL")
	}
	urls = slices.Clone(urls)
	for i, u := range urls {
		urls[i] = strings.TrimRight(u, "/")
		if !strings.HasPrefix(urls[i], "http://") && !strings.HasPrefix(urls[i], "https://") {
			return nil, fmt.Errorf("loadgen: %q is not an http(s) URL", u)
		}
	}
	if cfg.Alg == "" {
		cfg.Alg = ca.P256
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Duration > MaxRemoteDuration {
		return nil, fmt.Errorf("loadgen: a remote run lasts at most %s (its requests are signed in advance)", MaxRemoteDuration)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	// The generator signs as Run's does: our GOST and Streebog unless told otherwise.
	if err := edsfast.Use(os.Getenv(edsfast.EnvVar)); err != nil {
		return nil, err
	}
	if err := edsfast.UseStreebog(os.Getenv(edsfast.StreebogEnvVar)); err != nil {
		return nil, err
	}
	logf := func(f string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, f+"\n", a...)
		}
	}
	tr := &http.Transport{MaxIdleConns: cfg.Concurrency * len(urls), MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	role, path := "law_enforcement", "/v1/pd/protocol"
	if cfg.Target == TargetConfirm {
		role, path = "bank", "/v1/confirmations"
	}
	sb, err := sandboxParties(ctx, hc, urls[0], cfg.Alg, role)
	if err != nil {
		return nil, err
	}
	engine := "remote"
	var ready struct {
		Engine string `json:"engine"`
	}
	if getJSON(ctx, hc, urls[0]+"/readyz", &ready) == nil && ready.Engine != "" {
		engine = ready.Engine
	}
	engine = fmt.Sprintf("%s, %d server(s) at %s", engine, len(urls), strings.Join(urls, " "))

	// Requests, made before the clock starts: body and Authorization header.
	n := int(remoteRate(cfg.Alg) * cfg.Duration.Seconds() * 1.5)
	logf("making %d %s verification tokens and request signatures", n, cfg.Alg)
	signCPU0 := processCPU()
	type request struct {
		body []byte
		auth string
	}
	reqs := make([]request, n)
	var next atomic.Int64
	var genErr error
	var genOnce sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				var err error
				if cfg.Target == TargetConfirm {
					reqs[i].body = confirmationBody(sb.subjects[i%len(sb.subjects)], i)
				} else {
					claims := pd.VerificationClaims{Issuer: sb.police, Subject: sb.subjects[i%len(sb.subjects)], IssuedAt: time.Now().Unix(),
						ID: fmt.Sprintf("lgr-%d-%d", time.Now().UnixNano(), i), Mode: "protocol", GroundCode: pd.SandboxGround,
						Consent: &pd.ConsentClaim{}, Owner: sb.register, Scope: []string{"identity"}}
					p, _ := json.Marshal(claims)
					var vt string
					if vt, err = jws.Sign(sb.key, sb.chain[:1], pd.VerificationTokenType, p); err == nil {
						reqs[i].body, _ = json.Marshal(map[string]string{"verification_token": vt})
					}
				}
				if err == nil {
					var r *http.Request
					if r, err = http.NewRequest(http.MethodPost, urls[0]+path, nil); err == nil {
						err = orgauth.SignRequest(r, reqs[i].body, sb.key, sb.chain[:1], time.Now())
						reqs[i].auth = r.Header.Get("Authorization")
					}
				}
				if err != nil {
					genOnce.Do(func() { genErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if genErr != nil {
		return nil, genErr
	}
	signCPU := processCPU() - signCPU0

	var cursor, errs, done atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, cfg.Concurrency)
	logf("running %d clients for %s against %d server(s)", cfg.Concurrency, cfg.Duration, len(urls))
	if cfg.OnLoad != nil {
		cfg.OnLoad(true)
	}
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for w := range cfg.Concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := int(cursor.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				err := post(ctx, hc, urls[i%len(urls)]+path, reqs[i].body, reqs[i].auth)
				lat[w] = append(lat[w], time.Since(t0))
				done.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	if cfg.OnLoad != nil {
		cfg.OnLoad(false)
	}
	if int(cursor.Load()) >= n {
		logf("warning: ran out of pre-made requests before the deadline")
	}
	if e := firstErr.Load(); e != nil {
		logf("first error: %v", e)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := &Result{Alg: string(cfg.Alg), Engine: engine, Requests: done.Load(), Errors: errs.Load(), Duration: elapsed,
		Concurrency: cfg.Concurrency, CPUs: runtime.GOMAXPROCS(0), Target: cfg.Target}
	r.Rate = float64(r.Requests-r.Errors) / elapsed.Seconds()
	if ok := r.Requests - r.Errors; ok > 0 && cpu > 0 {
		r.CPUPerToken = cpu / time.Duration(ok)
	}
	if len(all) > 0 {
		r.P50, r.P99, r.P999, r.Max = percentile(all, 500), percentile(all, 990), percentile(all, 999), all[len(all)-1]
	}
	if n > 0 && signCPU > 0 {
		r.SignCPUPerToken = signCPU / time.Duration(n) // the token and the request signature
	}
	if cfg.Target == TargetConfirm {
		return r, nil // no token to sign: the raw rate of flow 2 does not apply
	}
	var sample struct {
		VT string `json:"verification_token"`
	}
	json.Unmarshal(reqs[0].body, &sample)
	r.RawRate = rawRate(sb.key, []byte(sample.VT[:strings.LastIndexByte(sample.VT, '.')]))
	r.Ratio = r.Rate / r.RawRate
	return r, nil
}

// remoteRate guesses the rate of a remote run, to make enough requests: lower than
// estimateRate, since the servers also authenticate each request and share the
// machine with the database.
func remoteRate(alg ca.Algorithm) float64 {
	if alg == ca.GOST2015 {
		return 1000
	}
	return 3000
}

// parties are what a remote run takes from the sandbox.
type parties struct {
	police, register string
	key              *eds.PrivateKey
	chain            []*x509.Certificate
	subjects         []string
}

// sandboxParties reads the sandbox's population (GET /sandbox/population) and
// downloads the demo police's key of alg.
func sandboxParties(ctx context.Context, hc *http.Client, base string, alg ca.Algorithm, role string) (*parties, error) {
	var pop struct {
		Citizens []struct {
			IIN string `json:"iin"`
		} `json:"citizens"`
		Organizations []struct {
			BIN  string `json:"bin"`
			Role string `json:"role"`
			Keys []struct {
				Algorithm string `json:"algorithm"`
				URL       string `json:"url"`
				Password  string `json:"password"`
			} `json:"keys"`
		} `json:"organizations"`
	}
	if err := getJSON(ctx, hc, base+"/sandbox/population", &pop); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSandbox, err)
	}
	p := &parties{}
	for _, c := range pop.Citizens {
		p.subjects = append(p.subjects, c.IIN)
	}
	var keyURL, password string
	for _, o := range pop.Organizations {
		switch o.Role {
		case "state_body":
			if p.register == "" {
				p.register = o.BIN
			}
		case role:
			if p.police != "" {
				continue
			}
			p.police = o.BIN
			for _, k := range o.Keys {
				if k.Algorithm == string(alg) {
					keyURL, password = k.URL, k.Password
				}
			}
		}
	}
	if p.register == "" || p.police == "" || keyURL == "" || len(p.subjects) == 0 {
		return nil, fmt.Errorf("%w: its population lacks a register, a police key of %s or citizens", ErrNotSandbox, alg)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+keyURL, nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loadgen: downloading the police's %s key: %s %v", alg, res.Status, err)
	}
	f, err := pkcs12.Decode(b, password)
	if err != nil {
		return nil, fmt.Errorf("loadgen: the police's key: %w", err)
	}
	for _, e := range f.Entries {
		if e.PrivateKey != nil && e.Certificate != nil {
			p.key, p.chain = e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...)
			return p, nil
		}
	}
	return nil, errors.New("loadgen: the police's key file holds no key with a certificate")
}

func getJSON(ctx context.Context, hc *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return json.NewDecoder(io.LimitReader(res.Body, 4<<20)).Decode(v)
}

// post sends one flow-2 request; anything but 201 is an error.
func post(ctx context.Context, hc *http.Client, url string, body []byte, auth string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %s: %s", res.Status, bytes.TrimSpace(b))
	}
	return nil
}

// TargetConfirm is Config.Target for POST /v1/confirmations (issue 15): the demo bank
// asks each subject in turn to confirm a one-time consent to share data — the policy
// decides push — so each request is a decision, a row and its outbox event in one
// transaction.
const TargetConfirm = "confirm"

// confirmationBody is the i-th confirmation request of a run, to subject.
func confirmationBody(subject string, i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"subject_iin": subject,
		"transaction": map[string]any{"kind": "data_sharing_consent", "term_months": 0, "obligations": []string{"data_disclosure"},
			"consequences": []string{"personal_data_processing"}, "one_time": true},
		"text": map[string]string{
			"kk": fmt.Sprintf("Жүктеме сынағы %d: банкке жеке куәлік деректерін бір рет беруге келісемін.", i),
			"ru": fmt.Sprintf("Нагрузочный тест %d: согласие на однократную передачу банку данных удостоверения личности.", i),
		},
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
	return b
}

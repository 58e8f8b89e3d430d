package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/senimkz/senim/internal/logcmd"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/auditlog"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/kzid"
	"github.com/senimkz/senim/internal/pd/loadgen"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
	"github.com/senimkz/senim/verifier"
)

// The directory entries the multi-node test puts in with `senim admin`.
const (
	mnGround    = "CPC-199"
	mnPublicURL = "https://senim.test" // the balancer's address: the tokens' iss on every node
)

// Issue 18 item 4, docs/deployment.md: several nodes on one PostgreSQL database as a
// tested deployment, with real processes. Three `senim serve` share the database and
// the KEK file, each with its own data directory and port; flow 2 goes to them
// round-robin; one is killed with SIGKILL mid-run and replaced by a node with an
// empty data directory. Afterwards every acknowledged token (a 201 with a token) is
// in the database, the outbox and the log exactly once, its issuance is proven
// through every node to the log key the operator published, `senim log audit`
// pinned to that key passes through every node, and every node is ready.
//
// The nodes run in production mode, not --sandbox: the private test CA is trusted
// with --ca, the directories are kept with `senim admin` and the initiator signs
// its requests (Senim-Signature), so the test goes through the KEK, the trust
// anchors and the organisation authentication a real deployment uses.
func TestThreeNodesOnOnePostgres(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skipf("%s not set: the multi-node test needs PostgreSQL", storetest.EnvURL)
	}
	if testing.Short() {
		t.Skip("-short: the multi-node test builds senim and runs four processes")
	}
	ctx := t.Context()
	c := newCluster(t, storetest.URL(t, store.Postgres))

	// The operator's first steps: schema, directories (docs/deployment.md).
	c.senim(t, 0, "migrate", "--database-url", c.dbURL)
	owner, police := mnBIN(t, "012345"), mnBIN(t, "054321")
	c.admin(t, "put", "data-owner", c.jsonFile(t, map[string]any{"bin": owner, "name": "Population register (test)",
		"data_sets": []map[string]string{{"code": "identity", "title": "Identity card"}}}))
	c.admin(t, "put", "ground", c.jsonFile(t, map[string]any{"code": mnGround, "legal_ref": "Criminal Procedure Code, art. 199",
		"titles": map[string]string{"kk": "ҚПК 199-бап", "ru": "УПК, статья 199", "en": "CPC art. 199"}}))
	c.admin(t, "permissions", police, mnGround)
	is, err := c.ca.IssueInformationSystem(police, "Police (test)", "cases", ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.NewKey(is.Key, append([]*x509.Certificate{is.Certificate}, is.Chain...))
	if err != nil {
		t.Fatal(err)
	}

	// Three nodes started together on the empty log: one of them makes its key.
	nodes := make([]*proc, 3)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = c.start(t, fmt.Sprintf("node%d", i+1), t.TempDir()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// The key the operator publishes comes from the database, not from a node.
	out := c.senim(t, 0, "log", "key", "list", "--database-url", c.dbURL, "--kek-file", c.kek)
	f := strings.Split(strings.TrimSpace(out), "\t")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 || len(f) < 4 || f[3] != "signing" {
		t.Fatalf("senim log key list: want one signing key, got %q", out)
	}
	published := f[1]
	for _, n := range nodes {
		c.checkPublishedKey(t, n, published)
	}

	// Flow 2, round-robin over the nodes in rotation, from a few concurrent clients.
	lb := &balancer{key: key, owner: owner, subjects: mnSubjects(50)}
	for _, n := range nodes {
		lb.add(n)
	}
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := range 6 {
		load.Go(func() { lb.run(ctx, w, stop) })
	}
	waitFor(t, 60*time.Second, "tokens through every node", func() bool {
		return nodes[0].acks.Load() >= 50 && nodes[1].acks.Load() >= 50 && nodes[2].acks.Load() >= 50
	})
	// Mid-run, while it has a request in hand: SIGKILL node 2; the balancer takes it
	// out of rotation once it is gone, and a replacement with an empty data
	// directory joins.
	victim := nodes[1]
	waitFor(t, 10*time.Second, "a request in flight on node 2", func() bool { return victim.inflight.Load() > 0 })
	victim.killed.Store(true)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	lb.remove(victim)
	fresh := t.TempDir()
	restart := time.Now()
	nodes[1], err = c.start(t, "node2-restarted", fresh)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 killed with %d tokens acknowledged; its replacement was ready %s after the start", victim.acks.Load(), time.Since(restart).Round(time.Millisecond))
	c.checkPublishedKey(t, nodes[1], published)
	lb.add(nodes[1])
	waitFor(t, 60*time.Second, "tokens through the restarted node", func() bool { return nodes[1].acks.Load() >= 50 })
	close(stop)
	load.Wait()

	acks, bad := lb.result()
	t.Logf("%d tokens acknowledged; %d requests failed on the killed node (in flight, or sent before it left the rotation)", len(acks), lb.tolerated.Load())
	if len(bad) > 0 {
		t.Fatalf("%d requests failed on live nodes, e.g. %v", len(bad), bad[0])
	}
	if victim.acks.Load() == 0 {
		t.Fatal("the killed node acknowledged nothing before it died: the test proved nothing")
	}

	// The log integrates every acknowledged issuance (whichever node sequences).
	db := storetest.OpenURL(t, c.dbURL, store.Options{})
	var maxEvt int64
	for _, a := range acks {
		maxEvt = max(maxEvt, a.evt)
	}
	waitFor(t, 60*time.Second, "the log to integrate every acknowledged event", func() bool {
		var last int64
		err := db.QueryRowContext(ctx, `SELECT last_event_id FROM auditlog_state WHERE id = 1`).Scan(&last)
		return err == nil && last >= maxEvt
	})

	// Database and outbox: each acknowledged token once, with the event it names.
	tokens := map[string]int64{}
	rows, err := db.QueryContext(ctx, `SELECT jti, event_id FROM pd_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var jti string
		var evt int64
		if err := rows.Scan(&jti, &evt); err != nil {
			t.Fatal(err)
		}
		tokens[jti] = evt
	}
	rows.Close()
	outbox := map[string][]int64{}
	rows, err = db.QueryContext(ctx, `SELECT id, payload FROM outbox_events WHERE type = ?`, auditlog.TokenEventType)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var payload string
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		var p struct {
			JTI string `json:"jti"`
		}
		if err := json.Unmarshal([]byte(payload), &p); err != nil || p.JTI == "" {
			t.Fatalf("outbox event %d: a token issuance without a jti: %v", id, err)
		}
		outbox[p.JTI] = append(outbox[p.JTI], id)
	}
	rows.Close()
	t.Logf("%d tokens in the database, %d of them acknowledged", len(tokens), len(acks))
	// The log: every leaf, through a node, as an auditor reads it.
	leaves := c.leaves(t, nodes[0].url)
	for _, a := range acks {
		if evt, ok := tokens[a.jti]; !ok || evt != a.evt {
			t.Errorf("token %s (evt %d, via %s): in pd_tokens with event %d (found %v)", a.jti, a.evt, a.node, evt, ok)
		}
		if got := outbox[a.jti]; len(got) != 1 || got[0] != a.evt {
			t.Errorf("token %s (evt %d, via %s): outbox events %v, want exactly [%d]", a.jti, a.evt, a.node, got, a.evt)
		}
		if got := leaves[string(auditlog.TokenBinding(a.jti))]; len(got) != 1 || got[0] != a.evt {
			t.Errorf("token %s (evt %d, via %s): log leaves for events %v, want exactly [%d]", a.jti, a.evt, a.node, got, a.evt)
		}
	}
	// Nothing is in the outbox or the log twice, acknowledged or not (a request in
	// flight when its node died may have committed without an answer).
	for jti, ids := range outbox {
		if len(ids) != 1 {
			t.Errorf("token %s has %d issuance events %v", jti, len(ids), ids)
		}
	}
	for _, evts := range leaves {
		if len(evts) != 1 {
			t.Errorf("one token binding in %d leaves (events %v)", len(evts), evts)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Every node proves every acknowledged issuance to the published key, as a data
	// owner's verifier does (rule PD-6.1.10: no access without a logged token).
	for _, n := range nodes {
		c.verifyAll(t, n, published, acks, owner, is.Certificate)
	}
	// A verifier pinned to another key refuses the proofs.
	foreign := foreignKey(t)
	v := c.verifierFor(t, nodes[2], foreign, owner)
	if _, err := v.Verify(ctx, acks[0].token, verifier.Request{Subject: acks[0].subject, DataSets: []string{"identity"}, ClientCert: is.Certificate}); !errors.Is(err, verifier.ErrLogCheckpoint) {
		t.Errorf("a verifier pinned to another log key: %v, want %v", err, verifier.ErrLogCheckpoint)
	}
	if st := c.get(t, nodes[0].url+"/log/proof/event/"+strconv.FormatInt(maxEvt+1_000_000, 10)); st != http.StatusNotFound {
		t.Errorf("proof of an event that does not exist: %d, want 404", st)
	}

	// `senim log audit`, pinned to the published key, through every node; and with
	// the database beside it (every leaf against its outbox event).
	for i, n := range nodes {
		args := []string{"log", "audit", "--server", n.url, "--key", published}
		if i == 0 {
			args = append(args, "--database-url", c.dbURL)
		}
		if out := c.senim(t, 0, args...); !strings.Contains(out, "OK: no discrepancy") {
			t.Errorf("senim log audit via %s: %s", n.name, out)
		}
	}
	if out := c.senim(t, 1, "log", "audit", "--server", nodes[0].url, "--key", foreign); !strings.Contains(out, "DISCREPANCY") {
		t.Errorf("senim log audit pinned to another key: %q, want a DISCREPANCY", out)
	}

	// The log still has its one key: no node made another.
	if again := c.senim(t, 0, "log", "key", "list", "--database-url", c.dbURL, "--kek-file", c.kek); again != out {
		t.Errorf("the log's keys changed during the run: %q, then %q", out, again)
	}

	// Every node is ready; none keeps the log key on disk; a node given another KEK
	// refuses to start rather than sign with a key of its own.
	for _, n := range nodes {
		if st := c.get(t, n.url+"/readyz"); st != http.StatusOK {
			t.Errorf("%s /readyz: %d", n.name, st)
		}
		if _, err := os.Stat(filepath.Join(n.dataDir, "log.key")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s has a log.key in its data directory (%v): the key belongs in the database", n.name, err)
		}
	}
	other := filepath.Join(t.TempDir(), "other.kek")
	if err := os.WriteFile(other, []byte(newKEK()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.startWith(t, "wrong-kek", t.TempDir(), other); err == nil || !strings.Contains(err.Error(), "different key-encryption key") {
		t.Errorf("a node with another KEK: %v, want it to refuse to start", err)
	}

	stopAll(t, nodes)
}

// stopAll stops the nodes with SIGTERM: each must exit with status 0 (under -race,
// a data race found in a node would make it 66).
func stopAll(t *testing.T, nodes []*proc) {
	t.Helper()
	for _, n := range nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range nodes {
		select {
		case <-n.done:
			if n.err != nil {
				t.Errorf("%s stopped with %v", n.name, n.err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop within 30 s of SIGTERM", n.name)
		}
	}
}

// Issue 18 item 4, the sandbox part: three `senim serve --sandbox` started at once
// on one empty database migrate it, seed the demo population, make the log's key and
// the sandbox CA once between them, and trust each other's demo keys: flow 2 with the
// police's key taken from node 1 succeeds through all three.
func TestThreeSandboxNodes(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skipf("%s not set: the multi-node test needs PostgreSQL", storetest.EnvURL)
	}
	if testing.Short() {
		t.Skip("-short: the multi-node test builds senim and runs three processes")
	}
	c := newCluster(t, storetest.URL(t, store.Postgres))
	nodes := make([]*proc, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = c.serve(t, fmt.Sprintf("sandbox%d", i+1), t.TempDir(), "--sandbox") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	published := c.senim(t, 0, "log", "key", "list", "--database-url", c.dbURL, "--sandbox")
	if f := strings.Split(strings.TrimSpace(published), "\t"); strings.Contains(strings.TrimSpace(published), "\n") || len(f) < 2 {
		t.Fatalf("senim log key list: want one key, got %q", published)
	} else {
		for _, n := range nodes {
			c.checkPublishedKey(t, n, f[1])
		}
	}
	urls := []string{nodes[0].url, nodes[1].url, nodes[2].url}
	r, err := loadgen.RunRemote(t.Context(), loadgen.Config{Duration: time.Second, Concurrency: 6}, urls)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests < 3 || r.Errors != 0 {
		t.Fatalf("flow 2 through three sandbox nodes: %v", r)
	}
	t.Log(r)
	stopAll(t, nodes)
}

// mnBIN returns a valid BIN (registered 2010-01, a resident legal entity) ending in
// six digits and a check digit.
func mnBIN(t *testing.T, six string) string {
	t.Helper()
	b, ok := kzid.Complete("10014" + six)
	if !ok || !kzid.ValidBIN(b) {
		t.Fatalf("no valid BIN from %s", six)
	}
	return b
}

// mnSubjects returns n valid IINs (born 1990-01-01).
func mnSubjects(n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		if iin, ok := kzid.Complete(fmt.Sprintf("9001010%04d", i)); ok {
			out = append(out, iin)
		}
	}
	return out
}

func newKEK() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// foreignKey is a log verifier key with the log's origin but another key.
func foreignKey(t *testing.T) string {
	_, vkey, err := note.GenerateKey(rand.Reader, "senim.kz/log")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cluster is what the nodes share: the binary, the database, the KEK, the trusted CA.
type cluster struct {
	bin, dbURL, kek, dir string
	ca                   *ca.CA
	caFiles              []string
	mu                   sync.Mutex
	procs                []*proc
}

func newCluster(t *testing.T, dbURL string) *cluster {
	dir := t.TempDir()
	c := &cluster{dbURL: dbURL, dir: dir, bin: filepath.Join(dir, "senim"), kek: filepath.Join(dir, "kek")}
	args := []string{"build", "-o", c.bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	build := exec.CommandContext(t.Context(), goBin, append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.WriteFile(c.kek, []byte(newKEK()), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if c.ca, err = ca.Open(filepath.Join(dir, "ca"), ca.Config{Algorithms: []ca.Algorithm{ca.P256}}); err != nil {
		t.Fatal(err)
	}
	for i, cert := range append(c.ca.Roots(), c.ca.Intermediates()...) {
		p := filepath.Join(dir, fmt.Sprintf("ca%d.pem", i))
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		c.caFiles = append(c.caFiles, p)
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.procs {
			select {
			case <-p.done:
			default:
				p.cmd.Process.Kill()
				<-p.done
			}
			if t.Failed() {
				b, _ := os.ReadFile(p.logPath)
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("%s's log (end):\n%s", p.name, b)
			}
		}
	})
	return c
}

// childEnv is the test's environment without SENIM_* variables, which would set
// the children's flags.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SENIM_") {
			env = append(env, kv)
		}
	}
	return env
}

// senim runs a senim command to its end and returns its output; the exit status
// must be want.
func (c *cluster) senim(t *testing.T, want int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("senim %s: %v", strings.Join(args, " "), err)
	}
	if code != want {
		t.Fatalf("senim %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
	}
	return string(out)
}

func (c *cluster) admin(t *testing.T, args ...string) {
	t.Helper()
	c.senim(t, 0, append([]string{"admin", "--database-url", c.dbURL, "--as", "multinode-test"}, args...)...)
}

func (c *cluster) jsonFile(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(c.dir, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func (c *cluster) get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (c *cluster) checkPublishedKey(t *testing.T, n *proc, published string) {
	t.Helper()
	res, err := http.Get(n.url + "/log/key")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != published+"\n" {
		t.Fatalf("%s publishes %d %q, the log's key is %q", n.name, res.StatusCode, b, published)
	}
}

// proc is one `senim serve` process.
type proc struct {
	name, dataDir, url, logPath string
	cmd                         *exec.Cmd
	done                        chan struct{} // closed once the process has exited
	err                         error         // its Wait result, once done
	killed                      atomic.Bool
	inflight, acks              atomic.Int64
}

func (c *cluster) start(t *testing.T, name, dataDir string) (*proc, error) {
	return c.startWith(t, name, dataDir, c.kek)
}

// startWith starts a node and waits until it listens and is ready, or has exited.
func (c *cluster) startWith(t *testing.T, name, dataDir, kek string) (*proc, error) {
	args := []string{"--kek-file", kek, "--public-url", mnPublicURL, "--no-migrate"}
	for _, f := range c.caFiles {
		args = append(args, "--ca", f)
	}
	return c.serve(t, name, dataDir, args...)
}

// serve starts `senim serve` on the cluster's database with a data directory of its
// own and more flags, and waits until it listens and is ready, or has exited.
func (c *cluster) serve(t *testing.T, name, dataDir string, more ...string) (*proc, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--database-url", c.dbURL, "--log-format", "json"}, more...)
	p := &proc{name: name, dataDir: dataDir, logPath: filepath.Join(c.dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(c.bin, args...)
	p.cmd.Env = childEnv()
	p.cmd.Stdout = logf
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			fmt.Fprintln(logf, s.Text())
			var l struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(s.Bytes(), &l) == nil && l.Msg == "senim listening" {
				select {
				case addr <- l.Addr:
				default:
				}
			}
		}
		io.Copy(logf, stderr)
		p.err = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	fail := func(why string) error {
		p.cmd.Process.Kill()
		<-p.done
		b, _ := os.ReadFile(p.logPath)
		return fmt.Errorf("%s %s: %s\n%s", name, why, p.err, b)
	}
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		return nil, fail("exited")
	case <-time.After(90 * time.Second):
		return nil, fail("did not listen within 90 s")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fail("was not ready within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaves reads the whole log through base, as an auditor does, and returns the
// events of the leaves with each token binding.
func (c *cluster) leaves(t *testing.T, base string) map[string][]int64 {
	t.Helper()
	lc := &logcmd.Client{Base: base}
	b, err := lc.Get(t.Context(), "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("checkpoint %q: %v", b, err)
	}
	out := map[string][]int64{}
	for bi := int64(0); bi*auditlog.TileWidth < size; bi++ {
		w := int(min(size-bi*auditlog.TileWidth, auditlog.TileWidth))
		b, err := lc.Get(t.Context(), auditlog.TileID{Level: auditlog.EntriesLevel, Index: bi, Width: w}.Path())
		if err != nil {
			t.Fatal(err)
		}
		ls, err := auditlog.SplitBundle(b)
		if err != nil || len(ls) != w {
			t.Fatalf("entry bundle %d: %d leaves, %v", bi, len(ls), err)
		}
		for _, l := range ls {
			pl, err := auditlog.ParseLeaf(l)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Token != nil {
				out[string(pl.Token)] = append(out[string(pl.Token)], pl.EventID)
			}
		}
	}
	return out
}

func (c *cluster) verifierFor(t *testing.T, n *proc, logKey, owner string) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(verifier.Config{Keys: verifier.NewJWKS(n.url+"/.well-known/jwks.json", nil), Issuer: mnPublicURL, Audience: owner,
		Log: &verifier.LogRequirement{URL: n.url, VerifierKey: logKey}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// verifyAll checks every acknowledged token with a data owner's verifier that asks
// node n for the issuance's proof and its token keys.
func (c *cluster) verifyAll(t *testing.T, n *proc, logKey string, acks []ack, owner string, cert *x509.Certificate) {
	t.Helper()
	v := c.verifierFor(t, n, logKey, owner)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(acks) {
					return
				}
				a := acks[i]
				_, err := v.Verify(t.Context(), a.token, verifier.Request{Subject: a.subject, DataSets: []string{"identity"}, ClientCert: cert})
				if err != nil && failed.Add(1) <= 5 {
					t.Errorf("via %s, token %s (evt %d, issued via %s): %v", n.name, a.jti, a.evt, a.node, err)
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%s: %d of %d tokens not proven", n.name, f, len(acks))
	}
}

// ack is an acknowledged token: the initiator got it with a 201.
type ack struct {
	jti, token, subject, node string
	evt                       int64
}

// balancer stands for a load balancer in front of the nodes: round-robin over the
// nodes in rotation; the test takes a node out once it has killed it.
type balancer struct {
	key      *client.Key
	owner    string
	subjects []string

	mu        sync.Mutex
	rotation  []*proc
	clients   map[*proc]*client.Client
	next      int
	acks      []ack
	bad       []error
	tolerated atomic.Int64
}

func (b *balancer) add(p *proc) {
	c, err := client.New(client.Config{BaseURL: p.url, Key: b.key})
	if err != nil {
		panic(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.clients == nil {
		b.clients = map[*proc]*client.Client{}
	}
	b.clients[p] = c
	b.rotation = append(b.rotation, p)
}

func (b *balancer) remove(p *proc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, q := range b.rotation {
		if q == p {
			b.rotation = append(b.rotation[:i], b.rotation[i+1:]...)
			return
		}
	}
}

func (b *balancer) pick() (*proc, *client.Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.rotation[b.next%len(b.rotation)]
	b.next++
	return p, b.clients[p]
}

// run sends flow-2 requests until stop, each with a fresh verification token about
// one of the subjects.
func (b *balancer) run(ctx context.Context, worker int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		subject := b.subjects[(worker*7+i)%len(b.subjects)]
		p, c := b.pick()
		vt, err := b.key.ProtocolToken(subject, mnGround, b.owner, []string{"identity"}, "multi-node test", time.Now())
		if err != nil {
			b.fail(err)
			return
		}
		p.inflight.Add(1)
		tok, err := c.Protocol(ctx, vt)
		p.inflight.Add(-1)
		var pe *client.Error
		switch {
		case err == nil && tok.SecurityToken != "" && tok.EventID > 0:
			p.acks.Add(1)
			b.mu.Lock()
			b.acks = append(b.acks, ack{jti: tok.JTI, token: tok.SecurityToken, subject: subject, node: p.name, evt: tok.EventID})
			b.mu.Unlock()
		case err == nil:
			b.fail(fmt.Errorf("via %s: an answer without a token or event: %+v", p.name, tok))
		case p.killed.Load() && !errors.As(err, &pe):
			// In flight on the node when it was killed, or sent to it before the
			// balancer took it out: no answer, so not acknowledged.
			b.tolerated.Add(1)
		default:
			b.fail(fmt.Errorf("via %s: %w", p.name, err))
		}
	}
}

func (b *balancer) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, err)
}

func (b *balancer) result() ([]ack, []error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.acks, b.bad
}

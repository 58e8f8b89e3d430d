package app

import (
	"encoding/asn1"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/tsp/tsptest"
	"github.com/senimkz/senim/internal/jobs"
	"github.com/senimkz/senim/internal/store"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// rule DC-6: the archive's seal and renewal run as jobs of the server's job engine,
// without `senim archive`. A document stored in the sandbox is sealed by the seal job's
// first run; one stored after it waits for the next run an interval later. The renewal
// job calls Renew once a day: it renews nothing while the TSA certificate is far from
// its end, every batch once the certificate expires within the policy's margin, and
// nothing more before its next run.
func TestArchiveJobs(t *testing.T) {
	clk := &testClock{t: testNow}
	// The archive's TSA is reached by URL, so that the test can roll its key: first the
	// sandbox CA's TSA, later one with a certificate issued after it.
	var tsa atomic.Pointer[http.Handler]
	tsaSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*tsa.Load()).ServeHTTP(w, r) }))
	t.Cleanup(tsaSrv.Close)
	useTSA := func(c tsp.TSAConfig) {
		t.Helper()
		h, err := tsp.Handler(c, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		tsa.Store(&h)
	}
	// The root of the TSA the key is rolled to later is trusted (--ca) and its CRL given
	// (--crl) from the start, so that the renewal can embed them (rule DC-6); another
	// root is not.
	newRoot := func(cn string) *tsptest.CA {
		r, err := tsptest.NewRoot(eds.KeyECDSA, cn, testNow.Add(-time.Hour), testNow.AddDate(40, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	root, unknownRoot := newRoot("Rolled TSA Root"), newRoot("Unknown TSA Root")
	crl, err := root.CRL(1, testNow, testNow.AddDate(30, 0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootFile, crlFile := filepath.Join(dir, "tsa-root.cer"), filepath.Join(dir, "tsa-root.crl")
	if err := os.WriteFile(rootFile, root.Cert.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crlFile, crl, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sandboxConfig(t, "")
	cfg.Now = clk.Now
	cfg.TSAURL = tsaSrv.URL
	cfg.ArchiveSealInterval = 2 * time.Hour
	cfg.CAFiles = append(cfg.CAFiles, rootFile)
	cfg.CRLFiles = append(cfg.CRLFiles, crlFile)
	a, _ := startSandbox(t, cfg)
	if a.Archive == nil {
		t.Fatal("the sandbox has no archive")
	}
	sandboxTSA, err := a.CA.TSA(ca.GOST2015)
	if err != nil {
		t.Fatal(err)
	}
	useTSA(sandboxTSA)
	ctx := t.Context()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	unsealed := func() int { return count(`SELECT COUNT(*) FROM archive_documents WHERE batch_id IS NULL`) }
	stamps := func() int { return count(`SELECT COUNT(*) FROM archive_stamps`) }
	runs := func() map[string]int64 {
		t.Helper()
		all, err := jobs.List(ctx, a.DB)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, s := range all {
			if s.LeaseOwner != "" {
				t.Errorf("job %s left its lease: %+v", s.Name, s)
			}
			m[s.Name] = s.Runs
		}
		return m
	}
	// tick runs the engine once and checks which of the archive's jobs ran (the
	// escalation runs whenever ten seconds have passed).
	tick := func(want ...string) {
		t.Helper()
		before := runs()
		if _, err := a.Jobs.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		after := runs()
		var ran []string
		for _, name := range []string{JobArchiveSeal, JobArchiveRenew} {
			if after[name] > before[name] {
				ran = append(ran, name)
			}
		}
		if !slices.Equal(ran, want) {
			t.Fatalf("%v: %v ran, want %v", clk.Now(), ran, want)
		}
	}

	archivedBy(t, a, a.Pop.Citizens[0].IIN)
	if unsealed() != 1 {
		t.Fatalf("%d unsealed documents before the seal job ran, want 1", unsealed())
	}
	tick(JobArchiveSeal, JobArchiveRenew) // both due at the first start
	if unsealed() != 0 || stamps() != 1 {
		t.Fatalf("after the first run: %d unsealed documents, %d archive time-stamps; want 0 and 1", unsealed(), stamps())
	}

	archivedBy(t, a, a.Pop.Citizens[1].IIN)
	tick()
	clk.Set(testNow.Add(2*time.Hour - time.Microsecond))
	tick()
	if unsealed() != 1 {
		t.Fatalf("%d unsealed documents before the seal interval passed, want 1", unsealed())
	}
	clk.Set(testNow.Add(2 * time.Hour))
	tick(JobArchiveSeal)
	if unsealed() != 0 || stamps() != 2 {
		t.Fatalf("after the second seal: %d unsealed documents, %d archive time-stamps; want 0 and 2", unsealed(), stamps())
	}

	// The renewal job: a day after its first run, with the TSA certificate years from its end.
	clk.Set(testNow.Add(24 * time.Hour))
	tick(JobArchiveSeal, JobArchiveRenew)
	if stamps() != 2 {
		t.Fatalf("%d archive time-stamps after a renewal run that had nothing due, want 2", stamps())
	}
	var notAfter int64
	if err := a.DB.QueryRowContext(ctx, `SELECT MIN(tsa_not_after) FROM archive_stamps`).Scan(&notAfter); err != nil {
		t.Fatal(err)
	}
	due := time.UnixMicro(notAfter).UTC().Add(-365*24*time.Hour + time.Hour) // inside the default one-year margin
	if !due.After(testNow.Add(48 * time.Hour)) {
		t.Fatalf("the sandbox TSA certificate ends %v: too soon for this test", time.UnixMicro(notAfter).UTC())
	}
	// Inside the margin with the same TSA: Renew is called and refuses to renew with a
	// certificate that is itself due; the job backs off and tries again.
	clk.Set(due)
	tick(JobArchiveSeal, JobArchiveRenew)
	if st := status(t, a, JobArchiveRenew); st.Failures != 1 || !strings.Contains(st.LastError, "renewal margin") || stamps() != 2 {
		t.Fatalf("renewal with the unrolled TSA: %+v, %d archive time-stamps", st, stamps())
	}
	// Rolled to a TSA under a root the server neither trusts nor has a CRL of: its
	// time-stamp would not verify offline, so the renewal is refused again (rule DC-6).
	unknown, err := unknownRoot.TSA(eds.KeyECDSA, "Unknown TSA", due.Add(-time.Hour), due.AddDate(10, 0, 0), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	useTSA(unknown)
	retry := status(t, a, JobArchiveRenew).NextRunAt
	if d := retry.Sub(due); d <= 0 || d > 10*time.Second {
		t.Fatalf("the renewal is retried %v later, want within the first backoff (10 s)", d)
	}
	clk.Set(retry)
	tick(JobArchiveRenew)
	if st := status(t, a, JobArchiveRenew); st.ConsecutiveFailures != 2 || !strings.Contains(st.LastError, "would not verify offline") || stamps() != 2 {
		t.Fatalf("renewal by a TSA whose root and CRL are unknown: %+v, %d archive time-stamps", st, stamps())
	}
	rolled, err := root.TSA(eds.KeyECDSA, "Rolled TSA", due.Add(-time.Hour), due.AddDate(10, 0, 0), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	useTSA(rolled)
	retry = status(t, a, JobArchiveRenew).NextRunAt
	clk.Set(retry)
	tick(JobArchiveRenew)
	if stamps() != 4 {
		t.Fatalf("%d archive time-stamps after the renewal with the rolled TSA, want 4 (both batches renewed)", stamps())
	}
	if st := status(t, a, JobArchiveRenew); st.LastError != "" || st.ConsecutiveFailures != 0 || !st.NextRunAt.Equal(retry.Add(24*time.Hour)) {
		t.Fatalf("after the renewal: %+v", st)
	}
	clk.Set(retry.Add(24*time.Hour - time.Microsecond))
	tick(JobArchiveSeal) // the renewal is not due yet
	clk.Set(retry.Add(24 * time.Hour))
	tick(JobArchiveRenew)
	if stamps() != 4 {
		t.Fatalf("%d archive time-stamps after a renewal run with the fresh time-stamps, want 4", stamps())
	}
	if r := runs(); r[JobArchiveSeal] != 5 || r[JobArchiveRenew] != 6 || r[JobNotifyEscalate] != 6 {
		t.Errorf("runs %v, want 5 seals, 6 renewals (one refused) and 6 escalations (every ten seconds of the clock)", r)
	}
}

func status(t *testing.T, a *App, name string) jobs.Status {
	t.Helper()
	all, err := jobs.List(t.Context(), a.DB)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no job %s", name)
	return jobs.Status{}
}

// Serve's archive jobs use the configured hash and hash policy (--archive-hash,
// --archive-hash-policy; rule DC-6): the seal builds its tree with the configured hash,
// and when the policy declares that hash weak within the renewal margin, the renewal
// job cannot move the batch to a tree of a hash that is itself due: it fails with the
// weak-hash error and backs off. With the same hash weak only beyond the margin, the
// renewal has nothing to do and succeeds.
func TestArchiveJobsHashPolicy(t *testing.T) {
	const sha512 = "2.16.840.1.101.3.4.2.3"
	for _, c := range []struct {
		name     string
		weakFrom time.Time
		wantErr  bool
	}{
		{"weak within the margin", testNow.Add(30 * 24 * time.Hour), true},
		{"weak beyond the margin", testNow.AddDate(3, 0, 0), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &testClock{t: testNow}
			cfg := sandboxConfig(t, "")
			cfg.Now = clk.Now
			cfg.ArchiveHash = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
			cfg.ArchiveWeakFrom = map[string]time.Time{sha512: c.weakFrom}
			a, _ := startSandbox(t, cfg)
			if a.Archive == nil {
				t.Fatal("the sandbox has no archive")
			}
			archivedBy(t, a, a.Pop.Citizens[0].IIN)
			for _, at := range []time.Time{testNow, testNow.Add(24 * time.Hour)} {
				clk.Set(at)
				if _, err := a.Jobs.Tick(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			var alg string
			if err := a.DB.QueryRowContext(t.Context(), `SELECT hash_alg FROM archive_batches`).Scan(&alg); err != nil {
				t.Fatal(err)
			}
			if alg != sha512 {
				t.Errorf("the seal's tree uses %s, want the configured %s", alg, sha512)
			}
			st := status(t, a, JobArchiveRenew)
			if failed := strings.Contains(st.LastError, "weak within the renewal margin"); failed != c.wantErr || st.Runs != 2 {
				t.Errorf("renewal job after two runs: %+v; want a weak-hash failure: %v", st, c.wantErr)
			}
		})
	}
}

// rule DC-6: serve's archive_blobs job deletes the archive's blobs that nothing
// references once they are older than the grace period, on its daily schedule; an
// archived document's bytes stay.
func TestArchiveBlobsJob(t *testing.T) {
	clk := &testClock{t: testNow}
	cfg := sandboxConfig(t, "")
	cfg.Now = clk.Now
	a, _ := startSandbox(t, cfg)
	ctx := t.Context()
	c := a.Pop.Citizens[0]
	id := archivedBy(t, a, c.IIN)
	// Bytes an ingest put before its transaction failed.
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO archive_blobs (sha256, bytes, created_at) VALUES (?, ?, ?)`,
		strings.Repeat("ab", 32), []byte("orphan"), store.Micros(clk.Now())); err != nil {
		t.Fatal(err)
	}
	blobs := func() int {
		t.Helper()
		var n int
		if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM archive_blobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := func() int64 {
		t.Helper()
		all, err := jobs.List(ctx, a.DB)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			if s.Name == JobArchiveBlobs {
				return s.Runs
			}
		}
		return 0
	}
	total := blobs() // the document's content and signature, and the orphan
	if _, err := a.Jobs.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if runs() != 1 || blobs() != total {
		t.Fatalf("first run: %d runs, %d of %d blobs left; the orphan is young", runs(), blobs(), total)
	}
	clk.Set(testNow.Add(archive.DefaultBlobGrace + time.Hour))
	if _, err := a.Jobs.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if runs() != 2 || blobs() != total-1 {
		t.Fatalf("a day later: %d runs, %d of %d blobs left; want the orphan gone", runs(), blobs(), total)
	}
	ref, err := a.Identity.SubjectRef(ctx, c.IIN)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Archive.Open(ctx, ref, id, false); err != nil {
		t.Fatalf("the archived document after the job: %v", err)
	}
}

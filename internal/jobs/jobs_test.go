package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/jobs"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

// clock is a test clock shared by the "nodes" of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: storetest.Now} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// twoNodes runs fn on every available engine with two database handles on one
// database: the connections of two `senim serve` processes.
func twoNodes(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	for _, e := range storetest.EnginesAvailable() {
		t.Run(string(e), func(t *testing.T) {
			url := storetest.URL(t, e)
			a := storetest.OpenURL(t, url, storetest.Options(t))
			if _, err := a.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			b := storetest.OpenURL(t, url, storetest.Options(t))
			fn(t, a, b)
		})
	}
}

func engine(t *testing.T, db *store.DB, node string, clk *clock, js ...jobs.Job) *jobs.Engine {
	t.Helper()
	e, err := jobs.New(jobs.Config{DB: db, Node: node, Now: clk.Now, Logger: storetest.Options(t).Logger,
		Jitter: func() float64 { return 0.5 }}, js...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func status(t *testing.T, db *store.DB, name string) jobs.Status {
	t.Helper()
	all, err := jobs.List(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no job %q in %v", name, all)
	return jobs.Status{}
}

// overlap counts the runs of a job in progress at once, across nodes.
type overlap struct {
	active, most, runs atomic.Int64
}

func (o *overlap) enter() {
	o.runs.Add(1)
	n := o.active.Add(1)
	for {
		m := o.most.Load()
		if n <= m || o.most.CompareAndSwap(m, n) {
			return
		}
	}
}

func (o *overlap) leave() { o.active.Add(-1) }

// Two nodes tick one job as fast as they can while the clock moves on: the job runs
// many times and never on both at once, and every run is counted in its row. (The
// counter's negative case is TestLeaseExpiryTakeover, where it sees two runs at once.)
func TestTwoNodesNeverOverlap(t *testing.T) {
	twoNodes(t, func(t *testing.T, dbA, dbB *store.DB) {
		clk := newClock()
		var o overlap
		job := jobs.Job{Name: "busy", Interval: time.Second, Lease: time.Hour, Run: func(ctx context.Context, l *jobs.Lease) error {
			o.enter()
			defer o.leave()
			time.Sleep(time.Millisecond)
			return nil
		}}
		var ran atomic.Int64
		var wg sync.WaitGroup
		for i, db := range []*store.DB{dbA, dbB} {
			e := engine(t, db, []string{"a", "b"}[i], clk, job)
			wg.Go(func() {
				for range 40 {
					clk.Add(500 * time.Millisecond)
					n, err := e.Tick(t.Context())
					if err != nil {
						t.Error(err)
						return
					}
					ran.Add(int64(n))
				}
			})
		}
		wg.Wait()
		if o.most.Load() != 1 {
			t.Errorf("at most %d runs at once, want 1", o.most.Load())
		}
		if ran.Load() < 2 || ran.Load() != o.runs.Load() {
			t.Errorf("Tick reported %d runs, the job saw %d (want at least 2 and equal)", ran.Load(), o.runs.Load())
		}
		if s := status(t, dbA, "busy"); s.Runs != o.runs.Load() || s.Failures != 0 || s.LeaseOwner != "" {
			t.Errorf("row %+v after %d runs", s, o.runs.Load())
		}
	})
}

// blocker is a job run that signals its start and waits to be released.
type blocker struct {
	started, release chan struct{}
	extendErr        error
	ctxErr           error
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}), release: make(chan struct{})}
}

func (b *blocker) run(o *overlap) func(ctx context.Context, l *jobs.Lease) error {
	return func(ctx context.Context, l *jobs.Lease) error {
		o.enter()
		defer o.leave()
		close(b.started)
		<-b.release
		b.extendErr = l.Extend(ctx)
		b.ctxErr = ctx.Err()
		return nil
	}
}

// While node a runs a job, node b neither runs it on its schedule nor by hand; once a
// has finished the job is not due again before its interval, then b runs it.
func TestRunningJobHeldAcrossNodes(t *testing.T) {
	twoNodes(t, func(t *testing.T, dbA, dbB *store.DB) {
		ctx := t.Context()
		clk := newClock()
		var o overlap
		blk := newBlocker()
		ea := engine(t, dbA, "a", clk, jobs.Job{Name: "seal", Interval: time.Hour, Lease: time.Minute, Run: blk.run(&o)})
		other := jobs.Job{Name: "seal", Interval: time.Hour, Lease: time.Minute, Run: func(context.Context, *jobs.Lease) error {
			o.enter()
			o.leave()
			return nil
		}}
		eb := engine(t, dbB, "b", clk, other)
		done := make(chan error, 1)
		go func() { _, err := ea.Tick(ctx); done <- err }()
		<-blk.started

		if n, err := eb.Tick(ctx); err != nil || n != 0 {
			t.Errorf("b ran %d while a holds the lease (err %v)", n, err)
		}
		if err := eb.RunNow(ctx, other); !errors.Is(err, jobs.ErrBusy) {
			t.Errorf("a manual run while a holds the lease: %v, want ErrBusy", err)
		}
		s := status(t, dbB, "seal")
		if !s.Running(clk.Now()) || !strings.HasPrefix(s.LeaseOwner, "a/") {
			t.Errorf("status while a runs: %+v", s)
		}
		close(blk.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if blk.extendErr != nil || blk.ctxErr != nil {
			t.Errorf("a's own lease: extend %v, ctx %v", blk.extendErr, blk.ctxErr)
		}
		if s := status(t, dbB, "seal"); s.Running(clk.Now()) || s.LeaseOwner != "" || !s.NextRunAt.Equal(clk.Now().Add(time.Hour)) {
			t.Errorf("status after a's run: %+v", s)
		}

		clk.Add(time.Hour - time.Microsecond)
		if n, err := eb.Tick(ctx); err != nil || n != 0 {
			t.Errorf("b ran %d before the interval passed (err %v)", n, err)
		}
		clk.Add(time.Microsecond)
		if n, err := eb.Tick(ctx); err != nil || n != 1 {
			t.Errorf("b ran %d once the job was due (err %v)", n, err)
		}
		// A manual run when the job is not due runs, under the lease, and leaves the
		// schedule as it was.
		before := status(t, dbB, "seal")
		if err := eb.RunNow(ctx, other); err != nil {
			t.Fatal(err)
		}
		if after := status(t, dbB, "seal"); after.Runs != before.Runs+1 || !after.NextRunAt.Equal(before.NextRunAt) || after.LeaseOwner != "" {
			t.Errorf("manual run: %+v, before %+v", after, before)
		}
		if o.most.Load() != 1 || o.runs.Load() != 3 {
			t.Errorf("%d runs, at most %d at once; want 3 and 1", o.runs.Load(), o.most.Load())
		}
	})
}

// Node a "crashes" mid-run (it stops extending its lease; the clock passes the lease's
// end): b takes the job over. Before the lease ends it cannot. When a wakes up its
// lease is gone: Extend says so and cancels its run, and its result is not recorded.
func TestLeaseExpiryTakeover(t *testing.T) {
	twoNodes(t, func(t *testing.T, dbA, dbB *store.DB) {
		ctx := t.Context()
		clk := newClock()
		var o overlap
		blk := newBlocker()
		ea := engine(t, dbA, "a", clk, jobs.Job{Name: "renew", Interval: 24 * time.Hour, Lease: time.Hour, Run: blk.run(&o)})
		var bRan int
		eb := engine(t, dbB, "b", clk, jobs.Job{Name: "renew", Interval: 24 * time.Hour, Lease: time.Hour,
			Run: func(context.Context, *jobs.Lease) error {
				o.enter()
				o.leave()
				bRan++
				return nil
			}})
		done := make(chan error, 1)
		go func() { _, err := ea.Tick(ctx); done <- err }()
		<-blk.started

		clk.Add(time.Hour - time.Microsecond)
		if n, err := eb.Tick(ctx); err != nil || n != 0 {
			t.Fatalf("b took over a live lease: ran %d (err %v)", n, err)
		}
		clk.Add(time.Microsecond)
		if n, err := eb.Tick(ctx); err != nil || n != 1 || bRan != 1 {
			t.Fatalf("b did not take over the expired lease: ran %d (err %v)", n, err)
		}
		// The overlap counter sees a's stale run and b's at once: it would catch an
		// overlap in TestTwoNodesNeverOverlap.
		if o.most.Load() != 2 {
			t.Errorf("the counter saw at most %d runs at once during the takeover, want 2", o.most.Load())
		}
		bDone := status(t, dbB, "renew")
		close(blk.release)
		if err := <-done; !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("a's stale run ended with %v, want ErrLeaseLost", err)
		}
		if !errors.Is(blk.extendErr, jobs.ErrLeaseLost) || !errors.Is(blk.ctxErr, context.Canceled) {
			t.Errorf("a's stale lease: extend %v, ctx %v", blk.extendErr, blk.ctxErr)
		}
		if s := status(t, dbA, "renew"); s != bDone || s.Runs != 2 || s.Failures != 0 || !s.NextRunAt.Equal(clk.Now().Add(24*time.Hour)) {
			t.Errorf("a's stale run changed the row: %+v, b left %+v", s, bDone)
		}
	})
}

// A run that extends its lease keeps the job while the clock passes the lease's
// original end; without the extension (TestLeaseExpiryTakeover) b takes it over.
func TestExtendKeepsLease(t *testing.T) {
	twoNodes(t, func(t *testing.T, dbA, dbB *store.DB) {
		ctx := t.Context()
		clk := newClock()
		started, release := make(chan struct{}), make(chan struct{})
		var extendErr error
		ea := engine(t, dbA, "a", clk, jobs.Job{Name: "renew", Interval: time.Hour, Lease: time.Hour,
			Run: func(ctx context.Context, l *jobs.Lease) error {
				clk.Add(30 * time.Minute)
				extendErr = l.Extend(ctx)
				close(started)
				<-release
				return nil
			}})
		eb := engine(t, dbB, "b", clk, jobs.Job{Name: "renew", Interval: time.Hour, Lease: time.Hour,
			Run: func(context.Context, *jobs.Lease) error { return nil }})
		done := make(chan error, 1)
		go func() { _, err := ea.Tick(ctx); done <- err }()
		<-started
		if extendErr != nil {
			t.Fatal(extendErr)
		}
		clk.Add(time.Hour - time.Microsecond) // past the first lease's end, before the extended one's
		if n, err := eb.Tick(ctx); err != nil || n != 0 {
			t.Errorf("b took over an extended lease: ran %d (err %v)", n, err)
		}
		clk.Add(time.Microsecond)
		if n, err := eb.Tick(ctx); err != nil || n != 1 {
			t.Errorf("b did not take over once the extended lease ended: ran %d (err %v)", n, err)
		}
		close(release)
		if err := <-done; !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("a ended with %v, want ErrLeaseLost", err)
		}
	})
}

// A failing job is tried again after 10 s, 20 s, 40 s, ... (here with the jitter fixed
// at the middle: 7.5 s, 15 s, 30 s), never later than MaxBackoff; not a microsecond
// earlier; a success resets the backoff and schedules the next run an interval later.
func TestBackoffAfterFailure(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := newClock()
		fail := true
		e, err := jobs.New(jobs.Config{DB: db, Node: "a", Now: clk.Now, Logger: storetest.Options(t).Logger,
			Backoff: 10 * time.Second, MaxBackoff: 40 * time.Second, Jitter: func() float64 { return 0.5 }},
			jobs.Job{Name: "seal", Interval: time.Hour, Run: func(context.Context, *jobs.Lease) error {
				if fail {
					return errors.New("time-stamping authority unreachable")
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		for i, wait := range []time.Duration{7500 * time.Millisecond, 15 * time.Second, 30 * time.Second, 30 * time.Second} {
			if n, err := e.Tick(ctx); err != nil || n != 1 {
				t.Fatalf("try %d: ran %d (err %v)", i+1, n, err)
			}
			s := status(t, db, "seal")
			if s.Failures != int64(i+1) || s.ConsecutiveFailures != i+1 || s.LastError != "time-stamping authority unreachable" ||
				!s.NextRunAt.Equal(clk.Now().Add(wait)) || s.LeaseOwner != "" {
				t.Fatalf("after failure %d: %+v, want the next try %v later", i+1, s, wait)
			}
			clk.Add(wait - time.Microsecond)
			if n, err := e.Tick(ctx); err != nil || n != 0 {
				t.Fatalf("ran %d during the backoff (err %v)", n, err)
			}
			clk.Add(time.Microsecond)
		}
		fail = false
		if n, err := e.Tick(ctx); err != nil || n != 1 {
			t.Fatalf("ran %d (err %v)", n, err)
		}
		if s := status(t, db, "seal"); s.Failures != 4 || s.ConsecutiveFailures != 0 || s.LastError != "" || s.Runs != 5 ||
			!s.NextRunAt.Equal(clk.Now().Add(time.Hour)) {
			t.Errorf("after the success: %+v", s)
		}
	})
}

// The backoff never exceeds the job's interval, and with random jitter lies in
// [d/2, d]; a panicking job is a failure like another, and frees its lease.
func TestBackoffBoundsAndPanic(t *testing.T) {
	db := storetest.Open(t)
	clk := newClock()
	e, err := jobs.New(jobs.Config{DB: db, Now: clk.Now, Logger: storetest.Options(t).Logger, Backoff: time.Minute},
		jobs.Job{Name: "escalate", Interval: 10 * time.Second, Run: func(context.Context, *jobs.Lease) error { return errors.New("db down") }},
		jobs.Job{Name: "panics", Interval: time.Hour, Run: func(context.Context, *jobs.Lease) error { panic("boom") }})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if n, err := e.Tick(t.Context()); err != nil || n == 0 {
			t.Fatalf("ran %d (err %v)", n, err)
		}
		s := status(t, db, "escalate")
		if d := s.NextRunAt.Sub(clk.Now()); d < 5*time.Second || d > 10*time.Second {
			t.Fatalf("backoff %v outside [5s, 10s] (the interval caps the minute)", d)
		}
		clk.Add(time.Hour)
	}
	if s := status(t, db, "panics"); s.Failures != 20 || !strings.Contains(s.LastError, "panicked: boom") || s.LeaseOwner != "" {
		t.Errorf("panicking job: %+v", s)
	}
}

func TestBadJobs(t *testing.T) {
	db := storetest.Open(t)
	run := func(context.Context, *jobs.Lease) error { return nil }
	for name, js := range map[string][]jobs.Job{
		"empty name":    {{Name: "", Interval: time.Second, Run: run}},
		"upper case":    {{Name: "Seal", Interval: time.Second, Run: run}},
		"too long":      {{Name: strings.Repeat("a", 49), Interval: time.Second, Run: run}},
		"no interval":   {{Name: "seal", Run: run}},
		"no function":   {{Name: "seal", Interval: time.Second}},
		"the same name": {{Name: "seal", Interval: time.Second, Run: run}, {Name: "seal", Interval: time.Hour, Run: run}},
	} {
		if _, err := jobs.New(jobs.Config{DB: db}, js...); !errors.Is(err, jobs.ErrBadJob) {
			t.Errorf("%s: %v, want ErrBadJob", name, err)
		}
	}
	e, err := jobs.New(jobs.Config{DB: db}, jobs.Job{Name: strings.Repeat("a", 48), Interval: time.Second, Run: run})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunNow(t.Context(), jobs.Job{Name: "x y", Run: run}); !errors.Is(err, jobs.ErrBadJob) {
		t.Errorf("RunNow of a bad name: %v", err)
	}
	if all, err := jobs.List(t.Context(), db); err != nil || len(all) != 0 {
		t.Errorf("rows %v (err %v) after refused jobs", all, err)
	}
	if _, err := jobs.New(jobs.Config{}); err == nil {
		t.Error("an engine without a database")
	}
}

// Run, on the wall clock, runs a job that is always due again and again, and a job due
// an hour after its first run once.
func TestRunLoop(t *testing.T) {
	db := storetest.Open(t)
	var often, hourly atomic.Int64
	e, err := jobs.New(jobs.Config{DB: db, Poll: 5 * time.Millisecond, Logger: storetest.Options(t).Logger},
		jobs.Job{Name: "often", Interval: time.Microsecond, Run: func(context.Context, *jobs.Lease) error {
			often.Add(1)
			return nil
		}},
		jobs.Job{Name: "hourly", Interval: time.Hour, Run: func(context.Context, *jobs.Lease) error {
			hourly.Add(1)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error)
	go func() { stopped <- e.Run(ctx) }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("Run did not %s", what)
			}
		}
	}
	waitFor("run the hourly job", func() bool { return hourly.Load() > 0 })
	n := often.Load()
	waitFor("run the always-due job 5 more times", func() bool { return often.Load() >= n+5 })
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if hourly.Load() != 1 {
		t.Errorf("the hourly job ran %d times, want 1", hourly.Load())
	}
}

// A node that stops mid-run (its engine's context ends) frees the lease and leaves the
// job due, uncounted as a failure: the other node runs it at once. A run that ends on
// its own with the context's error while the engine runs is a failure like another.
func TestStopMidRunFreesLease(t *testing.T) {
	twoNodes(t, func(t *testing.T, dbA, dbB *store.DB) {
		clk := newClock()
		started := make(chan struct{})
		ea := engine(t, dbA, "a", clk, jobs.Job{Name: "seal", Interval: time.Hour, Lease: time.Hour,
			Run: func(ctx context.Context, _ *jobs.Lease) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}})
		var bRan int
		eb := engine(t, dbB, "b", clk, jobs.Job{Name: "seal", Interval: time.Hour, Lease: time.Hour,
			Run: func(ctx context.Context, _ *jobs.Lease) error {
				bRan++
				if bRan == 1 {
					return context.DeadlineExceeded
				}
				return nil
			}})
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { _, err := ea.Tick(ctx); done <- err }()
		<-started
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if s := status(t, dbB, "seal"); s.LeaseOwner != "" || s.Failures != 0 || s.LastError != "" || s.NextRunAt.After(clk.Now()) {
			t.Fatalf("after a stopped run: %+v", s)
		}
		if n, err := eb.Tick(t.Context()); err != nil || n != 1 {
			t.Fatalf("b ran %d after a stopped the run (err %v)", n, err)
		}
		if s := status(t, dbB, "seal"); s.Failures != 1 || s.LastError != context.DeadlineExceeded.Error() {
			t.Errorf("a run that returned a context error on its own: %+v", s)
		}
	})
}

// An operator who shortens a job's interval and restarts gets the new interval at once:
// the row the old configuration scheduled an hour away is brought forward to one new
// interval from the start; a node with the old interval, or a longer one, leaves it.
func TestShorterIntervalTakesEffect(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		clk := newClock()
		var runs atomic.Int64
		job := func(every time.Duration) jobs.Job {
			return jobs.Job{Name: "archive_seal", Interval: every, Run: func(context.Context, *jobs.Lease) error { runs.Add(1); return nil }}
		}
		if n, err := engine(t, db, "a", clk, job(time.Hour)).Tick(ctx); err != nil || n != 1 {
			t.Fatalf("first run: %d, %v", n, err)
		}
		start := clk.Now()
		// Restarted with the same interval, or a longer one: still an hour away.
		for _, every := range []time.Duration{time.Hour, 2 * time.Hour} {
			clk.Add(time.Minute)
			if n, err := engine(t, db, "b", clk, job(every)).Tick(ctx); err != nil || n != 0 {
				t.Fatalf("interval %v: ran %d, %v", every, n, err)
			}
			if s := status(t, db, "archive_seal"); !s.NextRunAt.Equal(start.Add(time.Hour)) {
				t.Fatalf("interval %v moved the next run to %v", every, s.NextRunAt)
			}
		}
		// Restarted with five minutes: due five minutes after the restart, not an hour
		// after the last run.
		clk.Add(time.Minute)
		restart := clk.Now()
		e := engine(t, db, "c", clk, job(5*time.Minute))
		if n, err := e.Tick(ctx); err != nil || n != 0 {
			t.Fatalf("ran %d at the restart, %v", n, err)
		}
		if s := status(t, db, "archive_seal"); !s.NextRunAt.Equal(restart.Add(5 * time.Minute)) {
			t.Fatalf("next run %v, want %v", s.NextRunAt, restart.Add(5*time.Minute))
		}
		clk.Add(5 * time.Minute)
		if n, err := e.Tick(ctx); err != nil || n != 1 || runs.Load() != 2 {
			t.Fatalf("five minutes on: ran %d (%d in all), %v", n, runs.Load(), err)
		}
	})
}
